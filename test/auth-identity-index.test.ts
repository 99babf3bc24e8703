// Identity lookups (sign-in, the email flows) compare a NOCASE identity field as SQLite's NOCASE
// does, ASCII letters folded and nothing else, on every database, and are written so the
// database reads the field's unique index instead of scanning the table: the plan of each lookup
// is checked with EXPLAIN, next to the old `lower(col) = lower(?)`, which no index answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/dialect.ts';
import { indexLookupKeyName } from '../src/db/dialects/mysql-indexes.ts';
import type { Collection } from '../src/db/schema.ts';
import { ident, join, sql, type Sql } from '../src/db/sql.ts';
import { identityMatch, uniqueIndexOn } from '../src/domain/auth/identity.ts';
import { selectFrom } from '../src/domain/records/query.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, text } from './support/builders.ts';
import { TEST_DIALECT } from './support/databases.ts';
import { describeFixture } from './support/fixture.ts';

const INDEXES = [
  // PocketBase's shape for a case-insensitive email: NOCASE, partial.
  "CREATE UNIQUE INDEX idx_people_email ON people (email COLLATE NOCASE) WHERE email != ''",
  'CREATE UNIQUE INDEX idx_people_username ON people (username COLLATE NOCASE)',
  // Exact, partial: PocketBase's default email index has this shape.
  "CREATE UNIQUE INDEX idx_people_handle ON people (handle) WHERE handle != ''",
  // A WHERE a lookup cannot know holds (`verified`): the lookup must still find rows outside it.
  "CREATE UNIQUE INDEX idx_people_code ON people (code COLLATE NOCASE) WHERE code != '' AND verified = 1",
];

/** Rows inserted directly (no validation: empty emails, as old data directories have them). */
const ROWS = [
  { id: 'pa', email: 'Ab@X.io', username: 'alice', handle: 'Bob', code: 'K1' },
  { id: 'pb', email: 'É@x.io', username: 'Zoë', handle: '', code: '' },
  { id: 'pc', email: '', username: 'carol', handle: '', code: '' },
  { id: 'pd', email: '', username: 'dave', handle: '', code: '' },
];
/** Enough other rows that a scan costs more than a lookup on every planner. */
const FILLER = 300;

/** The names of the indexes a query's plan reads. */
async function indexesRead(db: Database, query: Sql): Promise<string[]> {
  switch (db.dialect.name) {
    case 'sqlite': {
      const plan = await db.all<{ detail: string }>(sql`EXPLAIN QUERY PLAN ${query}`);
      return plan.flatMap((r) => [...r.detail.matchAll(/USING (?:COVERING )?INDEX (\S+)/g)].map((m) => m[1]));
    }
    case 'postgres': {
      // Without sequential scans the plan reads an index wherever one can answer the query at all.
      const plan = await db.transaction(async (tx) => {
        await tx.run(sql`SET LOCAL enable_seqscan = off`);
        return tx.all<Record<string, string>>(sql`EXPLAIN ${query}`);
      });
      return plan.flatMap((r) => [...r['QUERY PLAN'].matchAll(/Index (?:Only )?Scan (?:using|on) (\S+)/g)].map((m) => m[1]));
    }
    case 'mysql': {
      const plan = await db.all<{ key: string | null }>(sql`EXPLAIN ${query}`);
      return plan.flatMap((r) => (r.key ? r.key.split(',') : []));
    }
  }
}

/** The index a lookup through `name` reads: MariaDB reads a unique key over text through its twin. */
const readableIndex = (db: Database, name: string) => (db.dialect.name === 'mysql' ? indexLookupKeyName(name) : name);

/** The lookup Baton makes, and the one it made before, `lower(col) = lower(?)`, for comparison. */
function lookups(db: Database, collection: Collection, field: string, value: string): { current: Sql; lowered: Sql } {
  const index = uniqueIndexOn(collection, field)!;
  const column = sql`${ident(collection.name, index.column)}`;
  const lowered = index.nocase ? sql`${db.dialect.lower(column)} = ${db.dialect.lower(sql`${value}`)}` : sql`${column} = ${value}`;
  return { current: selectFrom(collection, identityMatch(db.dialect, collection, index, value)), lowered: selectFrom(collection, lowered) };
}

async function ids(db: Database, query: Sql): Promise<string[]> {
  return (await db.all<{ id: string }>(query)).map((r) => r.id).sort();
}

