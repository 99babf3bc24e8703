import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from '../sql.ts';
import { SqliteDatabase } from './sqlite-database.ts';

// The main thread's reads share one read transaction per turn of the event loop (ReadSnapshot in
// sqlite-database.ts): what a read sees, and what the WAL does, must stay as with a transaction per read.
describe('SQLite reads sharing a transaction per turn', () => {
  let dir: string;
  let file: string;
  let db: SqliteDatabase;
  const count = async () => (await db.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM t`, { n: 'number' }))!.n;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-snapshot-'));
    file = path.join(dir, 'data.db');
    db = new SqliteDatabase(file);
    await db.run(sql`CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)`);
  });

  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("see this process's writes as soon as they are done, without waiting for a turn", async () => {
    expect(await count()).toBe(0);
    await db.run(sql`INSERT INTO t (body) VALUES (${'a'})`);
    expect(await count()).toBe(1);
    const [row] = await db.write<{ id: number }>(sql`INSERT INTO t (body) VALUES (${'b'}) RETURNING id`);
    expect(await db.get(sql`SELECT body FROM t WHERE id = ${row.id}`)).toEqual({ body: 'b' });
    await db.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO t (body) VALUES (${'c'})`);
      // Uncommitted: the reader does not see it, as before.
      expect(await count()).toBe(2);
    });
    expect(await count()).toBe(3);
    await db.transaction(async (tx) => {
      await tx.run(sql`DELETE FROM t`);
      throw new Error('rolled back');
    }).catch(() => undefined);
    expect(await count()).toBe(3);
    await db.appendRows('t', ['body'], ['d', 'e']);
    expect(await count()).toBe(5);
  });

  it("see another connection's writes from the next turn", async () => {
    expect(await count()).toBe(0);
    const other = new BetterSqlite3(file);
    try {
      other.prepare('INSERT INTO t (body) VALUES (?)').run('elsewhere');
      // Within the turn, the reads share the transaction that the first one began.
      expect(await count()).toBe(0);
      await nextTurn();
      expect(await count()).toBe(1);
    } finally {
      other.close();
    }
  });

  it('hold nothing once the turn is over: a checkpoint from elsewhere empties the WAL', async () => {
    await db.run(sql`INSERT INTO t (body) VALUES (${'a'})`);
    expect(await count()).toBe(1);
    // No busy wait: the checkpoint reports a reader in its way at once.
    const other = new BetterSqlite3(file, { timeout: 0 });
    try {
      const checkpoint = () => (other.pragma('wal_checkpoint(TRUNCATE)') as unknown[])[0] as { busy: number; log: number };
      // Within the turn the read transaction is held: the WAL cannot be emptied under it.
      expect(checkpoint().busy).toBe(1);
      await nextTurn();
      expect(checkpoint()).toMatchObject({ busy: 0, log: 0 });
    } finally {
      other.close();
    }
  });

  // 3,000 rows of 4 KB, each written between reads within the same turn: about 12 MB through a
  // WAL that checkpoints every 1,000 pages (4 MB). A read transaction held when a write commits
  // keeps the WAL from restarting, and it would grow past all of that.
  const body = 'x'.repeat(4096);

  it('never hold the WAL when this process writes: it restarts, and stays bounded', async () => {
    for (let i = 0; i < 3000; i++) {
      await count();
      await db.run(sql`INSERT INTO t (body) VALUES (${body})`);
    }
    expect(await count()).toBe(3000);
    expect(statSync(`${file}-wal`).size).toBeLessThan(8 * 1024 * 1024);
  });

  it('never hold the WAL when a transaction commits, though reads ran during it', async () => {
    for (let i = 0; i < 3000; i++) {
      await db.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO t (body) VALUES (${body})`);
        await count();
      });
    }
    expect(await count()).toBe(3000);
    expect(statSync(`${file}-wal`).size).toBeLessThan(8 * 1024 * 1024);
  });

  it('stop sharing once rows are appended from the appender thread, which the main thread cannot precede', async () => {
    // Every turn reads (and would begin the shared transaction) and then works for a while, as a
    // busy server does; meanwhile the appender thread commits 12 MB in batches of 40 KB.
    let stop = false;
    const busyTurn = () => {
      if (stop) return;
      void count();
      const until = performance.now() + 2;
      while (performance.now() < until);
      setImmediate(busyTurn);
    };
    busyTurn();
    const page = 'x'.repeat(4096);
    let largest = 0;
    try {
      for (let i = 0; i < 300; i++) {
        await db.appendRows('t', ['body'], Array(10).fill(page));
        largest = Math.max(largest, statSync(`${file}-wal`).size);
      }
    } finally {
      stop = true;
    }
    expect(await count()).toBe(3000);
    // SQLite checkpoints at 1,000 pages (4 MB) and restarts the WAL when no reader holds it.
    expect(largest).toBeLessThan(6 * 1024 * 1024);
  });
});
