// Issue 6, item 3: no record response can grow past its bounds, whatever the data. Each attack
// below is refused with a 400 naming the limit (src/domain/records/limits.ts), and the expand
// limit stops the work before the level that crosses it is read.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database, Executor } from '../src/db/dialect.ts';
import { ident, join, render, sql, type Sql } from '../src/db/sql.ts';
import { GUEST, systemContext } from '../src/domain/context.ts';
import { encodeRecord } from '../src/domain/records/codec.ts';
import { SLICE_BYTES } from '../src/domain/records/list-page.ts';
import { MAX_EXPANDED_RECORDS, MAX_RESPONSE_BYTES, responseTooLarge, tooManyExpandedRecords } from '../src/domain/records/limits.ts';
import { parseFieldsParam } from '../src/domain/records/picker.ts';
import { RecordService } from '../src/domain/records/service.ts';
import { silentLogger } from '../src/kernel/logger.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord, json, relation, rid, text } from './support/builders.ts';

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
  // The same values in fields that allow far less: rows written around the fields' limits (a
  // limit lowered later, a copied database), which only their weight as read can catch.
  await createCollection(server, { name: 'smalltags', ...publicRead, fields: [text('title', { max: 10 }), json('data', { maxSize: 1000 })] });
  await seed('smalltags', Array.from({ length: TAGS }, (_, i) => ({ id: rid('stag', i), title: `tag ${i}`, data: tagData(i) })));
}, 120_000);

afterAll(() => server?.close());

/**
 * The server's database with each read (client reads included) passed through `read`, which runs
 * it with `run` and may look at the statement and at what comes back.
 */
