import { VALUE_TYPE_OF, type ColumnKind, type ColumnSpec, type ConstSql, type DbErrorInfo, type Dialect, type DialectCaps, type ExprType, type RowOrder, type TypedSql } from '../dialect.ts';
import { ident, join, raw, sql, type Sql, type ValueType } from '../sql.ts';
import { type HaversineArgs, StandardSqlDialect } from './standard.ts';
import { type ClassParts, comparableAsSqlite, type StrictDialect } from './affinity.ts';
import * as indexDdl from './mysql-indexes.ts';
import { sqliteTextNumber } from './mysql-numbers.ts';
import { mysqlStrftime } from './mysql-strftime.ts';
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

/**
 * A number as SQLite writes it (affinity.ts's sqliteNumberText): a whole number in int64's range
 * (an INTEGER in SQLite's NUMERIC column) as its digits, anything else by realText.
 */
const numberText = (x: Sql): Sql =>
  collated(sql`(CASE WHEN ${x} = FLOOR(${x}) AND ABS(${x}) < 9223372036854775807e0 THEN CAST(CAST(${x} AS SIGNED) AS CHAR) ELSE ${realText(x)} END)`);

/** An object or array (JSON_EXTRACT's text, spaced) as SQLite's json_extract writes it: compact. */
const compactJson = (e: Sql): Sql => collated(sql`JSON_COMPACT(${e})`);

/** Text in the collation of every other text (JSON_TABLE's and CONCAT's results may take the server's). */
const collated = (e: Sql): Sql => sql`(CAST(${e} AS CHAR CHARACTER SET utf8mb4) COLLATE ${raw(TEXT_COLLATION)})`;

/**
 * A REAL as SQLite writes it: shortest round-trip digits in `%!.17g` layout, always with a '.'
 * (100.0, 1.0e+20, 1.0e-05). MariaDB's text of a double has the shortest digits in a layout of its
 * own ('1e20', '0.00001', '1.2345678901234568e16'): its digits and exponent are read out of it,
 * each bound once through a one-row JSON_TABLE.
 */
const SHORT_TEXT = `VARCHAR(64) ${TEXT}`;

function realText(x: Sql): Sql {
  const s = raw('`_rt`.`s`');
  const ip = sql`SUBSTRING_INDEX(SUBSTRING_INDEX(${s}, 'e', 1), '.', 1)`;
  const fp = sql`IF(LOCATE('.', SUBSTRING_INDEX(${s}, 'e', 1)) > 0, SUBSTRING_INDEX(SUBSTRING_INDEX(${s}, 'e', 1), '.', -1), '')`;
  const digits = sql`TRIM(TRAILING '0' FROM TRIM(LEADING '0' FROM CONCAT(${ip}, ${fp})))`;
  const exp = sql`IF(LOCATE('e', ${s}) > 0, CAST(SUBSTRING_INDEX(${s}, 'e', -1) AS SIGNED) + CHAR_LENGTH(${ip}) - 1, IF(${ip} <> '0', CHAR_LENGTH(${ip}) - 1, -(CHAR_LENGTH(${fp}) - CHAR_LENGTH(TRIM(LEADING '0' FROM ${fp})) + 1)))`;
  const d = raw('`_rd`.`d`');
  const e = raw('`_rd`.`e`');
  const layout = sql`(CASE WHEN ${e} < -4 OR ${e} > 16 THEN CONCAT(LEFT(${d}, 1), '.', IF(CHAR_LENGTH(${d}) > 1, SUBSTRING(${d}, 2), '0'), 'e', IF(${e} < 0, '-', '+'), IF(ABS(${e}) < 10, '0', ''), ABS(${e})) WHEN ${e} >= 0 THEN CONCAT(LEFT(RPAD(${d}, ${e} + 1, '0'), ${e} + 1), '.', IF(CHAR_LENGTH(${d}) > ${e} + 1, SUBSTRING(${d}, ${e} + 2), '0')) ELSE CONCAT('0.', REPEAT('0', -${e} - 1), ${d}) END)`;
  const body = sql`(CASE WHEN ${s} IS NULL THEN NULL WHEN ${s} = '0' THEN '0.0' ELSE CONCAT(IF(${raw('`_rt`.`n`')} = 1, '-', ''), ${layout}) END)`;
  const bound = sql`JSON_TABLE(JSON_OBJECT('s', CAST(ABS(${x}) AS CHAR), 'n', ${x} < 0), '$' COLUMNS (${ident('s')} ${raw(SHORT_TEXT)} PATH '$.s', ${ident('n')} INT PATH '$.n')) AS ${ident('_rt')}`;
  const parsed = sql`JSON_TABLE(JSON_OBJECT('d', ${digits}, 'e', ${exp}), '$' COLUMNS (${ident('d')} ${raw(SHORT_TEXT)} PATH '$.d', ${ident('e')} INT PATH '$.e')) AS ${ident('_rd')}`;
  return collated(sql`(SELECT ${body} FROM ${bound}, ${parsed})`);
}

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

