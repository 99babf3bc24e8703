import type { IndexSpec } from './indexes.ts';
import type { Sql, SqlRenderer, ValueType } from './sql.ts';
import type { SuperuserSqlQuery, SuperuserSqlResult } from './superuser-sql.ts';

export type { ValueType } from './sql.ts';

/** Column kinds the schema layer asks for; each dialect maps them to its own DDL types. */
export type ColumnKind =
  | 'text' // free text, '' default
  | 'textPrimaryKey'
  | 'number' // a double, 0 default
  | 'bool' // FALSE default
  | 'json' // JSON document, NULL default
  | 'jsonArray' // JSON array, '[]' default, not null
  | 'geoPoint' // JSON {"lon":0,"lat":0} default, not null
  | 'date'; // text datetime in PocketBase's format, '' default

export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
}

/** The value type a column of each kind holds, as rows are normalised and filters compare it. */
export const VALUE_TYPE_OF: Readonly<Record<ColumnKind, ValueType>> = Object.freeze({
  text: 'text',
  textPrimaryKey: 'text',
  number: 'number',
  bool: 'bool',
  json: 'json',
  jsonArray: 'json',
  geoPoint: 'json',
  date: 'text',
});

/**
 * How the columns of a result row are normalised before anyone above `db/` sees them: `json`
 * columns come back as JS values (a stored text that is not JSON stays that string), `bool` as
 * booleans, `number` as numbers, `text` as strings. Columns not named come back as the driver
 * gives them; name every column whose type matters.
 */
export type RowShape = Readonly<Record<string, ValueType>>;

/**
 * The type of an expression in a filter: a value type, `null` for the NULL literal, or `dynamic`
 * for a value read out of a JSON document, whose type is only known row by row.
 */
export type ExprType = ValueType | 'null' | 'dynamic';

/** What a driver error means, whichever database raised it. */
export type DbErrorKind = 'unique' | 'notNull' | 'foreignKey' | 'check' | 'deadlock' | 'lockTimeout' | 'busy' | 'timeout' | 'statement';

export interface DbErrorInfo {
  kind: DbErrorKind;
  /** For unique and not-null violations: the columns concerned, where the driver says. */
  columns?: string[];
}

/** Capabilities that differ between databases; shared code reads them instead of the dialect's name. */
export interface DialectCaps {
  /** CREATE/ALTER/DROP roll back with the transaction (SQLite, PostgreSQL; not MySQL). */
  readonly transactionalDdl: boolean;
  /** Tables have a physical row order usable for `@rowid` sorting (SQLite only). */
  readonly rowid: boolean;
  /** Text can hold the character U+0000 (not on PostgreSQL). */
  readonly nulInText: boolean;
  /**
   * A column holds a value of any type, whatever its declared type (SQLite: text in a number or
   * JSON column, '' or 'yes' in a boolean one). Reading it through a RowShape converts such values;
   * a copy reads them as stored instead.
   */
  readonly anyTypeInColumns: boolean;
  /**
   * INSERT/UPDATE … RETURNING (SQLite, PostgreSQL; MariaDB has it but MySQL does not, and one
   * dialect serves both): a write hands back the stored row without a second query.
   */
  readonly returning: boolean;
}

/**
 * Everything that differs between SQLite, PostgreSQL and MySQL lives behind this interface.
 * Code outside `db/dialects/*` never checks which database it talks to; it asks the dialect.
 * Semantics follow SQLite's, the database PocketBase defines its API on: the other dialects
 * reproduce SQLite's results (comparisons, NULL ordering, case rules), not their own defaults.
 */
export interface Dialect extends SqlRenderer {
  readonly name: 'sqlite' | 'postgres' | 'mysql';
  readonly caps: DialectCaps;

