import type { ColumnKind, ConstSql, DbErrorInfo, Dialect, DialectCaps, ExprType, RowOrder, TypedSql } from '../dialect.ts';
import { ident, join, offLoop, raw, sql, type Sql, type ValueType } from '../sql.ts';
import { StandardSqlDialect } from './standard.ts';
import * as indexDdl from './sqlite-indexes.ts';
import { SQLITE_AUX_TABLES, SQLITE_DATA_TABLES } from './sqlite-system-tables.ts';

const COLUMN_TYPES: Record<ColumnKind, string> = {
  text: "TEXT DEFAULT '' NOT NULL",
  textPrimaryKey: "TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL",
  number: 'NUMERIC DEFAULT 0 NOT NULL',
  bool: 'BOOLEAN DEFAULT FALSE NOT NULL',
  json: 'JSON DEFAULT NULL',
  jsonArray: "JSON DEFAULT '[]' NOT NULL",
  geoPoint: `JSON DEFAULT '{"lon":0,"lat":0}' NOT NULL`,
  date: "TEXT DEFAULT '' NOT NULL",
};

/** Builds a JSON path such as `$."a"[0]."b"`; the path is always bound, never spliced. */
export function jsonPathOf(path: readonly string[]): string {
  let out = '$';
  for (const key of path) {
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else out += `."${key.replace(/"/g, '')}"`;
  }
  return out;
}

/** The item list of a multi-value column: JSON arrays as they are, a scalar wrapped as a one-item array. */
const asJsonArray = (expr: Sql): Sql =>
  sql`(CASE WHEN json_valid(${expr}) AND json_type(${expr}) = 'array' THEN ${expr} ELSE json_array(${expr}) END)`;

/**
 * Text bytes x pattern bytes up to which `~` uses SQLite's own LIKE (see SqliteDialect.like):
 * its worst case there is ~25 µs a row (about 1.5 ns per byte pair), so the 256 rows between two
 * sampled scan guards hold the loop ~6 ms at most.
 */
export const NATIVE_LIKE_MAX_WORK = 16_384;

const SYSTEM_TABLES = { data: SQLITE_DATA_TABLES.map(raw), aux: SQLITE_AUX_TABLES.map(raw) };

export class SqliteDialect extends StandardSqlDialect implements Dialect {
  protected readonly columnTypes = COLUMN_TYPES;
  protected readonly indexDdl = indexDdl;
  protected readonly systemTableStatements = SYSTEM_TABLES;
  readonly name = 'sqlite' as const;
  readonly caps: DialectCaps = { transactionalDdl: true, rowid: true, nulInText: true, returning: true, anyTypeInColumns: true };

  /** octet_length reads the size from the row's header: the value itself is not loaded. */
  override storedBytes(expr: Sql, _type: ValueType): Sql {
    return sql`COALESCE(octet_length(${expr}), 0)`;
  }

  quoteIdent(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
  }

  placeholder(): string {
    return '?';
  }

  loopGuard(table: string | undefined, column: string, sample?: { readonly column: string; readonly every: number }): string {
    if (!table) return 'baton_tick()';
    // A sampled guard calls `baton_check`, which reads the clock, on one row in `every` (the
    // bitwise test costs a few ns a row, a call ~100 ns); per-row guards count their calls
    // instead and read the clock every 64 (see sqlite-budget.ts).
    if (sample) return `((${table}.${sample.column} & ${sample.every - 1}) <> 0 OR baton_check(${table}.${column}))`;
    return `baton_tick(${table}.${column})`;
  }

  like(left: Sql, right: Sql, negate: boolean): Sql {
    // `left LIKE right ESCAPE '\'`. SQLite's LIKE costs up to O(text x pattern) in one native
    // call that no loop guard can stop; baton_like (sqlite-like.js) is linear for `%literal%` and
    // checks the statement's budget as it works, but its JavaScript call costs ~250 ns a row more
    // (bench/sqlite-budgets.ts). So a row whose text bytes x pattern bytes are few, where LIKE's
    // worst case is a few µs, keeps SQLite's LIKE; the others go to baton_like. octet_length reads
    // a column's size from the row's header without loading the text, and is computed once for a
    // bound pattern. lower() folds ASCII only, as SQLite's LIKE does, so the function compares
    // exactly; the two branches answer alike (sqlite-like.test.ts).
    const e = sql`(CASE WHEN octet_length(${left}) * octet_length(${right}) <= ${raw(String(NATIVE_LIKE_MAX_WORK))} THEN ${left} LIKE ${right} ESCAPE '\\' ELSE baton_like(lower(${left}), lower(${right})) END)`;
    return negate ? sql`NOT ${e}` : e;
  }

  lower(expr: Sql): Sql {
    return sql`LOWER(${expr})`;
  }

  comparable(left: TypedSql, right: TypedSql): { left: Sql; right: Sql; type: ExprType } {
    // SQLite's own comparison rules are the reference the other dialects reproduce.
    // ('dynamic': SQLite values carry their type row by row, whatever the column says.)
    return { left: left.sql, right: right.sql, type: 'dynamic' };
  }

