/** The bookkeeping every data directory has: system tables and the record of applied migrations. */
import { EnvironmentError } from '../kernel/errors.ts';
import { formatDate } from '../kernel/time.ts';
import type { Database, Executor } from './dialect.ts';
import { ident, type Sql, sql, value } from './sql.ts';

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

/**
 * The `_params` row `baton migrate copy` keeps in its target while writing it and deletes as its
 * last write. On a database that cannot roll back table changes (MySQL) a copy that failed or was
 * interrupted leaves complete system tables beside empty or half-filled collection tables; the
 * row tells every command that opens the data (serve, superuser) to refuse it. PocketBase ignores
 * `_params` rows it does not know.
 */
export const UNFINISHED_COPY_PARAM = 'baton_unfinished_copy';

/** What the unfinished-copy row says: where the copy came from and when it started. */
export interface UnfinishedCopy {
  from: string;
  started: string;
}

/** Writes the row (replacing one left by an earlier copy). */
export async function markUnfinishedCopy(db: Executor, from: string): Promise<void> {
  await unmarkUnfinishedCopy(db);
  const now = formatDate(new Date());
  const mark: UnfinishedCopy = { from, started: now };
  await db.run(
    sql`INSERT INTO ${ident('_params')} (${ident('id')}, ${ident('value')}, ${ident('created')}, ${ident('updated')}) VALUES (${UNFINISHED_COPY_PARAM}, ${value(JSON.stringify(mark), 'json')}, ${now}, ${now})`,
  );
}

export async function unmarkUnfinishedCopy(db: Executor): Promise<void> {
  await db.run(sql`DELETE FROM ${ident('_params')} WHERE ${ident('id')} = ${UNFINISHED_COPY_PARAM}`);
}

/** The unfinished copy this database holds, if any. */
export async function unfinishedCopy(db: Executor): Promise<UnfinishedCopy | undefined> {
  if (!(await db.all(db.dialect.tableColumns('_params'))).length) return undefined;
  const row = await db.get<{ value: Partial<UnfinishedCopy> | null }>(
    sql`SELECT ${ident('value')} FROM ${ident('_params')} WHERE ${ident('id')} = ${UNFINISHED_COPY_PARAM}`,
    { value: 'json' },
  );
  if (!row) return undefined;
  return { from: String(row.value?.from ?? 'another database'), started: String(row.value?.started ?? 'at an unknown time') };
}

/** Refuses data a `baton migrate copy` did not finish writing (see UNFINISHED_COPY_PARAM). */
export async function refuseUnfinishedCopy(db: Executor, what: string): Promise<void> {
  const copy = await unfinishedCopy(db);
  if (!copy) return;
  throw new EnvironmentError(
    `${what} holds a copy that did not finish (baton migrate copy from ${copy.from}, started ${copy.started}): ` +
      'tables may be empty or half-filled. Run `baton migrate copy --from=… --to=… --force` again to finish it',
  );
}
