// A create or update whose answer would pass `--max-response-size` is the limit's 400, and, as
// every failed request, leaves the data as it was: the answer is built and weighed before the
// write commits (RecordService's `respond`), so a client that trusts the 400 and retries makes no
// duplicate, and a refused PATCH changed nothing. Stored uploads go again, and in a batch the
// refused item fails the whole batch.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ident, sql } from '../src/db/sql.ts';
import { exportBytesBound, responseTooLarge } from '../src/domain/records/limits.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { bool, createCollection, field, json, number, PUBLIC_RULES, relation, select, text } from './support/builders.ts';

const LIMIT = 1024;
const TOO_LARGE = { status: 400, message: responseTooLarge(LIMIT).message, data: {} };
const LONG = 'x'.repeat(2000);
const posts = '/api/collections/posts/records';

describe('a write whose answer would pass the response limit', () => {
  let server: TestServer;
  let postsId: string;
  const su = (method: string, url: string, body?: unknown) => api(server, method, url, { token: server.superuserToken, body });
  /** The ids stored (only ids: a record with a long title could not be read back under the limit). */
  const ids = async (): Promise<string[]> => (await su('GET', `${posts}?perPage=500&fields=id&sort=id`)).body.items.map((r: { id: string }) => r.id);
  const storedFiles = (): string[] => {
    const dir = path.join(server.dataDir, 'storage', postsId);
    return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : [];
  };

  beforeAll(async () => {
    server = await startServer({ responseLimits: { maxResponseBytes: LIMIT } });
    postsId = (await createCollection(server, { name: 'posts', ...PUBLIC_RULES, fields: [text('title'), field('file', 'doc', { maxSelect: 1 })] })).id;
  });
  afterAll(() => server?.close());

  it('is refused on create, and no record is left', async () => {
    const before = await ids();
    const res = await api(server, 'POST', posts, { body: { title: LONG } });
    expect(res).toMatchObject({ status: 400, body: TOO_LARGE });
    expect(await ids()).toEqual(before);
  });

  it('is refused on update, and the record keeps its old values', async () => {
    const created = await api(server, 'POST', posts, { body: { title: 'short' } });
    expect(created.status).toBe(200);
    const res = await api(server, 'PATCH', `${posts}/${created.body.id}`, { body: { title: LONG } });
    expect(res).toMatchObject({ status: 400, body: TOO_LARGE });
    expect((await su('GET', `${posts}/${created.body.id}?fields=title`)).body).toEqual({ title: 'short' });
  });

  it('is weighed as it is sent: narrowed by `fields`, the same write is stored and answered', async () => {
    const res = await api(server, 'POST', `${posts}?fields=id`, { body: { title: LONG } });
    expect(res.status).toBe(200);
    expect(await ids()).toContain(res.body.id);
  });

  it('removes the uploads of a refused create from storage', async () => {
    const before = storedFiles();
    const form = new FormData();
    form.set('title', LONG);
    form.set('doc', new File(['some text'], 'doc.txt'));
    const res = await fetch(server.url + posts, { method: 'POST', body: form });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(TOO_LARGE);
    expect(storedFiles()).toEqual(before);
  });

  it('fails a batch, which rolls back its earlier items too', async () => {
    await su('PATCH', '/api/settings', { batch: { enabled: true, maxRequests: 10, timeout: 3, maxBodySize: 0 } });
    const before = await ids();
    const requests = [
      { method: 'POST', url: posts, body: { title: 'first' } },
      { method: 'POST', url: posts, body: { title: LONG } },
    ];
    const res = await api(server, 'POST', '/api/batch', { body: { requests } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Batch transaction failed.');
    expect(res.body.data.requests['1']).toMatchObject({ code: 'batch_request_failed', response: TOO_LARGE });
    expect(await ids()).toEqual(before);
  });
});

// A record's own values far below the limit take the short path (one statement, answered after
// it): only an expand can push such an answer past the limit, and then the write is answered
// inside its transaction. The short path is safe only while `exportBytesBound` is a true bound.
describe('a write whose expand would pass the response limit', () => {
  const EXPAND_LIMIT = 16 * 1024;
  let server: TestServer;
  const su = (method: string, url: string, body?: unknown) => api(server, method, url, { token: server.superuserToken, body });
  const count = async (collection: string): Promise<number> => (await su('GET', `/api/collections/${collection}/records?perPage=1`)).body.totalItems;
  let tagIds: string[];

  beforeAll(async () => {
    server = await startServer({ responseLimits: { maxResponseBytes: EXPAND_LIMIT } });
    const tags = await createCollection(server, { name: 'tags', ...PUBLIC_RULES, fields: [text('label', { max: 5000 })] });
    await createCollection(server, { name: 'notes', ...PUBLIC_RULES, fields: [text('title'), relation('tags', tags.id as string, { maxSelect: 10 })] });
    tagIds = [];
    for (let i = 0; i < 5; i++) tagIds.push((await su('POST', '/api/collections/tags/records', { label: 'l'.repeat(4000) })).body.id);
  });
  afterAll(() => server?.close());

  it('is refused on create, and no record is left; without the expand it is stored', async () => {
    const before = await count('notes');
    const refused = await api(server, 'POST', '/api/collections/notes/records?expand=tags', { body: { title: 'a note', tags: tagIds } });
    expect(refused).toMatchObject({ status: 400, body: { status: 400, message: responseTooLarge(EXPAND_LIMIT).message, data: {} } });
    expect(await count('notes')).toBe(before);
    const stored = await api(server, 'POST', '/api/collections/notes/records', { body: { title: 'a note', tags: tagIds } });
    expect(stored.status).toBe(200);
    expect(await count('notes')).toBe(before + 1);
    // Two of the five fit: the same expand is answered.
    const fits = await api(server, 'POST', '/api/collections/notes/records?expand=tags', { body: { title: 'small', tags: tagIds.slice(0, 2) } });
    expect(fits.status).toBe(200);
    expect(fits.body.expand.tags).toHaveLength(2);
  });

  it('is refused on update, and the record keeps its old relations', async () => {
    const note = (await api(server, 'POST', '/api/collections/notes/records', { body: { title: 'kept', tags: [tagIds[0]] } })).body;
    const refused = await api(server, 'PATCH', `/api/collections/notes/records/${note.id}?expand=tags`, { body: { title: 'changed', tags: tagIds } });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe(responseTooLarge(EXPAND_LIMIT).message);
    expect((await su('GET', `/api/collections/notes/records/${note.id}?fields=title,tags`)).body).toEqual({ title: 'kept', tags: [tagIds[0]] });
  });
});

describe("the bound that lets a write's answer skip the transaction", () => {
  let server: TestServer;
  afterAll(() => server?.close());

  it('is never below the bytes of the answer, for the values the database stores, on every field type', async () => {
    server = await startServer();
    await createCollection(server, {
      name: 'odd',
      ...PUBLIC_RULES,
      fields: [text('t'), number('n'), bool('b'), json('j'), select('s', ['\u0001', '\u2028', 'é"\\'], { maxSelect: 3 }), field('date', 'd'), field('email', 'e'), field('url', 'u')],
    });
    // Strings that JSON escapes the most (control characters, 6 bytes each), characters of 3 and
    // 4 UTF-8 bytes, and JSON text that grows when read back and written again (1e20: 21 digits).
    const bodies = [
      { t: '\u0001'.repeat(50), n: 1e300, b: true, j: [1e20, 9e20, '\u001f', { '\u0002': -1e-7 }], s: ['\u0001', '\u2028', 'é"\\'] },
      { t: '😀€'.repeat(40), n: -0.000001, b: false, j: '"\u2028"', s: [], d: '2026-12-07 08:00:00.000Z', e: 'a@b.co', u: 'https://x.test/?q="' },
      { t: '', j: null },
      { j: { a: [[[]]], b: {} } },
    ];
    for (const body of bodies) {
      const res = await api(server, 'POST', '/api/collections/odd/records', { body });
      expect(res.body, JSON.stringify(body)).toHaveProperty('id');
      const stored = await server.baton.services.db.get<Record<string, unknown>>(sql`SELECT * FROM ${ident('odd')} WHERE id = ${res.body.id}`);
      expect(Buffer.byteLength(JSON.stringify(res.body))).toBeLessThanOrEqual(exportBytesBound(stored!));
      // And far from loose: within the record's overhead and a few times its size.
      expect(exportBytesBound(stored!)).toBeLessThan(4096 + 8 * Buffer.byteLength(JSON.stringify(res.body)));
    }
  });
});

// An update answers the row as stored, with whatever other writes put in the columns it did not
// change after it read the record: its answer is weighed inside its transaction too. Here B, slow
// (a bcrypt hash of cost 12), changes `note` and the password; A stores a long `bio` meanwhile.
describe('an update whose answer another write pushes past the limit', () => {
  const LIMIT = 20_000;
  let server: TestServer;
  afterAll(() => server?.close());

  it('is refused and changes nothing: not the note, not the password', async () => {
    server = await startServer({ responseLimits: { maxResponseBytes: LIMIT } });
    const su = (method: string, url: string, body?: unknown) => api(server, method, url, { token: server.superuserToken, body });
    const users = (await su('GET', '/api/collections/users')).body;
    const fields = users.fields.map((f: { type: string }) => (f.type === 'password' ? { ...f, cost: 12 } : f));
    const patched = await su('PATCH', '/api/collections/users', { fields: [...fields, text('bio', { max: 1_000_000 }), text('note', { max: 1_000_000 })] });
    expect(patched.status).toBe(200);
    const created = await su('POST', '/api/collections/users/records', { email: 'race@example.com', password: 'first-password', passwordConfirm: 'first-password' });
    expect(created.status).toBe(200);
    const url = `/api/collections/users/records/${created.body.id}`;

    const order: string[] = [];
    const slow = su('PATCH', url, { note: 'b'.repeat(2000), password: 'second-password', passwordConfirm: 'second-password' }).then((res) => {
      order.push('B');
      return res;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const fast = await su('PATCH', url, { bio: 'a'.repeat(18_500) });
    order.push('A');
    expect(fast.status).toBe(200);
    const b = await slow;
    // A landed while B hashed: B's answer holds A's bio and passes the limit.
    expect(order).toEqual(['A', 'B']);
    expect(b).toMatchObject({ status: 400, body: { message: responseTooLarge(LIMIT).message } });
    expect((await su('GET', `${url}?fields=note`)).body).toEqual({ note: '' });
    const signIn = (password: string) => api(server, 'POST', '/api/collections/users/auth-with-password?fields=token', { body: { identity: 'race@example.com', password } });
    expect((await signIn('first-password')).status).toBe(200);
    expect((await signIn('second-password')).status).toBe(400);
  });
});