export class MysqlDialect extends StandardSqlDialect implements StrictDialect {
  protected readonly columnTypes = COLUMN_TYPES;
  protected readonly indexDdl = indexDdl;
  protected readonly systemTableStatements = SYSTEM_TABLES;

  override otherSessions(): Sql {
    return sql`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()`;
  }
  readonly name = 'mysql' as const;
  readonly caps: DialectCaps = { transactionalDdl: false, rowid: false, nulInText: true, returning: false, anyTypeInColumns: false };
  /** JSON columns hold the text Baton wrote, as SQLite's do. */
  readonly jsonIsStoredText = true;

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

  comparable(left: TypedSql, right: TypedSql, equality = false): { left: Sql; right: Sql; type: ExprType } {
    return comparableAsSqlite(this, left, right, equality);
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
          // json_extract() in SQLite: strings unquoted, true/false as 1/0, numbers as SQLite
          // writes an INTEGER (digits only) or a REAL, the rest as (compact) JSON text.
          return sql`(CASE JSON_TYPE(${expr}) WHEN 'STRING' THEN CAST(JSON_UNQUOTE(${expr}) AS CHAR) WHEN 'BOOLEAN' THEN IF(${expr} = 'true', '1', '0') WHEN 'INTEGER' THEN IF(${expr} REGEXP '^-?[0-9]{1,18}$' OR (${expr} REGEXP '^-?[0-9]{19}$' AND CAST(${expr} AS DECIMAL(20, 0)) BETWEEN -9223372036854775808 AND 9223372036854775807), ${expr}, ${realText(sql`CAST(${expr} AS DOUBLE)`)}) WHEN 'DOUBLE' THEN ${realText(sql`CAST(${expr} AS DOUBLE)`)} ELSE ${compactJson(expr)} END)`;
        }
        if (json) return expr;
        if (from === 'number') return numberText(expr);
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

  isNumericText(expr: Sql): Sql {
    return sql`${expr} REGEXP ${raw(NUMERIC_TEXT_REGEXP)}`;
  }

  jsonParts(expr: Sql, numericText: boolean): ClassParts {
    const t = sql`JSON_TYPE(${expr})`;
    const s = sql`CAST(JSON_UNQUOTE(${expr}) AS CHAR)`;
    const isNumber = sql`${t} IN ('INTEGER', 'DOUBLE', 'BOOLEAN')`;
    const num = sql`IF(${t} = 'BOOLEAN', IF(${expr} = 'true', 1, 0), CAST(${expr} AS DOUBLE))`;
    if (!numericText) {
      return {
        rank: sql`(CASE WHEN ${expr} IS NULL THEN NULL WHEN ${isNumber} THEN 0 ELSE 1 END)`,
        num: sql`(CASE WHEN ${expr} IS NULL THEN NULL WHEN ${isNumber} THEN ${num} ELSE 0 END)`,
        txt: sql`(CASE WHEN ${expr} IS NULL THEN NULL WHEN ${isNumber} THEN '' WHEN ${t} = 'STRING' THEN ${s} ELSE ${compactJson(expr)} END)`,
      };
    }
    // Against a NUMERIC column: a string that looks numeric is that number.
    const numeric = sql`(${t} = 'STRING' AND ${this.isNumericText(s)})`;
    return {
      rank: sql`(CASE WHEN ${expr} IS NULL THEN NULL WHEN ${isNumber} OR ${numeric} THEN 0 ELSE 1 END)`,
      num: sql`(CASE WHEN ${expr} IS NULL THEN NULL WHEN ${isNumber} THEN ${num} WHEN ${numeric} THEN ${this.cast(s, 'text', 'number')} ELSE 0 END)`,
      txt: sql`(CASE WHEN ${expr} IS NULL THEN NULL WHEN ${isNumber} OR ${numeric} THEN '' WHEN ${t} = 'STRING' THEN ${s} ELSE ${compactJson(expr)} END)`,
    };
  }

