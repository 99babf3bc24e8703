import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../kernel/errors.ts';
import type { RealtimeConnection } from '../../domain/realtime/clients.ts';
import type { Services } from '../../domain/services.ts';
import { readRecordInput } from '../body.ts';

/** How long SSE connections live and how much each may hold back; `buildServer`'s `realtime` option. */
export interface RealtimeTransportOptions {
  /**
   * A connection that sent nothing for this long is ended (PocketBase: 5 minutes); the SDK
   * reconnects and subscribes again, so forgotten connections do not pile up.
   */
  idleTimeoutMs: number;
  /** Every connection is ended after this long, whatever it does (PocketBase: 30 minutes). */
  maxLifetimeMs: number;
  /**
   * Bytes an event may find waiting, not yet taken by the client, before the connection is
   * closed instead of buffering more (Baton's own: PocketBase blocks a goroutine per event on a
   * client that does not read). One event larger than this still goes to a client that keeps up.
   */
  maxBufferedBytes: number;
}

/** How long a closing server lets a stream's client take what was sent before cutting it. */
const SHUTDOWN_GRACE_MS = 1000;

export const DEFAULT_REALTIME_TRANSPORT: Readonly<RealtimeTransportOptions> = Object.freeze({
  idleTimeoutMs: 5 * 60_000,
  maxLifetimeMs: 30 * 60_000,
  maxBufferedBytes: 1 << 20,
});

/**
 * One SSE response: events in PocketBase's framing (`id:` the client id, `event:` the topic,
 * `data:` the JSON), written without waiting, two timers, and the buffer bound.
 */
class SseStream implements RealtimeConnection {
  private prefix = '';
  private idle: NodeJS.Timeout | undefined;
  private lifetime: NodeJS.Timeout | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: RealtimeTransportOptions,
    private readonly onOverflow: () => void,
  ) {}

  /** Starts the stream for the client `clientId` (PocketBase sends it as every event's id). */
  open(clientId: string): this {
    this.prefix = `id:${clientId}\nevent:`;
    this.idle = setTimeout(() => this.close(), this.options.idleTimeoutMs).unref();
    this.lifetime = setTimeout(() => this.close(), this.options.maxLifetimeMs).unref();
    return this;
  }

  send(event: string, data: string): void {
    const res = this.res;
    if (res.writableEnded || res.destroyed) return;
    // The client does not read what it is sent: cut it loose rather than hold more for it.
    if (res.writableLength > this.options.maxBufferedBytes) {
      this.onOverflow();
      res.destroy();
      return;
    }
    // One write per event: three (id and name, data, end) cost four times as much per connection.
    res.write(`${this.prefix}${event}\ndata:${data}\n\n`);
    this.idle?.refresh();
  }

  close(): void {
    this.stop();
    if (!this.res.writableEnded && !this.res.destroyed) this.res.end();
  }

  /**
   * Ends the stream for a closing server; one whose client does not take what is left within
   * `graceMs` is cut, so that it cannot hold the shutdown up.
   */
  shutDown(graceMs: number): void {
    this.close();
    if (this.res.writableFinished || this.res.destroyed) return;
    const cut = setTimeout(() => this.res.destroy(), graceMs).unref();
    this.res.once('close', () => clearTimeout(cut));
  }

  stop(): void {
    clearTimeout(this.idle);
    clearTimeout(this.lifetime);
  }
}

/**
 * PocketBase's realtime endpoints over SSE. `GET /api/realtime` holds the connection open for
 * events; `POST /api/realtime` sets the subscriptions of a connected client. A Fastify `preClose`
 * hook ends every stream when the server closes, so that a graceful shutdown is not held up by
 * them (the SDK reconnects, to whichever node is up).
 */
export function realtimeRoutes(api: FastifyInstance, services: Services, options: RealtimeTransportOptions): void {
  const streams = new Set<SseStream>();
  let closing = false;
  api.addHook('preClose', (done) => {
    closing = true;
    for (const stream of streams) stream.shutDown(SHUTDOWN_GRACE_MS);
    done();
  });

  api.get('/realtime', (request, reply) => {
    if (closing) throw new ApiError(503, 'Service Unavailable.');
    const res = reply.raw;
    reply.hijack();
    // Fastify's headers (the security headers, CORS) are set on the reply, not yet on `res`.
    const headers: Record<string, string | number | string[]> = {};
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v;
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.on('error', () => undefined);
    const stream = new SseStream(res, options, () => request.log.debug({ reqId: request.id }, 'realtime client not reading: connection closed'));
    streams.add(stream);
    const client = services.realtime.connect(request.ctx, (clientId) => stream.open(clientId));
    const end = () => {
      stream.stop();
      streams.delete(stream);
      services.realtime.disconnect(client);
    };
    if (res.destroyed) end();
    else res.once('close', end);
  });

  // PocketBase reads the body with BindBody: JSON or a form; an unreadable one is its generic 400.
  const config = { invalidBodyMessage: 'Something went wrong while processing your request.' };
  api.post('/realtime', { config }, async (request, reply) => {
    const input = await readRecordInput(request);
    services.realtime.setSubscriptions(request.ctx, input.body, input.source);
    return reply.code(204).send();
  });
}
