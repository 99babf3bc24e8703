import type { FastifyInstance } from 'fastify';
import { extractToken } from '../../domain/auth/tokens.ts';
import { isMfaRequired } from '../../domain/auth/service.ts';
import type { Services } from '../../domain/services.ts';
import { readRecordInput } from '../body.ts';
import { sendJson, sendRecord } from '../respond.ts';

interface Params {
  collection: string;
}

/** Sign-in (password, OTP, OAuth2), token refresh, impersonation and the list of sign-in methods, for every auth collection. */
export function authRoutes(api: FastifyInstance, services: Services): void {
  const config = { invalidBodyMessage: 'An error occurred while loading the submitted data.' };
  // PocketBase's rate-limit tags per route (apis/record_auth.go): `users:auth` … then `*:auth` ….
  const tagged = (...tags: string[]) => ({ ...config, rateLimit: { tags } });
  // The auth record, with its expand, is a record response: the same byte limit.
  const { maxResponseBytes } = services.records.limits;
  api.post<{ Params: Params }>('/collections/:collection/auth-with-password', { config: tagged('authWithPassword', 'auth') }, async (request, reply) => {
    const { body } = await readRecordInput(request);
    const result = await services.auth.authWithPassword(request.ctx, request.params.collection, body, {
      expand: request.ctx.query.expand,
    });
    // A first factor of MFA: PocketBase answers 401 with the session id alone, not an error body.
    if (isMfaRequired(result)) return reply.code(401).send({ mfaId: result.mfaId });
    return sendRecord(request, reply, result, maxResponseBytes);
  });

  api.post<{ Params: Params }>('/collections/:collection/auth-with-oauth2', { config: tagged('authWithOAuth2', 'auth') }, async (request, reply) => {
    const { body } = await readRecordInput(request);
    const result = await services.auth.authWithOAuth2(request.ctx, request.params.collection, body, { expand: request.ctx.query.expand });
    if (isMfaRequired(result)) return reply.code(401).send({ mfaId: result.mfaId });
    return sendRecord(request, reply, result, maxResponseBytes);
  });

  api.post<{ Params: Params }>('/collections/:collection/request-otp', { config: tagged('requestOTP') }, async (request, reply) => {
    const { body } = await readRecordInput(request);
    return sendJson(request, reply, await services.auth.requestOtp(request.ctx, request.params.collection, body));
  });

  api.post<{ Params: Params }>('/collections/:collection/auth-with-otp', { config: tagged('authWithOTP', 'auth') }, async (request, reply) => {
    const { body } = await readRecordInput(request);
    const result = await services.auth.authWithOtp(request.ctx, request.params.collection, body, { expand: request.ctx.query.expand });
    if (isMfaRequired(result)) return reply.code(401).send({ mfaId: result.mfaId });
    return sendRecord(request, reply, result, maxResponseBytes);
  });

  // No rate-limit tags, as in PocketBase: superusers only, and they are never limited.
  api.post<{ Params: Params & { id: string } }>('/collections/:collection/impersonate/:id', { config }, async (request, reply) => {
    const { body } = await readRecordInput(request);
    const result = await services.auth.impersonate(request.ctx, request.params.collection, request.params.id, body, {
      expand: request.ctx.query.expand,
    });
    return sendRecord(request, reply, result, maxResponseBytes);
  });

  api.get<{ Params: Params }>('/collections/:collection/auth-methods', { config: { rateLimit: { tags: ['listAuthMethods'] } } }, async (request, reply) => {
    return sendJson(request, reply, await services.auth.authMethods(request.params.collection));
  });

  api.post<{ Params: Params }>('/collections/:collection/auth-refresh', { config: { rateLimit: { tags: ['authRefresh'] } } }, async (request, reply) => {
    const token = extractToken(request.headers.authorization);
    const result = await services.auth.authRefresh(request.ctx, request.params.collection, token, {
      expand: request.ctx.query.expand,
    });
    return sendRecord(request, reply, result, maxResponseBytes);
  });
}
