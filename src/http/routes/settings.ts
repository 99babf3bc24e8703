import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../domain/services.ts';
import { sendTestEmail } from '../../domain/settings/test-email.ts';
import { appleClientSecret } from '../../domain/auth/oauth2/apple-secret.ts';
import { badRequest } from '../../kernel/errors.ts';
import { requireSuperuser, sendJson } from '../respond.ts';

const LOAD_FAILED = 'An error occurred while loading the submitted data.';
const config = { invalidBodyMessage: LOAD_FAILED };

/**
 * The settings endpoints read JSON. PocketBase also maps form fields (`meta.appName=…`) onto its
 * settings struct; no client sends settings that way, so a non-empty form is refused rather than
 * read differently (docs/ARCHITECTURE.md, deliberate differences).
 */
function jsonBody(request: FastifyRequest): unknown {
  if (request.isMultipart()) throw badRequest(LOAD_FAILED);
  const body = request.body;
  if (body instanceof URLSearchParams) {
    if (body.size > 0) throw badRequest(LOAD_FAILED);
    return undefined;
  }
  return body;
}

/** PocketBase's settings API; superusers only. POST /settings/test/email waits for the mailer. */
export function settingsRoutes(api: FastifyInstance, services: Services): void {
  const { settings } = services;
  api.register(async (scope) => {
    // onRequest, before the body is read: strangers get their 401/403 without making us parse anything.
    scope.addHook('onRequest', async (request) => requireSuperuser(request));

    scope.get('/settings', async (request, reply) => sendJson(request, reply, settings.masked()));
    scope.patch('/settings', { config }, async (request, reply) => {
      await settings.update(request.ctx, jsonBody(request));
      return sendJson(request, reply, settings.masked());
    });
    scope.post('/settings/test/email', { config }, async (request, reply) => {
      await sendTestEmail({ schema: services.schema, mailer: services.mailer, meta: settings.get().meta }, jsonBody(request));
      return reply.code(204).send();
    });
    scope.post('/settings/apple/generate-client-secret', { config }, async (request, reply) =>
      sendJson(request, reply, await appleClientSecret(jsonBody(request))),
    );
    scope.post('/settings/test/s3', { config }, async (request, reply) => {
      await settings.testS3(request.ctx, jsonBody(request));
      return reply.code(204).send();
    });
  });
}
