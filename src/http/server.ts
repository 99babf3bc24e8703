import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { notFound } from '../kernel/errors.ts';
import { GUEST, type Principal, type RequestContext } from '../domain/context.ts';
import type { Services } from '../domain/services.ts';
import { extractToken } from '../domain/auth/tokens.ts';
import { errorHandler } from './errors.ts';
import { parseJsonBody } from './json.ts';
import { parseFields } from './respond.ts';
import { healthRoutes } from './routes/health.ts';
import { collectionRoutes } from './routes/collections.ts';
import { recordRoutes } from './routes/records.ts';
import { superuserAuthRoutes } from './routes/auth.ts';

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
}

export interface HttpOptions {
  maxBodySize: number;
  logger: FastifyBaseLogger;
}

/** Sent with every response, as PocketBase does. */
const SECURITY_HEADERS = {
  'x-xss-protection': '1; mode=block',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
};

const CORS_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** Log levels above `info`: request lines are not written, so they are not built either. */
const QUIET_LEVELS = new Set(['warn', 'error', 'fatal', 'silent']);

function flatQuery(q: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((q ?? {}) as Record<string, unknown>)) {
    // Only the first of repeated parameters counts, as in PocketBase (Go's url.Values.Get).
    out[k] = Array.isArray(v) ? String(v[0] ?? '') : String(v ?? '');
  }
  return out;
}

function flatHeaders(h: FastifyRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : String(v ?? '');
  return out;
}

function requestContext(request: FastifyRequest, principal: Principal): RequestContext {
  let headers: Record<string, string> | undefined;
  return {
    requestId: request.id,
    principal,
    method: request.method,
    // Only rules that read @request.headers need these: build them on first use.
    get headers() {
      return (headers ??= flatHeaders(request.headers));
    },
    query: flatQuery(request.query),
    logger: request.log,
  };
}

export async function buildServer(services: Services, options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    // One logger for all requests instead of a pino child per request (a measurable share of a
    // cheap request); the lines that matter carry the request id explicitly.
    childLoggerFactory: (logger) => logger,
    // Fastify's own per-request lines are replaced by one structured line in onResponse.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.maxBodySize,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    forceCloseConnections: false,
    return503OnClosing: true,
  });

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      (e as { code?: string }).code = 'FST_ERR_CTP_INVALID_JSON_BODY';
      done(e as Error, undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, new URLSearchParams(body as string));
  });
  // Any other content type: an empty body reads as {} (PocketBase ignores the type then);
  // anything else is refused, since there is no parser that could read it.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => {
    if ((body as Buffer).length === 0) return done(null, {});
    done(Object.assign(new Error('unsupported content type'), { code: 'BATON_UNSUPPORTED_MEDIA_TYPE' }), undefined);
  });
  await app.register(multipart, {
    limits: { fileSize: options.maxBodySize, fieldSize: options.maxBodySize, parts: 1000 },
  });

  // Browsers call the API from other origins (the SDK in a front end): any origin is allowed, as
  // PocketBase does by default. That wildcard policy is one response header plus this preflight
  // answer; it is written here rather than with @fastify/cors, whose extra per-request hook cost
  // ~3.5% of view throughput (measured A/B, docs/performance.md) for options Baton does not use.
  app.options('*', (request, reply) => {
    void reply
      .code(204)
      .header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', CORS_METHODS)
      .header('access-control-allow-headers', request.headers['access-control-request-headers'] ?? '*')
      .header('access-control-max-age', '86400')
      .send();
  });

  app.decorateRequest('ctx', null as unknown as RequestContext);
  // Callback style: a guest request (no token) then costs no promise at all.
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    if (request.headers.origin !== undefined) reply.header('access-control-allow-origin', '*');
    const token = extractToken(request.headers.authorization);
    if (!token) {
      request.ctx = requestContext(request, GUEST);
      return done();
    }
    services.auth.authenticate(token).then((principal) => {
      request.ctx = requestContext(request, principal);
      done();
    }, done);
  });
  app.addHook('preHandler', (request, _reply, done) => {
    parseFields(request);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (QUIET_LEVELS.has(request.log.level)) return done();
    request.log.info(
      {
        reqId: request.id,
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        auth: request.ctx?.principal.kind,
      },
      'request',
    );
    done();
  });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send(notFound().toJSON());
  });

  await app.register(
    async (api) => {
      healthRoutes(api);
      collectionRoutes(api, services);
      recordRoutes(api, services);
      superuserAuthRoutes(api, services);
    },
    { prefix: '/api' },
  );
  return app;
}
