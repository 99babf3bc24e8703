import { ApiError } from '../../kernel/errors.ts';
import { VALUE_TYPE_OF, type ColumnKind, type ColumnSpec, type ConstSql, type DbErrorInfo, type Dialect, type DialectCaps, type ExprType, type TypedSql } from '../dialect.ts';
import type { IndexSpec } from '../indexes.ts';
import { ident, join, raw, sql, type Sql, type ValueType } from '../sql.ts';
import { StandardSqlDialect } from './standard.ts';
import { comparableAsSqlite } from './affinity.ts';
import * as indexDdl from './mysql-indexes.ts';
import { MYSQL_AUX_TABLES, MYSQL_DATA_TABLES, MYSQL_TABLE_OPTIONS, ROW_ID_COLUMN, TEXT_COLLATION } from './mysql-system-tables.ts';

/**
 * MariaDB (10.6+, tested on 10.11) through mysql2. Types are chosen so results match SQLite's:
 * - Text is utf8mb4 with the `utf8mb4_nopad_bin` collation: `=` is case-sensitive, trailing
 *   spaces count ('a' != 'a ', which every PAD SPACE collation, utf8mb4_bin included, gets
 *   wrong) and ordering is by code point. Every text the dialect produces (casts, JSON_TABLE
 *   columns, the connection's literals) uses the same collation, so none mixes with another.
 * - Numbers are DOUBLE, booleans BOOLEAN (TINYINT(1), so `true` is the number 1 as in SQLite),
 *   JSON documents MariaDB's JSON (LONGTEXT with a JSON_VALID check).
 * - Dates stay text in PocketBase's format (VARCHAR, so they can be index keys without a prefix).
 * MySQL's own conversions are never relied on: it reads 'abc' as the number 0, so every
 * conversion here is explicit and guarded (see affinity.ts for the rules reproduced).
 */
const TEXT = `CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`;
const JSON_COLUMN = `JSON COLLATE ${TEXT_COLLATION}`;
const NEW_ID = "(CONCAT('r', SUBSTR(MD5(RAND()), 1, 14)))";

const COLUMN_TYPES: Record<ColumnKind, string> = {
  text: `LONGTEXT ${TEXT} NOT NULL DEFAULT ''`,
  // UNIQUE, not PRIMARY KEY: createTable adds a hidden insertion-order key (ROW_ID_COLUMN).
  textPrimaryKey: `VARCHAR(255) ${TEXT} NOT NULL DEFAULT ${NEW_ID} UNIQUE`,
  number: 'DOUBLE NOT NULL DEFAULT 0',
  bool: 'BOOLEAN NOT NULL DEFAULT FALSE',
  json: `${JSON_COLUMN} DEFAULT NULL`,
  // Expression defaults: MySQL 8 refuses literal defaults on JSON/TEXT columns (MariaDB takes both).
  jsonArray: `${JSON_COLUMN} NOT NULL DEFAULT ('[]')`,
  geoPoint: `${JSON_COLUMN} NOT NULL DEFAULT ('{"lon":0,"lat":0}')`,
  date: `VARCHAR(255) ${TEXT} NOT NULL DEFAULT ''`,
};

/** What a NOT NULL column of each kind holds when a converted value is NULL. */
const EMPTY_VALUE: Record<ColumnKind, Sql | undefined> = {
  text: raw("''"),
  textPrimaryKey: raw("''"),
  date: raw("''"),
  number: raw('0'),
  bool: raw('0'),
  json: undefined,
  jsonArray: raw("'[]'"),
  geoPoint: raw(`'{"lon":0,"lat":0}'`),
};

const PLACEHOLDERS: Record<ValueType, string> = {
  // Typed so MySQL never compares a bound number with text by reading the text as a number.
  text: 'CAST(? AS CHAR)',
  number: 'CAST(? AS DOUBLE)',
  bool: '?',
  json: '?',
};

/** SQLite's numeric text (affinity.ts's pattern) in POSIX classes: no backslash, whatever the sql_mode. */
export const NUMERIC_TEXT_REGEXP = "'^[[:space:]]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?[[:space:]]*$'";

/** `\` as LIKE's escape character, written without a backslash so it reads the same with or without NO_BACKSLASH_ESCAPES. */
const BACKSLASH = 'CHAR(92 USING utf8mb4)';

/** A text column of a JSON_TABLE, collated as every other text. */
const JSON_TABLE_TEXT = `LONGTEXT ${TEXT}`;

/** Builds a JSON path such as `$."a"[0]."b"`; the path is always bound, never spliced. */
export function jsonPathOf(path: readonly string[]): string {
  let out = '$';
  for (const key of path) {
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else out += `."${key.replace(/["\\]/g, '')}"`;
  }
  return out;
}

