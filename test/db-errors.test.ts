// The driver errors of each database, raised for real, become the same API errors everywhere
// (src/db/errors.ts): unique and not-null violations, a lock wait that times out, a deadlock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Executor } from '../src/db/dialect.ts';
import { translateDbError } from '../src/db/errors.ts';
import { openDatabases, type Databases } from '../src/db/open.ts';
import { parseIndex } from '../src/db/indexes-parse.ts';
import { ident, join, sql } from '../src/db/sql.ts';
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from './support/databases.ts';

let database: TestDatabase;
let dbs: Databases;
let dir: string;
const db = (): Database => dbs.data;

beforeAll(async () => {
  database = await createTestDatabase();
  dir = mkdtempSync(path.join(tmpdir(), 'baton-dberr-'));
  dbs = await openDatabases({ url: database.url, dataDir: dir });
  const d = db().dialect;
  await db().transaction(async (tx) => {
    await tx.run(d.createTable('accounts', [{ name: 'id', kind: 'textPrimaryKey' }, { name: 'email', kind: 'text' }, { name: 'n', kind: 'number' }]));
    await tx.run(sql`INSERT INTO ${ident('accounts')} (${ident('id')}, ${ident('email')}) VALUES (${'a1'}, ${'a@x.io'}), (${'a2'}, ${'b@x.io'})`);
  });
});
afterAll(async () => {
  await dbs?.close();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** The API error a failing operation turns into. */
async function apiErrorOf(run: () => Promise<unknown>) {
  try {
    await run();
  } catch (e) {
    const translated = translateDbError(db().dialect, e);
    if (!translated) throw e;
    return { status: translated.status, message: translated.message, data: translated.data };
  }
  throw new Error('expected the operation to fail');
}

describe(`driver errors on ${TEST_DIALECT}`, () => {
  it('a duplicate primary key is a 400 naming the column', async () => {
    const err = await apiErrorOf(() => db().run(sql`INSERT INTO ${ident('accounts')} (${ident('id')}) VALUES (${'a1'})`));
    expect(err).toEqual({ status: 400, message: 'Failed to save record.', data: { id: { code: 'validation_not_unique', message: 'Value must be unique.' } } });
  });

  it('a NULL in a NOT NULL column is a 400', async () => {
    const err = await apiErrorOf(() => db().run(sql`UPDATE ${ident('accounts')} SET ${ident('email')} = NULL WHERE ${ident('id')} = ${'a1'}`));
    expect(err.status).toBe(400);
    expect(err.message).toBe('Failed to save record.');
  });

  // On PostgreSQL a COLLATE NOCASE or RTRIM key is an expression (`lower(a COLLATE "C")`), which
  // the violation's detail names as such: the error still names the field, as on SQLite and MySQL.
  it.each([
    ['CREATE UNIQUE INDEX idx_u1_a ON u1 (a COLLATE NOCASE) WHERE a != \'\'', ['X', 'x'], { a: 'X' }],
    ['CREATE UNIQUE INDEX idx_u2_a ON u2 (a COLLATE RTRIM)', ['y', 'y  '], { a: 'y' }],
    ['CREATE UNIQUE INDEX idx_u3_n ON u3 (n COLLATE NOCASE)', [1, 1], { n: 1 }],
    ['CREATE UNIQUE INDEX idx_u4_ab ON u4 (a COLLATE NOCASE DESC, n)', ['Z', 'z'], { a: 'Z', n: 2 }],
  ] as const)('a unique violation on %s names the fields', async (statement, [first, second], rest) => {
    const index = parseIndex(statement)!;
    const d = db().dialect;
    const key = Object.keys(rest)[0];
    const column = (v: string | number) => ({ ...rest, [key]: v });
    await db().transaction(async (tx) => {
      await tx.run(d.createTable(index.table, [{ name: 'id', kind: 'textPrimaryKey' }, { name: 'a', kind: 'text' }, { name: 'n', kind: 'number' }]));
      for (const s of d.createIndex(index, index.table, { id: 'textPrimaryKey', a: 'text', n: 'number' })) await tx.run(s);
    });
    const insert = (id: string, values: Record<string, unknown>) =>
      db().run(sql`INSERT INTO ${ident(index.table)} (${ident('id')}, ${join(Object.keys(values).map((k) => ident(k)))}) VALUES (${id}, ${join(Object.values(values).map((v) => sql`${v}`))})`);
    await insert('r1', column(first));
    const err = await apiErrorOf(() => insert('r2', column(second)));
    const unique = { code: 'validation_not_unique', message: 'Value must be unique.' };
    expect(err).toEqual({ status: 400, message: 'Failed to save record.', data: Object.fromEntries(Object.keys(rest).map((k) => [k, unique])) });
  });

  // A lock wait and a deadlock need two writers at once: SQLite has one (a second is "busy"),
  // the server databases lock rows.
  if (TEST_DIALECT !== 'sqlite') {
    /** Holds a row lock on `id` in a concurrent transaction until `release` resolves. */
    function holdRow(id: string, release: Promise<void>, locked: () => void): Promise<unknown> {
      return db().transaction(async (tx) => {
        await tx.run(sql`UPDATE ${ident('accounts')} SET ${ident('n')} = ${1} WHERE ${ident('id')} = ${id}`);
        locked();
        await release;
      }, { concurrent: true });
    }

    const shortLockWait = (tx: Executor) =>
      tx.run(TEST_DIALECT === 'postgres' ? sql`SET LOCAL lock_timeout = '200ms'` : sql`SET SESSION innodb_lock_wait_timeout = 1`);

    it('a lock wait that times out is a 503', async () => {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const holder = holdRow('a1', released, locked);
      await isLocked;
      try {
        const err = await apiErrorOf(() =>
          db().transaction(async (tx) => {
            await shortLockWait(tx);
            await tx.run(sql`UPDATE ${ident('accounts')} SET ${ident('n')} = ${2} WHERE ${ident('id')} = ${'a1'}`);
          }, { concurrent: true }),
        );
        expect(err).toMatchObject({ status: 503, message: 'The database is busy, please try again.' });
      } finally {
        release();
        await holder;
      }
    });

    it('a deadlock is a 503, and the other transaction commits', async () => {
      let lockedA!: () => void;
      let lockedB!: () => void;
      const aLocked = new Promise<void>((r) => (lockedA = r));
      const bLocked = new Promise<void>((r) => (lockedB = r));
      const crossing = (first: string, second: string, mine: () => void, theirs: Promise<void>) =>
        db().transaction(async (tx) => {
          await tx.run(sql`UPDATE ${ident('accounts')} SET ${ident('n')} = ${3} WHERE ${ident('id')} = ${first}`);
          mine();
          await theirs;
          await tx.run(sql`UPDATE ${ident('accounts')} SET ${ident('n')} = ${4} WHERE ${ident('id')} = ${second}`);
        }, { concurrent: true });
      const results = await Promise.allSettled([crossing('a1', 'a2', lockedA, bLocked), crossing('a2', 'a1', lockedB, aLocked)]);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(failed).toHaveLength(1);
      expect(translateDbError(db().dialect, failed[0].reason)).toMatchObject({ status: 503 });
      expect(db().dialect.classifyError(failed[0].reason)?.kind).toBe('deadlock');
    });
  }
});
