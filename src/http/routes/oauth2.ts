import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { oauth2ProviderCatalogue } from '../../domain/auth/oauth2/providers.ts';
import { requireSuperuser, sendJson } from '../respond.ts';

/**
 * PocketBase's answer where its dashboard would show the outcome of a popup sign-in; Baton
 * serves no dashboard yet, so the page is this text (PocketBase's own fallback without its UI).
 */
const REDIRECT_FAILED = 'Failed to authenticate. You can close this window and go back to the app to try again.';

/** The OAuth2 endpoints outside a collection: the providers' list and the popup flow's redirect. */
export function oauth2Routes(api: FastifyInstance): void {
  api.get('/collections/meta/oauth2-providers', async (request, reply) => {
    requireSuperuser(request);
    return sendJson(request, reply, oauth2ProviderCatalogue());
  });

  // The SDK's popup flow: the provider sends the browser here with `state` (the realtime client's
  // id) and `code`, and Baton hands them to that client on the `@oauth2` topic. Realtime has not
  // landed (issue 8): no client can be subscribed, so every redirect ends on the failure page and
  // apps use their own redirect URL with auth-with-oauth2. Apple posts its answer
  // (response_mode=form_post), hence POST too.
  const redirect = async (request: FastifyRequest, reply: FastifyReply) => {
    request.log.debug('OAuth2 redirect without a subscribed realtime client');
    return reply.code(200).type('text/plain; charset=utf-8').send(REDIRECT_FAILED);
  };
  api.get('/oauth2-redirect', redirect);
  api.post('/oauth2-redirect', redirect);
}