/** The items of a multi-value column as a JSON array: arrays as they are, anything else a one-item array. */
const asJsonArray = (expr: Sql): Sql =>
  sql`(CASE WHEN JSON_VALID(${expr}) AND JSON_TYPE(${expr}) = 'ARRAY' THEN ${expr} ELSE JSON_ARRAY(${expr}) END)`;

const eachItem = (array: Sql, alias: string): Sql =>
  sql`JSON_TABLE(${array}, '$[*]' COLUMNS (${ident('value')} ${raw(JSON_TABLE_TEXT)} PATH '$')) AS ${ident(alias)}`;

const SYSTEM_TABLES = { data: MYSQL_DATA_TABLES.map(raw), aux: MYSQL_AUX_TABLES.map(raw) };

/** mysql2's server errors carry the server's error number and SQLSTATE. */
interface DriverError {
  errno: number;
  sqlState?: string;
  message: string;
}

const isDriverError = (e: unknown): e is DriverError =>
  typeof (e as DriverError | undefined)?.errno === 'number' && typeof (e as DriverError).message === 'string' &&
  (typeof (e as DriverError).sqlState === 'string' || (e as { code?: unknown }).code !== undefined);

/**
 * Columns of a violated unique key, attached to the driver error by MysqlDatabase (which can look
 * the key up); MariaDB's message names only the key.
 */
export const UNIQUE_COLUMNS = Symbol('baton.uniqueColumns');

/** The key named by a duplicate-entry message: "… for key 'idx_x'" (MySQL 8: 'table.idx_x'). */
export function duplicateKeyName(message: string): string | undefined {
  const m = /for key '([^']*)'\s*$/.exec(message);
  return m ? m[1].split('.').pop() : undefined;
}

const STATEMENT_ERRORS = new Set([
  1050, 1051, 1052, 1054, 1060, 1061, 1064, 1067, 1071, 1091, 1101, 1111, 1146, 1170, 1221, 1222, 1241, 1242,
  1264, 1265, 1267, 1270, 1271, 1292, 1300, 1305, 1365, 1366, 1406, 1582, 1583, 1584, 1630, 1690, 3140, 3141, 3143, 4037, 4038,
  4078, 4161,
]);

/** 26 nested REPLACE() calls turning 'A'..'Z' into 'a'..'z' (our own constant SQL). */
const ASCII_LOWER_HEAD = 'REPLACE('.repeat(26);
const ASCII_LOWER_TAIL = Array.from({ length: 26 }, (_, i) => `, '${String.fromCharCode(65 + i)}', '${String.fromCharCode(97 + i)}')`).join('');

export class MysqlDialect extends StandardSqlDialect implements Dialect {
  protected readonly columnTypes = COLUMN_TYPES;
  protected readonly indexDdl = indexDdl;
  protected readonly systemTableStatements = SYSTEM_TABLES;
  readonly name = 'mysql' as const;
  readonly caps: DialectCaps = { transactionalDdl: false, rowid: false, nulInText: true, returning: false };

