// The dashboard's one API client: the official SDK, pointed at the server that served the page.
// The SDK's default LocalAuthStore keeps the superuser's token in localStorage, so a reload keeps
// the session.
import PocketBase, { ClientResponseError, LocalAuthStore } from 'pocketbase';

export const pb = new PocketBase(window.location.origin, new LocalAuthStore('baton_dashboard_auth'));

// Pages issue parallel requests to the same endpoints (a list and its count, a preview while typing);
// the SDK's automatic cancellation of duplicates would abort the earlier one for no reason here.
pb.autoCancellation(false);

// A 401 means the kept token no longer works (expired, its superuser deleted, the secret
// rotated): forget it, and the app shows the sign-in page instead of failing every request.
pb.afterSend = (response, data) => {
  if (response.status === 401 && pb.authStore.token) pb.authStore.clear();
  return data;
};

/** True when a superuser token is held (a reload keeps it). */
export function isSignedIn(): boolean {
  return pb.authStore.isValid && pb.authStore.isSuperuser;
}

/** A message fit for a person, from whatever a request threw. */
export function errorMessage(error: unknown): string {
  if (error instanceof ClientResponseError) {
    if (error.status === 0) return 'The server could not be reached.';
    const fields = fieldErrors(error);
    const first = Object.entries(fields)[0];
    const base = error.response?.message || error.message || `Request failed (${error.status}).`;
    return first && Object.keys(fields).length === 1 ? `${base} ${first[0]}: ${first[1]}` : base;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * The per-field messages of a PocketBase-shaped 400 (`data.<field>.message`), flattened to
 * dotted paths: `{"fields.2.name": "Cannot be blank."}`.
 */
export function fieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(error instanceof ClientResponseError)) return out;
  const walk = (value: unknown, prefix: string) => {
    if (!value || typeof value !== 'object') return;
    const node = value as Record<string, unknown>;
    if (typeof node.message === 'string' && typeof node.code === 'string') {
      out[prefix] = node.message;
      return;
    }
    for (const [key, child] of Object.entries(node)) walk(child, prefix ? `${prefix}.${key}` : key);
  };
  walk(error.response?.data, '');
  return out;
}

export { ClientResponseError };
