/**
 * Index DDL for SQLite: the spec rendered back as SQLite writes it. Collations, ASC/DESC,
 * `lower()`/`upper()` and partial WHERE clauses are all native; SQLite converts literals by
 * column affinity itself, so the condition is rendered as written.
 *
 * Literals in the WHERE clause are spliced as escaped SQL literals (`sqliteStringLiteral`,
 * `numericLiteral`), not bound: SQLite refuses parameters in a partial index's WHERE clause.
 */
import type { ColumnKind } from '../dialect.ts';
import type { IndexSpec } from '../indexes.ts';
import { conditionSql, formatIndex, lookupKey, sqliteStringLiteral } from '../indexes-render.ts';
import { ident, raw, sql, value as bound, type Sql } from '../sql.ts';

/** `CREATE [UNIQUE] INDEX` on `table` (the collection's current name, whatever the spec says). */
export function createIndexSql(spec: IndexSpec, table: string, _columnKinds: Readonly<Record<string, ColumnKind>>): Sql[] {
  // PocketBase's own layout (what `formatIndex` writes), so sqlite_master reads as PocketBase's would.
  // The text is rebuilt from the parsed spec (quoted identifiers, literals escaped by
  // `sqliteStringLiteral`), never the stored statement; SQLite takes no parameters here.
  return [raw(formatIndex({ ...spec, table }))];
}

export function dropIndexSql(spec: IndexSpec, _table: string): Sql[] {
  return [sql`DROP INDEX IF EXISTS ${ident(spec.name)}`];
}

/**
 * `Dialect.indexLookup`: the comparison in the index's own collation (`= ? COLLATE NOCASE` is
 * what a NOCASE key answers; `LOWER(col) = LOWER(?)` reads no index), and a partial index's WHERE
 * as the index states it, literals spliced, since SQLite uses a partial index only for a query
 * whose WHERE contains its condition.
 */
export function indexLookupSql(spec: IndexSpec, table: string, columnKinds: Readonly<Record<string, ColumnKind>>, value: string): Sql {
  const key = lookupKey(spec, columnKinds);
  const col = sql`${ident(table, key.name)}`;
  const v = sql`${bound(value, 'text')}`;
  const equal = key.collate === 'nocase' ? sql`${col} = ${v} COLLATE NOCASE` : sql`${col} = ${v}`;
  if (!spec.where) return equal;
  const where = conditionSql(spec.where, { string: sqliteStringLiteral, column: (name) => sql`${ident(table, name)}` });
  return sql`(${equal} AND (${where}))`;
}
