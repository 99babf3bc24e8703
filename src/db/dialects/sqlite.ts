import { ApiError, fieldError } from '../../kernel/errors.ts';
import type { ColumnKind, ColumnSpec, Dialect } from '../dialect.ts';
import { ident, join, raw, sql, type Sql } from '../sql.ts';
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

export class SqliteDialect implements Dialect {
  readonly name = 'sqlite' as const;
  readonly caps = { returning: true, transactionalDdl: true };

  quoteIdent(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
  }

  placeholder(): string {
    return '?';
  }

  like(left: Sql, right: Sql, negate: boolean): Sql {
    // SQLite's LIKE is already case-insensitive for ASCII.
    return negate ? sql`${left} NOT LIKE ${right} ESCAPE '\\'` : sql`${left} LIKE ${right} ESCAPE '\\'`;
  }

  lower(expr: Sql): Sql {
    return sql`LOWER(${expr})`;
  }

  jsonExtract(expr: Sql, path: readonly string[]): Sql {
    return sql`JSON_EXTRACT(${expr}, ${jsonPathOf(path)})`;
  }

  jsonArrayLength(expr: Sql): Sql {
    return sql`(CASE WHEN json_valid(${expr}) AND json_type(${expr}) = 'array' THEN json_array_length(${expr}) WHEN ${expr} IS NULL OR ${expr} = '' THEN 0 ELSE 1 END)`;
  }

  jsonEach(expr: Sql, alias: string): Sql {
    return sql`json_each(${asJsonArray(expr)}) AS ${ident(alias)}`;
  }

  strftime(format: Sql, expr?: Sql, modifiers: readonly Sql[] = []): Sql {
    return expr ? sql`strftime(${join([format, expr, ...modifiers])})` : sql`strftime(${format})`;
  }

  geoDistance(lonA: Sql, latA: Sql, lonB: Sql, latB: Sql): Sql {
    // Haversine on a sphere of the Earth's mean radius (6371 km).
    return sql`(6371 * 2 * asin(sqrt(pow(sin(radians(${latB} - ${latA}) / 2), 2) + cos(radians(${latA})) * cos(radians(${latB})) * pow(sin(radians(${lonB} - ${lonA}) / 2), 2))))`;
  }

  random(): Sql {
    return raw('RANDOM()');
  }

  rowid(tableAlias: string): Sql {
    return sql`${ident(tableAlias, '_rowid_')}`;
  }

  inValues(expr: Sql, values: readonly (string | number)[]): Sql {
    return sql`${expr} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
  }

  limitOffset(limit: number, offset: number): Sql {
    return sql` LIMIT ${Math.trunc(limit)} OFFSET ${Math.trunc(offset)}`;
  }

  nullSafeEqual(left: Sql, right: Sql, negate: boolean): Sql {
    return negate ? sql`${left} IS NOT ${right}` : sql`${left} IS ${right}`;
  }

  concat(parts: readonly Sql[]): Sql {
    return sql`(${join(parts, ' || ')})`;
  }

  jsonExtractLenient(expr: Sql, path: readonly string[]): Sql {
    // A non-JSON value is wrapped as {"pb": value} so the same path can still be applied to it.
    return sql`(CASE WHEN json_valid(${expr}) THEN JSON_EXTRACT(${expr}, ${jsonPathOf(path)}) ELSE JSON_EXTRACT(json_object('pb', ${expr}), ${jsonPathOf(['pb', ...path])}) END)`;
  }

  columnType(kind: ColumnKind): string {
    return COLUMN_TYPES[kind];
  }

  createTable(table: string, columns: readonly ColumnSpec[]): Sql {
    const cols = columns.map((c) => sql`${ident(c.name)} ${raw(this.columnType(c.kind))}`);
    return sql`CREATE TABLE ${ident(table)} (${join(cols)})`;
  }

  addColumn(table: string, column: ColumnSpec): Sql {
    return sql`ALTER TABLE ${ident(table)} ADD COLUMN ${ident(column.name)} ${raw(this.columnType(column.kind))}`;
  }

  dropColumn(table: string, column: string): Sql {
    return sql`ALTER TABLE ${ident(table)} DROP COLUMN ${ident(column)}`;
  }

  renameColumn(table: string, from: string, to: string): Sql {
    return sql`ALTER TABLE ${ident(table)} RENAME COLUMN ${ident(from)} TO ${ident(to)}`;
  }

  renameTable(from: string, to: string): Sql {
    return sql`ALTER TABLE ${ident(from)} RENAME TO ${ident(to)}`;
  }

  dropTable(table: string): Sql {
    return sql`DROP TABLE IF EXISTS ${ident(table)}`;
  }

  createView(name: string, selectQuery: string): Sql {
    // The view query is a superuser-authored SELECT, validated by the collection service
    // (single statement, SELECT only) before it reaches here.
    // The newline ends a trailing `-- comment` in the query before the closing parenthesis.
    return sql`CREATE VIEW ${ident(name)} AS SELECT * FROM (${raw(selectQuery)}\n)`;
  }

  dropView(name: string): Sql {
    return sql`DROP VIEW IF EXISTS ${ident(name)}`;
  }

  systemTables() {
    return { data: SQLITE_DATA_TABLES, aux: SQLITE_AUX_TABLES };
  }

  tableColumns(table: string): Sql {
    return sql`SELECT name FROM pragma_table_info(${table})`;
  }

  isStatementError(e: unknown): boolean {
    return (e as { code?: unknown })?.code === 'SQLITE_ERROR';
  }

  translateError(e: unknown): ApiError | undefined {
    const err = e as { code?: string; message?: string };
    if (typeof err?.code !== 'string' || !err.code.startsWith('SQLITE_')) return undefined;
    const message = err.message ?? '';
    if (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      // "UNIQUE constraint failed: demo.title, demo.other"
      const cols = message.split(':')[1]?.split(',').map((s) => s.trim().split('.').pop() ?? '') ?? [];
      const data: Record<string, ReturnType<typeof fieldError>> = {};
      for (const c of cols) if (c) data[c] = fieldError('validation_not_unique', 'Value must be unique.');
      return new ApiError(400, 'Failed to save record.', data);
    }
    if (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED') {
      return new ApiError(503, 'The database is busy, please try again.');
    }
    if (err.code.startsWith('SQLITE_CONSTRAINT')) return new ApiError(400, 'Failed to save record.');
    return undefined;
  }
}

export const sqliteDialect = new SqliteDialect() satisfies Dialect;
