import type { ApiError } from '../kernel/errors.ts';
import type { Sql, SqlRenderer } from './sql.ts';

/** Column kinds the schema layer asks for; each dialect maps them to its own DDL types. */
export type ColumnKind =
  | 'text' // free text, '' default
  | 'textPrimaryKey'
  | 'number' // REAL/DOUBLE, 0 default
  | 'bool' // 0/1, FALSE default
  | 'json' // JSON document, NULL default
  | 'jsonArray' // JSON array, '[]' default, not null
  | 'geoPoint' // JSON {"lon":0,"lat":0} default, not null
  | 'date'; // text datetime '' default

export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  notNull?: boolean;
}

/**
 * Everything that differs between SQLite, PostgreSQL and MySQL lives behind this interface.
 * Code outside `db/dialects/*` never checks which database it talks to; it asks the dialect.
 */
export interface Dialect extends SqlRenderer {
  readonly name: 'sqlite' | 'postgres' | 'mysql';
  readonly caps: {
    /** `INSERT … RETURNING` is available. */
    returning: boolean;
    /** CREATE/ALTER/DROP can be rolled back inside a transaction. */
    transactionalDdl: boolean;
  };

  // ---- expressions used by the filter compiler and record queries ----
  /** Case-insensitive LIKE with `\` as escape character. */
  like(left: Sql, right: Sql, negate: boolean): Sql;
  /** The text of `expr` lower-cased. */
  lower(expr: Sql): Sql;
  /** A JSON value at a path of keys/indexes inside a JSON column or expression. */
  jsonExtract(expr: Sql, path: readonly string[]): Sql;
  /** Number of items of a JSON array stored in `expr`; a non-array counts as one value or zero if empty. */
  jsonArrayLength(expr: Sql): Sql;
  /**
   * A table expression iterating the items of a multi-value column (JSON array, or a plain
   * scalar treated as a one-item array), exposing a single column `value` under `alias`.
   */
  jsonEach(expr: Sql, alias: string): Sql;
  /**
   * `strftime(format, expr, ...modifiers)` with SQLite's format directives and modifiers; without
   * `expr` the current time is formatted.
   */
  strftime(format: Sql, expr?: Sql, modifiers?: readonly Sql[]): Sql;
  /** Great-circle distance in kilometres between two points given as lon/lat expressions. */
  geoDistance(lonA: Sql, latA: Sql, lonB: Sql, latB: Sql): Sql;
  /** An expression ordering rows randomly. */
  random(): Sql;
  /** The physical row order column (`_rowid_` in SQLite) for `@rowid` sorting. */
  rowid(tableAlias: string): Sql;
  /**
   * `expr IN (values…)` with the whole list bound as one parameter, so a list of any length
   * neither hits the driver's bound-variable limit nor makes a new statement per length.
   */
  inValues(expr: Sql, values: readonly (string | number)[]): Sql;
  /** `LIMIT n OFFSET m` */
  limitOffset(limit: number, offset: number): Sql;
  /** Null-safe (in)equality: NULL equals NULL, and a comparison with NULL is never unknown. */
  nullSafeEqual(left: Sql, right: Sql, negate: boolean): Sql;
  /** String concatenation of the given expressions. */
  concat(parts: readonly Sql[]): Sql;
  /**
   * Like jsonExtract, but a value that is not valid JSON is read as a JSON string instead of
   * raising an error, so malformed data in one row cannot fail a whole query (PocketBase's filter
   * behaviour). An empty path yields the whole value decoded to its SQL equivalent.
   */
  jsonExtractLenient(expr: Sql, path: readonly string[]): Sql;

  // ---- DDL ----
  columnType(kind: ColumnKind): string;
  createTable(table: string, columns: readonly ColumnSpec[]): Sql;
  addColumn(table: string, column: ColumnSpec): Sql;
  dropColumn(table: string, column: string): Sql;
  renameColumn(table: string, from: string, to: string): Sql;
  renameTable(from: string, to: string): Sql;
  dropTable(table: string): Sql;
  createView(name: string, selectQuery: string): Sql;
  dropView(name: string): Sql;
  /** CREATE statements of the system tables: data.db's and auxiliary.db's (idempotent). */
  systemTables(): { readonly data: readonly string[]; readonly aux: readonly string[] };
  /** Names of the columns `selectQuery` yields, without running it over the data. */
  tableColumns(table: string): Sql;

  /** The database refused the statement itself (bad SQL, no such column …), as opposed to I/O or constraint failures. */
  isStatementError(e: unknown): boolean;

  /** Turns a driver error into an ApiError where we know its meaning (unique violation …), else undefined. */
  translateError(e: unknown): ApiError | undefined;
}

export interface RunResult {
  changes: number;
}

/** Executes rendered statements. Async so PostgreSQL and MySQL drivers fit the same shape. */
export interface Executor {
  readonly dialect: Dialect;
  all<T = Record<string, unknown>>(query: Sql): Promise<T[]>;
  get<T = Record<string, unknown>>(query: Sql): Promise<T | undefined>;
  run(query: Sql): Promise<RunResult>;
}

export interface Database extends Executor {
  /**
   * Runs `fn` in a write transaction; commits when it resolves, rolls back when it throws.
   * Writers are serialized; reads outside a transaction never see its uncommitted changes.
   */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  /** Drops cached statements after a schema change (DDL) so none runs against a stale schema. */
  schemaChanged(): void;
  close(): Promise<void>;
}
