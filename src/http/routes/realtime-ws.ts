/**
 * Realtime over WebSocket (`GET /api/realtime/ws`), for clients without EventSource: the same
 * clients, subscriptions, rules, limits and replay as the SSE stream (RealtimeService), framed as
 * JSON text messages. The protocol (docs/ARCHITECTURE.md, "Realtime"):
 *
 * - server: `{"id":"<clientId>","event":"PB_CONNECT","data":{"clientId":"<clientId>"}}` first;
 *   then events `{"id":"<event id>","event":"<topic>","data":{"record":…,"action":…}}`, and
 *   `PB_MISSED` for a resume that cannot be served.
 * - client: `{"type":"subscribe","subscriptions":[…],"authorization":"<token>"}` replaces its
 *   topics as POST /api/realtime does (same validation, same auth binding); the answer, in order,
 *   is `{"event":"PB_SUBSCRIBED","data":{}}` or `{"event":"PB_ERROR","data":{status,message,data}}`.
 * - `?lastEventId=` on the upgrade URL resumes, as SSE's `Last-Event-ID` header does.
 *
 * Subscriptions travel in the socket rather than by POST /api/realtime (which works too, from the
 * same address, since the client is the same one): a client that only has a socket needs nothing
 * else, and its answers arrive in order with its events.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebsocketPluginOptions } from '@fastify/websocket';
import WebSocket from 'ws';
import { ApiError, badRequest } from '../../kernel/errors.ts';
import { GUEST, withPrincipal } from '../../domain/context.ts';
import { extractToken } from '../../domain/auth/tokens.ts';
import type { RealtimeClient } from '../../domain/realtime/clients.ts';
import type { Services } from '../../domain/services.ts';
import { RealtimeTransport, type RealtimeTransportOptions } from './realtime-transport.ts';

/**
 * The largest message a client may send: a subscribe message at PocketBase's bounds (1,000 topics
 * of 2,500 characters, up to 4 bytes each, JSON-escaped) fits; ws closes the socket (1009) past it.
 */
const MAX_MESSAGE_BYTES = 16 << 20;

/**
 * Messages a client may have waiting for their answers: one that sends faster than they are
 * answered (each may read its token's record) is closed (1008) rather than queued without bound.
 */
const MAX_PENDING_MESSAGES = 16;

/** For `app.register(websocket, …)`: the realtime routes end their sockets themselves on close. */
export const WEBSOCKET_PLUGIN_OPTIONS: WebsocketPluginOptions = {
  options: { maxPayload: MAX_MESSAGE_BYTES },
  preClose: (done) => done(),
  // A client that vanishes or breaks the protocol is no server error.
  errorHandler: (error, socket, request) => {
    request.log.debug({ err: error, reqId: request.id }, 'websocket error');
    socket.terminate();
  },
};

/** One WebSocket: events as JSON text messages; control answers carry no id. */
class WebSocketConnection extends RealtimeTransport<WebSocket> {
  protected get ended(): boolean {
    return this.target.readyState !== WebSocket.OPEN;
  }

  protected get finished(): boolean {
    return this.target.readyState === WebSocket.CLOSED;
  }

  protected get buffered(): number {
    return this.target.bufferedAmount;
  }

  protected write(event: string, data: string, id: string): void {
    const head = id === '' ? '' : `"id":${JSON.stringify(id)},`;
    this.target.send(`{${head}"event":${JSON.stringify(event)},"data":${data}}`);
  }

  protected end(shutdown: boolean): void {
    // 1001 "going away": the server is closing; 1000: the idle timeout or lifetime ended it.
    this.target.close(shutdown ? 1001 : 1000);
  }

  protected cut(): void {
    this.target.terminate();
  }

  protected onClosed(listener: () => void): void {
    this.target.once('close', listener);
  }

  /** Answers a client message (no event id: it is not part of the stream one resumes). */
  answer(event: string, data: string): void {
    this.send(event, data, '');
  }
}

