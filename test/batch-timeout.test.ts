// How a batch ends before its last item, as PocketBase's: its timeout counts from when its
// transaction opened (not the wait for the write lock behind other batches), a statement blocked
// at the timeout is cut, and a client that goes away gives the batch up; a batch given up on rolls
// back and never commits, not even a statement of the item it was running. Underneath, the
// database contract: a transaction whose signal aborts rolls back at once and sends no later
// statement.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ident, sql } from '../src/db/sql.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord, PUBLIC_RULES, text } from './support/builders.ts';
import { TEST_DIALECT } from './support/databases.ts';
import { onlyIf } from './support/only-if.ts';

let server: TestServer;
const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });
const batchSettings = (batch: Record<string, unknown>) => su('PATCH', '/api/settings', { batch: { enabled: true, maxRequests: 500, timeout: 3, maxBodySize: 0, ...batch } });
/** Items enough to run for about ten seconds here (SQLite: about 15,000 plain creates a second), so a batch cut at 1 s is cut even on a machine several times faster. */
const MANY = 150_000;
const create = (title: string) => ({ method: 'POST', url: '/api/collections/bt_posts/records', body: { title } });
const sendBatch = (requests: unknown[], signal?: AbortSignal) =>
  fetch(`${server.url}/api/batch`, {
    method: 'POST',
    signal,
    headers: { 'content-type': 'application/json', authorization: server.superuserToken },
    body: JSON.stringify({ requests }),
  });
const titles = async (): Promise<string[]> =>
  (await su('GET', '/api/collections/bt_posts/records?perPage=500')).body.items.map((r: { title: string }) => r.title);
const count = async (collection: string): Promise<number> => (await su('GET', `/api/collections/${collection}/records?perPage=1`)).body.totalItems;

/** Takes Baton's serialized write lock (the queue, and the database's lock) until `release`. */
async function holdWriteLock(): Promise<{ release: () => Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let taken!: () => void;
  const held = new Promise<void>((resolve) => (taken = resolve));
  const transaction = server.baton.services.db.transaction(async () => {
    taken();
    await released;
  });
  await held;
  return {
    release: async () => {
      release();
      await transaction;
    },
  };
}

/** Waits until every batch sent before has ended: a later one runs after them (one write lock, taken in turn). */
async function afterEarlierBatches(): Promise<void> {
  expect((await sendBatch([create('later')])).status).toBe(200);
}

beforeAll(async () => {
  server = await startServer();
  await createCollection(server, { name: 'bt_posts', fields: [text('title')], ...PUBLIC_RULES });
});
afterAll(async () => {
  await server?.close();
});

