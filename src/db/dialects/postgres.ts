import { VALUE_TYPE_OF, type ColumnKind, type ConstSql, type DbErrorInfo, type Dialect, type DialectCaps, type ExprType, type RowOrder, type TypedSql } from '../dialect.ts';
import { splitTopLevel } from '../indexes-parse.ts';
import { ident, join, raw, sql, type Sql, type ValueType } from '../sql.ts';
import { type HaversineArgs, StandardSqlDialect } from './standard.ts';
import { type ClassParts, comparableAsSqlite, NUMERIC_TEXT_PATTERN, type StrictDialect } from './affinity.ts';
import { POSTGRES_COMPARE_FUNCTIONS } from './postgres-compare-functions.ts';
import * as indexDdl from './postgres-indexes.ts';
import { POSTGRES_AUX_TABLES, POSTGRES_DATA_TABLES } from './postgres-system-tables.ts';

/**
 * PostgreSQL (15+). Native types where results stay identical to SQLite's: DOUBLE PRECISION for
 * numbers (SQLite stores REAL, and JS numbers are doubles), BOOLEAN, JSONB for JSON documents and
 * multi-value fields (object keys come back sorted, as PocketBase's API returns them anyway).
 * Dates stay text in PocketBase's format: '' is a valid "no date", filters compare dates with
 * strings, `~` works on them, and the API returns them verbatim — a timestamp column would change
 * all three. Text columns use the "C" collation, so `=` is case-sensitive and ordering is by code
 * point, as in SQLite.
 */
const TEXT = `TEXT COLLATE "C"`;
const COLUMN_TYPES: Record<ColumnKind, string> = {
  text: `${TEXT} DEFAULT '' NOT NULL`,
  textPrimaryKey: `${TEXT} PRIMARY KEY DEFAULT ('r' || substr(md5(random()::text), 1, 14)) NOT NULL`,
  number: 'DOUBLE PRECISION DEFAULT 0 NOT NULL',
  bool: 'BOOLEAN DEFAULT FALSE NOT NULL',
  json: 'JSONB DEFAULT NULL',
  jsonArray: `JSONB DEFAULT '[]' NOT NULL`,
  geoPoint: `JSONB DEFAULT '{"lon":0,"lat":0}' NOT NULL`,
  date: `${TEXT} DEFAULT '' NOT NULL`,
};

const PG_TYPES: Record<ValueType, string> = { text: 'text', number: 'float8', bool: 'boolean', json: 'jsonb' };
const CASTS: Record<ValueType, string> = { text: '::text', number: '::float8', bool: '::boolean', json: '::jsonb' };

const SYSTEM_TABLES = { data: [...POSTGRES_DATA_TABLES, ...POSTGRES_COMPARE_FUNCTIONS].map(raw), aux: POSTGRES_AUX_TABLES.map(raw) };

/**
 * Drops the functions and the type the system tables' statements create, by the names those
 * statements give them (every overload of each name, in the current schema), then the type.
 */
