/**
 * What `baton migrate copy` moves: Baton's system tables and each collection's table, described
 * as `TableSpec`s, and how their rows are read (keyset-paginated batches of normalised values, in
 * the order the source lists them unsorted).
 * Also the one error the command reports to the operator.
 */
import type { Executor, RowShape, ValueType } from '../db/dialect.ts';
import type { Collection } from '../db/schema.ts';
import { empty, ident, join, sql } from '../db/sql.ts';
import { COLLECTION_ROW_SHAPE, collectionFromRow } from '../domain/collections/store.ts';
import { rowShape } from '../domain/records/codec.ts';

/** A problem the operator must fix (wrong argument, non-empty target …): one line, no stack. */
export class CopyError extends Error {
  override name = 'CopyError';
}

export const DEFAULT_BATCH = 500;

export const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

// ------------------------------------------------------------------------------------------ tables

export interface TableSpec {
  name: string;
  label: string;
  /** The primary key: names a row in messages; MySQL pages by it where the table has no hidden row id. */
  key: string;
  /** Every column copied, with its value type. */
  shape: RowShape;
  /** Lives in the auxiliary database (`_logs`). */
  aux: boolean;
  kind: 'system' | 'collection';
}

export const COLLECTIONS: TableSpec = {
  name: '_collections',
  label: '_collections',
  key: 'id',
  aux: false,
  kind: 'system',
  shape: {
    id: 'text', system: 'bool', type: 'text', name: 'text', fields: 'json', indexes: 'json',
    listRule: 'text', viewRule: 'text', createRule: 'text', updateRule: 'text', deleteRule: 'text',
    options: 'json', created: 'text', updated: 'text',
    ...COLLECTION_ROW_SHAPE,
  },
};
export const PARAMS: TableSpec = { name: '_params', label: '_params', key: 'id', aux: false, kind: 'system', shape: { id: 'text', value: 'json', created: 'text', updated: 'text' } };
export const MIGRATIONS: TableSpec = { name: '_migrations', label: '_migrations', key: 'file', aux: false, kind: 'system', shape: { file: 'text', applied: 'number' } };
export const AUX_MIGRATIONS: TableSpec = { ...MIGRATIONS, label: '_migrations (auxiliary.db)', aux: true };
export const LOGS: TableSpec = {
  name: '_logs',
  label: '_logs',
  key: 'id',
  aux: true,
  kind: 'system',
  shape: { id: 'text', level: 'number', message: 'text', data: 'json', created: 'text', updated: 'text' },
};

/** A collection's table: every field a column, typed as the record codec reads it. */
export function recordTable(c: Collection): TableSpec {
  if (!c.fields.some((f) => f.name === 'id')) throw new CopyError(`collection ${c.name} has no id field; it cannot be copied`);
  const shape: Record<string, ValueType> = Object.fromEntries(c.fields.map((f) => [f.name, 'text' as const]));
  return { name: c.name, label: c.name, key: 'id', aux: false, kind: 'collection', shape: { ...shape, ...rowShape(c) } };
}

// ------------------------------------------------------------------------------------- reading

export async function tableExists(db: Executor, name: string): Promise<boolean> {
  return (await db.all(db.dialect.tableColumns(name))).length > 0;
}

export async function loadCollections(db: Executor): Promise<Collection[]> {
  const rows = await db.all<Parameters<typeof collectionFromRow>[0]>(
    sql`SELECT * FROM ${ident('_collections')} ORDER BY ${ident('created')}, ${ident('id')}`,
    COLLECTION_ROW_SHAPE,
  );
  return rows.map(collectionFromRow);
}

/** The column the row order is read back as, beside the table's own. */
const ORDER_COLUMN = '_baton_row_order';

/**
 * Reads a table's rows (as stored where `caps.anyTypeInColumns`, else normalised through the
 * shape) in the order the database lists them unsorted (`Dialect.rowOrder`:
 * insertion order), `batchSize` at a time (keyset pagination: no OFFSET scans). Written in that
 * order, the target lists them so too: unsorted lists, `@rowid` sorts and back-relation expands
 * come out as on the source.
 */
export async function forEachBatch(db: Executor, spec: TableSpec, batchSize: number, fn: (rows: Record<string, unknown>[]) => Promise<void> | void): Promise<void> {
  const columns = join(Object.keys(spec.shape).map((c) => ident(c)));
  const order = db.dialect.rowOrder(spec.name, spec.key);
  let last: unknown;
  for (;;) {
    const after = last === undefined ? empty : sql` WHERE ${order.after(last)}`;
    const rows = await db.all<Record<string, unknown>>(
      sql`SELECT ${columns}, ${order.expr} AS ${ident(ORDER_COLUMN)} FROM ${ident(spec.name)}${after} ORDER BY ${order.expr}${db.dialect.limitOffset(batchSize, 0)}`,
      // Where a column may hold any type (SQLite), rows are read as stored: normalising would turn
      // the text 'abc' of a JSON column into the JSON string "abc", '' of a number column into 0.
      db.dialect.caps.anyTypeInColumns ? undefined : spec.shape,
    );
    if (!rows.length) return;
    last = rows[rows.length - 1][ORDER_COLUMN];
    for (const row of rows) delete row[ORDER_COLUMN];
    await fn(rows);
    if (rows.length < batchSize) return;
  }
}

export async function countRows(db: Executor, table: string): Promise<number> {
  const row = await db.get<{ n: number }>(sql`SELECT COUNT(*) AS ${ident('n')} FROM ${ident(table)}`, { n: 'number' });
  return row?.n ?? 0;
}
