// POST /api/batch end to end with the SDK's createBatch() (multipart with @jsonPayload) and raw
// JSON: off until the settings switch it on, every item in one transaction, the first failure
// rolls all back and is named in data.requests.N, rules per item with @request.context "batch",
// upserts, per-item query and headers, and PocketBase's limits.
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord, PUBLIC_RULES, relation, text } from './support/builders.ts';
import { clientError } from './support/sdk.ts';

let server: TestServer;
const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });
const batchSettings = (batch: Record<string, unknown>) => su('PATCH', '/api/settings', { batch: { enabled: true, maxRequests: 50, timeout: 3, maxBodySize: 0, ...batch } });
const count = async (collection: string) => (await su('GET', `/api/collections/${collection}/records`)).body.totalItems as number;
const superuserClient = () => {
  const pb = new PocketBase(server.url);
  pb.authStore.save(server.superuserToken);
  return pb;
};

beforeAll(async () => {
  server = await startServer();
  await createCollection(server, { name: 'b_posts', fields: [text('title', { required: true, max: 20 })], ...PUBLIC_RULES });
  const posts = (await su('GET', '/api/collections/b_posts')).body;
  await createCollection(server, {
    name: 'b_notes',
    fields: [text('body'), relation('post', posts.id, { maxSelect: 1 })],
    ...PUBLIC_RULES,
    createRule: '@request.context = "batch" || @request.headers.x_note = "yes"',
  });
});
afterAll(async () => {
  await server?.close();
});

