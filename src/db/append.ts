/**
 * Appending rows in bulk (request logs): `Database.appendRows` where a database has a way of its
 * own (SQLite's appender thread), else a few INSERT statements in one transaction.
 */
import type { Database } from './dialect.ts';
import { ident, join, sql, type Sql } from './sql.ts';

/**
 * Rows per INSERT statement. The appender thread (dialects/sqlite-append.js) uses the same figure.
 * Whatever the batch size, the statements have two texts, 64 rows and one, so drivers that keep
 * prepared statements by text (MySQL's per-connection cache) keep two, where one INSERT per batch
 * made a statement for every size a batch happened to have. (On PostgreSQL, statements inside a
 * transaction are not prepared: postgres-database.ts.)
 */
export const ROWS_PER_INSERT = 64;

/** The INSERTs of the rows in `values` (`columns.length` values per row, one row after another). */
export function appendStatements(table: string, columns: readonly string[], values: readonly unknown[]): Sql[] {
  const width = columns.length;
  if (width === 0 || values.length % width !== 0) throw new Error('appendRows: values are not whole rows');
  const insert = sql`INSERT INTO ${ident(table)} (${join(columns.map((c) => ident(c)))}) VALUES `;
  const rows = (from: number, to: number): Sql[] => {
    const out: Sql[] = [];
    for (let at = from; at < to; at += width) out.push(sql`(${join(values.slice(at, at + width).map((v) => sql`${v}`))})`);
    return out;
  };
  const statements: Sql[] = [];
  const full = ROWS_PER_INSERT * width;
  let at = 0;
  for (; at + full <= values.length; at += full) statements.push(sql`${insert}${join(rows(at, at + full))}`);
  for (; at < values.length; at += width) statements.push(sql`${insert}${join(rows(at, at + width))}`);
  return statements;
}

/**
 * Appends the rows in `values` to `table` (Baton's names, never a client's): through
 * `db.appendRows` where the database has it, else in one transaction of their own, alongside
 * other writes (`concurrent`).
 */
export async function appendRows(db: Database, table: string, columns: readonly string[], values: readonly unknown[]): Promise<void> {
  if (values.length === 0) return;
  if (db.appendRows) return db.appendRows(table, columns, values);
  const statements = appendStatements(table, columns, values);
  await db.transaction(
    async (tx) => {
      for (const statement of statements) await tx.run(statement);
    },
    { concurrent: true },
  );
}