  quoteIdent(name: string): string {
    return `\`${name.replace(/`/g, '``')}\``;
  }

  placeholder(_n: number, type?: ValueType): string {
    return type ? PLACEHOLDERS[type] : '?';
  }

  like(left: Sql, right: Sql, negate: boolean): Sql {
    // Both sides lower-cased: the binary collation keeps LIKE case-sensitive otherwise, and a
    // case-insensitive collation (`_general_ci`) would also equate accented letters ('ä' LIKE 'a').
    const op = raw(negate ? 'NOT LIKE' : 'LIKE');
    return sql`(${this.lower(left)} ${op} ${this.lower(right)} ESCAPE ${raw(BACKSLASH)})`;
  }

  lower(expr: Sql): Sql {
    // ASCII letters only, as SQLite's LOWER and LIKE fold: MySQL's LOWER() also folds 'É' to 'é',
    // and no collation folds ASCII alone. REPLACE under the binary collation is exact.
    return sql`${raw(ASCII_LOWER_HEAD)}${expr}${raw(ASCII_LOWER_TAIL)}`;
  }

  comparable(left: TypedSql, right: TypedSql): { left: Sql; right: Sql; type: ExprType } {
    return comparableAsSqlite(this, left, right);
  }

  /**
   * Conversions as SQLite makes them. `dynamic` values (jsonValue) are JSON texts; a `json`
   * value is a JSON column or bound JSON text, read as SQLite reads a JSON column: as its text.
   */
  cast(expr: Sql, from: ExprType, to: ValueType): Sql {
    if (from === to || from === 'null') return expr;
    const json = from === 'json' || from === 'dynamic';
    switch (to) {
      case 'text':
        if (from === 'dynamic') {
          // json_extract() in SQLite: strings unquoted, true/false as 1/0, the rest as JSON text.
          return sql`(CASE JSON_TYPE(${expr}) WHEN 'STRING' THEN CAST(JSON_UNQUOTE(${expr}) AS CHAR) WHEN 'BOOLEAN' THEN IF(${expr} = 'true', '1', '0') ELSE ${expr} END)`;
        }
        if (json) return expr;
        return sql`CAST(${expr} AS CHAR)`;
      case 'number':
        if (json) return this.jsonScalar(expr, from, sql`CAST(${expr} AS DOUBLE)`);
        if (from === 'bool') return expr;
        return sql`(CASE WHEN ${expr} REGEXP ${raw(NUMERIC_TEXT_REGEXP)} THEN CAST(TRIM(${expr}) AS DOUBLE) END)`;
      case 'bool':
        // Booleans are the numbers 1 and 0 here as in SQLite: 2 = true is false in both.
        if (json) return this.jsonScalar(expr, from, sql`CAST(${expr} AS DOUBLE)`);
        if (from === 'number') return expr;
        return sql`(CASE WHEN ${expr} REGEXP ${raw(NUMERIC_TEXT_REGEXP)} THEN CAST(TRIM(${expr}) AS DOUBLE) <> 0 WHEN LOWER(${expr}) IN ('true', 't') THEN 1 ELSE 0 END)`;
      case 'json':
        // What SQLite stores in a JSON column: the text as it is, read back as JSON where it is JSON.
        if (from === 'text') return sql`(CASE WHEN JSON_VALID(${expr}) THEN ${expr} ELSE JSON_QUOTE(${expr}) END)`;
        return sql`CAST(${expr} AS CHAR)`;
    }
  }

  /** A JSON number as a number, true/false as 1/0, anything else NULL. */
  private jsonScalar(expr: Sql, from: ExprType, asNumber: Sql): Sql {
    const guard = from === 'json' ? sql`CASE WHEN NOT JSON_VALID(${expr}) THEN NULL ELSE JSON_TYPE(${expr}) END` : sql`JSON_TYPE(${expr})`;
    return sql`(CASE ${guard} WHEN 'INTEGER' THEN ${asNumber} WHEN 'DOUBLE' THEN ${asNumber} WHEN 'BOOLEAN' THEN IF(${expr} = 'true', 1, 0) END)`;
  }

  jsonValue(expr: Sql, path: readonly string[]): Sql {
    // The value is JSON text: JSON null becomes SQL NULL; casts turn it into text/number/bool.
    // Plain text (CAST), not the JSON function's result, which MariaDB compares "JSON-aware":
    // JSON_EXTRACT(…) = 'null' holds for the string "null" too, and two equal results can differ.
    const extracted = sql`NULLIF(CAST(JSON_EXTRACT(${expr}, ${jsonPathOf(path)}) AS CHAR), 'null')`;
    // MariaDB reads `$[0]` on a non-array as the value itself; SQLite finds nothing there.
    const arrays: Sql[] = [];
    path.forEach((key, i) => {
      if (!/^\d+$/.test(key)) return;
      const parent = i === 0 ? expr : sql`JSON_EXTRACT(${expr}, ${jsonPathOf(path.slice(0, i))})`;
      arrays.push(sql`JSON_TYPE(${parent}) = 'ARRAY'`);
    });
    const found = arrays.length ? sql`(CASE WHEN ${join(arrays, ' AND ')} THEN ${extracted} END)` : extracted;
    // Text that is not JSON reads as a JSON string (at the root; nothing below it), as in SQLite.
    const invalid = path.length === 0 ? sql`CAST(JSON_QUOTE(${expr}) AS CHAR)` : raw('NULL');
    return sql`(CASE WHEN JSON_VALID(${expr}) THEN ${found} ELSE ${invalid} END)`;
  }

  jsonArrayLength(expr: Sql, list: boolean): Sql {
    if (!list) return sql`(CASE WHEN ${expr} IS NULL OR ${expr} = '' THEN 0 ELSE 1 END)`;
    return sql`(CASE WHEN ${expr} IS NULL THEN 0 WHEN JSON_VALID(${expr}) AND JSON_TYPE(${expr}) = 'ARRAY' THEN JSON_LENGTH(${expr}) WHEN ${expr} = '' THEN 0 ELSE 1 END)`;
  }

  jsonEach(expr: Sql, alias: string, list: boolean): Sql {
    // JSON_TABLE may read the columns of the FROM items before it (LEFT JOIN … ON 1=1, a comma
    // join) and of an outer query, like SQLite's json_each.
    return eachItem(list ? asJsonArray(expr) : sql`JSON_ARRAY(${expr})`, alias);
  }

  strftime(format: ConstSql, expr?: Sql, modifiers: readonly ConstSql[] = []): Sql {
    const constant = (c: ConstSql, what: string): string => {
      if (c.text === undefined) throw new ApiError(400, `Invalid filter: strftime() ${what} must be a constant string on MySQL`);
      return c.text;
    };
    return compileStrftime(
      constant(format, 'format'),
      expr,
      modifiers.map((m, i) => constant(m, `modifier ${i + 1}`)),
    );
  }

  random(): Sql {
    return raw('RAND()');
  }

  inValues(expr: Sql, values: readonly (string | number)[]): Sql {
    return sql`${expr} IN (SELECT ${ident('_in', 'value')} FROM ${eachItem(sql`${JSON.stringify(values.map(String))}`, '_in')})`;
  }

  nullSafeEqual(left: Sql, right: Sql, negate: boolean): Sql {
    return negate ? sql`NOT (${left} <=> ${right})` : sql`(${left} <=> ${right})`;
  }

  concat(parts: readonly Sql[]): Sql {
    // `||` is OR in MySQL (unless PIPES_AS_CONCAT).
    return sql`CONCAT(${join(parts)})`;
  }

  override createTable(table: string, columns: readonly ColumnSpec[]): Sql {
    const cols = columns.map((c) => sql`${ident(c.name)} ${raw(COLUMN_TYPES[c.kind])}`);
    if (columns.some((c) => c.kind === 'textPrimaryKey')) cols.unshift(raw(ROW_ID_COLUMN));
    return sql`CREATE TABLE ${ident(table)} (${join(cols)}) ${raw(MYSQL_TABLE_OPTIONS)}`;
  }

  override renameTable(from: string, to: string): Sql {
    return sql`RENAME TABLE ${ident(from)} TO ${ident(to)}`;
  }

  override renameTables(pairs: ReadonlyArray<readonly [from: string, to: string]>): Sql[] {
    // One RENAME TABLE is atomic in MySQL: every table moves, or none does.
    if (pairs.length === 0) return [];
    return [sql`RENAME TABLE ${join(pairs.map(([from, to]) => sql`${ident(from)} TO ${ident(to)}`))}`];
  }

  convertColumn(expr: Sql, from: ColumnKind, to: ColumnKind): Sql {
    const fromType = VALUE_TYPE_OF[from];
    const toType = VALUE_TYPE_OF[to];
    const orEmpty = (e: Sql): Sql => (EMPTY_VALUE[to] ? sql`COALESCE(${e}, ${EMPTY_VALUE[to]})` : e);
    // One value <-> several (a select/relation's maxSelect changed), as PocketBase converts them:
    // a single value becomes a one-item list, a list keeps its last item.
    if (to === 'jsonArray' && from !== 'jsonArray') {
      const asText = this.cast(expr, fromType, 'text');
      return sql`(CASE WHEN ${expr} IS NULL OR ${asText} = '' THEN '[]' WHEN JSON_VALID(${asText}) AND JSON_TYPE(${asText}) = 'ARRAY' THEN ${asText} ELSE JSON_ARRAY(${expr}) END)`;
    }
    if (from === 'jsonArray' && to !== 'jsonArray') {
      // (A computed index: MariaDB 10.11 misreads '$[last]' when the expression is evaluated twice.)
      const last = sql`NULLIF(CAST(JSON_EXTRACT(${expr}, CONCAT('$[', JSON_LENGTH(${expr}) - 1, ']')) AS CHAR), 'null')`;
      const asKind = (e: Sql) => (toType === 'json' ? e : toType === 'bool' ? sql`(${this.cast(e, 'dynamic', 'bool')} <> 0)` : this.cast(e, 'dynamic', toType));
      const item = asKind(last);
      return orEmpty(sql`(CASE WHEN JSON_TYPE(${expr}) = 'ARRAY' THEN ${item} ELSE ${asKind(expr)} END)`);
    }
    // A number stored as a BOOLEAN must fit TINYINT: 1000 is true, not an out-of-range error.
    if (toType === 'bool' && fromType !== 'bool') return orEmpty(sql`(${this.cast(expr, fromType, toType)} <> 0)`);
    return orEmpty(this.cast(expr, fromType, toType));
  }

  tableColumns(table: string): Sql {
    // Index helper columns (mysql-indexes.ts) are INVISIBLE: not part of the collection.
    return sql`SELECT COLUMN_NAME AS ${ident('name')} FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table} AND EXTRA NOT LIKE '%INVISIBLE%' ORDER BY ORDINAL_POSITION`;
  }

  classifyError(e: unknown): DbErrorInfo | undefined {
    if (!isDriverError(e)) return undefined;
    switch (e.errno) {
      case 1062: // ER_DUP_ENTRY
      case 1586: // ER_DUP_ENTRY_WITH_KEY_NAME
      case 1022: // ER_DUP_KEY
      case 1169: { // ER_DUP_UNIQUE
        const attached = (e as { [UNIQUE_COLUMNS]?: string[] })[UNIQUE_COLUMNS];
        const key = duplicateKeyName(e.message);
        // Without the looked-up columns: the id's key is named after it (or PRIMARY on older tables).
        return { kind: 'unique', columns: attached ?? (key === 'PRIMARY' || key === 'id' ? ['id'] : []) };
      }
      case 1048: // ER_BAD_NULL_ERROR: Column 'x' cannot be null
      case 1364: { // ER_NO_DEFAULT_FOR_FIELD: Field 'x' doesn't have a default value
        const m = /^(?:Column|Field) '([^']+)'/.exec(e.message);
        return { kind: 'notNull', columns: m ? [m[1]] : [] };
      }
      case 1451: case 1452: case 1216: case 1217:
        return { kind: 'foreignKey' };
      case 4025: case 3819: // CHECK constraint failed (MariaDB, MySQL): a JSON column given invalid JSON
        return { kind: 'check' };
      case 1213:
        return { kind: 'deadlock' };
      case 1205:
        return { kind: 'lockTimeout' };
      case 1040: case 1203:
        return { kind: 'busy' };
      case 1969: case 3024: case 1317: case 1028:
        return { kind: 'timeout' };
      default:
        return STATEMENT_ERRORS.has(e.errno) || e.sqlState?.startsWith('42') ? { kind: 'statement' } : undefined;
    }
  }
}

