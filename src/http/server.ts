import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import websocket from '@fastify/websocket';
import { notFound } from '../kernel/errors.ts';
import { GUEST, type Principal, type RequestContext } from '../domain/context.ts';
import type { Services } from '../domain/services.ts';
import { extractToken } from '../domain/auth/tokens.ts';
import { errorHandler, frameworkErrorHandler, SECURITY_HEADERS } from './errors.ts';
import { jsonShapeFor, jsonShapes, parseJsonBody } from './json.ts';
import { emptyBodyParser, parseFormBody, textBodyParser } from './body.ts';
import { ConnectionGuard } from './connections.ts';
import { DEFAULT_CONNECTION_LIMITS, defaultMaxConnections, type ConnectionLimits } from './limits.ts';
import { parseFields } from './respond.ts';
import { healthRoutes } from './routes/health.ts';
import { collectionRoutes } from './routes/collections.ts';
import { recordRoutes } from './routes/records.ts';
import { oauth2Routes } from './routes/oauth2.ts';
import { batchRoutes } from './routes/batch.ts';
import { authRoutes } from './routes/auth.ts';
import { settingsRoutes } from './routes/settings.ts';
import { authEmailRoutes } from './routes/auth-email.ts';
import { realtimeRoutes } from './routes/realtime.ts';
import { DEFAULT_REALTIME_TRANSPORT, type RealtimeTransportOptions } from './routes/realtime-transport.ts';
import { WEBSOCKET_PLUGIN_OPTIONS } from './routes/realtime-ws.ts';
import { fileRoutes } from './routes/files.ts';
import { logRoutes, requestLogInput } from './routes/logs.ts';
import { sqlRoutes } from './routes/sql.ts';
import { realIp } from './real-ip.ts';
import { RequestGuards } from './rate-limit.ts';
import { dashboardRoutes } from './dashboard.ts';

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
    /** The error the request failed with, if any: its request log entry is an ERROR (routes/logs.ts). */
    failure: unknown;
  }
  interface FastifyContextConfig {
    /** Only failures of this route are written to the request logs (PocketBase's SkipSuccessActivityLog). */
    skipSuccessLog?: boolean;
  }
  interface FastifyInstance {
    /** Connection limits and graceful closing (connections.ts); serve.ts drives its shutdown. */
    connections: ConnectionGuard;
  }
}

export interface HttpOptions {
  maxBodySize: number;
  logger: FastifyBaseLogger;
  /** Overrides of the connection limits (limits.ts): `baton serve`'s configured ones, or a test's. */
  limits?: Partial<ConnectionLimits>;
  /** JSON items per request body for guests and users (default MAX_JSON_ITEMS; see json.ts). */
  maxJsonItems?: number;
  /** Overrides of the realtime connections' timeouts and buffer bound (DEFAULT_REALTIME_TRANSPORT): a test's. */
  realtime?: Partial<RealtimeTransportOptions>;
}

/** Levels at which request lines are written (and so built). */
const VERBOSE_LEVELS = new Set(['debug', 'trace']);

const CORS_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';


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

/**
 * A request's context for the domain. A class rather than an object literal: the lazy `headers`
 * getter lives on the prototype instead of being a closure made for every request.
 */
class HttpRequestContext implements RequestContext {
  readonly requestId: string;
  readonly method: string;
  readonly query: Record<string, string>;
  readonly logger: FastifyBaseLogger;
  private flatHeaders: Record<string, string> | undefined;
  private clientIp: string | undefined;

  constructor(
    private readonly request: FastifyRequest,
    readonly principal: Principal,
    private readonly settings: Services['settings'],
  ) {
    this.requestId = request.id;
    this.method = request.method;
    this.query = flatQuery(request.query);
    this.logger = request.log;
  }

  /** Only rules that read @request.headers need these: built on first use. */
  get headers(): Record<string, string> {
    return (this.flatHeaders ??= flatHeaders(this.request.headers));
  }

  /** Only the guards (superuser IPs, rate limits) and sign-ins read it: found on first use. */
  get realIp(): string {
    return (this.clientIp ??= realIp(this.request, this.settings.get().trustedProxy));
  }
}

