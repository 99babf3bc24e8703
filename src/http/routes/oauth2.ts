import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { oauth2ProviderCatalogue } from '../../domain/auth/oauth2/providers.ts';
import type { OAuth2RedirectData } from '../../domain/realtime/oauth2-redirect.ts';
import type { Services } from '../../domain/services.ts';
import { readRecordInput } from '../body.ts';
import { requireSuperuser, sendJson } from '../respond.ts';

/**
 * PocketBase's answers where its dashboard would show the outcome of a popup sign-in: Baton
 * serves no dashboard, so the pages are these texts (PocketBase's own fallback without its UI).
 */
const REDIRECT_FAILED = 'Failed to authenticate. You can close this window and go back to the app to try again.';
const REDIRECT_DONE = 'Auth completed. You can close this window and go back to the app.';

/** The OAuth2 endpoints outside a collection: the providers' list and the popup flow's redirect. */
export function oauth2Routes(api: FastifyInstance, services: Services): void {
  api.get('/collections/meta/oauth2-providers', async (request, reply) => {
    requireSuperuser(request);
    return sendJson(request, reply, oauth2ProviderCatalogue());
  });

  // The SDK's popup flow: the provider sends the browser here with `state` (the realtime client's
  // id) and `code`, and Baton hands them to that client on the `@oauth2` topic
  // (domain/realtime/oauth2-redirect.ts). Apple posts its answer (response_mode=form_post), hence POST.
  const redirect = async (request: FastifyRequest, reply: FastifyReply) => {
    const data = await redirectData(request);
    if (data && services.oauth2Redirect.complete(request.ctx, data)) {
      return reply.code(200).type('text/html; charset=utf-8').send(REDIRECT_DONE);
    }
    return reply.code(200).type('text/plain; charset=utf-8').send(REDIRECT_FAILED);
  };
  // Its URL carries the provider's code: only failures are logged, as in PocketBase.
  const config = { skipSuccessLog: true };
  api.get('/oauth2-redirect', { config }, redirect);
  api.post('/oauth2-redirect', { config }, redirect);
}

/**
 * The provider's answer, as PocketBase binds it: a GET's query; a POST's form, whose values come
 * before the query's (Go's `Request.Form`), or JSON body (field names matched case-insensitively,
 * `user` never read from JSON: its tag is `json:"-"`). Undefined when the body cannot be read, or
 * holds a value of the wrong type (Go's decoder fails): the failure page.
 */
async function redirectData(request: FastifyRequest): Promise<OAuth2RedirectData | undefined> {
  const q = request.ctx.query;
  if (request.method !== 'POST') return { state: q.state ?? '', code: q.code ?? '', error: q.error ?? '', user: '' };
  let body: Record<string, unknown>;
  let source: 'json' | 'form';
  try {
    ({ body, source } = await readRecordInput(request));
  } catch (e) {
    request.log.debug({ err: e }, 'unreadable OAuth2 redirect data');
    return undefined;
  }
  if (source === 'form') {
    const value = (name: string) => {
      const v = Object.hasOwn(body, name) ? body[name] : q[name];
      return String((Array.isArray(v) ? v[0] : v) ?? '');
    };
    return { state: value('state'), code: value('code'), error: value('error'), user: value('user') };
  }
  const data: OAuth2RedirectData = { state: '', code: '', error: '', user: '' };
  for (const [key, value] of Object.entries(body)) {
    const name = key.toLowerCase();
    if (name !== 'state' && name !== 'code' && name !== 'error') continue;
    if (typeof value === 'string') data[name] = value;
    else if (value !== null) return undefined;
  }
  return data;
}
