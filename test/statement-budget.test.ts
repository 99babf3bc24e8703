// Statement budgets on every database: a guarded (costly) statement past its budget is cut off
// and answered 400, with the client budget for clients' reads and the longer system budget for
// the rest. On SQLite, guarded reads run on reader threads, so the event loop stays free meanwhile.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Database } from '../src/db/dialect.ts';
import { translateDbError } from '../src/db/errors.ts';
import { loopGuard, scanGuard, sql } from '../src/db/sql.ts';
import { createTestDatabase, TEST_DIALECT } from './support/databases.ts';
import { onlyIf } from './support/only-if.ts';

interface Budgets {
  statementTimeoutMs?: number;
  clientStatementTimeoutMs?: number;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A database on the run's dialect (SQLite: a file, so reader threads can open it too). */
async function openDatabase(budgets: Budgets): Promise<Database> {
  let db: Database;
  if (TEST_DIALECT === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-budget-'));
    const { SqliteDatabase } = await import('../src/db/dialects/sqlite-database.ts');
    db = new SqliteDatabase(path.join(dir, 'data.db'), budgets);
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  } else {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    if (TEST_DIALECT === 'postgres') {
      const { PostgresDatabase } = await import('../src/db/dialects/postgres-database.ts');
      db = new PostgresDatabase(database.url!, budgets);
    } else {
      const { MysqlDatabase } = await import('../src/db/dialects/mysql-database.ts');
      db = new MysqlDatabase(database.url!, budgets);
    }
  }
  cleanups.push(() => db.close());
  await db.run(sql`CREATE TABLE nums (id INTEGER PRIMARY KEY)`);
  for (let i = 1; i <= 200; i++) await db.run(sql`INSERT INTO nums (id) VALUES (${i})`);
  return db;
}

/**
 * 200^4 = 1.6 billion rows, every one passing a loop guard: minutes of work, so it only ends by
 * being cut off.
 */
const endless = sql`SELECT COUNT(*) AS n FROM nums a
  JOIN nums b ON ${loopGuard('b')} JOIN nums c ON ${loopGuard('c')} JOIN nums d ON ${loopGuard('d')}
  WHERE a.id + b.id + c.id + d.id < 0`;
/** The same shape on 200 rows: quick. */
const quick = sql`SELECT COUNT(*) AS n FROM nums a JOIN nums b ON ${loopGuard('b')} WHERE a.id > 190`;

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe(`statement budgets on ${TEST_DIALECT}`, () => {
  it('a client read past the client budget is cut off and answered 400; nothing stays locked', async () => {
    const db = await openDatabase({ clientStatementTimeoutMs: 300 });
    const started = Date.now();
    const err = await failure(db.forClients().all(endless));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(db.dialect.classifyError(err)?.kind).toBe('timeout');
    expect(translateDbError(db.dialect, err)).toMatchObject({ status: 400, message: expect.stringContaining('too expensive') });
    // Nothing is left locked: reads and writes go on.
    await expect(db.forClients().all(quick)).resolves.toEqual([{ n: 2000 }]);
    await db.run(sql`INSERT INTO nums (id) VALUES (1000)`);
    await expect(db.get(sql`SELECT COUNT(*) AS n FROM nums`, { n: 'number' })).resolves.toEqual({ n: 201 });
  });

  it('the system budget (superusers, Baton itself) is separate and cuts off too', async () => {
    const db = await openDatabase({ statementTimeoutMs: 400, clientStatementTimeoutMs: 60_000 });
    await expect(db.all(quick)).resolves.toHaveLength(1);
    const err = await failure(db.all(endless));
    expect(db.dialect.classifyError(err)?.kind).toBe('timeout');
  });

  onlyIf(TEST_DIALECT === 'sqlite', it)('SQLite: the event loop stays free while a costly read runs on a reader thread', async () => {
    // It starts on the main thread, and moves to a thread once past a slice of 10 ms.
    const db = await openDatabase({ clientStatementTimeoutMs: 1_000 });
    let longestGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 5);
    const err = await failure(db.forClients().all(endless));
    clearInterval(timer);
    expect(db.dialect.classifyError(err)?.kind).toBe('timeout');
    // Run on the main thread, the statement would hold the loop for its whole second.
    expect(longestGap).toBeLessThan(250);
  });

  onlyIf(TEST_DIALECT === 'sqlite', it)('SQLite: closing stops a costly read at once', async () => {
    const db = await openDatabase({ clientStatementTimeoutMs: 60_000 });
    const running = failure(db.forClients().all(endless));
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await db.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await running).toBeInstanceOf(Error);
  });

