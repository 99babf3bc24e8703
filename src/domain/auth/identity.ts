/**
 * How PocketBase finds an auth record by one of its identity fields (core/record_query.go
 * `FindAuthRecordByEmail`, apis/record_auth_with_password.go): through a single-column UNIQUE
 * index on the field, compared case-insensitively when that index column is `COLLATE NOCASE`
 * and exactly otherwise. Password sign-in and the email flows' lookups by email share it.
 */
import type { Dialect } from '../../db/dialect.ts';
import { parseIndex } from '../../db/indexes-parse.ts';
import type { Collection } from '../../db/schema.ts';
import { ident, sql, type Sql } from '../../db/sql.ts';

export interface UniqueIndexColumn {
  /** The field's name as the collection spells it. */
  readonly column: string;
  /** The index compares case-insensitively (`COLLATE NOCASE`). */
  readonly nocase: boolean;
}

/**
 * The single-column UNIQUE index on `field`, if any, and whether it compares case-insensitively
 * (`COLLATE NOCASE`): PocketBase identifies a record only by such a field.
 */
export function uniqueIndexOn(collection: Collection, field: string): UniqueIndexColumn | undefined {
  const wanted = field.toLowerCase();
  for (const text of collection.indexes) {
    const spec = parseIndex(text);
    const column = spec?.unique && spec.columns.length === 1 ? spec.columns[0] : undefined;
    if (column?.kind !== 'column' || column.name.toLowerCase() !== wanted) continue;
    const def = collection.fields.find((f) => f.name.toLowerCase() === wanted);
    if (def) return { column: def.name, nocase: column.collate === 'nocase' };
  }
  return undefined;
}

/**
 * `column = value` on the collection's table, both sides lower-cased (ASCII, as SQLite's NOCASE
 * folds) when the column is NOCASE.
 */
export function identityMatch(dialect: Dialect, collection: Collection, index: UniqueIndexColumn, value: string): Sql {
  const column = sql`${ident(collection.name, index.column)}`;
  return index.nocase ? sql`${dialect.lower(column)} = ${dialect.lower(sql`${value}`)}` : sql`${column} = ${value}`;
}