export const mysqlDialect = new MysqlDialect() satisfies Dialect;

// ---------------------------------------------------------------- strftime
//
// SQLite's strftime(format, time, modifiers…) translated when the filter is compiled: the format
// and the modifiers are constant text (the filter language takes only literals there), so they become
// DATE_FORMAT and date arithmetic; only the time value is read at run time. A time value is a
// DATETIME(6) holding whole milliseconds (SQLite's own precision), NULL where SQLite's would be
// invalid. A value used more than once is bound once through a one-row JSON_TABLE (`bindOnce`),
// so the SQL grows linearly with the number of modifiers. MariaDB's DATETIME holds years
// 0000-9999 (SQLite: 0000-9999 too, and julian days before that).

const DATETIME = 'DATETIME(6)';
const EPOCH = raw("TIMESTAMP'1970-01-01 00:00:00'");
/** 1970-01-01 as a julian day number in milliseconds (SQLite's internal clock). */
const JD_EPOCH_MS = 210866760000000;
const DAY_MS = 86_400_000;

const DATE_RE = "'^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([[:space:]T]*(([01][0-9]|2[0-4]):[0-5][0-9](:[0-5][0-9]([.][0-9]+)?)?([[:space:]]*([Zz]|[-+](0[0-9]|1[0-4]):[0-5][0-9]))?[[:space:]]*)?)?$'";
const TIME_RE = "'^([01][0-9]|2[0-4]):[0-5][0-9](:[0-5][0-9]([.][0-9]+)?)?([[:space:]]*([Zz]|[-+](0[0-9]|1[0-4]):[0-5][0-9]))?[[:space:]]*$'";
const TIME_PART_RE = "'[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?'";
const TZ_PART_RE = "'[-+][0-9]{2}:[0-9]{2}[[:space:]]*$'";

