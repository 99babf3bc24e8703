import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../kernel/errors.ts';
import type { Services } from '../../domain/services.ts';
import { readRecordInput } from '../body.ts';
import { RealtimeTransport, SHUTDOWN_GRACE_MS, type RealtimeTransportOptions } from './realtime-transport.ts';
import { realtimeWebSocketRoute } from './realtime-ws.ts';

/** One SSE response, in PocketBase's framing: `id:`, `event:` the topic, `data:` the JSON. */
class SseStream extends RealtimeTransport<ServerResponse> {
  protected get ended(): boolean {
    return this.target.writableEnded || this.target.destroyed;
  }

  protected get finished(): boolean {
    return this.target.writableFinished || this.target.destroyed;
  }

  protected get buffered(): number {
    return this.target.writableLength;
  }

  protected write(event: string, data: string, id: string): void {
    // One write per event: three (id and name, data, end) cost four times as much per connection.
    this.target.write(`id:${id}\nevent:${event}\ndata:${data}\n\n`);
  }

  protected end(): void {
    this.target.end();
  }

  protected cut(): void {
    this.target.destroy();
  }

  protected onClosed(listener: () => void): void {
    this.target.once('close', listener);
  }
}

/**
 * PocketBase's realtime endpoints over SSE (and the WebSocket twin, realtime-ws.ts). `GET /api/realtime` holds the connection open for
 * events; `POST /api/realtime` sets the subscriptions of a connected client. A Fastify `preClose`
 * hook ends every stream when the server closes, so that a graceful shutdown is not held up by
 * them (the SDK reconnects, to whichever node is up).
 */
export function realtimeRoutes(api: FastifyInstance, services: Services, options: RealtimeTransportOptions): void {
  const streams = new Set<RealtimeTransport<unknown>>();
  let closing = false;
  api.addHook('preClose', (done) => {
    closing = true;
    for (const stream of streams) stream.shutDown(SHUTDOWN_GRACE_MS);
    done();
  });
  realtimeWebSocketRoute(api, services, options, {
    get closing() {
      return closing;
    },
    add: (transport) => streams.add(transport),
    delete: (transport) => streams.delete(transport),
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
    // A resuming EventSource sends the id of the last event it got.
    const lastEventId = request.headers['last-event-id'];
    const client = services.realtime.connect(request.ctx, () => stream.start(), typeof lastEventId === 'string' ? lastEventId : '');
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
