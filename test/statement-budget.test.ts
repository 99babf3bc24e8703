// Reads made for clients run under the client statement budget (Database.forClients): a costly
// client query is cut off and answered 503, while Baton's own work keeps the longer budget.
import { describe, expect, it } from 'vitest';
import type { Database } from '../src/db/dialect.ts';
import { translateDbError } from '../src/db/errors.ts';
import { sql } from '../src/db/sql.ts';
import { createTestDatabase, TEST_DIALECT } from './support/databases.ts';

/** A statement that takes about `seconds` on the run's server database. */
const slow = (seconds: number) => (TEST_DIALECT === 'postgres' ? sql`SELECT pg_sleep(${seconds})` : sql`SELECT SLEEP(${seconds})`);

async function openWithBudget(url: string): Promise<Database> {
  if (TEST_DIALECT === 'postgres') {
    const { PostgresDatabase } = await import('../src/db/dialects/postgres-database.ts');
    return new PostgresDatabase(url, { clientStatementTimeoutMs: 300 });
  }
  const { MysqlDatabase } = await import('../src/db/dialects/mysql-database.ts');
  return new MysqlDatabase(url, { clientStatementTimeoutMs: 300 });
}

describe(`statement budgets on ${TEST_DIALECT}`, () => {
  if (TEST_DIALECT === 'sqlite') {
    it('SQLite cannot interrupt a statement: client reads use the database itself', async () => {
      const { SqliteDatabase } = await import('../src/db/dialects/sqlite-database.ts');
      const db = new SqliteDatabase(':memory:');
      expect(db.forClients()).toBe(db);
      await db.close();
    });
    return;
  }

  it('a client read past the client budget is cut off and answered 503; the system budget is longer', async () => {
    const database = await createTestDatabase();
    const db = await openWithBudget(database.url!);
    try {
      const started = Date.now();
      const err = await db.forClients().all(slow(3)).then(() => undefined, (e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(2500);
      expect(db.dialect.classifyError(err)?.kind).toBe('timeout');
      expect(translateDbError(db.dialect, err)).toMatchObject({ status: 503 });
      // The same kind of statement within the longer budget completes.
      await expect(db.all(slow(0.6))).resolves.toHaveLength(1);
      // And the client pool still serves quick reads after a cut.
      await expect(db.forClients().all(sql`SELECT 1 AS one`)).resolves.toEqual([{ one: 1 }]);
    } finally {
      await db.close();
      await database.drop();
    }
  });
});