/**
 * How the time value is read, as SQLite's first modifier may say: `default` takes date texts and
 * numbers as julian days; 'julianday'/'unixepoch' take numbers only; 'auto' guesses the number's unit.
 */
type NumericMode = 'default' | 'julianday' | 'unixepoch' | 'auto';

type DateOp =
  | { kind: 'addMs'; ms: number }
  | { kind: 'months'; n: number }
  | { kind: 'startOf'; unit: 'day' | 'month' | 'year' }
  | { kind: 'weekday'; n: number }
  | { kind: 'floor' }
  | { kind: 'subsec' };

interface Xform {
  limit: number;
  ms: number;
}

// SQLite's aXformType: the largest amounts it accepts and the length of each unit.
const XFORMS: Record<string, Xform> = {
  second: { limit: 4.6427e14, ms: 1000 },
  minute: { limit: 7.7379e12, ms: 60_000 },
  hour: { limit: 1.2897e11, ms: 3_600_000 },
  day: { limit: 5373485.0, ms: DAY_MS },
  month: { limit: 176546.0, ms: 30 * DAY_MS },
  year: { limit: 14713.0, ms: 365 * DAY_MS },
};

const PURE_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const SQLITE_SPACE = /^[ \t\n\v\f\r]+/;

/** C's `(sqlite3_int64)(x + rounder)`: rounds half away from zero. */
const roundAway = (x: number): number => Math.trunc(x + (x < 0 ? -0.5 : 0.5));

/** Milliseconds of an `HH:MM[:SS[.fff]]` time as SQLite's parseHhMmSs reads it, or undefined. */
function timeMs(text: string): number | undefined {
  const m = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?[ \t\n\v\f\r]*$/.exec(text);
  if (!m) return undefined;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 24 || min > 59 || s > 59) return undefined;
  const frac = Math.min(Number(`0.${m[4] ?? '0'}`), 0.999);
  return h * 3_600_000 + min * 60_000 + Math.trunc((s + frac) * 1000 + 0.5);
}

