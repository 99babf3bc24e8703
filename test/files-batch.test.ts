// Files in POST /api/batch through the SDK's createBatch() (multipart: `@jsonPayload` and
// `requests.N.field` file parts) and raw `requests[N].field` parts: uploads stored with the
// batch's writes, removed when it rolls back (the old files kept), and the files its committed
// updates and deletes drop removed only after the commit (but those of a record the batch made
// again with a deleted record's id).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, field, PUBLIC_RULES, text } from './support/builders.ts';
import { get } from './support/files.ts';
import { clientError } from './support/sdk.ts';

describe('files in a batch', () => {
  let server: TestServer;
  let pb: PocketBase;
  let docs: { id: string };
  const storageDir = (...parts: string[]) => path.join(server.dataDir, 'storage', ...parts);
  /** The files stored for a record (sidecars and thumbs left out). */
  const storedFiles = (id: string): string[] => {
    const dir = storageDir(docs.id, id);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((n) => !n.endsWith('.attrs') && !n.startsWith('thumbs_')).sort();
  };
  /** Every file stored for the collection, as `recordId/name`. */
  const allFiles = (): string[] =>
    existsSync(storageDir(docs.id)) ? readdirSync(storageDir(docs.id)).flatMap((id) => storedFiles(id).map((n) => `${id}/${n}`)).sort() : [];
  const recordDirs = (): string[] => (existsSync(storageDir(docs.id)) ? readdirSync(storageDir(docs.id)).sort() : []);
  const file = (body: string, name: string) => new File([body], name);

  beforeAll(async () => {
    server = await startServer();
    pb = new PocketBase(server.url);
    pb.authStore.save(server.superuserToken);
    const settings = await api(server, 'PATCH', '/api/settings', {
      token: server.superuserToken,
      body: { batch: { enabled: true, maxRequests: 20, timeout: 3, maxBodySize: 0 } },
    });
    expect(settings.status).toBe(200);
    docs = await createCollection(server, {
      name: 'bf_docs',
      ...PUBLIC_RULES,
      fields: [text('title', { required: true, max: 20 }), field('file', 'one', { maxSelect: 1 }), field('file', 'many', { maxSelect: 5 })],
    });
  });
  afterAll(() => server?.close());

  it('creates, updates and upserts records with files in one batch', async () => {
    const existing = await pb.collection('bf_docs').create({ title: 'existing', many: [file('a', 'a.txt')] });
    const batch = pb.createBatch();
    batch.collection('bf_docs').create({ id: 'bfdoc0000000001', title: 'created', one: file('hello', 'hello.txt'), many: [file('x', 'x.txt'), new Blob(['y'])] });
    batch.collection('bf_docs').update(existing.id, { 'many+': file('b', 'b.txt') });
    batch.collection('bf_docs').upsert({ id: 'bfdoc0000000002', title: 'upserted', one: file('up', 'up.txt') });
    const results = await batch.send();
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const [created, updated, upserted] = results.map((r) => r.body);
    expect(created.one).toMatch(/^hello_[a-z0-9]{10}\.txt$/);
    expect(created.many).toHaveLength(2);
    expect(storedFiles(created.id)).toEqual([created.one, ...created.many].sort());
    expect(updated.many).toHaveLength(2);
    expect(updated.many[0]).toBe(existing.many[0]);
    expect(storedFiles(existing.id)).toEqual([...updated.many].sort());
    expect(storedFiles(upserted.id)).toEqual([upserted.one]);
    const served = await get(server, `/api/files/bf_docs/${created.id}/${created.one}`);
    expect(served.body.toString()).toBe('hello');
  });

  it('takes raw `requests[N].field` parts, in place of the value the item gave the key', async () => {
    const form = new FormData();
    form.append('@jsonPayload', JSON.stringify({
      requests: [
        { method: 'POST', url: '/api/collections/bf_docs/records', body: { title: 'raw', one: 'ignored.txt' } },
      ],
    }));
    form.append('requests[0].one', file('raw', 'raw.txt'));
    // A part naming no item is ignored, as PocketBase ignores it.
    form.append('requests.7.one', file('stray', 'stray.txt'));
    const res = await fetch(`${server.url}/api/batch`, { method: 'POST', body: form, headers: { authorization: server.superuserToken } });
    expect(res.status).toBe(200);
    const [{ body: record }] = (await res.json()) as Array<{ body: { id: string; one: string } }>;
    expect(record.one).toMatch(/^raw_[a-z0-9]{10}\.txt$/);
    expect(storedFiles(record.id)).toEqual([record.one]);
  });

  it('stores nothing and drops no file when the batch rolls back', async () => {
    const kept = await pb.collection('bf_docs').create({ title: 'kept', one: file('old', 'old.txt'), many: [file('m', 'm.txt')] });
    const doomed = await pb.collection('bf_docs').create({ title: 'doomed', one: file('d', 'd.txt') });
    const before = allFiles();
    const dirsBefore = recordDirs();
    const batch = pb.createBatch();
    batch.collection('bf_docs').create({ title: 'new', one: file('new', 'new.txt') });
    batch.collection('bf_docs').update(kept.id, { one: file('replacement', 'replacement.txt'), 'many-': kept.many });
    batch.collection('bf_docs').delete(doomed.id);
    // Too long a title: the last item fails, so all of it rolls back.
    batch.collection('bf_docs').create({ title: 'x'.repeat(30), one: file('late', 'late.txt') });
    const err = await clientError(() => batch.send());
    expect(err.status).toBe(400);
    expect(Object.keys(err.response.data.requests)).toEqual(['3']);
    expect(allFiles()).toEqual(before);
    // The created record's folder goes too (PocketBase removes an empty one after a failed create).
    expect(recordDirs()).toEqual(dirsBefore);
    expect(storedFiles(kept.id)).toEqual([kept.one, ...kept.many].sort());
    expect(storedFiles(doomed.id)).toEqual([doomed.one]);
    expect((await pb.collection('bf_docs').getOne(kept.id)).one).toBe(kept.one);
  });

  it('leaves no folder for a record a rolled-back batch created and then updated with more files', async () => {
    const batch = pb.createBatch();
    batch.collection('bf_docs').create({ id: 'bfdoc0000000004', title: 'short-lived', one: file('first', 'first.txt') });
    batch.collection('bf_docs').update('bfdoc0000000004', { 'many+': file('more', 'more.txt') });
    batch.collection('bf_docs').create({ title: 'x'.repeat(30) });
    const err = await clientError(() => batch.send());
    expect(Object.keys(err.response.data.requests)).toEqual(['2']);
    expect(existsSync(storageDir(docs.id, 'bfdoc0000000004'))).toBe(false);
  });

  it('removes the files committed updates and deletes drop, after the commit', async () => {
    const a = await pb.collection('bf_docs').create({ title: 'a', one: file('a1', 'a1.txt'), many: [file('k', 'keep.txt'), file('g', 'gone.txt')] });
    const b = await pb.collection('bf_docs').create({ title: 'b', one: file('b1', 'b1.txt') });
    const batch = pb.createBatch();
    batch.collection('bf_docs').update(a.id, { one: file('a2', 'a2.txt'), 'many-': [a.many[1]] });
    batch.collection('bf_docs').delete(b.id);
    const [updated] = (await batch.send()).map((r) => r.body);
    expect(updated.one).not.toBe(a.one);
    expect(updated.many).toEqual([a.many[0]]);
    expect(storedFiles(a.id)).toEqual([updated.one, a.many[0]].sort());
    expect(existsSync(storageDir(docs.id, b.id))).toBe(false);
  });

  it("keeps the files of a record made again with a deleted record's id in the same batch", async () => {
    const old = await pb.collection('bf_docs').create({ id: 'bfdoc0000000005', title: 'old', one: file('old', 'old.txt') });
    const batch = pb.createBatch();
    batch.collection('bf_docs').delete(old.id);
    batch.collection('bf_docs').create({ id: old.id, title: 'again', one: file('new', 'new.txt') });
    const results = await batch.send();
    expect(results.map((r) => r.status)).toEqual([204, 200]);
    const again = results[1].body;
    // The deleted record's folder went after the commit, but for the new record's file.
    expect(storedFiles(old.id)).toEqual([again.one]);
    expect((await get(server, `/api/files/bf_docs/${old.id}/${again.one}`)).body.toString()).toBe('new');

    // Made again, then changed: only the file the last write names is left; deleted last: nothing.
    const twice = pb.createBatch();
    twice.collection('bf_docs').delete(old.id);
    twice.collection('bf_docs').create({ id: old.id, title: 'third', one: file('third', 'third.txt') });
    twice.collection('bf_docs').update(old.id, { one: file('fourth', 'fourth.txt') });
    const [, , updated] = (await twice.send()).map((r) => r.body);
    expect(storedFiles(old.id)).toEqual([updated.one]);
    const gone = pb.createBatch();
    gone.collection('bf_docs').delete(old.id);
    gone.collection('bf_docs').create({ id: old.id, title: 'fifth', one: file('fifth', 'fifth.txt') });
    gone.collection('bf_docs').delete(old.id);
    await gone.send();
    expect(existsSync(storageDir(docs.id, old.id))).toBe(false);
  });

  it('removes an upload a later item of the same batch replaces, and keeps the last', async () => {
    const batch = pb.createBatch();
    batch.collection('bf_docs').create({ id: 'bfdoc0000000003', title: 'twice', one: file('first', 'first.txt') });
    batch.collection('bf_docs').update('bfdoc0000000003', { one: file('second', 'second.txt') });
    const [, second] = (await batch.send()).map((r) => r.body);
    expect(storedFiles('bfdoc0000000003')).toEqual([second.one]);
  });
});