  classRow(p: ClassParts): Sql {
    return sql`(${p.rank}, ${p.num}, CAST(${p.txt} AS CHAR))`;
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
    return mysqlStrftime(format, expr, modifiers);
  }

  /** MySQL casts to CHAR; collated as every other text, so the id compares as the tables' ids do. */
  protected override textCast(expr: Sql): Sql {
    return collated(expr);
  }

  protected override haversine(p: HaversineArgs): Sql {
    // A difference past the largest double is an error here, infinity (so a NULL distance) in SQLite.
    const overflows = (a: Sql, b: Sql) => sql`ABS(${b} / 2 - ${a} / 2) > 8.988465674311579e307`;
    return sql`(CASE WHEN ${overflows(p.latA, p.latB)} OR ${overflows(p.lonA, p.lonB)} THEN NULL ELSE ${super.haversine(p)} END)`;
  }

  protected override geoNumber(arg: TypedSql, use: 'arithmetic' | 'math'): Sql {
    const x = arg.sql;
    switch (arg.type) {
      case 'number': case 'bool': case 'null': return x;
      // A JSON document is its text in SQLite, a JSON number a number: the text's number either way.
      case 'text': case 'json': return sqliteTextNumber(x, use);
      // A value out of a document: json_extract() gives numbers, 1/0, a string's text, an object's JSON text.
      case 'dynamic':
        return sql`(CASE WHEN ${x} IS NULL THEN NULL WHEN JSON_TYPE(${x}) IN ('INTEGER', 'UNSIGNED INTEGER', 'DOUBLE') THEN CAST(${x} AS DOUBLE) WHEN JSON_TYPE(${x}) = 'BOOLEAN' THEN IF(${x} = 'true', 1, 0) WHEN JSON_TYPE(${x}) = 'STRING' THEN ${sqliteTextNumber(sql`CAST(JSON_UNQUOTE(${x}) AS CHAR)`, use)} ELSE ${raw(use === 'math' ? 'NULL' : '0')} END)`;
    }
  }

  random(): Sql {
    return raw('RAND()');
  }

  /**
   * A JSON value out of a document is its JSON text here (`"x"` before `1`), so it orders by
   * SQLite's storage class, number and text (jsonParts). JSON columns hold the text SQLite holds,
   * and text orders by code point in every collation Baton uses: they order as they are.
   */
  override sortKeys(expr: Sql, type: ExprType): readonly Sql[] {
    if (type !== 'dynamic') return [expr];
    const p = this.jsonParts(expr, false);
    return [p.rank, p.num, collated(p.txt)];
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

  isTextType(type: string): boolean {
    return /^(varchar|char|tinytext|text|mediumtext|longtext)$/i.test(type.trim());
  }

  tableColumns(table: string): Sql {
    // Index helper columns (mysql-indexes.ts) are INVISIBLE: not part of the collection.
    return sql`SELECT COLUMN_NAME AS ${ident('name')}, DATA_TYPE AS ${ident('type')} FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table} AND EXTRA NOT LIKE '%INVISIBLE%' ORDER BY ORDINAL_POSITION`;
  }

  /**
   * InnoDB lists a table in its primary key's order: the hidden auto-increment `_rowid_`
   * (ROW_ID_COLUMN) on every table keyed by `id` (createTable adds it beside a text primary key,
   * and the system tables have it), otherwise the key itself (`_migrations`, keyed by file).
   */
  rowOrder(_table: string, key: string): RowOrder {
    const expr = ident(key === 'id' ? '_rowid_' : key);
    return { expr: sql`${expr}`, after: (last) => sql`${expr} > ${last}` };
  }

  /**
   * The server's host name and port as it knows them (MariaDB has no @@server_uuid), and the
   * database, lower-cased as lower_case_table_names may fold it: equal for one server reached
   * through any address, though two servers may share them (the caller confirms equality).
   */
  databaseIdentity(): Sql {
    return sql`SELECT CONCAT(@@hostname, ':', @@port, '/', LOWER(DATABASE())) AS ${ident('identity')}`;
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
