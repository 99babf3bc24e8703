/**
 * How PocketBase finds an auth record by one of its identity fields (core/record_query.go
 * `FindAuthRecordByEmail`, apis/record_auth_with_password.go): through a single-column UNIQUE
 * index on the field, compared case-insensitively when that index column is `COLLATE NOCASE`
 * and exactly otherwise. Password sign-in and the email flows' lookups by email share it.
 */
import { VALUE_TYPE_OF, type Dialect } from '../../db/dialect.ts';
import { whereAdmitsKey, type IndexSpec } from '../../db/indexes.ts';
import { parseIndex } from '../../db/indexes-parse.ts';
import type { Collection } from '../../db/schema.ts';
import { ident, sql, type Sql } from '../../db/sql.ts';
import { columnKindsOf } from '../collections/table-sync.ts';

export interface UniqueIndexColumn {
  /** The field's name as the collection spells it. */
  readonly column: string;
  /** The index compares case-insensitively (`COLLATE NOCASE`). */
  readonly nocase: boolean;
  /** The index itself; absent when the caller compares without one. */
  readonly index?: IndexSpec;
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
    if (def) return { column: def.name, nocase: column.collate === 'nocase', index: spec };
  }
  return undefined;
}

/**
 * `column = value` on the collection's table, ASCII letters folded (as SQLite's NOCASE folds) when
 * the column is NOCASE. Read through the unique index where it covers every row that can match
 * (a text column; a partial index whose WHERE admits the value, as PocketBase's `email != ''`
 * admits any address): otherwise the sign-in would scan the table. Elsewhere, both sides
 * lower-cased, which no index answers but gives the same rows.
 */
export function identityMatch(dialect: Dialect, collection: Collection, index: UniqueIndexColumn, value: string): Sql {
  const kinds = columnKindsOf(collection);
  const spec = index.index;
  if (spec && VALUE_TYPE_OF[kinds[index.column]] === 'text' && whereAdmitsKey(spec, value, index.nocase)) {
    return dialect.indexLookup(spec, collection.name, kinds, value);
  }
  const column = sql`${ident(collection.name, index.column)}`;
  return index.nocase ? sql`${dialect.lower(column)} = ${dialect.lower(sql`${value}`)}` : sql`${column} = ${value}`;
}
