// A collection's files leave storage with it: deleting the collection (or dropping it by an import
// with deleteMissing) removes its whole folder, locally and in S3; emptying it (truncate) removes
// each deleted record's folder, and those of the records the cascade deleted, as PocketBase does
// record by record. Other collections' files stay.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, field, PUBLIC_RULES, relation, text } from './support/builders.ts';
import { startServerOnS3, type ServerOnS3 } from './support/files.ts';

const file = (body: string, name: string) => new File([body], name);

describe("a collection's files on local storage", () => {
  let server: TestServer;
  let pb: PocketBase;
  let kept: { id: string };
  let keptRecord: { id: string };
  const storageDir = (...parts: string[]) => path.join(server.dataDir, 'storage', ...parts);
  const recordDirs = (collectionId: string): string[] => (existsSync(storageDir(collectionId)) ? readdirSync(storageDir(collectionId)).sort() : []);

  beforeAll(async () => {
    server = await startServer();
    pb = new PocketBase(server.url);
    pb.authStore.save(server.superuserToken);
    // A bystander whose files must survive everything below.
    kept = await createCollection(server, { name: 'kept', ...PUBLIC_RULES, fields: [field('file', 'doc', { maxSelect: 1 })] });
    keptRecord = await pb.collection('kept').create({ doc: file('stay', 'stay.txt') });
  });
  afterAll(() => server?.close());

  const expectBystanderKept = () => expect(recordDirs(kept.id)).toEqual([keptRecord.id]);

  it('deleting a collection removes its folder', async () => {
    const gone = await createCollection(server, { name: 'gone', ...PUBLIC_RULES, fields: [text('title'), field('file', 'doc', { maxSelect: 1, thumbs: ['10x10'] })] });
    const a = await pb.collection('gone').create({ title: 'a', doc: file('a', 'a.txt') });
    await pb.collection('gone').create({ title: 'b', doc: file('b', 'b.txt') });
    expect(recordDirs(gone.id)).toHaveLength(2);
    expect(existsSync(storageDir(gone.id, a.id, a.doc))).toBe(true);
    const res = await api(server, 'DELETE', '/api/collections/gone', { token: server.superuserToken });
    expect(res.status).toBe(204);
    expect(existsSync(storageDir(gone.id))).toBe(false);
    expectBystanderKept();
  });

  it('a failed delete (the collection is still referenced) keeps the files', async () => {
    const parent = await createCollection(server, { name: 'parent', ...PUBLIC_RULES, fields: [field('file', 'doc', { maxSelect: 1 })] });
    await createCollection(server, { name: 'child', ...PUBLIC_RULES, fields: [relation('parent', parent.id, { maxSelect: 1 })] });
    const p = await pb.collection('parent').create({ doc: file('p', 'p.txt') });
    const res = await api(server, 'DELETE', '/api/collections/parent', { token: server.superuserToken });
    expect(res.status).toBe(400);
    expect(recordDirs(parent.id)).toEqual([p.id]);
  });

  it('an import with deleteMissing removes the folders of the collections it drops', async () => {
    const dropped = await createCollection(server, { name: 'dropped', ...PUBLIC_RULES, fields: [field('file', 'doc', { maxSelect: 1 })] });
    await pb.collection('dropped').create({ doc: file('d', 'd.txt') });
    expect(recordDirs(dropped.id)).toHaveLength(1);
    const exported = await api(server, 'GET', '/api/collections?perPage=500', { token: server.superuserToken });
    const collections = (exported.body.items as Array<{ name: string }>).filter((c) => c.name !== 'dropped');
    const res = await api(server, 'PUT', '/api/collections/import', { token: server.superuserToken, body: { collections, deleteMissing: true } });
    expect(res.status).toBe(204);
    expect(existsSync(storageDir(dropped.id))).toBe(false);
    expectBystanderKept();
  });

  it("truncating removes the records' files and those of the records the cascade deleted", async () => {
    const posts = await createCollection(server, { name: 'tposts', ...PUBLIC_RULES, fields: [text('title'), field('file', 'doc', { maxSelect: 1 })] });
    const notes = await createCollection(server, {
      name: 'tnotes',
      ...PUBLIC_RULES,
      fields: [relation('post', posts.id, { maxSelect: 1, cascadeDelete: true }), field('file', 'att', { maxSelect: 1 })],
    });
    const post = await pb.collection('tposts').create({ title: 'p', doc: file('p', 'p.txt') });
    await pb.collection('tposts').create({ title: 'q', doc: file('q', 'q.txt') });
    const note = await pb.collection('tnotes').create({ post: post.id, att: file('n', 'n.txt') });
    // A note of no post is no part of the cascade and keeps its file.
    const loose = await pb.collection('tnotes').create({ att: file('l', 'l.txt') });
    expect(recordDirs(posts.id)).toHaveLength(2);
    expect(recordDirs(notes.id)).toEqual([note.id, loose.id].sort());
    const res = await api(server, 'DELETE', '/api/collections/tposts/truncate', { token: server.superuserToken });
    expect(res.status).toBe(204);
    expect(recordDirs(posts.id)).toEqual([]);
    expect(recordDirs(notes.id)).toEqual([loose.id]);
  });

  it('truncating a collection nothing references removes its records\' files', async () => {
    const plain = await createCollection(server, { name: 'tplain', ...PUBLIC_RULES, fields: [field('file', 'doc', { maxSelect: 2 })] });
    await pb.collection('tplain').create({ doc: [file('a', 'a.txt'), file('b', 'b.txt')] });
    await pb.collection('tplain').create({ doc: [file('c', 'c.txt')] });
    expect(recordDirs(plain.id)).toHaveLength(2);
    const res = await api(server, 'DELETE', '/api/collections/tplain/truncate', { token: server.superuserToken });
    expect(res.status).toBe(204);
    expect(recordDirs(plain.id)).toEqual([]);
    expectBystanderKept();
  });
});

describe("a collection's files in S3", () => {
  const BUCKET = 'baton-collection-files';
  let onS3: ServerOnS3 | undefined;

  beforeAll(async () => {
    onS3 = await startServerOnS3(BUCKET);
  });
  afterAll(() => onS3?.close());

  it('deleting a collection removes its objects, and no other collection\'s', async () => {
    const { server, bucket } = onS3!;
    const pb = new PocketBase(server.url);
    pb.authStore.save(server.superuserToken);
    const gone = await createCollection(server, { name: 's3_gone', ...PUBLIC_RULES, fields: [field('file', 'doc', { maxSelect: 1 })] });
    const kept = await createCollection(server, { name: 's3_kept', ...PUBLIC_RULES, fields: [field('file', 'doc', { maxSelect: 1 })] });
    await pb.collection('s3_gone').create({ doc: file('a', 'a.txt') });
    await pb.collection('s3_gone').create({ doc: file('b', 'b.txt') });
    const keptRecord = await pb.collection('s3_kept').create({ doc: file('k', 'k.txt') });
    const list = async (prefix: string) => (await bucket.list({ prefix, limit: 100 })).map((f) => f.key);
    expect(await list(`${gone.id}/`)).toHaveLength(2);
    const res = await api(server, 'DELETE', '/api/collections/s3_gone', { token: server.superuserToken });
    expect(res.status).toBe(204);
    expect(await list(`${gone.id}/`)).toEqual([]);
    expect(await list(`${kept.id}/`)).toEqual([`${kept.id}/${keptRecord.id}/${keptRecord.doc}`]);
  });
});
