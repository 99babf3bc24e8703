import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestLogInput } from '../../domain/logs/entry.ts';
import type { Services } from '../../domain/services.ts';
import type { Settings } from '../../domain/settings/model.ts';
import { invalidBody, toApiError } from '../errors.ts';
import { realIp, remoteIp } from '../real-ip.ts';
import { requireSuperuser, sendJson, sendList } from '../respond.ts';

/**
 * PocketBase's logs API (apis/logs.go), superusers only. Successful reads of the logs are not
 * logged themselves (PocketBase's SkipSuccessActivityLog), so reading them does not add to them.
 */
export function logRoutes(api: FastifyInstance, services: Services): void {
  const { logs } = services;
  const config = { skipSuccessLog: true };
  api.register(async (scope) => {
    scope.addHook('onRequest', async (request) => requireSuperuser(request));
    // `fields` narrows each item, never the page around them (PocketBase picks inside `items`).
    scope.get('/logs', { config }, async (request, reply) => sendList(request, reply, await logs.list(request.ctx.query)));
    scope.get('/logs/stats', { config }, async (request, reply) => sendJson(request, reply, await logs.stats(request.ctx.query.filter)));
    scope.get<{ Params: { id: string } }>('/logs/:id', { config }, async (request, reply) =>
      sendJson(request, reply, await logs.view(request.params.id)),
    );
  });
}

/**
 * One finished request as the request log keeps it (PocketBase's logRequest attributes): plain
 * values only; the writer builds the message and JSON later. The auth id and the IPs are read
 * only when the settings ask for them. `at`: when it finished (the clock the log rate read).
 */
export function requestLogInput(request: FastifyRequest, reply: FastifyReply, settings: Settings, at = Date.now()): RequestLogInput {
  const { logIP, logAuthId } = settings.logs;
  const principal = request.ctx?.principal;
  const record = principal && principal.kind !== 'guest' ? principal : undefined;
  const failure = request.failure;
  return {
    at,
    method: request.method,
    url: request.url,
    status: reply.statusCode,
    execTime: reply.elapsedTime,
    referer: request.headers.referer ?? '',
    userAgent: request.headers['user-agent'] ?? '',
    auth: record ? record.collection.name : '',
    authId: record && logAuthId ? String(record.record.id ?? '') : undefined,
    userIP: logIP ? (request.ctx?.realIp ?? realIp(request, settings.trustedProxy)) : undefined,
    remoteIP: logIP ? remoteIp(request.raw.socket.remoteAddress) : undefined,
    failure: failure === undefined ? undefined : { error: failure, answered: toApiError(failure, invalidBody(request).message) },
  };
}
