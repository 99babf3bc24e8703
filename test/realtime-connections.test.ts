// The SSE connections themselves: the idle timeout (reset by every event) and the maximum
// lifetime, after which the SDK reconnects and subscribes again; a client that stops reading is
// cut at its buffer bound without holding up the others; a closing server ends every stream.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { serve, tempDirs } from './support/cli.ts';
import { createTestDatabase } from './support/databases.ts';
import { createCollection, createRecord, PUBLIC_RULES, text } from './support/builders.ts';
import { collect, openStream, sdk, setSubscriptions, sleep, until } from './support/realtime.ts';

describe('idle timeout and lifetime', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ realtime: { idleTimeoutMs: 600 } });
    await createCollection(server, { name: 'idle_posts', fields: [text('title')], ...PUBLIC_RULES });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('ends a stream that sent nothing for the idle timeout; every event starts the wait again', async () => {
    const quiet = await openStream(server.url);
    const busy = await openStream(server.url);
    expect((await setSubscriptions(server.url, busy.clientId, ['idle_posts/*'])).status).toBe(204);
    const started = Date.now();
    for (let i = 0; i < 4; i++) {
      await sleep(300);
      await createRecord(server, 'idle_posts', { title: `keep-alive ${i}` });
    }
    expect(await quiet.closed).toBe('end');
    const quietFor = Date.now() - started;
    expect(quietFor).toBeGreaterThanOrEqual(500);
    expect(quietFor).toBeLessThan(1200 + 300);
    let busyClosed = false;
    void busy.closed.then(() => (busyClosed = true));
    await sleep(100);
    // Its last event came ~100 ms ago: it is still open, and ends once it has been idle long enough.
    expect(busyClosed).toBe(false);
    expect(await busy.closed).toBe('end');
    expect(busy.events.filter((e) => e.event === 'idle_posts/*')).toHaveLength(4);
    // Its id is gone with it.
    expect((await setSubscriptions(server.url, busy.clientId, [])).status).toBe(404);
  });

  it('the SDK reconnects after the timeout, with a new client id, and subscribes again', async () => {
    const pb = sdk(server.url);
    const connects: string[] = [];
    await pb.realtime.subscribe('PB_CONNECT', (e) => connects.push(e.clientId));
    const got = await collect(pb, 'idle_posts', '*');
    await until(() => connects.length >= 2, 5000, 'a second PB_CONNECT');
    expect(connects[1]).not.toBe(connects[0]);
    // Resubscribed on the new connection (the SDK posts its topics after PB_CONNECT).
    await until(() => pb.realtime.isConnected, 5000, 'the reconnection');
    const record = await createRecord(server, 'idle_posts', { title: 'after the reconnect' });
    await until(() => got.some((e) => e.record.id === record.id), 5000, 'the event after the reconnect');
  });
});

describe('maximum lifetime', () => {
  it('ends a stream after its lifetime, however busy', async () => {
    const server = await startServer({ realtime: { maxLifetimeMs: 500 } });
    try {
      const s = await openStream(server.url);
      const started = Date.now();
      expect(await s.closed).toBe('end');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await server.close();
    }
  });
});

describe('a client that does not read', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ realtime: { maxBufferedBytes: 64 * 1024 } });
    await createCollection(server, { name: 'slow_posts', fields: [text('body', { max: 200_000 })], ...PUBLIC_RULES });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('is cut at its buffer bound and does not hold up delivery to the others', async () => {
    // A raw connection that reads PB_CONNECT, subscribes, then stops reading.
    const { port } = new URL(server.url);
    const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
    socket.on('error', () => undefined);
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.write('GET /api/realtime HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const clientId = await until(() => /"clientId":"(\w+)"/.exec(received)?.[1], 5000, 'PB_CONNECT');
    expect((await setSubscriptions(server.url, clientId, ['slow_posts/*'])).status).toBe(204);
    socket.pause();

    const reader = sdk(server.url);
    const got = await collect(reader, 'slow_posts', '*');
    const body = 'x'.repeat(100_000);
    const count = 300;
    const startedAt = Date.now();
    for (let i = 0; i < count; i++) {
      const res = await api(server, 'POST', '/api/collections/slow_posts/records', { token: server.superuserToken, body: { body } });
      expect(res.status).toBe(200);
    }
    await until(() => got.length === count, 20_000, 'every event at the reading client');
    expect(Date.now() - startedAt).toBeLessThan(20_000);
    // ~30 MB were published: far past what the kernel's socket buffers and the 64 KiB bound hold,
    // so the server has dropped the reader that stopped (its id is gone).
    const res = await setSubscriptions(server.url, clientId, ['slow_posts/*']);
    expect(res.status).toBe(404);
    socket.destroy();
  }, 60_000);
});

const tempDir = tempDirs('baton-realtime-');

describe('shutdown', () => {
  it('SIGTERM on `baton serve` ends its streams, and the process exits long before the shutdown timeout', { timeout: 60_000 }, async () => {
    const database = await createTestDatabase();
    onTestFinished(() => database.drop());
    const s = await serve([`--dir=${tempDir()}`, ...(database.url ? [`--db=${database.url}`] : [])], 'Server started');
    const streams = await Promise.all([openStream(s.url), openStream(s.url)]);
    const started = Date.now();
    s.child.kill('SIGTERM');
    expect(await Promise.all(streams.map((x) => x.closed))).toEqual(['end', 'end']);
    expect(await s.exited).toBe(0);
    // The shutdown timeout is 10 s: nothing waited for it.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a closing server ends its streams instead of waiting for them', async () => {
    const server = await startServer();
    const s = await openStream(server.url);
    const pb = sdk(server.url);
    await pb.realtime.subscribe('PB_CONNECT', () => undefined);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await s.closed).toBe('end');
    expect(server.baton.services.realtime.clientCount).toBe(0);
  });
});