describe('batch timeout and interruption', () => {
  it('counts its timeout from when its transaction opened, not while it waits for the write lock', async () => {
    await batchSettings({ timeout: 1 });
    const lock = await holdWriteLock();
    const queued = sendBatch([create('queued behind a writer')]);
    await sleep(1500);
    await lock.release();
    const res = await queued;
    expect(res.status).toBe(200);
    expect(await titles()).toContain('queued behind a writer');
  });

  onlyIf(TEST_DIALECT !== 'sqlite', it)('is cut at its timeout while a statement waits for a row lock, and commits nothing', async () => {
    // (SQLite's writes take the database's only write lock with the transaction, before the
    // timeout starts: no statement inside one waits for another session.)
    await batchSettings({ timeout: 1 });
    const target = await createRecord(server, 'bt_posts', { title: 'locked' });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    // Another session holds the row for 3 s (a concurrent transaction, outside Baton's write lock).
    const holder = server.baton.services.db.transaction(async (tx) => {
      await tx.get(sql`SELECT id FROM ${ident('bt_posts')} WHERE id = ${target.id} FOR UPDATE`);
      locked();
      await released;
    }, { concurrent: true });
    await lockTaken;
    let holding = true;
    const releaseLater = setTimeout(() => {
      holding = false;
      release();
    }, 3000);
    try {
      const res = await sendBatch([create('before the blocked item'), { method: 'PATCH', url: `/api/collections/bt_posts/records/${target.id}`, body: { title: 'changed' } }]);
      expect(holding).toBe(true);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ status: 400, message: 'Batch transaction failed.', data: {} });
    } finally {
      clearTimeout(releaseLater);
      release();
      await holder;
    }
    // Nothing of it ran after the rollback either, once the row was free.
    await afterEarlierBatches();
    expect(await titles()).not.toContain('before the blocked item');
    expect((await su('GET', `/api/collections/bt_posts/records/${target.id}`)).body.title).toBe('locked');
  });

  it('is cut at its timeout when its items never let the event loop turn (SQLite: synchronous statements)', async () => {
    await batchSettings({ timeout: 1, maxRequests: MANY });
    const before = await count('bt_posts');
    // Far more than a second of creates, even on a much faster machine.
    const res = await sendBatch(Array.from({ length: MANY }, (_, i) => create(`many ${i}`)));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ status: 400, message: 'Batch transaction failed.', data: {} });
    expect(await count('bt_posts')).toBe(before);
  });

  it('rolls back when its client goes away while it runs', async () => {
    await batchSettings({ timeout: 60 });
    const before = await count('users');
    // Each create hashes a password: 300 of them run for seconds, well past the client's leaving.
    const requests = Array.from({ length: 300 }, (_, i) => ({
      method: 'POST',
      url: '/api/collections/users/records',
      body: { email: `left${i}@example.com`, password: 'a-long-password', passwordConfirm: 'a-long-password' },
    }));
    const client = new AbortController();
    const sent = sendBatch(requests, client.signal).catch((e: unknown) => e);
    await sleep(300);
    client.abort();
    expect(await sent).toMatchObject({ name: 'AbortError' });
    await afterEarlierBatches();
    expect(await count('users')).toBe(before);
  });

  it('rolls back when its client goes away while it runs items that never let the event loop turn', async () => {
    await batchSettings({ timeout: 60, maxRequests: MANY });
    const before = await count('bt_posts');
    const client = new AbortController();
    const sent = sendBatch(Array.from({ length: MANY }, (_, i) => create(`left ${i}`)), client.signal).catch((e: unknown) => e);
    await sleep(300);
    client.abort();
    expect(await sent).toMatchObject({ name: 'AbortError' });
    await afterEarlierBatches();
    expect(await count('bt_posts')).toBe(before + 1);
  });

  it('never begins when its client goes away while it waits for the write lock', async () => {
    await batchSettings({ timeout: 3 });
    const lock = await holdWriteLock();
    const client = new AbortController();
    const sent = sendBatch([create('client left while queued')], client.signal).catch((e: unknown) => e);
    await sleep(300);
    client.abort();
    await sent;
    // The server learns of the closed connection from its next poll for I/O: a lock freed in the
    // same turn would let the batch begin first.
    await sleep(100);
    await lock.release();
    await afterEarlierBatches();
    expect(await titles()).not.toContain('client left while queued');
  });
});

describe('Database.transaction with a signal', () => {
  it('rolls back as soon as the signal aborts, and refuses the statements its body sends afterwards', async () => {
    const db = server.baton.services.db;
    const insert = (id: string) => sql`INSERT INTO ${ident('bt_posts')} (${ident('id')}, ${ident('title')}) VALUES (${id}, ${'signal'})`;
    const ids = ['btsignal0000001', 'btsignal0000002'];
    const controller = new AbortController();
    const reason = new Error('given up');
    let late: Promise<unknown> | undefined;
    const transaction = db.transaction(async (tx) => {
      await tx.run(insert(ids[0]));
      // Given up on while the body awaits something else than the database (a password hash …).
      setTimeout(() => controller.abort(reason), 20);
      await sleep(300);
      late = tx.run(insert(ids[1]));
      await late;
    }, { signal: controller.signal });
    const outcome = await transaction.then(() => 'committed', (e: unknown) => e);
    expect(outcome).toBe(reason);
    await vi.waitFor(() => expect(late).toBeDefined());
    await expect(late).rejects.toBe(reason);
    const rows = await db.all(sql`SELECT ${ident('id')} FROM ${ident('bt_posts')} WHERE ${db.dialect.inValues(sql`${ident('id')}`, ids)}`);
    expect(rows).toEqual([]);
  });
});
