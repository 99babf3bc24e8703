import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from '../sql.ts';
import { SqliteDatabase } from './sqlite-database.ts';

// Cached reads build rows from the column names read when they were prepared (raw rows,
// sqlite-database.ts), and SQLite re-prepares a statement whose schema changed when it next runs.
// After a schema change by another connection (the writer, the SQL console's process), `SELECT *`
// must still label every value with its own column, whether or not schemaChanged() ran yet.
describe('SQLite reads after a schema change made by another connection', () => {
  let dir: string;
  let file: string;
  let db: SqliteDatabase;
  const byId = (id: number) => db.get(sql`SELECT * FROM t WHERE id = ${id}`);

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-schema-'));
    file = path.join(dir, 'data.db');
    db = new SqliteDatabase(file);
    await db.run(sql`CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT)`);
    await db.run(sql`INSERT INTO t (id, a, b) VALUES (1, 'A', 'B')`);
    // Prepared and cached on the reader before the change.
    expect(await byId(1)).toEqual({ id: 1, a: 'A', b: 'B' });
    await nextTurn();
  });

  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a dropped column: the cached statement and a new one', async () => {
    await db.transaction(async (tx) => {
      await tx.run(sql`ALTER TABLE t DROP COLUMN a`);
    });
    expect(await byId(1)).toEqual({ id: 1, b: 'B' });
    db.schemaChanged();
    expect(await db.get(sql`SELECT *, 1 AS one FROM t WHERE id = ${1}`)).toEqual({ id: 1, b: 'B', one: 1 });
    await nextTurn();
    expect(await byId(1)).toEqual({ id: 1, b: 'B' });
  });

  it('a renamed column, and one dropped and one added (as many columns as before)', async () => {
    await db.run(sql`ALTER TABLE t RENAME COLUMN a TO c`);
    expect(await byId(1)).toEqual({ id: 1, c: 'A', b: 'B' });
    await db.transaction(async (tx) => {
      await tx.run(sql`ALTER TABLE t DROP COLUMN c`);
      await tx.run(sql`ALTER TABLE t ADD COLUMN d TEXT DEFAULT 'D'`);
    });
    expect(await byId(1)).toEqual({ id: 1, b: 'B', d: 'D' });
  });

  it('a change from another process, read by a cached read and by a write returning its row', async () => {
    const [inserted] = await db.write(sql`INSERT INTO t (id, a, b) VALUES (2, 'A2', 'B2') RETURNING *`);
    expect(inserted).toEqual({ id: 2, a: 'A2', b: 'B2' });
    const other = new BetterSqlite3(file);
    other.exec('ALTER TABLE t DROP COLUMN a');
    other.close();
    // Other processes' changes show from the next turn (the reader's shared transaction).
    await nextTurn();
    expect(await byId(1)).toEqual({ id: 1, b: 'B' });
    expect(await db.write(sql`INSERT INTO t (id, b) VALUES (3, 'B3') RETURNING *`)).toEqual([{ id: 3, b: 'B3' }]);
    expect(await db.all(sql`SELECT * FROM t ORDER BY id`)).toEqual([
      { id: 1, b: 'B' },
      { id: 2, b: 'B2' },
      { id: 3, b: 'B3' },
    ]);
  });
});