/**
 * One modifier as SQLite's parseModifier reads it (case-insensitive, no surrounding spaces):
 * the operations it stands for, a numeric mode when it is the first one, or null where SQLite
 * refuses it (and strftime answers NULL).
 */
function parseModifier(z: string, first: boolean): DateOp[] | NumericMode | null {
  const lower = z.toLowerCase();
  if (lower === 'unixepoch' || lower === 'auto' || lower === 'julianday') return first ? lower : null;
  // The server runs in UTC: local time is UTC, as PostgreSQL's translation assumes too.
  if (lower === 'localtime' || lower === 'utc' || lower === 'ceiling') return [];
  if (lower === 'floor') return [{ kind: 'floor' }];
  if (lower === 'subsec' || lower === 'subsecond') return [{ kind: 'subsec' }];
  if (lower.startsWith('start of ')) {
    const unit = lower.slice(9);
    return unit === 'day' || unit === 'month' || unit === 'year' ? [{ kind: 'startOf', unit }] : null;
  }
  if (lower.startsWith('weekday ')) {
    const r = Number(lower.slice(8).trim());
    return PURE_NUMBER.test(lower.slice(8).trim()) && Number.isInteger(r) && r >= 0 && r < 7 ? [{ kind: 'weekday', n: r }] : null;
  }
  if (!/^[-+0-9]/.test(z)) return null;
  let n = 1;
  for (; n < z.length; n++) {
    const c = z[n];
    if (c === ':' || /[ \t\n\v\f\r]/.test(c)) break;
    if (c === '-' && ((n === 5 && /^\d{4}$/.test(z.slice(1, 5))) || (n === 6 && /^\d{5}$/.test(z.slice(1, 6))))) break;
  }
  if (!PURE_NUMBER.test(z.slice(0, n))) return null;
  const r = Number(z.slice(0, n));
  const negative = z[0] === '-';
  if (z[n] === ':') {
    // ±HH:MM[:SS[.fff]]: a time of day added (whole days dropped, as SQLite does).
    const ms = timeMs(/\d/.test(z[0]) ? z : z.slice(1));
    return ms === undefined ? null : [{ kind: 'addMs', ms: (negative ? -1 : 1) * (ms % DAY_MS) }];
  }
  if (z[n] === '-') {
    // ±YYYY-MM-DD[ HH:MM[:SS[.fff]]]: years and months as month arithmetic, then days and time.
    const m = /^[-+](\d{4,5})-(\d{2})-(\d{2})(?:[ \t\n\v\f\r](.*))?$/.exec(z);
    if (!m || (z[0] !== '+' && z[0] !== '-')) return null;
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (mo >= 12 || d >= 31) return null;
    const sign = negative ? -1 : 1;
    const ops: DateOp[] = [{ kind: 'months', n: sign * (y * 12 + mo) }, { kind: 'addMs', ms: sign * d * DAY_MS }];
    if (m[4] !== undefined) {
      const ms = timeMs(m[4]);
      if (ms === undefined) return null;
      // SQLite applies the sign to the time only when the year has four digits.
      ops.push({ kind: 'addMs', ms: (negative && m[1].length === 4 ? -1 : 1) * (ms % DAY_MS) });
    }
    return ops;
  }
  const rest = z.slice(n).replace(SQLITE_SPACE, '');
  if (rest.length < 3 || rest.length > 10) return null;
  const unit = rest.toLowerCase().replace(/s$/, '');
  const xform = Object.hasOwn(XFORMS, unit) ? XFORMS[unit] : undefined;
  if (!xform || !(r > -xform.limit && r < xform.limit)) return null;
  if (unit === 'month' || unit === 'year') {
    const whole = Math.trunc(r);
    const ops: DateOp[] = [{ kind: 'months', n: unit === 'year' ? whole * 12 : whole }];
    if (r !== whole) ops.push({ kind: 'addMs', ms: roundAway((r - whole) * xform.ms) });
    return ops;
  }
  return [{ kind: 'addMs', ms: roundAway(r * xform.ms) }];
}

/** Format letters DATE_FORMAT renders exactly as SQLite does. */
const NATIVE_LETTERS: Readonly<Record<string, string>> = {
  d: '%d', F: '%Y-%m-%d', H: '%H', I: '%h', j: '%j', m: '%m', M: '%i', p: '%p', R: '%H:%i', S: '%S', T: '%H:%i:%S',
  U: '%U', V: '%v', G: '%x', w: '%w', Y: '%Y', '%': '%%',
};

const text = (e: Sql): Sql => sql`CAST(${e} AS CHAR)`;
const micros = (ts: Sql): Sql => sql`TIMESTAMPDIFF(MICROSECOND, ${EPOCH}, ${ts})`;

