// Issue 6, item 3: no record response can grow past its bounds, whatever the data. Each attack
// below is refused with a 400 naming the limit (src/domain/records/limits.ts), and the expand
// limit stops the work before the level that crosses it is read.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database, Executor } from '../src/db/dialect.ts';
import { ident, join, render, sql, type Sql } from '../src/db/sql.ts';
import { GUEST, systemContext } from '../src/domain/context.ts';
import { encodeRecord } from '../src/domain/records/codec.ts';
import { MAX_EXPANDED_RECORDS, MAX_RESPONSE_BYTES, responseTooLarge, tooManyExpandedRecords } from '../src/domain/records/limits.ts';
import { parseFieldsParam } from '../src/domain/records/picker.ts';
import { RecordService } from '../src/domain/records/service.ts';
import { silentLogger } from '../src/kernel/logger.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, json, relation, rid, text } from './support/builders.ts';

const TOO_MANY_EXPANDED = { status: 400, message: tooManyExpandedRecords(MAX_EXPANDED_RECORDS).message, data: {} };
const TOO_LARGE = { status: 400, message: responseTooLarge(MAX_RESPONSE_BYTES).message, data: {} };

/** The measured attack, scaled down: posts with 0-10 random links each to other posts. */
const POSTS = 3000;
/** Ten records that each link to all ten (PocketBase's `self_rel_many` attack): few rows, huge expansions. */
const CLIQUE = 10;
/** Notes of 40,000 characters, and boards that each link to all of them. */
const NOTES = 20;
const NOTE_CHARS = 40_000;
const BOARDS = 100;
/** Tags with a JSON array of 20,000 small numbers each (~60 KB): the attack's records, fewer and smaller. */
const TAGS = 12;
const TAG_NUMBERS = 20_000;
const tagData = (i: number) => Array.from({ length: TAG_NUMBERS }, (_, n) => (n * 7 + i) % 100);

let server: TestServer;

/** A small deterministic generator, so every run and every database sees the same links. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Inserts records straight into the collection's table, a few hundred rows per statement. */
async function seed(collectionName: string, rows: Array<Record<string, unknown>>): Promise<void> {
  const { db, schema } = server.baton.services;
  const collection = schema.find(collectionName)!;
  const encoded = rows.map((r) => encodeRecord(collection, r));
  const columns = Object.keys(encoded[0]);
  for (let i = 0; i < encoded.length; i += 250) {
    const values = encoded.slice(i, i + 250).map((row) => sql`(${join(columns.map((c) => row[c]))})`);
    await db.run(sql`INSERT INTO ${ident(collectionName)} (${join(columns.map((c) => ident(c)))}) VALUES ${join(values)}`);
  }
}

beforeAll(async () => {
  server = await startServer();
  const publicRead = { listRule: '', viewRule: '' };
  await createCollection(server, {
    id: 'col_posts',
    name: 'posts',
    ...publicRead,
    fields: [text('title'), relation('related', 'col_posts', { maxSelect: 10 })],
  });
  await createCollection(server, {
    id: 'col_cliques',
    name: 'cliques',
    ...publicRead,
    fields: [text('title'), relation('related', 'col_cliques', { maxSelect: CLIQUE })],
  });
  await createCollection(server, { id: 'col_notes', name: 'notes', ...publicRead, fields: [text('body')] });
  await createCollection(server, {
    name: 'boards',
    ...publicRead,
    fields: [text('title'), relation('notes', 'col_notes', { maxSelect: NOTES })],
  });

  const next = random(6);
  const postIds = Array.from({ length: POSTS }, (_, i) => rid('post', i));
  await seed(
    'posts',
    postIds.map((id, i) => ({
      id,
      title: `post ${i}`,
      related: [...new Set(Array.from({ length: Math.floor(next() * 11) }, () => postIds[Math.floor(next() * POSTS)]))],
    })),
  );
  const cliqueIds = Array.from({ length: CLIQUE }, (_, i) => rid('clq', i));
  await seed('cliques', cliqueIds.map((id, i) => ({ id, title: `clique ${i}`, related: cliqueIds })));
  const noteIds = Array.from({ length: NOTES }, (_, i) => rid('note', i));
  await seed('notes', noteIds.map((id, i) => ({ id, body: String(i % 10).repeat(NOTE_CHARS) })));
  await seed('boards', Array.from({ length: BOARDS }, (_, i) => ({ id: rid('board', i), title: `board ${i}`, notes: noteIds })));
  await createCollection(server, { name: 'tags', ...publicRead, fields: [text('title'), json('data', { maxSize: 4 << 20 })] });
  await seed('tags', Array.from({ length: TAGS }, (_, i) => ({ id: rid('tag', i), title: `tag ${i}`, data: tagData(i) })));
}, 120_000);

