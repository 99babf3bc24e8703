/**
 * Realtime test helpers: the SDK in Node (EventSource from the `eventsource` package), a raw SSE
 * reader that sees event names and ids as sent, and polling for what arrives asynchronously.
 */
import http from 'node:http';
import { EventSource } from 'eventsource';
import PocketBase, { type RecordSubscription } from 'pocketbase';
import { onTestFinished } from 'vitest';
import { api } from './baton.ts';

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

/** GET /api/realtime read as a raw stream, resolved once PB_CONNECT is in. */
export async function openStream(url: string): Promise<RawStream> {
  const req = http.get(`${url}/api/realtime`);
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