export async function buildServer(services: Services, options: HttpOptions): Promise<FastifyInstance> {
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, maxConnections: defaultMaxConnections(), ...options.limits };
  // Made right after Fastify makes the server; no client error can come before it listens.
  let connections: ConnectionGuard | undefined;
  const app = Fastify({
    loggerInstance: options.logger,
    // One logger for all requests instead of a pino child per request (a measurable share of a
    // cheap request); the lines that matter carry the request id explicitly.
    childLoggerFactory: (logger) => logger,
    // Fastify's own per-request lines are replaced by one structured line in onResponse.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.maxBodySize,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    // Timeouts at PocketBase's values (limits.ts). Node checks the header and request timeouts
    // every connectionsCheckingInterval; the default 30 s would let a 1 minute limit run to 90 s.
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.sweepIntervalMs,
    },
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // No socket inactivity timeout: the guard's sweep stands for PocketBase's WriteTimeout.
    connectionTimeout: 0,
    // Shutdown is the ConnectionGuard's: requests arriving while the server drains are answered
    // (with `Connection: close`), not refused with Fastify's own 503 body, and no connection is
    // destroyed before the grace period ends.
    forceCloseConnections: false,
    return503OnClosing: false,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler: (error, socket) => {
      if (connections) connections.onClientError(error, socket);
      else socket.destroy();
    },
  });
  const guard = new ConnectionGuard(app.server, limits);
  connections = guard;
  app.decorate('connections', guard);
  app.decorate('jsonShapes', jsonShapes(options.maxJsonItems));

  // Bodies are read by body.ts (decoded as they arrive) and checked before any parsing: JSON for
  // depth, item count and escapes (json.ts), urlencoded for its number of values.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    textBodyParser((request, text) => {
      try {
        return parseJsonBody(text, jsonShapeFor(request));
      } catch (e) {
        throw Object.assign(e as Error, { code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
      }
    }),
  );
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    textBodyParser((_request, text) => parseFormBody(text)),
  );
  // Any other content type: an empty body reads as {}; anything else is refused, since there is
  // no parser that could read it.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', emptyBodyParser);
  // GET /api/realtime/ws (routes/realtime-ws.ts); the plugin must be in place before the routes.
  await app.register(websocket, WEBSOCKET_PLUGIN_OPTIONS);
  await app.register(multipart, {
    limits: { fileSize: options.maxBodySize, fieldSize: options.maxBodySize, parts: 1000 },
  });

  // Browsers call the API from other origins (the SDK in a front end): any origin is allowed, as
  // PocketBase does by default. That wildcard policy is one response header plus this preflight
  // answer; it is written here rather than with @fastify/cors, whose extra per-request hook cost
  // ~3.5% of view throughput (measured A/B, docs/performance.md) for options Baton does not use.
  app.options('*', { config: { rateLimit: false } }, (request, reply) => {
    void reply
      .code(204)
      .header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', CORS_METHODS)
      .header('access-control-allow-headers', request.headers['access-control-request-headers'] ?? '*')
      .header('access-control-max-age', '86400')
      .send();
  });

  app.decorateRequest('ctx', null as unknown as RequestContext);
  const requestContext = (request: FastifyRequest, principal: Principal): RequestContext =>
    new HttpRequestContext(request, principal, services.settings);
  // The superuser IP allowlist and the rate limits (rate-limit.ts), once the principal is known.
  const guards = new RequestGuards(services);
  app.addHook('onClose', (_app, done) => {
    guards.close();
    done();
  });
  // Callback style: a guest request (no token) then costs no promise at all.
  app.addHook('onRequest', (request, reply, done) => {
    guard.track(request.raw, reply.raw);
    // A request that arrives on a connection the server has half-closed (shutdown, a cut
    // connection) cannot be answered: it is not processed either, so that the client, which sees
    // the connection close without an answer, may send it again. Its body is read and dropped.
    if (request.raw.socket.writableEnded) {
      reply.hijack();
      request.raw.resume();
      return;
    }
    reply.headers(SECURITY_HEADERS);
    if (request.headers.origin !== undefined) reply.header('access-control-allow-origin', '*');
    const token = extractToken(request.headers.authorization);
    if (!token) {
      request.ctx = requestContext(request, GUEST);
      return guards.admit(request, done);
    }
    services.auth.authenticate(token).then((principal) => {
      request.ctx = requestContext(request, principal);
      guards.admit(request, done);
    }, done);
  });
  app.addHook('preHandler', (request, _reply, done) => {
    // A lone surrogate in `?filter` is refused by the filter's lexer, as in rules; other query
    // values cannot hold one (percent-decoding replaces bad UTF-8).
    parseFields(request);
    done();
  });
  // One line per request at `debug` (`--dev` or `--log-level=debug`), as PocketBase prints
  // requests only in dev mode: written for every request, the line cost a quarter of a view's CPU
  // (docs/performance.md). The level is fixed at start, so below it the hook is not even
  // registered. Failures are logged by the error handler at `error` whatever the level.
  if (VERBOSE_LEVELS.has(options.logger.level)) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.debug(
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
  }

  // Request logs (`_logs`, PocketBase's logRequest): the hook only gathers plain values; the
  // writer formats and inserts them in batches, off the request path (domain/logs/writer.ts).
  const requestLogs = services.requestLogs;
  app.decorateRequest('failure', undefined);
  app.addHook('onResponse', (request, reply, done) => {
    const failed = request.failure !== undefined;
    if (failed || !request.routeOptions.config?.skipSuccessLog) {
      // Asked first: past the log rate a successful request is only counted, nothing gathered for
      // it. One clock reading for both, so an entry falls in the second that admitted it.
      const now = Date.now();
      // A 4xx or 5xx some routes send without a thrown error (a 426, a 416) is no success either.
      if (requestLogs.admits(failed || reply.statusCode >= 400, reply, now)) requestLogs.add(requestLogInput(request, reply, services.settings.get(), now));
    }
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    request.failure = error;
    errorHandler(error, request, reply);
  });
  app.setNotFoundHandler((request, reply) => {
    const error = notFound();
    request.failure = error;
    void reply.code(404).send(error.toJSON());
  });

  dashboardRoutes(app);
  await app.register(
    async (api) => {
      healthRoutes(api);
      collectionRoutes(api, services);
      recordRoutes(api, services);
      authRoutes(api, services);
      batchRoutes(api, services);
      oauth2Routes(api, services);
      realtimeRoutes(api, services, { ...DEFAULT_REALTIME_TRANSPORT, ...options.realtime });
      settingsRoutes(api, services);
      authEmailRoutes(api, services);
      fileRoutes(api, services);
      logRoutes(api, services);
      sqlRoutes(api, services);
    },
    { prefix: '/api' },
  );
  return app;
}
