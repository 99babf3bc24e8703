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
import { formatIndex } from '../indexes-render.ts';
import { ident, raw, sql, type Sql } from '../sql.ts';

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
