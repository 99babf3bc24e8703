/**
 * Realtime test helpers: the SDK in Node (EventSource from the `eventsource` package), a raw SSE
 * reader that sees event names and ids as sent, a WebSocket client of /api/realtime/ws, and
 * polling for what arrives asynchronously.
 */
import http from 'node:http';
import WebSocket from 'ws';
import { EventSource } from 'eventsource';
import PocketBase, { type RecordSubscription } from 'pocketbase';
import { onTestFinished } from 'vitest';
import { api, type TestServer } from './baton.ts';
import { createCollection, createUser, PUBLIC_RULES, relation, text } from './builders.ts';

// The SDK's RealtimeService opens `new EventSource(url)`: Node 20 has none of its own.
(globalThis as { EventSource?: unknown }).EventSource ??= EventSource;

/** Polls `fn` until it returns something other than undefined/false; fails after `ms`. */
export async function until<T>(fn: () => T | undefined | false, ms = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An SDK client, signed in with `token` when given; disconnected when the test ends. */
export function sdk(url: string, token?: string): PocketBase {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  if (token) pb.authStore.save(token, null);
  onTestFinished(() => pb.realtime.unsubscribe().catch(() => undefined));
  return pb;
}

/** Subscribes through the SDK and collects what arrives. */
export async function collect<T = Record<string, any>>(
  pb: PocketBase,
  collection: string,
  topic: string,
  options?: Record<string, unknown>,
): Promise<Array<RecordSubscription<T>>> {
  const got: Array<RecordSubscription<T>> = [];
  await pb.collection(collection).subscribe<T>(topic, (e) => got.push(e), options);
  return got;
}

export interface SseEvent {
  id: string;
  event: string;
  data: string;
}

export interface RawStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  events: SseEvent[];
  /** The client id of its PB_CONNECT. */
  clientId: string;
  res: http.IncomingMessage;
  /** Resolves when the server ends or cuts the stream: 'end' or 'error'. */
  closed: Promise<string>;
  close(): void;
}

/** GET /api/realtime read as a raw stream, resolved once PB_CONNECT is in; `lastEventId` resumes. */
export async function openStream(url: string, lastEventId?: string): Promise<RawStream> {
  const req = http.get(`${url}/api/realtime`, { headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId } });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  const events: SseEvent[] = [];
  let buffer = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const e: SseEvent = { id: '', event: '', data: '' };
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        const key = line.slice(0, colon);
        if (key === 'id' || key === 'event' || key === 'data') e[key] = line.slice(colon + 1);
      }
      events.push(e);
    }
  });
  const closed = new Promise<string>((resolve) => {
    res.once('end', () => resolve('end'));
    res.once('error', () => resolve('error'));
    res.once('aborted', () => resolve('error'));
  });
  const close = () => {
    req.destroy();
  };
  onTestFinished(close);
  const connect = await until(() => events.find((e) => e.event === 'PB_CONNECT'), 5000, 'PB_CONNECT');
  return { status: res.statusCode!, headers: res.headers, events, clientId: JSON.parse(connect.data).clientId, res, closed, close };
}

/** POST /api/realtime for a raw stream's client. */
export function setSubscriptions(url: string, clientId: string, subscriptions: unknown, token?: string) {
  return api({ url }, 'POST', '/api/realtime', { token, body: { clientId, subscriptions } });
}

/** A message of /api/realtime/ws, parsed. */
export interface WsMessage {
  id?: string;
  event: string;
  data: any;
}

export interface RealtimeSocket {
  socket: WebSocket;
  messages: WsMessage[];
  clientId: string;
  /** The record events (not PB_CONNECT, answers or PB_MISSED). */
  events(): WsMessage[];
  /** Sends a subscribe message and resolves with its answer (PB_SUBSCRIBED or PB_ERROR). */
  subscribe(subscriptions: unknown, token?: string, extra?: Record<string, unknown>): Promise<WsMessage>;
  /** Sends raw text and resolves with its answer. */
  request(text: string): Promise<WsMessage>;
  /** Resolves with the close code when the server closes or cuts the socket. */
  closed: Promise<number>;
}

const ANSWERS = new Set(['PB_SUBSCRIBED', 'PB_ERROR']);
const CONTROL = new Set(['PB_CONNECT', 'PB_MISSED', ...ANSWERS]);

/** Opens /api/realtime/ws (with `?lastEventId=` when given), resolved once PB_CONNECT is in. */
export async function openSocket(url: string, lastEventId?: string): Promise<RealtimeSocket> {
  const query = lastEventId === undefined ? '' : `?lastEventId=${encodeURIComponent(lastEventId)}`;
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/realtime/ws${query}`);
  socket.on('error', () => undefined);
  const messages: WsMessage[] = [];
  socket.on('message', (raw) => messages.push(JSON.parse(String(raw))));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  onTestFinished(() => socket.terminate());
  const connect = await until(() => messages.find((m) => m.event === 'PB_CONNECT'), 5000, 'PB_CONNECT');
  let answered = 0;
  const request = async (text: string) => {
    socket.send(text);
    const n = ++answered;
    return until(() => messages.filter((m) => ANSWERS.has(m.event))[n - 1], 5000, 'an answer');
  };
  return {
    socket,
    messages,
    clientId: connect.data.clientId,
    events: () => messages.filter((m) => !CONTROL.has(m.event)),
    subscribe: (subscriptions, token, extra) =>
      request(JSON.stringify({ type: 'subscribe', subscriptions, ...(token ? { authorization: token } : {}), ...extra })),
    request,
    closed,
  };
}

/**
 * Two users, and under `prefix`: `<prefix>_public` (public rules; title, note) and
 * `<prefix>_posts` (title, hidden secret, owner) whose records only their owner may list, view
 * and update.
 */
export async function ownedPostsFixture(server: TestServer, prefix: string) {
  const alice = await createUser(server, `alice@${prefix}.test`);
  const bob = await createUser(server, `bob@${prefix}.test`);
  const usersId = (await api(server, 'GET', '/api/collections/users', { token: server.superuserToken })).body.id;
  await createCollection(server, { name: `${prefix}_public`, fields: [text('title'), text('note')], ...PUBLIC_RULES });
  const own = 'owner = @request.auth.id';
  await createCollection(server, {
    name: `${prefix}_posts`,
    fields: [text('title'), text('secret', { hidden: true }), relation('owner', usersId, { maxSelect: 1 })],
    listRule: own,
    viewRule: own,
    createRule: '',
    updateRule: own,
  });
  return { alice, bob };
}
