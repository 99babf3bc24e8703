// Realtime over WebSocket (/api/realtime/ws): the same clients, subscriptions, rules and limits
// as the SSE stream, in JSON messages. PB_CONNECT first; subscribe messages answered in order
// (PB_SUBSCRIBED / PB_ERROR with PocketBase's errors); events `{id, event, data}` checked per
// subscriber; the idle timeout, the buffer bound for a client that stops reading, and shutdown.
// "Nothing came" is checked with a sentinel: a later event the same client does get.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord, PUBLIC_RULES, text } from './support/builders.ts';
import { openSocket, ownedPostsFixture, setSubscriptions, until } from './support/realtime.ts';

let server: TestServer;
let alice: { id: string; token: string };
let bob: { id: string; token: string };

beforeAll(async () => {
  server = await startServer();
  ({ alice, bob } = await ownedPostsFixture(server, 'ws'));
});
afterAll(async () => {
  await server?.close();
});

describe('GET /api/realtime/ws', () => {
  it('sends PB_CONNECT with the client id, then the events of the topics subscribed; a smaller list unsubscribes', async () => {
    const ws = await openSocket(server.url);
    expect(ws.clientId).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(ws.messages[0]).toEqual({ id: ws.clientId, event: 'PB_CONNECT', data: { clientId: ws.clientId } });

    expect(await ws.subscribe(['ws_public/*', 'ws_posts/*'])).toEqual({ event: 'PB_SUBSCRIBED', data: {} });
    const record = await createRecord(server, 'ws_public', { title: 'one' });
    const [event] = await until(() => (ws.events().length >= 1 ? ws.events() : undefined), 5000, 'the create event');
    expect(event.event).toBe('ws_public/*');
    expect(event.id).toMatch(new RegExp(`^[A-Za-z0-9]{8}\\.\\d+\\.${ws.clientId}$`));
    expect(event.data).toMatchObject({ action: 'create', record: { id: record.id, title: 'one', collectionName: 'ws_public' } });
    expect(Object.keys(event.data)).toEqual(['record', 'action']);

    // A list without `ws_public/*` unsubscribes from it: of the next two changes, only the one to
    // the record still subscribed to comes.
    const sentinel = await createRecord(server, 'ws_public', { title: 'sentinel' });
    await until(() => ws.events().length >= 2, 5000, 'the second event');
    expect((await ws.subscribe([`ws_public/${sentinel.id}`])).event).toBe('PB_SUBSCRIBED');
    await createRecord(server, 'ws_public', { title: 'not for me' });
    await api(server, 'PATCH', `/api/collections/ws_public/records/${sentinel.id}`, { token: server.superuserToken, body: { title: 'seen' } });
    await until(() => ws.events().length >= 3, 5000, 'the sentinel update');
    expect(ws.events().slice(2).map((e) => [e.event, e.data.action, e.data.record.title])).toEqual([[`ws_public/${sentinel.id}`, 'update', 'seen']]);
    // Ids increase with every change.
    const seqs = ws.events().map((e) => Number(e.id!.split('.')[1]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('checks each subscriber against the rules as its bound auth, and applies the options', async () => {
    const a = await openSocket(server.url);
    const b = await openSocket(server.url);
    const guest = await openSocket(server.url);
    const fields = `ws_posts/*?options=${encodeURIComponent(JSON.stringify({ query: { fields: 'id,title,secret' } }))}`;
    expect((await a.subscribe(['ws_posts/*', fields, 'ws_public/*'], alice.token)).event).toBe('PB_SUBSCRIBED');
    expect((await b.subscribe(['ws_posts/*', 'ws_public/*'], `Bearer ${bob.token}`)).event).toBe('PB_SUBSCRIBED');
    expect((await guest.subscribe(['ws_posts/*', 'ws_public/*'])).event).toBe('PB_SUBSCRIBED');

    const post = await createRecord(server, 'ws_posts', { title: 'alice only', secret: 's', owner: alice.id });
    await createRecord(server, 'ws_public', { title: 'sentinel' });
    for (const s of [a, b, guest]) await until(() => s.events().some((e) => e.data.record.title === 'sentinel'), 5000, 'the sentinel');
    const posts = (s: typeof a) => s.events().filter((e) => e.event.startsWith('ws_posts/'));
    expect(posts(b)).toEqual([]);
    expect(posts(guest)).toEqual([]);
    const got = Object.fromEntries(posts(a).map((e) => [e.event, e.data.record]));
    expect(got['ws_posts/*']).toMatchObject({ id: post.id, title: 'alice only', owner: alice.id });
    expect(got['ws_posts/*'].secret).toBeUndefined();
    // `fields` as in the records API; a hidden field stays hidden even when asked for.
    expect(got[fields]).toEqual({ id: post.id, title: 'alice only' });
  });

  it("answers PocketBase's errors: another auth than the bound one, bad topics, bad messages", async () => {
    const ws = await openSocket(server.url);
    expect((await ws.subscribe(['ws_posts/*'], alice.token)).event).toBe('PB_SUBSCRIBED');
    expect(await ws.subscribe(['ws_posts/*'], bob.token)).toEqual({
      event: 'PB_ERROR',
      data: { status: 403, message: "The current and the previous request authorization don't match.", data: {} },
    });
    // A guest request on a bound client is another auth too.
    expect((await ws.subscribe(['ws_posts/*'])).data.status).toBe(403);
    const tooLong = await ws.subscribe(['x'.repeat(2501)], alice.token);
    expect(tooLong.data).toMatchObject({ status: 400, data: { subscriptions: { 0: { code: 'validation_length_too_long' } } } });
    expect((await ws.subscribe('ws_posts/*', alice.token)).data).toMatchObject({ status: 400 });
    expect((await ws.request('not json')).data).toMatchObject({ status: 400, message: 'Expected a JSON text message.' });
    expect((await ws.request('{"type":"publish"}')).data).toMatchObject({ status: 400 });
    // Still subscribed as alice, and still connected.
    const post = await createRecord(server, 'ws_posts', { title: 'still mine', owner: alice.id });
    await until(() => ws.events().some((e) => e.data.record.id === post.id), 5000, 'the event');
  });

  it('closes (1008) a socket that sends far faster than its messages are answered', async () => {
    const ws = await openSocket(server.url);
    const message = JSON.stringify({ type: 'subscribe', subscriptions: ['ws_posts/*'], authorization: alice.token });
    for (let i = 0; i < 100; i++) ws.socket.send(message);
    expect(await ws.closed).toBe(1008);
  });

  it('answers a plain GET with 426', async () => {
    const res = await api(server, 'GET', '/api/realtime/ws');
    expect(res.status).toBe(426);
    expect(res.body).toEqual({ status: 426, message: 'Expected a WebSocket upgrade.', data: {} });
  });

  it('is the same client for POST /api/realtime (from its address)', async () => {
    const ws = await openSocket(server.url);
    expect((await setSubscriptions(server.url, ws.clientId, ['ws_public/*'])).status).toBe(204);
    const record = await createRecord(server, 'ws_public', { title: 'posted' });
    await until(() => ws.events().some((e) => e.data.record.id === record.id), 5000, 'the event');
  });
});

describe('connection limits', () => {
  it('ends a socket that sent nothing for the idle timeout (1000), and forgets its client', async () => {
    const idle = await startServer({ realtime: { idleTimeoutMs: 500 } });
    try {
      const ws = await openSocket(idle.url);
      const started = Date.now();
      expect(await ws.closed).toBe(1000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(Date.now() - started).toBeLessThan(2000);
      await until(() => idle.baton.services.realtime.clientCount === 0, 2000, 'the client forgotten');
      expect((await setSubscriptions(idle.url, ws.clientId, [])).status).toBe(404);
    } finally {
      await idle.close();
    }
  });

  it('cuts a socket whose client stops reading at the buffer bound, without holding up the others', { timeout: 60_000 }, async () => {
    const slow = await startServer({ realtime: { maxBufferedBytes: 64 * 1024 } });
    try {
      await createCollection(slow, { name: 'ws_big', fields: [text('body', { max: 200_000 })], ...PUBLIC_RULES });
      const stalled = await openSocket(slow.url);
      expect((await stalled.subscribe(['ws_big/*'])).event).toBe('PB_SUBSCRIBED');
      stalled.socket.pause();
      const reader = await openSocket(slow.url);
      expect((await reader.subscribe(['ws_big/*'])).event).toBe('PB_SUBSCRIBED');
      const body = 'x'.repeat(100_000);
      const count = 300;
      for (let i = 0; i < count; i++) await createRecord(slow, 'ws_big', { body });
      await until(() => reader.events().length === count, 20_000, 'every event at the reading client');
      // ~30 MB were published: the stalled client's id is gone.
      expect((await setSubscriptions(slow.url, stalled.clientId, ['ws_big/*'])).status).toBe(404);
    } finally {
      await slow.close();
    }
  });

  it('a closing server ends its sockets (1001) instead of waiting for them', async () => {
    const closing = await startServer();
    const ws = await openSocket(closing.url);
    const started = Date.now();
    await closing.close();
    expect(await ws.closed).toBe(1001);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(closing.baton.services.realtime.clientCount).toBe(0);
  });
});
