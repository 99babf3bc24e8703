// Binds inputs to dotted paths of the collection draft (`otp.duration`, `oauth2.providers.0.clientId`)
// and tells which of the server's per-field messages the auth options tab shows next to an input.
import type { Bind } from '../../parts/settings-inputs.tsx';
import { getPath, setPath } from '../../parts/settings-inputs.tsx';
import type { Draft } from '../draft.ts';

export const TOKEN_KEYS = ['authToken', 'verificationToken', 'passwordResetToken', 'emailChangeToken', 'fileToken'] as const;
export const TEMPLATE_KEYS = ['verificationTemplate', 'resetPasswordTemplate', 'confirmEmailChangeTemplate'] as const;

/** The top-level keys of an auth collection's options (domain/collections/defaults.ts AUTH_OPTION_KEYS). */
const OPTION_KEYS = ['authRule', 'manageRule', 'authAlert', 'oauth2', 'passwordAuth', 'mfa', 'otp', ...TOKEN_KEYS, ...TEMPLATE_KEYS];

/** Whether an error belongs to the auth options tab (its tab gets the error marker). */
export const isAuthOptionError = (key: string): boolean => OPTION_KEYS.some((k) => key === k || key.startsWith(`${k}.`));

/** The paths that have an input of their own in the tab; any other auth option error is listed at the top. */
const PLACED = [
  /^(authRule|manageRule)$/,
  /^authAlert\.(enabled|emailTemplate\.(subject|body))$/,
  /^oauth2\.(enabled|mappedFields\.(id|name|username|avatarURL))$/,
  /^oauth2\.providers\.\d+\.(name|clientId|clientSecret|authURL|tokenURL|userInfoURL|displayName|pkce|extra\.(jwksURL|issuers|discoveryURL|idTokenEmailClaim))$/,
  /^passwordAuth\.(enabled|identityFields)$/,
  /^mfa\.(enabled|duration|rule)$/,
  /^otp\.(enabled|duration|length|emailTemplate\.(subject|body))$/,
  /^(authToken|verificationToken|passwordResetToken|emailChangeToken|fileToken)\.(duration|secret)$/,
  /^(verificationTemplate|resetPasswordTemplate|confirmEmailChangeTemplate)\.(subject|body)$/,
];
export const placesAuthError = (key: string): boolean => PLACED.some((re) => re.test(key));

/** Reads and writes the draft by path; one `set` is one edit (the whole top-level option is replaced). */
export function draftBind(draft: Draft, edit: (patch: Partial<Draft>) => void, errors: Record<string, string>): Bind {
  return {
    get: (path) => getPath(draft, path),
    set: (path, value) => {
      const top = path.split('.')[0];
      edit({ [top]: (setPath(draft, path, value) as Draft)[top] });
    },
    error: (path) => errors[path],
  };
}

/** Whether any error lies at or under `prefix`. */
export const hasErrorsUnder = (errors: Record<string, string>, prefix: string): boolean =>
  Object.keys(errors).some((k) => k === prefix || k.startsWith(`${prefix}.`));

/**
 * A new token secret (Baton accepts 30 to 255 characters): saving it invalidates every token
 * signed with the old one, as PocketBase's "Invalidate all previously issued tokens" does.
 */
export function randomSecret(length = 50): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  // Bytes from 248 up are dropped (248 = 4 * 62), so every character is equally likely.
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length))) if (b < 248 && out.length < length) out += alphabet[b % 62];
  }
  return out;
}