/** Format letters needing more than DATE_FORMAT. */
const CUSTOM_LETTERS: Readonly<Record<string, (ts: Sql, subsec: boolean) => Sql>> = {
  e: (ts) => sql`LPAD(DAY(${ts}), 2, ' ')`,
  f: (ts) => sql`SUBSTR(DATE_FORMAT(${ts}, '%S.%f'), 1, 6)`,
  g: (ts) => sql`RIGHT(DATE_FORMAT(${ts}, '%x'), 2)`,
  // %.16g of the julian day: 16 significant digits are 9 decimals for every DATETIME year.
  // (`+ 0e0` drops ROUND's fixed decimals, so the double prints in its shortest form, as %g does.)
  J: (ts) => text(sql`ROUND((${micros(ts)} DIV 1000 + ${raw(String(JD_EPOCH_MS))}) / 86400000e0, 9) + 0e0`),
  k: (ts) => sql`LPAD(HOUR(${ts}), 2, ' ')`,
  l: (ts) => sql`LPAD(MOD(HOUR(${ts}) + 11, 12) + 1, 2, ' ')`,
  P: (ts) => sql`LOWER(DATE_FORMAT(${ts}, '%p'))`,
  s: (ts, subsec) => text(subsec ? sql`CAST(${micros(ts)} DIV 1000 / 1000 AS DECIMAL(20, 3))` : sql`FLOOR(${micros(ts)} / 1000000)`),
  u: (ts) => text(sql`WEEKDAY(${ts}) + 1`),
  W: (ts) => sql`LPAD(WEEK(${ts}, 5), 2, '0')`,
};

type FormatPiece = { native: string } | { custom: (ts: Sql, subsec: boolean) => Sql };

/** The format as DATE_FORMAT runs and custom pieces, or null where SQLite answers NULL. */
function parseFormat(format: string): FormatPiece[] | null {
  const pieces: FormatPiece[] = [];
  const native = (s: string) => {
    const last = pieces[pieces.length - 1];
    if (last && 'native' in last) last.native += s;
    else pieces.push({ native: s });
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%') {
      native(c);
      continue;
    }
    const letter = format[++i];
    if (letter !== undefined && Object.hasOwn(NATIVE_LETTERS, letter)) native(NATIVE_LETTERS[letter]);
    else if (letter !== undefined && Object.hasOwn(CUSTOM_LETTERS, letter)) pieces.push({ custom: CUSTOM_LETTERS[letter] });
    else return null;
  }
  return pieces;
}

/** Translates one strftime() call; `time` absent: 'now'. */
function compileStrftime(format: string, time: Sql | undefined, modifiers: readonly string[]): Sql {
  let aliases = 0;
  /** `body(v)` with `value` computed once: a one-row JSON_TABLE binds it to `v`. */
  const bindOnce = (value: Sql, type: string, body: (v: Sql) => Sql): Sql => {
    const alias = `_bt${aliases++}`;
    return sql`(SELECT ${body(sql`${ident(alias, 'v')}`)} FROM JSON_TABLE(JSON_ARRAY(${value}), '$[*]' COLUMNS (${ident('v')} ${raw(type)} PATH '$')) AS ${ident(alias)})`;
  };

  const pieces = parseFormat(format);
  let mode: NumericMode = 'default';
  let subsec = false;
  const ops: DateOp[] = [];
  for (const [i, m] of modifiers.entries()) {
    const parsed = parseModifier(m, i === 0);
    if (parsed === null) return raw('NULL');
    if (typeof parsed === 'string') mode = parsed;
    else ops.push(...parsed);
  }
  if (!pieces || (time === undefined && ops.length > 0)) return raw('NULL');

  let ts = time === undefined ? sql`CAST(UTC_TIMESTAMP(3) AS ${raw(DATETIME)})` : bindOnce(time, JSON_TABLE_TEXT, (v) => parseTime(v, mode));
  for (const [i, op] of ops.entries()) {
    if (op.kind === 'subsec') subsec = true;
    else if (op.kind !== 'floor') ts = applyOp(ts, op, ops[i + 1]?.kind === 'floor', bindOnce);
  }
  if (pieces.length === 0) return sql`(CASE WHEN ${ts} IS NULL THEN NULL ELSE '' END)`;
  const render = (v: Sql) => {
    const parts = pieces.map((p) => ('native' in p ? sql`DATE_FORMAT(${v}, ${p.native})` : p.custom(v, subsec)));
    return parts.length === 1 ? parts[0] : sql`CONCAT(${join(parts)})`;
  };
  return pieces.length === 1 ? render(ts) : bindOnce(ts, DATETIME, render);
}

const startOfMonth = (v: Sql): Sql => sql`CAST(DATE_FORMAT(${v}, '%Y-%m-01') AS ${raw(DATETIME)})`;
const int = (n: number): Sql => raw(BigInt(n).toString());