describe('batch', () => {
  it('is refused while the settings leave it off', async () => {
    const res = await api(server, 'POST', '/api/batch', { body: { requests: [] } });
    expect(res).toMatchObject({ status: 403, body: { message: 'Batch requests are not allowed.' } });
  });

  it('runs creates, updates, upserts and deletes through the SDK, in order, in one transaction', async () => {
    expect((await batchSettings({})).status).toBe(200);
    const existing = await createRecord(server, 'b_posts', { title: 'old' });
    const doomed = await createRecord(server, 'b_posts', { title: 'doomed' });
    const pb = superuserClient();
    const batch = pb.createBatch();
    batch.collection('b_posts').create({ id: 'batchpost000001', title: 'first' });
    batch.collection('b_notes').create({ body: 'on first', post: 'batchpost000001' }, { expand: 'post', fields: 'body,expand.post.title' });
    batch.collection('b_posts').update(existing.id, { title: 'renamed' });
    batch.collection('b_posts').upsert({ id: existing.id, title: 'upserted' });
    batch.collection('b_posts').upsert({ id: 'batchpost000002', title: 'new by upsert' });
    batch.collection('b_posts').delete(doomed.id);
    const results = await batch.send();
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 204]);
    expect(results[0].body).toMatchObject({ id: 'batchpost000001', title: 'first' });
    // The item's own expand and fields.
    expect(results[1].body).toEqual({ body: 'on first', expand: { post: { title: 'first' } } });
    expect(results[3].body).toMatchObject({ id: existing.id, title: 'upserted' });
    expect(results[4].body).toMatchObject({ id: 'batchpost000002', title: 'new by upsert' });
    expect(results[5].body).toBeNull();
    expect((await su('GET', `/api/collections/b_posts/records/${doomed.id}`)).status).toBe(404);
  });

  it('rolls everything back when an item fails, and names it in data.requests.N', async () => {
    const before = { posts: await count('b_posts'), notes: await count('b_notes') };
    const target = await createRecord(server, 'b_posts', { title: 'unchanged' });
    const pb = superuserClient();
    const batch = pb.createBatch();
    batch.collection('b_posts').create({ title: 'rolled back' });
    batch.collection('b_posts').update(target.id, { title: 'changed' });
    batch.collection('b_notes').create({ body: 'rolled back too' });
    batch.collection('b_posts').create({ title: 'x'.repeat(21) });
    const err = await clientError(() => batch.send());
    expect(err.status).toBe(400);
    expect(err.response.message).toBe('Batch transaction failed.');
    expect(err.response.data.requests['3']).toMatchObject({
      code: 'batch_request_failed',
      message: 'Batch request failed.',
      response: { status: 400, message: 'Failed to create record.', data: { title: { code: 'validation_max_text_constraint' } } },
    });
    expect(await count('b_posts')).toBe(before.posts + 1);
    expect(await count('b_notes')).toBe(before.notes);
    expect((await su('GET', `/api/collections/b_posts/records/${target.id}`)).body.title).toBe('unchanged');
  });

  it('checks each item\'s rules as the sender, with @request.context "batch" and the item\'s headers', async () => {
    await createCollection(server, { name: 'b_locked', fields: [text('title')], createRule: null, listRule: '' });
    const guest = new PocketBase(server.url);
    const batch = guest.createBatch();
    batch.collection('b_notes').create({ body: 'by a guest in a batch' });
    batch.collection('b_locked').create({ title: 'nope' });
    const err = await clientError(() => batch.send());
    expect(err.response.data.requests['1'].response).toMatchObject({ status: 403, message: 'Only superusers can perform this action.' });
    // Outside a batch the same create needs the header the rule names.
    expect((await api(server, 'POST', '/api/collections/b_notes/records', { body: { body: 'plain' } })).status).toBe(400);
    expect((await api(server, 'POST', '/api/collections/b_notes/records', { body: { body: 'plain' }, headers: { 'x-note': 'yes' } })).status).toBe(200);
  });

  it('refuses an empty or too long list, unknown actions and bad items, with PocketBase\'s errors', async () => {
    await batchSettings({ maxRequests: 2 });
    const post = (body: unknown) => api(server, 'POST', '/api/batch', { token: server.superuserToken, body });
    expect((await post({ requests: [] })).body).toMatchObject({ status: 400, message: 'Invalid batch request data.', data: { requests: { code: 'validation_required' } } });
    const tooMany = await post({ requests: [1, 2, 3].map(() => ({ method: 'POST', url: '/api/collections/b_posts/records', body: { title: 't' } })) });
    expect(tooMany.body.data.requests.code).toBe('validation_length_too_long');
    const bad = await post({ requests: [{ method: 'TRACE', url: '/api/collections/b_posts/records' }, { method: 'POST' }] });
    expect(bad.body.data.requests).toMatchObject({ 0: { method: { code: 'validation_in_invalid' } }, 1: { url: { code: 'validation_required' } } });
    const unknown = await post({ requests: [{ method: 'GET', url: '/api/collections/b_posts/records' }] });
    expect(unknown.body).toMatchObject({ status: 400, data: { requests: { 0: { code: 'batch_request_failed', response: { status: 400 } } } } });
    expect((await post({ requests: 'nope' })).body.message).toBe('Failed to read the submitted batch data.');
    await batchSettings({ maxBodySize: 100 });
    const big = await post({ requests: [{ method: 'POST', url: '/api/collections/b_posts/records', body: { title: 'y'.repeat(200) } }] });
    expect(big.status).toBe(413);
    await batchSettings({});
  });

  it('stops past its timeout, rolls back, and blames no request (PocketBase: "batch transaction timeout")', async () => {
    await batchSettings({ timeout: 1, maxRequests: 300 });
    try {
      const before = await count('users');
      // Each create hashes a password (about 20 ms here): 300 of them take far more than the one
      // second allowed, even on a much faster machine; the batch stops after about one second.
      const requests = Array.from({ length: 300 }, (_, i) => ({
        method: 'POST',
        url: '/api/collections/users/records',
        body: { email: `slow${i}@example.com`, password: 'a-long-password', passwordConfirm: 'a-long-password' },
      }));
      const res = await api(server, 'POST', '/api/batch', { body: { requests } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ status: 400, message: 'Batch transaction failed.', data: {} });
      expect(await count('users')).toBe(before);
    } finally {
      await batchSettings({});
    }
  });
});