function interceptReads(db: Database, read: (method: 'all' | 'get', query: Sql, run: () => Promise<unknown>) => Promise<unknown>): Database {
  const intercepted = <E extends Executor>(inner: E): E =>
    new Proxy(inner, {
      get(target, prop) {
        if (prop === 'all' || prop === 'get') {
          return (query: Sql, ...rest: unknown[]) =>
            read(prop, query, () => (target[prop] as (...a: unknown[]) => Promise<unknown>).call(target, query, ...rest));
        }
        if (prop === 'forClients') return () => intercepted((target as unknown as Database).forClients());
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  return intercepted(db);
}

/** The server's database, counting the `all` reads made through it and their rows. */
function countingReads(db: Database): { db: Database; reads: () => number; largestRead: () => number } {
  let reads = 0;
  let largestRead = 0;
  const counted = interceptReads(db, async (method, _query, run) => {
    if (method === 'all') reads++;
    const result = await run();
    if (method === 'all') largestRead = Math.max(largestRead, (result as unknown[]).length);
    return result;
  });
  return { db: counted, reads: () => reads, largestRead: () => largestRead };
}

/** The server's database, keeping the text of each statement read through it. */
function recordingReads(db: Database): { db: Database; statements: string[] } {
  const statements: string[] = [];
  const recorded = interceptReads(db, (_method, query, run) => {
    statements.push(render(query, db.dialect).text);
    return run();
  });
  return { db: recorded, statements };
}

/** The server's database, calling `onRead` when the `column` of a row read through `all` is first read. */
function watchingColumn(db: Database, column: string, onRead: () => void): Database {
  const watch = (row: Record<string, unknown>) => {
    if (!Object.hasOwn(row, column)) return row;
    let value = row[column];
    let seen = false;
    Object.defineProperty(row, column, {
      enumerable: true,
      configurable: true,
      get() {
        if (!seen) onRead();
        seen = true;
        return value;
      },
      set(v: unknown) {
        value = v;
      },
    });
    return row;
  };
  return interceptReads(db, async (method, _query, run) => {
    const result = await run();
    return method === 'all' ? (result as Array<Record<string, unknown>>).map(watch) : result;
  });
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

  it('still reads what the items need to decide what they show (email visibility, hidden fields)', async () => {
    await createCollection(server, { name: 'members', type: 'auth', listRule: '', fields: [text('secret', { hidden: true }), json('bio')] });
    const password = { password: 'members-password', passwordConfirm: 'members-password' };
    const shown = await createRecord(server, 'members', { email: 'shown@example.com', emailVisibility: true, secret: 's1', bio: [1], ...password });
    const kept = await createRecord(server, 'members', { email: 'kept@example.com', emailVisibility: false, secret: 's2', bio: [2], ...password });
    const path = '/api/collections/members/records?sort=email&fields=id,email,secret';
    const guest = await api(server, 'GET', path);
    expect(guest.body.items).toEqual([{ id: kept.id }, { id: shown.id, email: 'shown@example.com' }]);
    const superuser = await api(server, 'GET', path, { token: server.superuserToken });
    expect(superuser.body.items).toEqual([
      { id: kept.id, email: 'kept@example.com', secret: 's2' },
      { id: shown.id, email: 'shown@example.com', secret: 's1' },
    ]);
    const whole = await api(server, 'GET', '/api/collections/members/records?sort=email');
    expect(whole.body.items.map((r: Record<string, unknown>) => Object.keys(r).sort())).toEqual([
      ['bio', 'collectionId', 'collectionName', 'emailVisibility', 'id', 'verified'],
      ['bio', 'collectionId', 'collectionName', 'email', 'emailVisibility', 'id', 'verified'],
    ]);
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

describe('a list page past the byte limit', () => {
  /** ~700 KB of JSON in the tags: past this limit, which the tests below lower to. */
  const LIMIT = 500_000;
  const PAST_LIMIT = { status: 400, message: responseTooLarge(LIMIT).message, data: {} };
  const guest = () => systemContext(silentLogger, GUEST);
  const limited = (maxResponseBytes = LIMIT) => {
    const reads = recordingReads(server.baton.services.db);
    const limits = { maxExpandedRecords: MAX_EXPANDED_RECORDS, maxResponseBytes };
    return { reads, records: new RecordService({ db: reads.db, schema: server.baton.services.schema, limits }) };
  };
  /** Runs `list`, keeping the JSON texts of more than 10 KB parsed meanwhile. */
  async function parsing<T>(list: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; parsed: number }> {
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const [result] = await Promise.allSettled([list()]);
      return { result, parsed: parse.mock.calls.filter(([text]) => typeof text === 'string' && text.length > 10_000).length };
    } finally {
      parse.mockRestore();
    }
  }

  it('is refused after one weighing query, before any row is read', async () => {
    const { reads, records } = limited();
    const { result, parsed } = await parsing(() => records.list(guest(), 'tags', { perPage: '1000', skipTotal: '1' }));
    expect(result).toMatchObject({ status: 'rejected', reason: PAST_LIMIT });
    expect(parsed).toBe(0);
    // The weighing: one sum, no value sent.
    expect(reads.statements).toHaveLength(1);
    expect(reads.statements[0]).toMatch(/^SELECT COALESCE\(SUM\(/);
  });

  it('is refused as read when the fields allow less than the rows hold, before anything is parsed', async () => {
    // 30 rows of a 10-character title and 1,000 bytes of JSON cannot pass the limit: not weighed first.
    const { reads, records } = limited();
    const { result, parsed } = await parsing(() => records.list(guest(), 'smalltags', { skipTotal: '1' }));
    expect(result).toMatchObject({ status: 'rejected', reason: PAST_LIMIT });
    expect(parsed).toBe(0);
    expect(reads.statements).toHaveLength(1);
    expect(reads.statements[0]).not.toMatch(/SUM\(/);
  });

  it('weighs only the page, and only the columns it reads', async () => {
    const { records } = limited();
    // Four tags (~230 KB) of the twelve.
    const page = await records.list(guest(), 'tags', { perPage: '4', page: '2', sort: 'id', skipTotal: '1' });
    expect(page.items.map((r) => r.data)).toEqual([4, 5, 6, 7].map(tagData));
    // Without their JSON, all twelve.
    const narrowed = await records.list(guest(), 'tags', { perPage: '1000', skipTotal: '1' }, parseFieldsParam('id,title'));
    expect(narrowed.items).toHaveLength(TAGS);
  });

  it('weighs JSON as it is sent, not as the database writes it out', async () => {
    // The tags' JSON is ~700 KB as sent; PostgreSQL's jsonb text has a space after each comma (~940 KB).
    const { records } = limited(800_000);
    const page = await records.list(guest(), 'tags', { perPage: '1000', skipTotal: '1', sort: 'id' });
    expect(page.items.map((r) => r.data)).toEqual(Array.from({ length: TAGS }, (_, i) => tagData(i)));
  });

  it('decodes a page within the limit in slices, the event loop free between two', async () => {
    const events: Array<'decode' | 'turn'> = [];
    // A row's id is first read when the row is decoded (its weighing reads only its text and JSON).
    const db = watchingColumn(server.baton.services.db, 'id', () => events.push('decode'));
    const records = new RecordService({ db, schema: server.baton.services.schema });
    let spinning = true;
    const spin = () => {
      if (!spinning) return;
      events.push('turn');
      setImmediate(spin);
    };
    let items: Array<Record<string, unknown>>;
    try {
      setImmediate(spin);
      ({ items } = await records.list(guest(), 'tags', { perPage: '1000', skipTotal: '1', sort: 'id' }));
    } finally {
      spinning = false;
    }
    expect(items.map((r) => r.data)).toEqual(Array.from({ length: TAGS }, (_, i) => tagData(i)));
    // Each tag weighs ~58 KB: at most a slice's worth of them are decoded in one turn of the loop.
    const runs = events.join(' ').split('turn').map((run) => run.split('decode').length - 1);
    expect(runs.reduce((a, b) => a + b)).toBe(TAGS);
    expect(Math.max(...runs)).toBeLessThanOrEqual(Math.ceil(SLICE_BYTES / 50_000));
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