describe('identity lookups through a NOCASE unique index', () => {
  let server: TestServer;
  let db: Database;
  let people: Collection;

  beforeAll(async () => {
    server = await startServer();
    db = server.baton.services.db;
    await createCollection(server, {
      name: 'people',
      type: 'auth',
      fields: [text('username'), text('handle'), text('code')],
      indexes: INDEXES,
      passwordAuth: { enabled: true, identityFields: ['email', 'username'] },
    });
    people = server.baton.services.schema.find('people')!;
    const filler = Array.from({ length: FILLER }, (_, i) => ({ id: `f${i}`, email: `u${i}@x.io`, username: `user${i}`, handle: `h${i}`, code: `c${i}` }));
    await db.transaction(async (tx) => {
      for (const r of [...ROWS, ...filler]) {
        const values = [r.id, r.email, r.username, r.handle, r.code, `token-${r.id}`].map((v) => sql`${v}`);
        await tx.run(sql`INSERT INTO people (id, email, username, handle, code, ${ident('tokenKey')}) VALUES (${join(values)})`);
      }
    });
    // Statistics, so that the planners weigh a lookup against a scan of the real table.
    if (db.dialect.name === 'mysql') await db.all(sql`ANALYZE TABLE people`);
    if (db.dialect.name === 'postgres') await db.run(sql`ANALYZE people`);
  });

  afterAll(async () => {
    await server?.close();
  });

  // Where the old form already read the index: PostgreSQL's NOCASE key is lower(col COLLATE "C"),
  // which it matched, and PostgreSQL proves on its own that `handle = 'Bob'` implies `handle != ''`.
  const oldFormReads = TEST_DIALECT === 'postgres';
  it.each([
    ['a NOCASE partial index (PocketBase\'s case-insensitive email)', 'email', 'ab@x.IO', 'idx_people_email', false],
    ['a NOCASE index', 'username', 'ALICE', 'idx_people_username', oldFormReads],
    ['an exact partial index (PocketBase\'s default email)', 'handle', 'Bob', 'idx_people_handle', oldFormReads],
  ])('%s serves the lookup', async (_what, field, value, index, oldReadsToo) => {
    const { current, lowered } = lookups(db, people, field, value);
    expect(await indexesRead(db, current)).toContain(readableIndex(db, index));
    // The form identity lookups had before, for comparison: a scan.
    expect((await indexesRead(db, lowered)).includes(readableIndex(db, index))).toBe(oldReadsToo);
  });

  it.each([
    ['ASCII letters fold', 'email', 'ab@x.IO', ['pa']],
    ['the stored spelling matches itself', 'email', 'Ab@X.io', ['pa']],
    ['other letters do not fold, as in SQLite', 'email', 'é@x.io', []],
    ['ASCII letters beside them still fold', 'email', 'É@X.IO', ['pb']],
    ['trailing spaces count', 'email', 'ab@x.io ', []],
    ['an empty email, outside the partial index, finds what SQLite finds', 'email', '', ['pc', 'pd']],
    ['NOCASE without WHERE', 'username', 'ALICE', ['pa']],
    ['NOCASE keeps ë apart from Ë', 'username', 'ZOË', []],
    ['and folds the Z beside it', 'username', 'zoë', ['pb']],
    ['an exact index keeps case', 'handle', 'bob', []],
    ['an exact index finds the same text', 'handle', 'Bob', ['pa']],
    ['a row outside a WHERE the value cannot decide is found', 'code', 'k1', ['pa']],
  ])('%s (%s = %j)', async (_what, field, value, expected) => {
    const { current, lowered } = lookups(db, people, field, value);
    expect(await ids(db, current)).toEqual(expected);
    expect(await ids(db, lowered)).toEqual(expected);
  });

  it('signs in by a differently-cased username over HTTP', async () => {
    const password = 'identity-password-1';
    const created = await api(server, 'POST', '/api/collections/people/records', {
      token: server.superuserToken,
      body: { email: 'Signer@Example.com', username: 'Signer', password, passwordConfirm: password },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    for (const identity of ['sIGNER', 'signer@example.COM']) {
      const res = await api(server, 'POST', '/api/collections/people/auth-with-password', { body: { identity, password } });
      expect(res.status, `${identity}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.record.id).toBe(created.body.id);
    }
    const wrong = await api(server, 'POST', '/api/collections/people/auth-with-password', { body: { identity: 'sîgner', password } });
    expect(wrong.status).toBe(400);
  });
});

// PocketBase's own data directory: its email indexes are exact and partial (`(email) WHERE
// email != ''`, no NOCASE), so addresses compare exactly, and the lookup still reads the index.
describeFixture("PocketBase's data directory", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ fixture: true });
  });

  afterAll(async () => {
    await server?.close();
  });

  it.each([
    ['_superusers', 'idx_email__pbc_3323866339'],
    ['users', '__pb_users_auth__email_idx'],
  ])('%s: the email index is exact, and the lookup reads it', async (name, indexName) => {
    const { db, schema } = server.baton.services;
    const collection = schema.find(name)!;
    expect(uniqueIndexOn(collection, 'email')).toMatchObject({ column: 'email', nocase: false });
    const { current } = lookups(db, collection, 'email', 'test@example.com');
    expect(await ids(db, current)).toHaveLength(1);
    expect(await ids(db, lookups(db, collection, 'email', 'TEST@example.com').current)).toEqual([]);
    expect(await indexesRead(db, current)).toContain(readableIndex(db, indexName));
  });

  it('a superuser signs in by the exact address only, as in PocketBase', async () => {
    const signIn = (identity: string) =>
      api(server, 'POST', '/api/collections/_superusers/auth-with-password', { body: { identity, password: '1234567890' } });
    expect((await signIn('test@example.com')).status).toBe(200);
    expect((await signIn('Test@example.com')).status).toBe(400);
  });
});