  onlyIf(TEST_DIALECT === 'sqlite', it)('SQLite: a guarded statement in a write transaction has the client budget, and rolls back', async () => {
    const db = await openDatabase({ clientStatementTimeoutMs: 300 });
    const err = await failure(
      db.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO nums (id) VALUES (5000)`);
        await tx.all(endless);
      }),
    );
    expect(db.dialect.classifyError(err)?.kind).toBe('timeout');
    await expect(db.get(sql`SELECT COUNT(*) AS n FROM nums WHERE id = 5000`, { n: 'number' })).resolves.toEqual({ n: 0 });
  });

  onlyIf(TEST_DIALECT === 'sqlite', it)('SQLite: reads waiting for a busy reader thread longer than their budget are refused as busy', async () => {
    const { SqliteDatabase } = await import('../src/db/dialects/sqlite-database.ts');
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-budget-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const db = new SqliteDatabase(path.join(dir, 'data.db'), { clientStatementTimeoutMs: 400, readerThreads: 1 });
    cleanups.push(() => db.close());
    await db.run(sql`CREATE TABLE nums (id INTEGER PRIMARY KEY)`);
    for (let i = 1; i <= 200; i++) await db.run(sql`INSERT INTO nums (id) VALUES (${i})`);
    // The second waits for the one thread (the first taught the database that this text is slow).
    const results = await Promise.all([failure(db.forClients().all(endless)), failure(db.forClients().all(endless))]);
    expect(db.dialect.classifyError(results[0])?.kind).toBe('timeout');
    expect(db.dialect.classifyError(results[1])?.kind).toBe('busy');
  });

  onlyIf(TEST_DIALECT === 'sqlite', it)('SQLite: a statement once past its slice runs inline again once it comes back quick from a thread', async () => {
    const { SqliteDatabase } = await import('../src/db/dialects/sqlite-database.ts');
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-budget-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const db = new SqliteDatabase(path.join(dir, 'data.db'), { clientStatementTimeoutMs: 60_000 });
    cleanups.push(() => db.close());
    await db.run(sql`CREATE TABLE nums (id INTEGER PRIMARY KEY)`);
    for (let i = 1; i <= 200; i++) await db.run(sql`INSERT INTO nums (id) VALUES (${i})`);
    // One text, costly or cheap by its value: 200^3 guarded rows, then none. CROSS JOIN keeps `a`
    // the outer loop (SQLite's planner otherwise scans b and c first, and the cheap value still
    // walked 40,000 guarded rows: about 7 ms on a slow machine, over the half slice).
    const rows = (upTo: number) => sql`SELECT COUNT(*) AS n FROM nums a
      CROSS JOIN nums b ON ${loopGuard('b')} CROSS JOIN nums c ON ${loopGuard('c')} WHERE a.id <= ${upTo} AND a.id + b.id + c.id > 0`;
    await expect(db.forClients().get(rows(200), { n: 'number' })).resolves.toEqual({ n: 8_000_000 });
    expect(db.slowStatements).toBe(1);
    // Now it goes to a thread first; run there well within the slice, it is no longer taken for
    // slow. (The thread's own time counts, not the round trip; a loaded machine may still pause
    // the thread mid-statement: a few tries.)
    for (let i = 0; i < 20 && db.slowStatements > 0; i++) {
      await expect(db.forClients().get(rows(0), { n: 'number' })).resolves.toEqual({ n: 0 });
    }
    expect(db.slowStatements).toBe(0);
  });

  onlyIf(TEST_DIALECT === 'sqlite', it)('SQLite: a `~` over long texts is stopped by its budget inside a row, not at the next sampled guard', async () => {
    // SQLite's own LIKE tries the pattern at every position of the text in one native call: 250
    // bytes of pattern over a MB of 'a' took ~0.4 s a row, and the scan guard (one row id in
    // 256) never came for these 8 rows, so the read ran to its end whatever the budget.
    // `~` now compiles to baton_like, which checks the budget as it works.
    const db = await openDatabase({ clientStatementTimeoutMs: 1 });
    await db.run(sql`CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`);
    for (let i = 1; i <= 8; i++) await db.run(sql`INSERT INTO docs (id, body) VALUES (${i}, ${'a'.repeat(1_000_000)})`);
    const matches = db.dialect.like(sql`docs.body`, sql`${`%${'a'.repeat(250)}b%`}`, false);
    const err = await failure(db.forClients().all(sql`SELECT id FROM docs WHERE ${scanGuard('docs')} AND ${matches}`));
    expect(db.dialect.classifyError(err)?.kind).toBe('timeout');
  });

  onlyIf(TEST_DIALECT === 'sqlite', it)('SQLite: a guarded read with a JSON path goes to a reader thread at once, never inline', async () => {
    // Each row parses its whole JSON value in one native call, between two sampled guards: on the
    // main thread, values of ~180 KB held the event loop ~300 ms before the slice could end.
    const { SqliteReaderPool } = await import('../src/db/dialects/sqlite-reader-pool.ts');
    const db = await openDatabase({ clientStatementTimeoutMs: 60_000 });
    await db.run(sql`CREATE TABLE tags (id INTEGER PRIMARY KEY, data JSON)`);
    await db.run(sql`INSERT INTO tags (id, data) VALUES (1, '{"a":1}')`);
    const onThread = vi.spyOn(SqliteReaderPool.prototype, 'run');
    try {
      const path = db.dialect.jsonValue(sql`tags.data`, ['a']);
      await expect(db.forClients().all(sql`SELECT id FROM tags WHERE ${scanGuard('tags')} AND ${path} = 1`)).resolves.toEqual([{ id: 1 }]);
      expect(onThread).toHaveBeenCalledTimes(1);
      // Not tried inline first (a read past its inline slice is remembered as slow).
      expect((db as unknown as { slowStatements: number }).slowStatements).toBe(0);
      // Without a path, the same shape starts inline and ends there.
      await expect(db.forClients().all(sql`SELECT id FROM tags WHERE ${scanGuard('tags')} AND id = 1`)).resolves.toEqual([{ id: 1 }]);
      expect(onThread).toHaveBeenCalledTimes(1);
    } finally {
      onThread.mockRestore();
    }
  });

  onlyIf(TEST_DIALECT === 'sqlite', it)('SQLite: a read that spent its whole budget in its inline slice is a timeout, not run again with nothing left (503)', async () => {
    // Row 1 costs one long native call (hex of a 30 MB blob); the scan guard checks at row 256,
    // long past the 20 ms budget. Before, the read went on to a thread with a negative budget,
    // which the pool refused as busy (503), as if the threads had been too busy.
    const { SqliteReaderPool } = await import('../src/db/dialects/sqlite-reader-pool.ts');
    const db = await openDatabase({ clientStatementTimeoutMs: 20 });
    for (let i = 201; i <= 300; i++) await db.run(sql`INSERT INTO nums (id) VALUES (${i})`);
    const onThread = vi.spyOn(SqliteReaderPool.prototype, 'run');
    try {
      const costly = sql`SELECT COUNT(*) AS n FROM nums WHERE ${scanGuard('nums')} AND (nums.id <> 1 OR length(hex(randomblob(30000000))) > 0)`;
      const err = await failure(db.forClients().get(costly));
      expect(db.dialect.classifyError(err)?.kind).toBe('timeout');
      expect(onThread).not.toHaveBeenCalled();
    } finally {
      onThread.mockRestore();
    }
  });

  onlyIf(TEST_DIALECT === 'sqlite', it)('SQLite: unguarded statements run to their end (Baton\'s own work has no loop guards)', async () => {
    const db = await openDatabase({ clientStatementTimeoutMs: 300 });
    const plain = sql`SELECT COUNT(*) AS n FROM nums a JOIN nums b ON 1=1 JOIN nums c ON 1=1`;
    await expect(db.forClients().get(plain, { n: 'number' })).resolves.toEqual({ n: 8_000_000 });
  });
});