  // ---- expressions used by the filter compiler and record queries ----
  /** Case-insensitive LIKE with `\` as escape character; both sides are read as text. */
  like(left: Sql, right: Sql, negate: boolean): Sql;
  /** The text of `expr` with ASCII letters lower-cased, as SQLite's LOWER() (and NOCASE) fold; other letters stay. */
  lower(expr: Sql): Sql;
  /**
   * A lookup by key through a unique index `createIndex` made on `table` (the only table the
   * query reads): rows whose key column, which holds text, equals `value`, compared as the
   * index compares it: ASCII letters folded for `COLLATE NOCASE`, exactly as SQLite's NOCASE
   * (never LOWER() of both sides, which no index answers); exactly otherwise. Written so the
   * database reads the index instead of the table, a partial index's WHERE included: the caller
   * makes sure that every row with that key lies inside it (`whereAdmitsKey`), and the result is
   * then exactly those rows.
   */
  indexLookup(index: IndexSpec, table: string, columns: Readonly<Record<string, ColumnKind>>, value: string): Sql;
  /**
   * `expr` (of type `from`) as a value of type `to`, the way SQLite converts it when comparing
   * with a `to` value (a number compared with text compares as text …). SQLite itself converts
   * by column affinity, so its dialect returns `expr` unchanged.
   */
  cast(expr: Sql, from: ExprType, to: ValueType): Sql;
  /**
   * Both sides of a comparison made comparable in the database the way SQLite compares them
   * (affinity: a number column against the text '5' compares numerically, against 'abc' as
   * text …), with the type they are compared as. SQLite returns them unchanged. `equality`: only
   * `=`/`!=` will compare them, which may allow a cheaper form.
   */
  comparable(left: TypedSql, right: TypedSql, equality?: boolean): { left: Sql; right: Sql; type: ExprType };
  /**
   * A value inside a JSON column or expression at a path of keys/indexes (an empty path: the whole
   * document), as a `dynamic` expression: JSON null is SQL NULL, and a value that is not valid
   * JSON is read as a JSON string, so malformed data in one row cannot fail a whole query.
   */
  jsonValue(expr: Sql, path: readonly string[]): Sql;
  /**
   * Number of items of a multi-value column (a JSON array; a non-empty scalar counts as one).
   * `list`: `expr` is JSON (a multi-value column or bound JSON text); otherwise a text column.
   */
  jsonArrayLength(expr: Sql, list: boolean): Sql;
  /**
   * A table expression iterating the items of a multi-value column (JSON array, or a plain
   * scalar treated as a one-item array), exposing a single text column `value` under `alias`.
   * `list`: `expr` is JSON (a multi-value column or bound JSON text); otherwise a text column.
   */
  jsonEach(expr: Sql, alias: string, list: boolean): Sql;
  /**
   * PocketBase's `strftime(format, time, ...modifiers)` (SQLite's format letters and modifiers).
   * The filter language takes only text literals (or text placeholders) for the format and the
   * modifiers, so `format.text`/`modifiers[i].text` hold their text for dialects that translate
   * them at compile time (MySQL).
   */
  strftime(format: ConstSql, expr?: Sql, modifiers?: readonly ConstSql[]): Sql;
  /**
   * Great-circle distance in kilometres between two points given as lon/lat expressions of any
   * type, each converted to a number as SQLite converts it there (text by its leading number …).
   */
  geoDistance(lonA: TypedSql, latA: TypedSql, lonB: TypedSql, latB: TypedSql): Sql;
  /** An expression ordering rows randomly. */
  random(): Sql;
  /** The physical row order column for `@rowid` sorting; only where `caps.rowid`. */
  rowid(tableAlias: string): Sql;
  /**
   * One ORDER BY term, NULLs first ascending and last descending, as SQLite orders them.
   * `nullable` false: the expression is never NULL, so the database's own order (and its indexes) serve.
   */
  orderBy(expr: Sql, descending: boolean, nullable?: boolean): Sql;
  /**
   * The expressions whose order, compared left to right, is SQLite's order of a value of `type`
   * (each then given to `orderBy`). SQLite's own order for values of one storage class is the
   * database's, so text, numbers and booleans are `[expr]` and keep their indexes. A `dynamic`
   * value (json_extract's) mixes classes: NULL, then numbers (true/false as 1/0), then text
   * (strings, and objects and arrays as their JSON text). A `json` one (a multi-value or geoPoint
   * column) orders by the JSON text SQLite holds.
   */
  sortKeys(expr: Sql, type: ExprType): readonly Sql[];
  /**
   * The last ORDER BY term of a records list, making its order total, so that rows tied on the
   * sort come in the order the table lists them and pages (LIMIT/OFFSET) neither repeat nor skip
   * a row; undefined where the database's own order already does that (SQLite's rowid, MySQL's
   * hidden `_rowid_` key, which their sorts keep for ties). `sorted`: a sort comes before it.
   */
  listTieBreak(tableAlias: string, sorted: boolean, view: boolean): Sql | undefined;
  /**
   * The bytes of a column's value as text (UTF-8; 0 for NULL), measured by the database without
   * sending the value: what reading it will cost (a records list weighs its page before reading it).
   * Never more than the compact JSON of the value a row decodes to, so a page refused on this
   * measure could not have been sent whole either.
   */
  storedBytes(expr: Sql, type: ValueType): Sql;
  /**
   * A JSON column read as its text, which the row's reader parses itself (a records list parses in
   * slices, after weighing the page); where the driver would parse it as it arrives, a cast.
   */
  jsonAsText(expr: Sql): Sql;
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