  cast(expr: Sql, _from: ExprType, _to: ValueType): Sql {
    // SQLite converts by column affinity itself; the other dialects reproduce what it does.
    return expr;
  }

  jsonArrayLength(expr: Sql, _list: boolean): Sql {
    return sql`(CASE WHEN json_valid(${expr}) AND json_type(${expr}) = 'array' THEN json_array_length(${expr}) WHEN ${expr} IS NULL OR ${expr} = '' THEN 0 ELSE 1 END)`;
  }

  jsonEach(expr: Sql, alias: string, _list: boolean): Sql {
    return sql`json_each(${asJsonArray(expr)}) AS ${ident(alias)}`;
  }

  strftime(format: ConstSql, expr?: Sql, modifiers: readonly ConstSql[] = []): Sql {
    return expr ? sql`strftime(${join([format.sql, expr, ...modifiers.map((m) => m.sql)])})` : sql`strftime(${format.sql})`;
  }

  random(): Sql {
    return raw('RANDOM()');
  }

  inValues(expr: Sql, values: readonly (string | number)[]): Sql {
    return sql`${expr} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
  }

  nullSafeEqual(left: Sql, right: Sql, negate: boolean): Sql {
    return negate ? sql`${left} IS NOT ${right}` : sql`${left} IS ${right}`;
  }

  concat(parts: readonly Sql[]): Sql {
    return sql`(${join(parts, ' || ')})`;
  }

  jsonValue(expr: Sql, path: readonly string[]): Sql {
    // A non-JSON value is wrapped as {"pb": value} so the same path can still be applied to it.
    // Each row parses the whole value (up to a json field's maxSize) in one native call: a
    // guarded statement holding one runs on a reader thread at once (`offLoop`, ReadExecutor).
    return sql`${offLoop()}(CASE WHEN json_valid(${expr}) THEN JSON_EXTRACT(${expr}, ${jsonPathOf(path)}) ELSE JSON_EXTRACT(json_object('pb', ${expr}), ${jsonPathOf(['pb', ...path])}) END)`;
  }

  convertColumn(expr: Sql, from: ColumnKind, to: ColumnKind): Sql {
    // One value <-> several (a select/relation's maxSelect changed), as PocketBase converts them:
    // a single value becomes a one-item list, a list keeps its last item.
    if (to === 'jsonArray' && from !== 'jsonArray') {
      return sql`(CASE WHEN ${expr} IS NULL OR ${expr} = '' THEN '[]' WHEN json_valid(${expr}) AND json_type(${expr}) = 'array' THEN ${expr} ELSE json_array(${expr}) END)`;
    }
    if (from === 'jsonArray' && to !== 'jsonArray') {
      return sql`(CASE WHEN json_valid(${expr}) AND json_type(${expr}) = 'array' THEN COALESCE(json_extract(${expr}, '$[#-1]'), '') ELSE COALESCE(${expr}, '') END)`;
    }
    return expr;
  }

  /** A column declared TEXT (as record tables declare their id): not an expression's, which has no type. */
  isTextType(type: string): boolean {
    return /^TEXT$/i.test(type.trim());
  }

  tableColumns(table: string): Sql {
    return sql`SELECT name, type FROM pragma_table_info(${table})`;
  }

  /** The rowid: SQLite lists a table in its order, and gives a new row the next one. */
  rowOrder(): RowOrder {
    const expr = sql`${ident('_rowid_')}`;
    return { expr, after: (last) => sql`${expr} > ${last}` };
  }

  /** The database file's path as opened. */
  databaseIdentity(): Sql {
    return sql`SELECT file AS identity FROM pragma_database_list WHERE name = 'main'`;
  }

  classifyError(e: unknown): DbErrorInfo | undefined {
    const err = e as { code?: unknown; message?: unknown };
    if (typeof err?.code !== 'string' || !err.code.startsWith('SQLITE_')) return undefined;
    const message = typeof err.message === 'string' ? err.message : '';
    // "UNIQUE constraint failed: demo.title, demo.other" / "NOT NULL constraint failed: demo.title"
    const columns = () => message.split(':')[1]?.split(',').map((s) => s.trim().split('.').pop() ?? '').filter(Boolean) ?? [];
    switch (err.code) {
      case 'SQLITE_CONSTRAINT_UNIQUE':
      case 'SQLITE_CONSTRAINT_PRIMARYKEY':
        return { kind: 'unique', columns: columns() };
      case 'SQLITE_CONSTRAINT_NOTNULL':
        return { kind: 'notNull', columns: columns() };
      case 'SQLITE_CONSTRAINT_FOREIGNKEY':
        return { kind: 'foreignKey' };
      case 'SQLITE_BUSY':
      case 'SQLITE_LOCKED':
        return { kind: 'busy' };
      case 'SQLITE_INTERRUPT':
        return { kind: 'timeout' };
      case 'SQLITE_ERROR':
      case 'SQLITE_MISMATCH':
        return { kind: 'statement' };
      default:
        return err.code.startsWith('SQLITE_CONSTRAINT') ? { kind: 'check' } : undefined;
    }
  }
}

export const sqliteDialect = new SqliteDialect() satisfies Dialect;
