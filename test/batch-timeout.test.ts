// How a batch ends before its last item, as PocketBase's: its timeout counts from when its
// transaction opened, not the wait for the write lock behind other batches.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, PUBLIC_RULES, text } from './support/builders.ts';

let server: TestServer;
const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });
const batchSettings = (batch: Record<string, unknown>) => su('PATCH', '/api/settings', { batch: { enabled: true, maxRequests: 500, timeout: 3, maxBodySize: 0, ...batch } });
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
});