  // ---- DDL ----
  createTable(table: string, columns: readonly ColumnSpec[]): Sql;
  addColumn(table: string, column: ColumnSpec): Sql;
  dropColumn(table: string, column: string): Sql;
  renameColumn(table: string, from: string, to: string): Sql;
  renameTable(from: string, to: string): Sql;
  /** Several renames, atomically where the database can (one `RENAME TABLE` on MySQL). */
  renameTables(pairs: ReadonlyArray<readonly [from: string, to: string]>): Sql[];
  dropTable(table: string): Sql;
  /** The value of column `expr` (of kind `from`) converted for a column of kind `to`. */
  convertColumn(expr: Sql, from: ColumnKind, to: ColumnKind): Sql;
  /** Statements creating an index; `columns` gives the kinds of the table's columns. */
  createIndex(index: IndexSpec, table: string, columns: Readonly<Record<string, ColumnKind>>): Sql[];
  dropIndex(index: IndexSpec, table: string): Sql[];
  /**
   * A view of `selectQuery`. With `columns` (the query's columns in order, as the view
   * collection's fields list them) its `id` is cast to text, for a query whose id is not text
   * (`(ROW_NUMBER() OVER()) as id`): record ids are text, and lookups and filters compare them as
   * text. Without, the query's columns as they are. `createViewTable` (collections/view.ts)
   * chooses, as PocketBase wraps only a view whose id is not text.
   */
  createView(name: string, selectQuery: string, columns?: readonly string[]): Sql;
  dropView(name: string): Sql;
  /** CREATE statements of the system tables: data.db's and auxiliary.db's (idempotent). */
  systemTables(): { readonly data: readonly Sql[]; readonly aux: readonly Sql[] };
  /**
   * Statements that drop what `systemTables` makes besides tables (PostgreSQL's `baton_*`
   * functions and `baton_datetime` type; nothing on SQLite and MySQL), for leaving a database as
   * it was before Baton was set up in it (cli/new-database.ts). Idempotent.
   */
  dropSystemRoutines(): readonly Sql[];
  /**
   * A query yielding `{ n }`, how many other sessions are connected to this database (PostgreSQL:
   * pg_stat_activity; MySQL: the process list, which shows other users' sessions only to a user
   * with the PROCESS privilege); undefined on SQLite, whose files are held by a lock instead.
   */
  otherSessions(): Sql | undefined;
  /**
   * A query yielding `{name, type}` for each column of a table or view, in order: `type` as the
   * database names it (SQLite's declared type, '' for an expression; information_schema's
   * data_type elsewhere).
   */
  tableColumns(table: string): Sql;
  /** Whether a column `type` (as `tableColumns` gives it) holds text. */
  isTextType(type: string): boolean;
  /**
   * A query yielding one row `{identity}`: text that is the same on every connection to this
   * database, whatever address or alias reached it (the server's own identity and the database's
   * name). Two ends whose identities differ are different databases; equal ones may still be two
   * (`migrate copy` then checks with a marker table).
   */
  databaseIdentity(): Sql;
  /**
   * The order a table's rows are listed in without ORDER BY (for tables Baton made: the order they
   * were inserted in, which unsorted lists and `@rowid` show), as a keyset to page through.
   * `key` is the table's primary key.
   */
  rowOrder(table: string, key: string): RowOrder;

  /** What a driver error means, or undefined for errors that are not the database's. */
  classifyError(e: unknown): DbErrorInfo | undefined;
}

/** See `Dialect.rowOrder`. */
export interface RowOrder {
  /** Selected (as read back, any type) and sorted by. */
  readonly expr: Sql;
  /** The rows past `last`, a value of `expr` as read back. */
  after(last: unknown): Sql;
}

/** An expression with its type and, where it is one bound value, that value. */
export interface TypedSql {
  readonly sql: Sql;
  readonly type: ExprType;
  /** A table column: SQLite applies its affinity when comparing it (literals and expressions have none). */
  readonly column?: boolean;
  readonly constant?: { readonly value: unknown };
  /**
   * The operand is compared as `COALESCE(x, '')` (the `=`/`!=` of two operands that may be empty):
   * NULL reads as '', and, being an expression, it has no affinity.
   */
  readonly orEmpty?: boolean;
}