function applyOp(ts: Sql, op: DateOp, floored: boolean, bindOnce: (value: Sql, type: string, body: (v: Sql) => Sql) => Sql): Sql {
  switch (op.kind) {
    case 'addMs':
      return sql`DATE_ADD(${ts}, INTERVAL ${raw((BigInt(op.ms) * 1000n).toString())} MICROSECOND)`;
    case 'startOf':
      if (op.unit === 'day') return sql`CAST(DATE(${ts}) AS ${raw(DATETIME)})`;
      return sql`CAST(DATE_FORMAT(${ts}, ${raw(op.unit === 'month' ? "'%Y-%m-01'" : "'%Y-01-01'")}) AS ${raw(DATETIME)})`;
    case 'months':
      // MySQL clamps Jan 31 + 1 month to Feb 29, which is SQLite's 'floor'; by default SQLite
      // lets the day overflow into March: the month's start, plus the months, plus the offset.
      if (floored) return sql`DATE_ADD(${ts}, INTERVAL ${int(op.n)} MONTH)`;
      return bindOnce(ts, DATETIME, (v) =>
        sql`DATE_ADD(DATE_ADD(${startOfMonth(v)}, INTERVAL ${int(op.n)} MONTH), INTERVAL TIMESTAMPDIFF(MICROSECOND, ${startOfMonth(v)}, ${v}) MICROSECOND)`,
      );
    case 'weekday':
      return bindOnce(ts, DATETIME, (v) => sql`DATE_ADD(${v}, INTERVAL MOD(${int(op.n)} - DAYOFWEEK(${v}) + 8, 7) DAY)`);
    default:
      return ts;
  }
}

/** A time value's text as SQLite reads it, as DATETIME(6); `v` is bound once. */
function parseTime(v: Sql, mode: NumericMode): Sql {
  const r = sql`CAST(TRIM(${v}) AS DOUBLE)`;
  const fromMs = (ms: Sql) => sql`DATE_ADD(${EPOCH}, INTERVAL (${ms}) * 1000 MICROSECOND)`;
  const julian = sql`CASE WHEN ${r} >= 0 AND ${r} < 5373484.5 THEN ${fromMs(sql`CAST(FLOOR(${r} * 86400000 + 0.5) AS SIGNED) - ${raw(String(JD_EPOCH_MS))}`)} END`;
  const unix = sql`CASE WHEN ${r} * 1000 + ${raw(String(JD_EPOCH_MS))} >= 0 AND ${r} * 1000 + ${raw(String(JD_EPOCH_MS))} < 464269060800000 THEN ${fromMs(sql`CAST(FLOOR(${r} * 1000 + 0.5) AS SIGNED)`)} END`;
  const numeric =
    mode === 'unixepoch' ? unix
    : mode !== 'auto' ? julian
    : sql`CASE WHEN ${r} >= 0 AND ${r} < 5373484.5 THEN (${julian}) WHEN ${r} >= -210866760000 AND ${r} <= 253402300799 THEN (${unix}) END`;
  const isNumber = sql`WHEN ${v} REGEXP ${raw(NUMERIC_TEXT_REGEXP)} THEN ${numeric}`;
  // 'unixepoch' and 'julianday' read numbers only: SQLite refuses them after a date text.
  if (mode === 'unixepoch' || mode === 'julianday') return sql`(CASE ${isNumber} END)`;
  const tz = sql`REGEXP_SUBSTR(${v}, ${raw(TZ_PART_RE)})`;
  const tzMinutes = sql`IF(${tz} = '', 0, (CAST(SUBSTR(${tz}, 2, 2) AS SIGNED) * 60 + CAST(SUBSTR(${tz}, 5, 2) AS SIGNED)) * IF(LEFT(${tz}, 1) = '-', -1, 1))`;
  const at = (day: Sql, timeText: Sql) => {
    const ms = sql`CAST(ROUND(TIME_TO_SEC(CAST(COALESCE(NULLIF(REGEXP_SUBSTR(${timeText}, ${raw(TIME_PART_RE)}), ''), '00:00') AS TIME(6))) * 1000) AS SIGNED)`;
    return sql`DATE_ADD(${day}, INTERVAL (${ms} - ${tzMinutes} * 60000) * 1000 MICROSECOND)`;
  };
  // Day 31 of a 30-day month overflows into the next one, as in SQLite: the month's first day plus D-1 days.
  const date = sql`DATE_ADD(CAST(CONCAT(SUBSTR(${v}, 1, 7), '-01') AS DATE), INTERVAL CAST(SUBSTR(${v}, 9, 2) AS UNSIGNED) - 1 DAY)`;
  return sql`(CASE WHEN ${v} REGEXP ${raw(DATE_RE)} THEN ${at(date, sql`SUBSTR(${v}, 11)`)} WHEN ${v} REGEXP ${raw(TIME_RE)} THEN ${at(raw("DATE'2000-01-01'"), v)} WHEN LOWER(${v}) = 'now' THEN UTC_TIMESTAMP(3) ${isNumber} END)`;
}
