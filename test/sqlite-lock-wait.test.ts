// SQLite: while another process holds data.db's write lock (a `baton superuser` command, a shell
// on the file), writes wait for it without holding the event loop: other requests are answered
// meanwhile, and the writes go through once the lock is released. The other process is stood in
// for by a connection of the test's own, which the test releases from its event loop: a server
// that waited inside SQLite's busy handler would hold that loop, the lock would never be released
// within the wait, and the write would fail with the lock-wait error. SQLite only (vitest.config.ts).
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, PUBLIC_RULES, text } from './support/builders.ts';

/** Holds data.db's write lock from another connection until the returned function is called (once). */
function holdLock(dataDir: string): () => void {
  const other = new BetterSqlite3(path.join(dataDir, 'data.db'));
  other.exec('BEGIN IMMEDIATE');
  return () => {
    if (!other.open) return;
    other.exec('COMMIT');
    other.close();
  };
}

const BUSY = { status: 503, message: 'The database is busy, please try again.', data: {} };

/** How many notes match `filter`. */
async function countNotes(server: TestServer, filter: string): Promise<number> {
  return (await api(server, 'GET', `/api/collections/notes/records?filter=${encodeURIComponent(filter)}`)).body.totalItems;
}

describe('a write while another process holds the SQLite write lock', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
    await createCollection(server, { name: 'notes', ...PUBLIC_RULES, fields: [text('title')] });
    const batch = await api(server, 'PATCH', '/api/settings', { token: server.superuserToken, body: { batch: { enabled: true, maxRequests: 10, timeout: 3, maxBodySize: 0 } } });
    expect(batch.status).toBe(200);
  });
  afterAll(() => server?.close());

  it.each([
    ['a create (one statement)', () => api(server, 'POST', '/api/collections/notes/records', { body: { title: 'waited' } })],
    ['a batch (a transaction)', () => api(server, 'POST', '/api/batch', { body: { requests: [{ method: 'POST', url: '/api/collections/notes/records', body: { title: 'waited' } }] } })],
  ])('%s waits for the lock while the server answers other requests, then is stored', async (_name, send) => {
    const release = holdLock(server.dataDir);
    const events: string[] = [];
    const write = send().then((res) => {
      events.push('write answered');
      return res;
    });
    let released = false;
    try {
      // Answered while the write waits: the event loop is free.
      for (let i = 0; i < 3; i++) {
        const health = await api(server, 'GET', '/api/health');
        expect(health.status).toBe(200);
        const list = await api(server, 'GET', '/api/collections/notes/records?perPage=1');
        expect(list.status).toBe(200);
      }
      events.push('others answered');
    } finally {
      release();
      released = true;
    }
    const res = await write;
    expect(released).toBe(true);
    expect(res.status).toBe(200);
    expect(events).toEqual(['others answered', 'write answered']);
  });
});

describe('a write whose lock another process holds past the lock wait', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ lockWaitMs: 300 });
    await createCollection(server, { name: 'notes', ...PUBLIC_RULES, fields: [text('title')] });
    await api(server, 'PATCH', '/api/settings', { token: server.superuserToken, body: { batch: { enabled: true, maxRequests: 10, timeout: 3, maxBodySize: 0 } } });
  });
  afterAll(() => server?.close());

  it.each([
    ['a create', '/api/collections/notes/records', { title: 'never' }],
    ['a batch', '/api/batch', { requests: [{ method: 'POST', url: '/api/collections/notes/records', body: { title: 'never' } }] }],
  ])('%s is answered 503 (busy), writes nothing, and the server kept answering', async (_name, url, body) => {
    const release = holdLock(server.dataDir);
    let ticks = 0;
    const clock = setInterval(() => ticks++, 10);
    try {
      const res = await api(server, 'POST', url, { body });
      expect(res).toMatchObject({ status: 503, body: BUSY });
      // The 300 ms wait passed between turns of the event loop, not inside one.
      expect(ticks).toBeGreaterThanOrEqual(10);
    } finally {
      clearInterval(clock);
      release();
    }
    expect(await countNotes(server, 'title = "never"')).toBe(0);
  });

  it('writes queued behind a waiting one each give up within the lock wait from their arrival, not one after another', async () => {
    const release = holdLock(server.dataDir);
    // Four writes of 300 ms waits one after another would reach the release at 1 s, and the last would be stored.
    let released = false;
    const timer = setTimeout(() => {
      release();
      released = true;
    }, 1000);
    try {
      const answers = await Promise.all(
        [1, 2, 3, 4].map((n) =>
          api(server, 'POST', '/api/collections/notes/records', { body: { title: `queued ${n}` } }).then((res) => ({ status: res.status, released })),
        ),
      );
      expect(answers).toEqual(Array(4).fill({ status: 503, released: false }));
    } finally {
      clearTimeout(timer);
      release();
    }
    expect(await countNotes(server, 'title ~ "queued"')).toBe(0);
  });

  it('a schema change is the busy 503 too, and changes nothing', async () => {
    const release = holdLock(server.dataDir);
    try {
      const notes = (await api(server, 'GET', '/api/collections/notes', { token: server.superuserToken })).body;
      const res = await api(server, 'PATCH', '/api/collections/notes', { token: server.superuserToken, body: { fields: [...notes.fields, text('extra')] } });
      expect(res).toMatchObject({ status: 503, body: BUSY });
    } finally {
      release();
    }
    const after = (await api(server, 'GET', '/api/collections/notes', { token: server.superuserToken })).body;
    expect(after.fields.map((f: { name: string }) => f.name)).not.toContain('extra');
  });
});