/** An expression and, where it is a literal, its constant text. */
export interface ConstSql {
  readonly sql: Sql;
  readonly text?: string;
}

export interface RunResult {
  changes: number;
}

/** Executes rendered statements. */
export interface Executor {
  readonly dialect: Dialect;
  all<T = Record<string, unknown>>(query: Sql, shape?: RowShape): Promise<T[]>;
  get<T = Record<string, unknown>>(query: Sql, shape?: RowShape): Promise<T | undefined>;
  run(query: Sql): Promise<RunResult>;
}

export interface TransactionOptions {
  /**
   * The transaction may run alongside other concurrent ones: a write whose integrity the
   * database's own constraints keep (one record's insert or update). Without it, transactions are
   * serialized against each other (across processes on PostgreSQL/MySQL), as every write is on
   * SQLite: schema changes, and deletes whose cascade and checks read before they write.
   * On MySQL a concurrent transaction that a schema change's hold refuses runs again after the
   * change, so its body must only read and write through `tx`.
   */
  concurrent?: boolean;
  /**
   * Gives the transaction up when it aborts. One still waiting for its turn never begins. In an
   * open one, statements not yet sent are refused, one the database is running is cancelled where
   * the database allows it (PostgreSQL: a cancel request; MySQL: `KILL QUERY` from another
   * connection; SQLite runs each statement to its end, so there between statements), and the
   * transaction rolls back and rejects with the signal's reason at once, without waiting for `fn`:
   * its later statements are refused, never run after the ROLLBACK. It never commits once the
   * signal aborted. Only batches pass one (`db/abortable.ts`); other transactions pay nothing.
   */
  signal?: AbortSignal;
}

/**
 * One connection of its own holding the database's write lock, for a schema change whose DDL is
 * not transactional (`Database.exclusive`). Statements run in autocommit unless inside `transaction`.
 */
export interface ExclusiveSession extends Executor {
  /** Runs `fn` in a transaction on this connection (the write lock is held already). */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  /**
   * From now until the session ends, other connections' writes to `table` (under any name a
   * rename later gives it) are held back: the database retries them once the session ended,
   * so none lands in a table the change is copying from or may still undo. Reads go on.
   */
  holdWrites(table: string): Promise<void>;
}

export interface Database extends Executor {
  /**
   * Runs `fn` in a write transaction; commits when it resolves, rolls back when it throws.
   * Reads outside a transaction never see its uncommitted changes.
   */
  transaction<T>(fn: (tx: Executor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** One statement in a transaction of its own (see `TransactionOptions`). */
  run(query: Sql, options?: TransactionOptions): Promise<RunResult>;
  /** Like `run`, for a write that returns rows (`… RETURNING *`, where `caps.returning`). */
  write<T = Record<string, unknown>>(query: Sql, shape?: RowShape, options?: TransactionOptions): Promise<T[]>;
  /**
   * Reads made for a client (a guest or a user; not a superuser, not Baton itself), so that a
   * costly client filter is cut off by the client statement budget instead of holding a
   * connection: on PostgreSQL and MySQL a pool whose sessions carry that budget. SQLite cannot
   * interrupt a statement from its own thread: there it is the database itself.
   */
  forClients(): Executor;
  /**
   * Runs `fn` on an `ExclusiveSession`: Baton's serialized transactions, on every process, wait
   * until it ends, and so do the writes to the tables it holds. Where DDL is not transactional
   * (MySQL), so that a schema change built from several statements is not raced by writes.
   * The lock and the holds are released when `fn` settles, whether it succeeds or throws.
   */
  exclusive?<T>(fn: (session: ExclusiveSession) => Promise<T>): Promise<T>;
  /** Drops cached statements after a schema change (DDL) so none runs against a stale schema. */
  schemaChanged(): void;
  close(): Promise<void>;
  /**
   * Appends rows to a table of Baton's own (request logs) as cheaply for the event loop as the
   * database allows: on SQLite from a thread of its own. Absent: the caller inserts them itself.
   * `table` and `columns` are Baton's names, never a client's. `values` holds the rows' values
   * one row after another, `columns.length` per row: one flat array is cheaper to hand to a thread
   * than an array per row.
   */
  appendRows?(table: string, columns: readonly string[], values: readonly unknown[]): Promise<void>;
  /**
   * Runs a superuser's SQL console text as written, on a session of its own, within the system
   * statement budget (see superuser-sql.ts). Absent: the database cannot (in-memory SQLite, test doubles).
   */
  runSuperuserSql?(query: SuperuserSqlQuery): Promise<SuperuserSqlResult>;
}
