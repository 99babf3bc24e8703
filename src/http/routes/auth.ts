import type { FastifyInstance } from 'fastify';
import { extractToken } from '../../domain/auth/tokens.ts';
import { isMfaRequired } from '../../domain/auth/service.ts';
import type { Services } from '../../domain/services.ts';
import { readRecordInput } from '../body.ts';
import { sendJson, sendRecord } from '../respond.ts';

interface Params {
  collection: string;
}

/** Sign-in (password), token refresh and the list of sign-in methods, for every auth collection. */
export function authRoutes(api: FastifyInstance, services: Services): void {
  const config = { invalidBodyMessage: 'An error occurred while loading the submitted data.' };
  // The auth record, with its expand, is a record response: the same byte limit.
  const { maxResponseBytes } = services.records.limits;
  api.post<{ Params: Params }>('/collections/:collection/auth-with-password', { config }, async (request, reply) => {
    const { body } = await readRecordInput(request);
    const result = await services.auth.authWithPassword(request.ctx, request.params.collection, body, {
      expand: request.ctx.query.expand,
    });
    // A first factor of MFA: PocketBase answers 401 with the session id alone, not an error body.
    if (isMfaRequired(result)) return reply.code(401).send({ mfaId: result.mfaId });
    return sendRecord(request, reply, result, maxResponseBytes);
  });

  api.get<{ Params: Params }>('/collections/:collection/auth-methods', async (request, reply) => {
    return sendJson(request, reply, services.auth.authMethods(request.params.collection));
  });

  api.post<{ Params: Params }>('/collections/:collection/auth-refresh', async (request, reply) => {
    const token = extractToken(request.headers.authorization);
    const result = await services.auth.authRefresh(request.ctx, request.params.collection, token, {
      expand: request.ctx.query.expand,
    });
    return sendRecord(request, reply, result, maxResponseBytes);
  });
}