afterAll(() => server?.close());

/** The server's database, counting the reads made through it (client reads included) and their rows. */
function countingReads(db: Database): { db: Database; reads: () => number; largestRead: () => number } {
  let reads = 0;
  let largestRead = 0;
  const all = async (target: Executor, args: Parameters<Executor['all']>) => {
    reads++;
    const rows = await target.all(...args);
    largestRead = Math.max(largestRead, rows.length);
    return rows;
  };
  const counted = <E extends Executor>(inner: E): E =>
    new Proxy(inner, {
      get(target, prop) {
        if (prop === 'all') return (...args: Parameters<Executor['all']>) => all(target, args);
        if (prop === 'forClients') return () => counted((target as unknown as Database).forClients());
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  return { db: counted(db), reads: () => reads, largestRead: () => largestRead };
}

/** The server's database, keeping the text of each statement read through it (client reads included). */
function recordingReads(db: Database): { db: Database; statements: string[] } {
  const statements: string[] = [];
  const recorded = <E extends Executor>(inner: E): E =>
    new Proxy(inner, {
      get(target, prop) {
        if (prop === 'all' || prop === 'get') {
          return (query: Sql, ...rest: unknown[]) => {
            statements.push(render(query, db.dialect).text);
            return (target[prop] as (...a: unknown[]) => unknown).call(target, query, ...rest);
          };
        }
        if (prop === 'forClients') return () => recorded((target as unknown as Database).forClients());
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  return { db: recorded(db), statements };
}

describe('a list narrowed by `fields`', () => {
  it('neither selects nor parses the columns its items do not show', async () => {
    const reads = recordingReads(server.baton.services.db);
    const records = new RecordService({ db: reads.db, schema: server.baton.services.schema });
    const parse = vi.spyOn(JSON, 'parse');
    let result: Awaited<ReturnType<RecordService['list']>>;
    try {
      result = await records.list(systemContext(silentLogger, GUEST), 'tags', { perPage: '1000', skipTotal: '1' }, parseFieldsParam('id,title'));
      // No JSON value of a tag was parsed (each is ~60 KB of text), by Baton or by the driver.
      expect(parse.mock.calls.filter(([text]) => typeof text === 'string' && text.length > 10_000)).toEqual([]);
    } finally {
      parse.mockRestore();
    }
    const data = server.baton.services.db.dialect.quoteIdent('data');
    expect(reads.statements.length).toBeGreaterThan(0);
    for (const statement of reads.statements) {
      expect(statement).not.toContain(data);
      expect(statement).not.toContain('.*');
    }
    const items = result.items.map((r) => ({ id: r.id, title: r.title })).sort((a, b) => String(a.id).localeCompare(String(b.id)));
    expect(items).toEqual(Array.from({ length: TAGS }, (_, i) => ({ id: rid('tag', i), title: `tag ${i}` })).sort((a, b) => a.id.localeCompare(b.id)));
  });

  it('answers as before through the API', async () => {
    const tags = '/api/collections/tags/records';
    const ids = await api(server, 'GET', `${tags}?perPage=1000&skipTotal=1&fields=id`);
    expect(ids.status).toBe(200);
    expect(ids.body).toEqual({ page: 1, perPage: 1000, totalItems: -1, totalPages: -1, items: expect.any(Array) });
    expect(ids.body.items.map((r: { id: string }) => r.id).sort()).toEqual(Array.from({ length: TAGS }, (_, i) => rid('tag', i)).sort());
    for (const item of ids.body.items) expect(Object.keys(item)).toEqual(['id']);
    // Named, the JSON field is read and shown whole; `collectionName` is no column and still shown.
    const named = await api(server, 'GET', `${tags}?filter=${encodeURIComponent(`id='${rid('tag', 3)}'`)}&fields=data,collectionName,nothing`);
    expect(named.body.items).toEqual([{ collectionName: 'tags', data: tagData(3) }]);
    const all = await api(server, 'GET', `${tags}?perPage=2&sort=title&fields=*,title:excerpt(3)`);
    expect(all.body.items[0]).toEqual({ collectionId: expect.any(String), collectionName: 'tags', id: rid('tag', 0), title: 'tag', data: tagData(0) });
  });
});

describe('the expanded-record limit', () => {
  it('refuses the four-level self-relation expand of 1,000 posts, and the server keeps answering', async () => {
    const attack = api(server, 'GET', '/api/collections/posts/records?perPage=1000&expand=related.related.related.related');
    const health = await api(server, 'GET', '/api/health');
    const res = await attack;
    expect(health.status).toBe(200);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(TOO_MANY_EXPANDED);
    // Five levels, the request that overflowed the serializer's string: the same refusal.
    const deeper = await api(server, 'GET', '/api/collections/posts/records?perPage=1000&expand=related.related.related.related.related');
    expect(deeper.body).toEqual(TOO_MANY_EXPANDED);
    // The server still serves the same collection, expand included.
    const after = await api(server, 'GET', '/api/collections/posts/records?perPage=30&expand=related');
    expect(after.status).toBe(200);
    expect(after.body.items).toHaveLength(30);
  });

  it('stops before reading the level that would cross the limit', async () => {
    // 1,000 posts link to ~5,000 (level 1, read); those link to ~25,000 (level 2): refused from
    // the links in hand, so the level-2 query never runs.
    const counter = countingReads(server.baton.services.db);
    const records = new RecordService({ db: counter.db, schema: server.baton.services.schema });
    const ctx = systemContext(silentLogger, GUEST);
    const listing = records.list(ctx, 'posts', { perPage: '1000', expand: 'related.related.related.related' });
    await expect(listing).rejects.toMatchObject(TOO_MANY_EXPANDED);
    // The page and level 1: two reads (the total is a `get`).
    expect(counter.reads()).toBe(2);
  });

  it('reads no more back-related rows than the limit still allows', async () => {
    // ~5,000 posts at level 1, then the posts listing each of them: ~12,000 (post, listed) pairs.
    // That read stops one row past what is left of the limit.
    const counter = countingReads(server.baton.services.db);
    const records = new RecordService({ db: counter.db, schema: server.baton.services.schema });
    const listing = records.list(systemContext(silentLogger, GUEST), 'posts', { perPage: '1000', expand: 'related.posts_via_related' });
    await expect(listing).rejects.toMatchObject(TOO_MANY_EXPANDED);
    expect(counter.largestRead()).toBeLessThanOrEqual(MAX_EXPANDED_RECORDS + 1);
  });

  it('counts a record once per place it is serialised, not once per row', async () => {
    // Ten rows; three levels serialise 10 + 100 + 1,000 + 10,000 records, 11,100 > 10,000.
    const res = await api(server, 'GET', '/api/collections/cliques/records?expand=related.related.related');
    expect(res.body).toEqual(TOO_MANY_EXPANDED);
    // Two levels (1,100 expanded records) are served whole.
    const ok = await api(server, 'GET', '/api/collections/cliques/records?expand=related.related');
    expect(ok.status).toBe(200);
    expect(ok.body.items).toHaveLength(CLIQUE);
    for (const item of ok.body.items) {
      expect(item.expand.related).toHaveLength(CLIQUE);
      for (const related of item.expand.related) expect(related.expand.related).toHaveLength(CLIQUE);
    }
  });

  it('counts back-relations the same way, on views too', async () => {
    // 100 boards x 20 notes = 2,000, then each note's 100 boards: 200,000.
    const list = await api(server, 'GET', '/api/collections/boards/records?perPage=100&expand=notes.boards_via_notes');
    expect(list.body).toEqual(TOO_MANY_EXPANDED);
    const view = await api(server, 'GET', `/api/collections/notes/records/${rid('note', 0)}?expand=boards_via_notes.notes.boards_via_notes`);
    expect(view.body).toEqual(TOO_MANY_EXPANDED);
  });
});

describe('the response byte limit', () => {
  const boards = '/api/collections/boards/records';

  it('refuses a list whose body would pass it (2,000 expanded notes of 40 KB: 80 MB)', async () => {
    const res = await api(server, 'GET', `${boards}?perPage=100&expand=notes`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(TOO_LARGE);
  });

  it('refuses a view whose body would pass it', async () => {
    // One note, its 100 boards, their 20 notes each: 2,000 notes again.
    const res = await api(server, 'GET', `/api/collections/notes/records/${rid('note', 0)}?expand=boards_via_notes.notes`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(TOO_LARGE);
  });

  it('serves the same request narrowed by `fields`', async () => {
    const res = await api(server, 'GET', `${boards}?perPage=100&expand=notes&fields=id,expand.notes.id`);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(BOARDS);
    expect(res.body.items[0]).toEqual({ id: rid('board', 0), expand: { notes: Array.from({ length: NOTES }, (_, i) => ({ id: rid('note', i) })) } });
  });

  it('sends a body of several megabytes whole (8 MB, written in chunks)', async () => {
    const res = await api(server, 'GET', `${boards}?perPage=10&sort=title&expand=notes`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ page: 1, perPage: 10, totalItems: BOARDS });
    expect(res.body.items).toHaveLength(10);
    for (const item of res.body.items) {
      expect(item.expand.notes.map((n: { id: string }) => n.id)).toEqual(Array.from({ length: NOTES }, (_, i) => rid('note', i)));
      expect(item.expand.notes[3].body).toBe('3'.repeat(NOTE_CHARS));
    }
  });
});
