import type { FastifyInstance } from 'fastify';
import { extractToken } from '../../domain/auth/tokens.ts';
import type { Services } from '../../domain/services.ts';
import { readRecordInput } from '../body.ts';
import { sendRecord } from '../respond.ts';

interface Params {
  collection: string;
}

/** Password login and token refresh for auth collections (superusers first; the full auth API comes later). */
export function superuserAuthRoutes(api: FastifyInstance, services: Services): void {
  const config = { invalidBodyMessage: 'An error occurred while loading the submitted data.' };
  // The auth record, with its expand, is a record response: the same byte limit.
  const { maxResponseBytes } = services.records.limits;
  api.post<{ Params: Params }>('/collections/:collection/auth-with-password', { config }, async (request, reply) => {
    const { body } = await readRecordInput(request);
    const result = await services.auth.authWithPassword(request.ctx, request.params.collection, body, {
      expand: request.ctx.query.expand,
    });
    return sendRecord(request, reply, result, maxResponseBytes);
  });

  api.post<{ Params: Params }>('/collections/:collection/auth-refresh', async (request, reply) => {
    const token = extractToken(request.headers.authorization);
    const result = await services.auth.authRefresh(request.ctx, request.params.collection, token, {
      expand: request.ctx.query.expand,
    });
    return sendRecord(request, reply, result, maxResponseBytes);
  });
}
