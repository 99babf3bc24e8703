// Uploads on file fields through the SDK (multipart FormData) and raw requests: PocketBase's file
// names, maxSelect / maxSize / mimeTypes, `field+` / `field-`, file names kept or dropped by JSON,
// storage written before the record and cleaned after failures, updates and deletes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, field, PUBLIC_RULES, relation, text } from './support/builders.ts';
import { dimensions, get, tarOf, twoTone } from './support/files.ts';
import { clientError } from './support/sdk.ts';

const NAME = (base: string, ext: string) => new RegExp(`^${base}_[a-z0-9]{10}${ext.replace('.', '\\.')}$`);

describe('file uploads', () => {
  let server: TestServer;
  let pb: PocketBase;
  let posts: { id: string };
  let comments: { id: string };
  let png: Buffer;
  const storageDir = (...parts: string[]) => path.join(server.dataDir, 'storage', ...parts);
  /** The files stored for a record (sidecars and thumbs left out). */
  const storedFiles = (collectionId: string, id: string): string[] => {
    const dir = storageDir(collectionId, id);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((n) => !n.endsWith('.attrs') && !n.startsWith('thumbs_')).sort();
  };
  const recordDirs = (collectionId: string): string[] => (existsSync(storageDir(collectionId)) ? readdirSync(storageDir(collectionId)) : []);
  const file = (body: Buffer | string, name: string) => new File([body], name);

  beforeAll(async () => {
    server = await startServer();
    pb = new PocketBase(server.url);
    pb.authStore.save(server.superuserToken);
    png = await twoTone(60, 40);
    posts = await createCollection(server, {
      name: 'posts',
      ...PUBLIC_RULES,
      fields: [
        text('title'),
        field('file', 'one', { maxSelect: 1, maxSize: 1000, mimeTypes: ['image/png', 'text/plain'] }),
        field('file', 'many', { maxSelect: 3, thumbs: ['20x20'] }),
      ],
      indexes: ['CREATE UNIQUE INDEX idx_posts_title ON posts (title)'],
    });
    comments = await createCollection(server, {
      name: 'comments',
      ...PUBLIC_RULES,
      fields: [relation('post', posts.id, { maxSelect: 1, cascadeDelete: true }), field('file', 'attachment', { maxSelect: 1 })],
    });
  });
  afterAll(() => server?.close());

  it('creates a record with files from FormData, named and stored as PocketBase does', async () => {
    const form = new FormData();
    form.append('title', 'first');
    form.append('one', file('hello\n', 'Hello World.txt'));
    form.append('many', file(png, 'My Photo (1).PNG'));
    form.append('many', file('no extension here', 'README'));
    const record = await pb.collection('posts').create(form);
    expect(record.one).toMatch(NAME('hello_world', '.txt'));
    expect(record.many).toHaveLength(2);
    expect(record.many[0]).toMatch(NAME('my_photo_1', '.PNG'));
    expect(record.many[1]).toMatch(NAME('readme', '.txt'));
    expect(storedFiles(posts.id, record.id)).toEqual([record.one, ...record.many].sort());
    const attrs = JSON.parse(readFileSync(storageDir(posts.id, record.id, `${record.many[0]}.attrs`), 'utf8'));
    expect(attrs).toMatchObject({ 'user.content_type': 'image/png', 'user.metadata': { 'original-filename': 'My Photo (1).PNG' } });
    // Served back, with their detected types, and thumbs of the uploaded image.
    const served = await get(server, `/api/files/posts/${record.id}/${record.one}`);
    expect(served.body.toString()).toBe('hello\n');
    expect(served.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const thumb = await get(server, `/api/files/posts/${record.id}/${record.many[0]}?thumb=20x20`);
    expect(thumb.headers.get('content-type')).toBe('image/png');
    expect(await dimensions(thumb.body)).toBe('20x20');
  });

  it('takes Files in a plain object too (the SDK sends them as multipart)', async () => {
    const record = await pb.collection('posts').create({ title: 'object', one: file(png, 'a.png') });
    // A name shorter than 3 characters gets a random part of its own.
    expect(record.one).toMatch(/^a[a-z0-9]{10}_[a-z0-9]{10}\.png$/);
    expect(storedFiles(posts.id, record.id)).toEqual([record.one]);
  });

  it.each([
    ['too big for maxSize', () => ({ one: file(Buffer.alloc(1001, 'a'), 'big.txt') }), 'one', 'validation_file_size_limit'],
    ['a type mimeTypes does not list', async () => ({ one: file(await twoTone(10, 10, 'gif'), 'anim.gif') }), 'one', 'validation_invalid_mime_type'],
    ['more files than maxSelect', () => ({ many: ['a', 'b', 'c', 'd'].map((n) => file(n, `${n}.txt`)) }), 'many', 'validation_too_many_files'],
  ])('refuses an upload %s and stores nothing', async (_name, body, key, code) => {
    const before = recordDirs(posts.id).length;
    const err = await clientError(async () => pb.collection('posts').create({ title: `refused ${key} ${code}`, ...(await body()) }));
    expect(err.status).toBe(400);
    expect(err.response.data[key].code).toBe(code);
    expect(recordDirs(posts.id).length).toBe(before);
  });

  it("checks mimeTypes against the type PocketBase detects, and the detection library's other names for it", async () => {
    await createCollection(server, {
      name: 'typed',
      ...PUBLIC_RULES,
      fields: [field('file', 'sheet', { maxSelect: 1, mimeTypes: ['text/csv'] }), field('file', 'packed', { maxSelect: 2, mimeTypes: ['application/x-gzip', 'application/rtf', 'application/x-tar'] })],
    });
    const record = await pb.collection('typed').create({
      sheet: file('name,age\nann,3\nbob,4\n', 'people.csv'),
      packed: [file(gzipSync('hello'), 'hello.gz'), file('{\\rtf1\\ansi Hello\\par}\n', 'letter')],
    });
    expect(record.packed[1]).toMatch(NAME('letter', '.rtf'));
    const attrs = JSON.parse(readFileSync(storageDir(record.collectionId, record.id, `${record.sheet}.attrs`), 'utf8'));
    expect(attrs['user.content_type']).toBe('text/csv');
    // A tar file uploaded without an extension gets PocketBase's.
    const updated = await pb.collection('typed').update(record.id, { packed: file(tarOf('a.txt', 'x'), 'archive') });
    expect(updated.packed).toEqual([expect.stringMatching(NAME('archive', '.tar'))]);
    const err = await clientError(() => pb.collection('typed').create({ sheet: file('just one line, no table\n', 'notes.csv') }));
    expect(err.response.data.sheet.code).toBe('validation_invalid_mime_type');
  });

  it('removes the stored uploads, and the new record\'s folder, again when the record cannot be written', async () => {
    await pb.collection('posts').create({ title: 'taken' });
    const dirsBefore = recordDirs(posts.id).sort();
    const before = dirsBefore.flatMap((id) => storedFiles(posts.id, id));
    const err = await clientError(() => pb.collection('posts').create({ title: 'taken', many: [file('x', 'x.txt')] }));
    expect(err.status).toBe(400);
    expect(recordDirs(posts.id).flatMap((id) => storedFiles(posts.id, id))).toEqual(before);
    // As PocketBase (deleteEmptyRecordDir): no empty folder is left for the record never written.
    expect(recordDirs(posts.id).sort()).toEqual(dirsBefore);
  });

  it("keeps an existing record's folder when an update with uploads fails", async () => {
    const record = await pb.collection('posts').create({ title: 'update fails' });
    const err = await clientError(() => pb.collection('posts').update(record.id, { title: 'taken', many: [file('x', 'x.txt')] }));
    expect(err.status).toBe(400);
    expect(storedFiles(posts.id, record.id)).toEqual([]);
    // Only a failed create removes the folder (another update may be storing files there).
    expect(existsSync(storageDir(posts.id, record.id))).toBe(true);
  });

  it('appends, removes and replaces files on update; dropped files leave storage after the write', async () => {
    const created = await pb.collection('posts').create({ title: 'updates', one: file('one', 'one.txt'), many: [file('a', 'a1.txt')] });
    const [a] = created.many;
    const appended = await pb.collection('posts').update(created.id, { 'many+': [file('b', 'b1.txt')] });
    expect(appended.many).toHaveLength(2);
    expect(appended.many[0]).toBe(a);
    const b = appended.many[1];
    // A thumb of a dropped file goes with it.
    await pb.collection('posts').update(created.id, { 'many+': file(png, 'pic.png') });
    const withPic = await pb.collection('posts').getOne(created.id);
    const pic = withPic.many[2];
    await get(server, `/api/files/posts/${created.id}/${pic}?thumb=20x20`);
    expect(existsSync(storageDir(posts.id, created.id, `thumbs_${pic}`))).toBe(true);
    const removed = await pb.collection('posts').update(created.id, { 'many-': [a, pic] });
    expect(removed.many).toEqual([b]);
    expect(existsSync(storageDir(posts.id, created.id, `thumbs_${pic}`))).toBe(false);
    const replaced = await pb.collection('posts').update(created.id, { one: file('two', 'two.txt') });
    expect(replaced.one).not.toBe(created.one);
    expect(storedFiles(posts.id, created.id)).toEqual([b, replaced.one].sort());
  });

  it('keeps the files a plain key lists next to new uploads, and drops files by JSON', async () => {
    const created = await pb.collection('posts').create({ title: 'json', many: [file('a', 'a.txt'), file('b', 'b.txt')] });
    const [a, b] = created.many;
    // Multipart: the names sent under `many` are kept, the new file added after them.
    const form = new FormData();
    form.append('many', a);
    form.append('many', file('c', 'c.txt'));
    const merged = await pb.collection('posts').update(created.id, form);
    expect(merged.many).toHaveLength(2);
    expect(merged.many[0]).toBe(a);
    expect(storedFiles(posts.id, created.id)).toEqual([...merged.many].sort());
    // JSON: names only; one the record does not have is refused.
    const bad = await api(server, 'PATCH', `/api/collections/posts/records/${created.id}`, { body: { many: [a, 'nope.txt'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.data.many.code).toBe('validation_invalid_file');
    const kept = await api(server, 'PATCH', `/api/collections/posts/records/${created.id}`, { body: { many: [a] } });
    expect(kept.body.many).toEqual([a]);
    expect(storedFiles(posts.id, created.id)).toEqual([a]);
    expect(b).not.toBe(a);
    const cleared = await api(server, 'PATCH', `/api/collections/posts/records/${created.id}`, { body: { many: null } });
    expect(cleared.body.many).toEqual([]);
    expect(storedFiles(posts.id, created.id)).toEqual([]);
  });

  it("removes a deleted record's files, and those of records its delete cascades to", async () => {
    const post = await pb.collection('posts').create({ title: 'to delete', one: file('x', 'x.txt') });
    const comment = await pb.collection('comments').create({ post: post.id, attachment: file('y', 'y.txt') });
    expect(storedFiles(comments.id, comment.id)).toEqual([comment.attachment]);
    await pb.collection('posts').delete(post.id);
    expect(existsSync(storageDir(posts.id, post.id))).toBe(false);
    expect(existsSync(storageDir(comments.id, comment.id))).toBe(false);
  });

  it('ignores files sent under keys that are not file fields, and files on other routes', async () => {
    const form = new FormData();
    form.append('title', file('not a title', 'title.txt'));
    form.append('unknown', file('x', 'x.txt'));
    form.append('title', 'plain');
    const record = await pb.collection('posts').create(form);
    expect(record.title).toBe('plain');
    expect(storedFiles(posts.id, record.id)).toEqual([]);
    const login = new FormData();
    login.append('identity', 'root@example.com');
    login.append('password', 'correct-horse-battery');
    login.append('avatar', file('x', 'x.txt'));
    const res = await fetch(`${server.url}/api/collections/_superusers/auth-with-password`, { method: 'POST', body: login });
    expect(res.status).toBe(200);
  });

  it("refuses a multipart body over the collection's limit with a 413", async () => {
    const small = await startServer({ maxBodySize: 2048 });
    try {
      // The limit is the server's plus the file field's maxSize × maxSelect: 2048 + 100.
      const docs = await createCollection(small, { name: 'docs', ...PUBLIC_RULES, fields: [field('file', 'doc', { maxSelect: 1, maxSize: 100 })] });
      const form = new FormData();
      form.append('doc', file(Buffer.alloc(4096, 'a'), 'big.txt'));
      const res = await fetch(`${small.url}/api/collections/docs/records`, { method: 'POST', body: form });
      expect(res.status).toBe(413);
      expect(existsSync(path.join(small.dataDir, 'storage', docs.id))).toBe(false);
    } finally {
      await small.close();
    }
  });
});

describe('record body limits per collection (PocketBase: the server limit plus the fields\' sizes)', () => {
  let small: TestServer;
  const post = (collection: string, body: FormData | string, headers: Record<string, string> = {}) =>
    fetch(`${small.url}/api/collections/${collection}/records`, { method: 'POST', body, headers });

  beforeAll(async () => {
    small = await startServer({ maxBodySize: 2048 });
    // 2048 + 2 × 3000 (files) + 1000 (json) = 9048 bytes for a record body.
    await createCollection(small, {
      name: 'roomy',
      ...PUBLIC_RULES,
      fields: [field('file', 'docs', { maxSelect: 2, maxSize: 3000 }), field('json', 'meta', { maxSize: 1000 }), text('note', { max: 100000 })],
    });
    await createCollection(small, { name: 'plain', ...PUBLIC_RULES, fields: [text('note', { max: 100000 })] });
  });
  afterAll(() => small?.close());

  it('takes a multipart body past the server limit within the collection limit, and refuses one past it', async () => {
    const form = new FormData();
    form.append('docs', new File([Buffer.alloc(2900, 'a')], 'a.txt'));
    form.append('docs', new File([Buffer.alloc(2900, 'b')], 'b.txt'));
    const ok = await post('roomy', form);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { docs: string[] }).docs).toHaveLength(2);
    const big = new FormData();
    big.append('note', 'x'.repeat(9100));
    const res = await post('roomy', big);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ status: 413, message: 'Request entity too large.', data: {} });
  });

  it('applies the collection limit to JSON bodies', async () => {
    const within = await post('roomy', JSON.stringify({ note: 'x'.repeat(8000) }), { 'content-type': 'application/json' });
    expect(within.status).toBe(200);
    const past = await post('roomy', JSON.stringify({ note: 'x'.repeat(9100) }), { 'content-type': 'application/json' });
    expect(past.status).toBe(413);
    expect(((await past.json()) as { message: string }).message).toBe('Request entity too large.');
  });

  it('keeps the server limit for a collection without file, json or editor fields, and on other routes', async () => {
    const plain = await post('plain', JSON.stringify({ note: 'x'.repeat(3000) }), { 'content-type': 'application/json' });
    expect(plain.status).toBe(413);
    const login = await fetch(`${small.url}/api/collections/_superusers/auth-with-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: 'x'.repeat(3000), password: 'x' }),
    });
    expect(login.status).toBe(413);
  });
});