/** What the realtime routes share: their open connections, and whether the server is closing. */
export interface RealtimeConnections {
  readonly closing: boolean;
  add(transport: RealtimeTransport<unknown>): void;
  delete(transport: RealtimeTransport<unknown>): void;
}

export function realtimeWebSocketRoute(
  api: FastifyInstance,
  services: Services,
  options: RealtimeTransportOptions,
  connections: RealtimeConnections,
): void {
  // A plain GET (no upgrade) is told what the endpoint wants, in the API's error shape.
  const handler = (_request: FastifyRequest, reply: FastifyReply) =>
    reply.code(426).header('upgrade', 'websocket').send(new ApiError(426, 'Expected a WebSocket upgrade.').toJSON());
  const wsHandler = (socket: WebSocket, request: FastifyRequest) => {
    if (connections.closing) {
      socket.close(1001);
      return;
    }
    const transport = new WebSocketConnection(socket, options, () =>
      request.log.debug({ reqId: request.id }, 'realtime client not reading: connection closed'),
    );
    connections.add(transport);
    const { lastEventId } = (request.query ?? {}) as Record<string, unknown>;
    const client = services.realtime.connect(request.ctx, () => transport.start(), typeof lastEventId === 'string' ? lastEventId : '');
    // Messages are handled one after another, so their answers come in their order.
    let handled = Promise.resolve();
    let pending = 0;
    socket.on('message', (raw, isBinary) => {
      if (++pending > MAX_PENDING_MESSAGES) {
        socket.close(1008, 'Too many messages waiting for an answer.');
        return;
      }
      handled = handled
        .then(() => handleMessage(services, request, client, transport, raw, isBinary))
        .finally(() => pending--);
    });
    socket.once('close', () => {
      transport.stop();
      connections.delete(transport);
      services.realtime.disconnect(client);
    });
  };
  api.route({ method: 'GET', url: '/realtime/ws', handler, wsHandler });
}

async function handleMessage(
  services: Services,
  request: FastifyRequest,
  client: RealtimeClient,
  transport: WebSocketConnection,
  raw: WebSocket.RawData,
  isBinary: boolean,
): Promise<void> {
  try {
    const message = readMessage(raw, isBinary);
    const token = typeof message.authorization === 'string' ? extractToken(message.authorization) : '';
    const principal = token ? await services.auth.authenticate(token) : GUEST;
    const body = { clientId: client.id, subscriptions: message.subscriptions ?? null };
    services.realtime.setSubscriptions(withPrincipal(request.ctx, principal), body, 'json');
    transport.answer('PB_SUBSCRIBED', '{}');
  } catch (e) {
    transport.answer('PB_ERROR', JSON.stringify(errorOf(e, request.log, request.id).toJSON()));
  }
}

/** A subscribe message: a JSON object in a text frame, `type` "subscribe". */
function readMessage(raw: WebSocket.RawData, isBinary: boolean): Record<string, unknown> {
  if (isBinary) throw badRequest('Expected a JSON text message.');
  let message: unknown;
  try {
    message = JSON.parse(Array.isArray(raw) ? Buffer.concat(raw).toString('utf8') : Buffer.from(raw as ArrayBuffer).toString('utf8'));
  } catch {
    throw badRequest('Expected a JSON text message.');
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) throw badRequest('Expected a JSON object.');
  const record = message as Record<string, unknown>;
  if (record.type !== 'subscribe') throw badRequest('Unknown message type: expected "subscribe".');
  return record;
}

/** An ApiError as it is; anything else is a 500 whose cause is logged, never sent. */
function errorOf(e: unknown, log: FastifyBaseLogger, reqId: string): ApiError {
  if (e instanceof ApiError) return e;
  log.error({ err: e, reqId }, 'realtime: websocket message failed');
  return new ApiError(500, 'Something went wrong while processing your request.');
}
