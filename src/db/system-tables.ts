/** The bookkeeping every data directory has: system tables and the record of applied migrations. */
import type { Database, Executor } from './dialect.ts';
import { ident, type Sql, sql } from './sql.ts';

export async function hasMigration(db: Executor, file: string): Promise<boolean> {
  return (await db.get(sql`SELECT 1 AS ok FROM _migrations WHERE file = ${file}`)) !== undefined;
}

export async function recordMigration(db: Executor, file: string): Promise<void> {
  // PocketBase stores the applied time in microseconds.
  await db.run(sql`INSERT INTO _migrations (file, applied) VALUES (${file}, ${Date.now() * 1000})`);
}

/**
 * Runs `fn` inside a savepoint of the current transaction: when it fails, only its statements
 * are rolled back and the transaction goes on. PostgreSQL needs this to continue after a failed
 * statement (it aborts the whole transaction otherwise); SQLite and MySQL accept it as well.
 */
export async function withSavepoint<T>(tx: Executor, name: string, fn: () => Promise<T>): Promise<T> {
  const point = ident(name);
  await tx.run(sql`SAVEPOINT ${point}`);
  try {
    const result = await fn();
    await tx.run(sql`RELEASE SAVEPOINT ${point}`);
    return result;
  } catch (e) {
    await tx.run(sql`ROLLBACK TO SAVEPOINT ${point}`);
    throw e;
  }
}

async function createAll(db: Database, statements: readonly Sql[]): Promise<void> {
  await db.transaction(async (tx) => {
    for (const s of statements) await tx.run(s);
  });
  db.schemaChanged();
}

/** `_migrations`, `_collections` and `_params` in data.db, as the dialect defines them. */
export const ensureDataTables = (db: Database): Promise<void> => createAll(db, db.dialect.systemTables().data);

/** `_migrations` and `_logs` in auxiliary.db. */
export const ensureAuxTables = (db: Database): Promise<void> => createAll(db, db.dialect.systemTables().aux);