const DROP_SYSTEM_ROUTINES = ((): readonly Sql[] => {
  const text = [...POSTGRES_DATA_TABLES, ...POSTGRES_COMPARE_FUNCTIONS, ...POSTGRES_AUX_TABLES].join('\n');
  const functions = [...new Set([...text.matchAll(/CREATE OR REPLACE FUNCTION (baton_[a-z0-9_]+)\(/g)].map((m) => m[1]))];
  const types = [...new Set([...text.matchAll(/CREATE TYPE (baton_[a-z0-9_]+) AS/g)].map((m) => m[1]))];
  const names = functions.map((f) => `'${f}'`).join(', ');
  return [
    raw(`DO $do$ DECLARE f regprocedure; BEGIN
      FOR f IN SELECT p.oid::regprocedure FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace AND p.proname IN (${names}) LOOP
        EXECUTE 'DROP FUNCTION IF EXISTS ' || f::text || ' CASCADE';
      END LOOP;
    END $do$`),
    ...types.map((t) => raw(`DROP TYPE IF EXISTS ${t} CASCADE`)),
  ];
})();

/** `b - a` would pass the largest double (halves never do). */
const overflows = (a: Sql, b: Sql): Sql => sql`abs(${b} / 2 - ${a} / 2) > 8.988465674311579e307`;

/** A JSON value's SQL NULL for JSON null, so `data.a = null` matches as in SQLite. */
const unNull = (e: Sql): Sql => sql`NULLIF(${e}, 'null'::jsonb)`;

/**
 * A JSON value's text as SQLite's json_extract gives it: a string unquoted, true/false as 1/0,
 * a number as SQLite writes an INTEGER (digits only, in int64's range) or a REAL (anything else,
 * as SQLite's JSON parser reads it), objects and arrays as their compact JSON text.
 */
const jsonText = (e: Sql): Sql => {
  const s = sql`(${e} #>> '{}')`;
  const integer = sql`(${s} ~ '^-?[0-9]{1,18}$' OR (${s} ~ '^-?[0-9]{19}$' AND ${s}::numeric BETWEEN -9223372036854775808 AND 9223372036854775807))`;
  return sql`(CASE jsonb_typeof(${e}) WHEN 'string' THEN ${s} WHEN 'boolean' THEN (CASE WHEN ${e} = 'true'::jsonb THEN '1' ELSE '0' END) WHEN 'number' THEN (CASE WHEN ${integer} THEN ${s} ELSE baton_real_text(${s}::float8) END) ELSE baton_json_text(${e}) END)`;
};

export class PostgresDialect extends StandardSqlDialect implements StrictDialect {
  protected readonly columnTypes = COLUMN_TYPES;
  protected readonly indexDdl = indexDdl;
  protected readonly systemTableStatements = SYSTEM_TABLES;

  override dropSystemRoutines(): readonly Sql[] {
    return DROP_SYSTEM_ROUTINES;
  }

  override otherSessions(): Sql {
    return sql`SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`;
  }
  readonly name = 'postgres' as const;
  readonly caps: DialectCaps = { transactionalDdl: true, rowid: false, nulInText: false, returning: true, anyTypeInColumns: false };
  /** JSONB is not the text SQLite holds: `=`/`!=` compare JSON values (affinity.ts). */
  readonly jsonIsStoredText = false;

  quoteIdent(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
  }

  placeholder(n: number, type?: ValueType): string {
    return type ? `$${n}${CASTS[type]}` : `$${n}`;
  }

  like(left: Sql, right: Sql, negate: boolean): Sql {
    // ILIKE under the "C" collation folds ASCII letters only, as SQLite's LIKE does. Columns are
    // "C" already; values and expressions would take the database's locale, so both sides say it.
    const op = raw(negate ? 'NOT ILIKE' : 'ILIKE');
    return sql`(${left}) COLLATE "C" ${op} (${right}) COLLATE "C" ESCAPE '\\'`;
  }

  lower(expr: Sql): Sql {
    // ASCII letters only, as SQLite's LOWER (see like()).
    return sql`LOWER((${expr}) COLLATE "C")`;
  }

  protected override haversine(p: HaversineArgs): Sql {
    // Rounding can push the haversine term a hair outside [0, 1], and a difference of two huge
    // numbers past the largest double: SQLite answers NULL (sqrt/asin out of their domain, the sine
    // of infinity), PostgreSQL raises an error (a 500 a client filter could cause), so say NULL
    // first. (A CASE whose condition folds to true never plans its other arms.)
    // Tiny angles read as 0 (baton_no_tiny): PostgreSQL refuses a float underflow that SQLite rounds to 0.
    const h = sql`(power(sin(radians(baton_no_tiny(${p.latB} - ${p.latA})) / 2), 2) + cos(radians(baton_no_tiny(${p.cosLatA}))) * cos(radians(baton_no_tiny(${p.cosLatB}))) * power(sin(radians(baton_no_tiny(${p.lonB} - ${p.lonA})) / 2), 2))`;
    return sql`(CASE WHEN ${overflows(p.latA, p.latB)} OR ${overflows(p.lonA, p.lonB)} OR ${h} < 0 OR ${h} > 1 THEN NULL ELSE 6371 * 2 * asin(sqrt(${h})) END)`;
  }

  protected override geoNumber(arg: TypedSql, use: 'arithmetic' | 'math'): Sql {
    const x = arg.sql;
    const whole = raw(use === 'math' ? 'TRUE' : 'FALSE');
    // What SQLite reads as text and not as a number: 0 in a subtraction, NULL in radians().
    const other = raw(use === 'math' ? 'NULL' : '0');
    switch (arg.type) {
      case 'number': return x;
      case 'null': return sql`CAST(NULL AS float8)`;
      case 'bool': return sql`(${x})::int::float8`;
      case 'text': return sql`baton_text_number(${x}, ${whole})`;
      // A whole JSON document: SQLite stores a JSON number as a number, anything else as its text.
      case 'json': return sql`(CASE WHEN ${x} IS NULL THEN NULL WHEN jsonb_typeof(${x}) = 'number' THEN (${x} #>> '{}')::float8 ELSE ${other} END)`;
      // A value out of a document: json_extract() gives numbers, 1/0, a string's text, an object's JSON text.
      case 'dynamic':
        return sql`(CASE jsonb_typeof(${x}) WHEN 'number' THEN (${x} #>> '{}')::float8 WHEN 'boolean' THEN (CASE WHEN ${x} = 'true'::jsonb THEN 1 ELSE 0 END) WHEN 'string' THEN baton_text_number(${x} #>> '{}', ${whole}) WHEN 'object' THEN ${other} WHEN 'array' THEN ${other} END)`;
    }
  }

  comparable(left: TypedSql, right: TypedSql, equality = false): { left: Sql; right: Sql; type: ExprType } {
    return comparableAsSqlite(this, left, right, equality);
  }

  /**
   * Conversions as SQLite makes them (see affinity.ts). A `json` value is a JSONB column or bound
   * JSON, whose text is what SQLite holds (baton_json_text); a `dynamic` one (jsonValue) reads as
   * json_extract gives it: strings unquoted, true/false as 1/0, numbers as SQLite writes them.
   */
  cast(expr: Sql, from: ExprType, to: ValueType): Sql {
    if (from === to) return expr;
    // A bare NULL has no type PostgreSQL can pick an operator for (`NULL - NULL`).
    if (from === 'null') return sql`CAST(${expr} AS ${raw(PG_TYPES[to])})`;
    const json = from === 'json' || from === 'dynamic';
    switch (to) {
      case 'text':
        if (from === 'json') return sql`(CASE WHEN jsonb_typeof(${expr}) = 'string' THEN ${expr} #>> '{}' ELSE baton_json_text(${expr}, true) END)`;
        if (from === 'dynamic') return jsonText(expr);
        if (from === 'bool') return sql`(CASE WHEN ${expr} THEN '1' WHEN NOT ${expr} THEN '0' END)`;
        return sql`baton_number_text(${expr})`;
      case 'number':
        if (json) {
          return sql`(CASE jsonb_typeof(${expr}) WHEN 'number' THEN (${expr} #>> '{}')::float8 WHEN 'boolean' THEN (CASE WHEN ${expr} = 'true'::jsonb THEN 1 ELSE 0 END) END)`;
        }
        if (from === 'bool') return sql`(${expr})::int::float8`;
        return sql`(CASE WHEN ${this.isNumericText(expr)} THEN baton_text_real(${expr}) END)`;
      case 'bool':
        if (json) {
          return sql`(CASE jsonb_typeof(${expr}) WHEN 'boolean' THEN ${expr} = 'true'::jsonb WHEN 'number' THEN (${expr} #>> '{}')::float8 <> 0 END)`;
        }
        if (from === 'number') return sql`(${expr} <> 0)`;
        return sql`(CASE WHEN ${this.isNumericText(expr)} THEN baton_text_real(${expr}) <> 0 ELSE FALSE END)`;
      case 'json':
        return sql`to_jsonb(${expr})`;
    }
  }

  isNumericText(expr: Sql): Sql {
    return sql`${expr} ~ ${raw(`'${NUMERIC_TEXT_PATTERN}'`)}`;
  }

  jsonParts(expr: Sql, numericText: boolean): ClassParts {
    const t = sql`jsonb_typeof(${expr})`;
    const s = sql`(${expr} #>> '{}')`;
    const num = sql`(${s})::float8`;
    const bool = sql`(CASE WHEN ${expr} = 'true'::jsonb THEN 1 ELSE 0 END)`;
    const other = sql`baton_json_text(${expr})`;
    if (!numericText) {
      return {
        rank: sql`(CASE ${t} WHEN 'number' THEN 0 WHEN 'boolean' THEN 0 WHEN 'string' THEN 1 WHEN 'object' THEN 1 WHEN 'array' THEN 1 END)`,
        num: sql`(CASE ${t} WHEN 'number' THEN ${num} WHEN 'boolean' THEN ${bool} WHEN 'string' THEN 0 WHEN 'object' THEN 0 WHEN 'array' THEN 0 END)`,
        txt: sql`(CASE ${t} WHEN 'string' THEN ${s} WHEN 'object' THEN ${other} WHEN 'array' THEN ${other} WHEN 'number' THEN '' WHEN 'boolean' THEN '' END)`,
      };
    }
    // Against a NUMERIC column: a string that looks numeric is that number.
    const numeric = sql`(${t} = 'string' AND ${this.isNumericText(s)})`;
    return {
      rank: sql`(CASE WHEN ${expr} IS NULL THEN NULL WHEN ${t} IN ('number', 'boolean') OR ${numeric} THEN 0 ELSE 1 END)`,
      num: sql`(CASE WHEN ${expr} IS NULL THEN NULL WHEN ${t} = 'number' THEN ${num} WHEN ${numeric} THEN baton_text_real(${s}) WHEN ${t} = 'boolean' THEN ${bool} ELSE 0 END)`,
      txt: sql`(CASE WHEN ${expr} IS NULL THEN NULL WHEN ${t} IN ('number', 'boolean') OR ${numeric} THEN '' WHEN ${t} = 'string' THEN ${s} ELSE ${other} END)`,
    };
  }

  classRow(p: ClassParts): Sql {
    return sql`ROW(${p.rank}, (${p.num})::float8, (${p.txt})::text COLLATE "C")`;
  }

  jsonValue(expr: Sql, path: readonly string[]): Sql {
    if (path.length === 0) return unNull(expr);
    return unNull(sql`(${expr} #> ${path as unknown as string}::text[])`);
  }

  jsonArrayLength(expr: Sql, list: boolean): Sql {
    if (!list) return sql`(CASE WHEN ${expr} IS NULL OR ${expr} = '' THEN 0 ELSE 1 END)`;
    return sql`(CASE WHEN ${expr} IS NULL THEN 0 WHEN jsonb_typeof(${expr}) = 'array' THEN jsonb_array_length(${expr}) ELSE 1 END)`;
  }

  jsonEach(expr: Sql, alias: string, list: boolean): Sql {
    // Set-returning functions in FROM may read the columns of earlier FROM items (implicit LATERAL).
    if (!list) return sql`unnest(ARRAY[${expr}]::text[]) AS ${ident(alias)}(${ident('value')})`;
    return sql`jsonb_array_elements_text(CASE WHEN jsonb_typeof(${expr}) = 'array' THEN ${expr} ELSE jsonb_build_array(${expr}) END) AS ${ident(alias)}(${ident('value')})`;
  }

  strftime(format: ConstSql, expr?: Sql, modifiers: readonly ConstSql[] = []): Sql {
    const args = [sql`(${format.sql})::text`, expr ? sql`(${expr})::text` : sql`'now'`, ...modifiers.map((m) => sql`(${m.sql})::text`)];
    return sql`baton_strftime(${join(args)})`;
  }

  random(): Sql {
    return raw('RANDOM()');
  }

  override rowid(): Sql {
    throw new Error('PostgreSQL tables have no row id (caps.rowid is false)');
  }

  override orderBy(expr: Sql, descending: boolean, nullable = true): Sql {
    // PostgreSQL puts NULLs last ascending; a NOT NULL column keeps the plain order, which its
    // B-tree indexes serve in both directions.
    if (!nullable) return descending ? sql`${expr} DESC` : sql`${expr} ASC`;
    return descending ? sql`${expr} DESC NULLS LAST` : sql`${expr} ASC NULLS FIRST`;
  }

  /**
   * JSONB orders by its own rules (an array by its length first, an object by its keys' count,
   * strings before numbers), so a JSON value orders by SQLite's storage class, number and text
   * (jsonParts), and a multi-value or geoPoint column by the JSON text SQLite holds; both texts in
   * the "C" collation, SQLite's byte order. (A function call per row: ~2 µs.)
   */
  override sortKeys(expr: Sql, type: ExprType): readonly Sql[] {
    if (type === 'json') return [sql`(${this.cast(expr, 'json', 'text')}) COLLATE "C"`];
    if (type !== 'dynamic') return [expr];
    const p = this.jsonParts(expr, false);
    return [p.rank, sql`(${p.num})::float8`, sql`(${p.txt})::text COLLATE "C"`];
  }

  /**
   * A table has no insertion order here: its heap position (ctid, unique, what a scan without
   * ORDER BY reads and `rowOrder` copies) is the closest, insertion order until a row is updated.
   * Sorts are not stable, so the ties of a sort follow it explicitly (an index on the sorted
   * column still serves: an incremental sort of each tie); a view has no ctid, and a sorted one
   * ends with its id. An unsorted list is left to the scan's own order: sorting the table's
   * positions cost an unsorted page about 18 ms on 100,000 rows where the scan takes 0.01 ms (on
   * a table past a quarter of shared_buffers, PostgreSQL's synchronized scans may start it
   * mid-table; a client paging such a table sorts it).
   */
  /**
   * jsonb's text puts a space after each `,` and `:`, which the JSON sent does not have (90,000
   * small numbers: 90 KB more); those are not counted (one inside a string is then missed too,
   * which only ever counts less).
   */
  override storedBytes(expr: Sql, type: ValueType): Sql {
    if (type !== 'json') return sql`COALESCE(octet_length((${expr})::text), 0)`;
    return sql`COALESCE(octet_length(replace(replace((${expr})::text, ', ', ','), ': ', ':')), 0)`;
  }

  /** The driver would parse a jsonb column as it arrives; as text, the reader parses it. */
  override jsonAsText(expr: Sql): Sql {
    return sql`(${expr})::text`;
  }

  override listTieBreak(tableAlias: string, sorted: boolean, view: boolean): Sql | undefined {
    if (!sorted) return undefined;
    return view ? sql`${ident(tableAlias, 'id')} ASC` : sql`${ident(tableAlias, 'ctid')} ASC`;
  }

  inValues(expr: Sql, values: readonly (string | number)[]): Sql {
    return sql`${expr} = ANY(${values.map(String)}::text[])`;
  }

  override limitOffset(limit: number, offset: number): Sql {
    return sql` LIMIT ${Math.trunc(limit)}::bigint OFFSET ${Math.trunc(offset)}::bigint`;
  }

  nullSafeEqual(left: Sql, right: Sql, negate: boolean): Sql {
    return negate ? sql`${left} IS DISTINCT FROM ${right}` : sql`${left} IS NOT DISTINCT FROM ${right}`;
  }

  concat(parts: readonly Sql[]): Sql {
    return sql`(${join(parts, ' || ')})`;
  }

  convertColumn(expr: Sql, from: ColumnKind, to: ColumnKind): Sql {
    const fromType = VALUE_TYPE_OF[from];
    const toType = VALUE_TYPE_OF[to];
    // One value <-> several (a select/relation's maxSelect changed), as PocketBase converts them.
    if (to === 'jsonArray' && from !== 'jsonArray') {
      return sql`(CASE WHEN ${expr} IS NULL OR ${this.cast(expr, fromType, 'text')} = '' THEN '[]'::jsonb ELSE jsonb_build_array(${expr}) END)`;
    }
    if (from === 'jsonArray' && to !== 'jsonArray') {
      const last = sql`(CASE WHEN jsonb_typeof(${expr}) = 'array' THEN ${expr} ->> -1 ELSE ${expr} #>> '{}' END)`;
      return toType === 'text' ? sql`COALESCE(${last}, '')` : this.cast(sql`COALESCE(${last}, '')`, 'text', toType);
    }
    return this.cast(expr, fromType, toType);
  }

  isTextType(type: string): boolean {
    return /^(text|character varying|character)$/i.test(type.trim());
  }

  tableColumns(table: string): Sql {
    return sql`SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ${table}::text ORDER BY ordinal_position`;
  }

  /**
   * The physical position (ctid): a scan without ORDER BY reads the heap in that order, and rows
   * written into a new table one after another are laid out in the order written. Read back as
   * text, compared as a tid.
   */
  rowOrder(): RowOrder {
    const expr = sql`${ident('ctid')}`;
    return { expr, after: (last) => sql`${expr} > CAST(${String(last)} AS tid)` };
  }

  /**
   * The cluster's system identifier (the same from every address; shared by its replicas, which
   * are the same data too), the database and the schema. pg_control_system() may be revoked from
   * the role: the query then fails and the caller checks another way.
   */
  databaseIdentity(): Sql {
    return sql`SELECT system_identifier::text || '/' || current_database() || '/' || current_schema() AS identity FROM pg_control_system()`;
  }

  classifyError(e: unknown): DbErrorInfo | undefined {
    const err = e as { code?: unknown; detail?: unknown; column_name?: unknown; severity?: unknown };
    if (typeof err?.code !== 'string' || !/^[0-9A-Z]{5}$/.test(err.code) || err.severity === undefined) return undefined;
    switch (err.code) {
      case '23505': {
        // detail: Key (email)=(a@b.c) already exists.   /   Key (lower(email COLLATE "C"), n)=(…) already exists.
        // A NOCASE or RTRIM key is an expression over its column (postgres-indexes.ts): the
        // error names the column, as SQLite and MySQL do.
        const m = typeof err.detail === 'string' ? /^Key \((.*?)\)=/.exec(err.detail) : null;
        const columns = m ? splitTopLevel(m[1]).map(uniqueKeyColumn) : [];
        return { kind: 'unique', columns };
      }
      case '23502': return { kind: 'notNull', columns: typeof err.column_name === 'string' ? [err.column_name] : [] };
      case '23503': return { kind: 'foreignKey' };
      case '23514': return { kind: 'check' };
      case '40P01': return { kind: 'deadlock' };
      case '55P03': return { kind: 'lockTimeout' };
      case '40001': return { kind: 'busy' };
      case '57014': return { kind: 'timeout' };
      default:
        return err.code.startsWith('42') || err.code.startsWith('22') || err.code.startsWith('2B') ? { kind: 'statement' } : undefined;
    }
  }
}

/**
 * The column a unique key's expression reads, as a violation's detail writes it: `email`,
 * `"Email"`, `lower(a COLLATE "C")`, `rtrim(a COLLATE "C")`, `lower((n)::text COLLATE "C")`.
 */
function uniqueKeyColumn(key: string): string {
  let s = key.trim();
  for (let before = ''; before !== s;) {
    before = s;
    s = s.replace(/^(?:lower|rtrim)?\((.*)\)$/is, '$1').replace(/\s+COLLATE\s+(?:"[^"]*"|\w+)$/i, '').replace(/::[\w ]+$/, '').trim();
  }
  return /^".*"$/s.test(s) ? s.slice(1, -1).replace(/""/g, '"') : s;
}

export const postgresDialect = new PostgresDialect() satisfies Dialect;
