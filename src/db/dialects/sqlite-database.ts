import BetterSqlite3 from 'better-sqlite3';
import path from 'node:path';
import { setImmediate } from 'node:timers';
import type { Database, Dialect, Executor, RowShape, RunResult, TransactionOptions } from '../dialect.ts';
import { converter, NormalizerCache } from '../normalize.ts';
import { EnvironmentError } from '../../kernel/errors.ts';
import { render, type Sql } from '../sql.ts';
import { DEFAULT_CLIENT_STATEMENT_TIMEOUT_MS, DEFAULT_STATEMENT_TIMEOUT_MS } from '../timeouts.ts';
import { WriteQueue } from '../write-queue.ts';
import { runAbortable } from '../abortable.ts';
import { appendStatements } from '../append.ts';
import { sqliteDialect } from './sqlite.ts';
import { isBudgetExceeded, StatementBudget } from './sqlite-budget.ts';
import { DEFAULT_READER_THREADS, SqliteReaderPool } from './sqlite-reader-pool.ts';
import { SqliteAppender } from './sqlite-appender.ts';
import { SqliteConsole } from './sqlite-superuser-sql.ts';
import type { SuperuserSqlQuery, SuperuserSqlResult } from '../superuser-sql.ts';

type Connection = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

const STATEMENT_CACHE_SIZE = 500;

export interface SqliteOptions {
  /** Busy timeout in milliseconds (PocketBase uses 10s). */
  busyTimeoutMs?: number;
  /** Time budget of costly (guarded) statements run for Baton itself and superusers. */
  statementTimeoutMs?: number;
  /** The same for clients' reads (`forClients`) and for guarded statements in write transactions. */
  clientStatementTimeoutMs?: number;
  /** Reader threads for costly reads (default DEFAULT_READER_THREADS). */
  readerThreads?: number;
}

/**
 * A prepared statement, and for a read how its rows become objects. better-sqlite3 builds a row
 * object in C++ one property at a time, looking each column's name up again for every row; a
 * read runs in raw mode instead (values in an array) and its rows are made by a function compiled
 * once per column list, whose object literal gives every row the same hidden class (a record
 * view and a page of 30 through the service layer: docs/performance.md, bench/service-loop.ts).
 * The value conversions a row shape names run on the array, by column index, before the object
 * is made.
 */
interface CachedStatement {
  readonly stmt: Statement;
  /** Makes a row object from a raw row; absent where the statement returns no rows. */
  readonly build: RowBuilder | undefined;
  /** Result columns (reads only). */
  readonly columns: readonly string[];
  /** The conversions of each row shape used with this statement: [column index, converter]. */
  readonly steps: WeakMap<RowShape, ReadonlyArray<readonly [number, (v: unknown) => unknown]>>;
}

type RowBuilder = (values: unknown[]) => Record<string, unknown>;

/** Row builders per column list, shared by the statements that return the same columns. */
const builders = new Map<string, RowBuilder>();
const BUILDERS_SIZE = 2000;

/**
 * The function making a row object of `columns` from an array of values. Names are written as
 * JSON string literals (any text is safe there); a repeated name keeps its last value, as
 * better-sqlite3's objects do. A column named `__proto__` would set the prototype in a literal (and
 * does in the driver's objects, given a BLOB): such rows get it as an own property instead.
 */
function rowBuilder(columns: readonly string[]): RowBuilder {
  if (columns.includes('__proto__')) {
    return (values) => {
      const row: Record<string, unknown> = {};
      columns.forEach((c, i) => Object.defineProperty(row, c, { value: values[i], writable: true, enumerable: true, configurable: true }));
      return row;
    };
  }
  const key = JSON.stringify(columns);
  let build = builders.get(key);
  if (!build) {
    const body = columns.map((c, i) => `${JSON.stringify(c)}: v[${i}]`).join(', ');
    build = new Function('v', `return { ${body} };`) as RowBuilder;
    if (builders.size >= BUILDERS_SIZE) builders.delete(builders.keys().next().value as string);
    builders.set(key, build);
  }
  return build;
}

function cachedStatement(stmt: Statement): CachedStatement {
  if (!stmt.reader) return { stmt, build: undefined, columns: [], steps: new WeakMap() };
  const columns = stmt.raw(true).columns().map((c) => c.name);
  return { stmt, build: rowBuilder(columns), columns, steps: new WeakMap() };
}

/** Applies `shape`'s conversions to a raw row, in place. */
function convert(entry: CachedStatement, shape: RowShape | undefined, values: unknown[]): unknown[] {
  if (!shape) return values;
  let steps = entry.steps.get(shape);
  if (!steps) {
    steps = [];
    entry.columns.forEach((column, at) => {
      const fn = Object.hasOwn(shape, column) ? converter(shape[column]!, true) : undefined;
      if (fn) (steps as Array<readonly [number, (v: unknown) => unknown]>).push([at, fn]);
    });
    entry.steps.set(shape, steps);
  }
  for (let i = 0; i < steps.length; i++) {
    const [at, fn] = steps[i]!;
    values[at] = fn(values[at]);
  }
  return values;
}

/** Prepared statements cached per connection, least recently used evicted. */
class StatementCache {
  private readonly map = new Map<string, CachedStatement>();
  constructor(private readonly conn: Connection) {}

  get(text: string): CachedStatement {
    let entry = this.map.get(text);
    if (entry) {
      this.map.delete(text);
    } else {
      entry = cachedStatement(this.conn.prepare(text));
      if (this.map.size >= STATEMENT_CACHE_SIZE) this.map.delete(this.map.keys().next().value as string);
    }
    this.map.set(text, entry);
    return entry;
  }

  clear(): void {
    this.map.clear();
  }
}

/** better-sqlite3 binds numbers, strings, bigints, buffers and null only. */
function bindable(v: unknown): unknown {
  if (v === undefined) return null;
  // Whole numbers go in as INTEGER, as PocketBase binds them (a REAL 12 reads as the text '12.0').
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) return JSON.stringify(v);
  return v;
}

/** SQLite hands JSON back as text and booleans as 0/1. */
const normalizers = new NormalizerCache(true);

type Kind = 'all' | 'get' | 'run';

/** A statement rendered for SQLite, its values ready to bind. */
interface RenderedStatement {
  readonly text: string;
  readonly params: unknown[];
  readonly guarded: boolean;
  /** Guarded, and each row may cost a long native call: straight to a reader thread (RenderedSql.offLoop). */
  readonly offLoop: boolean;
}

function prepareStatement(query: Sql): RenderedStatement {
  const { text, params, guarded, offLoop } = render(query, sqliteDialect);
  return { text, params: params.map(bindable), guarded, offLoop };
}

/**
 * One connection on the main thread. Guarded statements (see `SqlLoopGuard`) that reach it run
 * within a budget (`guardedBudgetMs` unless told otherwise); the others, Baton's own, have no
 * loop guards and run to their end.
 */
class ConnectionExecutor implements Executor {
  readonly dialect: Dialect = sqliteDialect;
  private readonly cache: StatementCache;
  private readonly budget = new StatementBudget();
  private readonly schemaVersion: Statement;
  /** The schema version the cached statements were prepared under. */
  private knownSchema: number | undefined;

  constructor(
    readonly conn: Connection,
    private readonly guardedBudgetMs: number,
    /** The read transaction this connection's reads share, where it has one (the reader). */
    public snapshot?: ReadSnapshot,
  ) {
    this.cache = new StatementCache(conn);
    this.budget.install(conn);
    this.schemaVersion = conn.prepare('PRAGMA schema_version').pluck();
  }

  /**
   * Makes the cached statements match the schema another connection may have changed. A cached
   * read builds its rows from the column names read when it was prepared, while SQLite re-prepares
   * a statement whose schema changed when it next runs: `SELECT *` then returns other columns than
   * those names, a value under another column's name. Clearing the cache is not enough either: a
   * connection prepares against the schema it last loaded. So when the schema version moved, a
   * statement that reads the schema table runs first (SQLite sees the change and loads the new
   * schema), then the cache is emptied. One cheap statement per read transaction (the reader's
   * shared one, or a write transaction's) or per read outside one.
   */
  syncSchema(): void {
    const version = this.schemaVersion.get() as number;
    if (version === this.knownSchema) return;
    if (this.knownSchema !== undefined) {
      this.conn.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get();
      this.cache.clear();
    }
    this.knownSchema = version;
  }

  /** Before a read: this turn's shared transaction where the connection has one, and the schema checked for it. */
  private beforeRead(): void {
    if (this.conn.inTransaction) return;
    this.snapshot?.enter();
    this.syncSchema();
  }

  /** Runs a rendered write; the driver's run info. */
  runStatement(s: RenderedStatement, budgetMs = this.guardedBudgetMs): BetterSqlite3.RunResult {
    const { stmt } = this.cache.get(s.text);
    const info = (s.guarded ? this.guarded('run', stmt, s.params, budgetMs) : stmt.run(...s.params)) as BetterSqlite3.RunResult;
    // DDL changes the schema: statements prepared before it may be stale.
    if (!stmt.reader && /^\s*(CREATE|ALTER|DROP)\b/i.test(stmt.source)) this.cache.clear();
    return info;
  }

  /** Runs a rendered read (or a write with RETURNING): its first row, as `shape` types it. */
  getRow(s: RenderedStatement, shape: RowShape | undefined, budgetMs = this.guardedBudgetMs): Record<string, unknown> | undefined {
    this.beforeRead();
    const entry = this.cache.get(s.text);
    const { stmt, build } = entry;
    const row = s.guarded ? this.guarded('get', stmt, s.params, budgetMs) : stmt.get(...s.params);
    if (row === undefined) return undefined;
    if (!build) return normalizers.row(row as Record<string, unknown>, shape);
    return build(convert(entry, shape, row as unknown[]));
  }

  /** Runs a rendered read (or a write with RETURNING): its rows, as `shape` types them. */
  allRows(s: RenderedStatement, shape: RowShape | undefined, budgetMs = this.guardedBudgetMs): Record<string, unknown>[] {
    this.beforeRead();
    const entry = this.cache.get(s.text);
    const { stmt, build } = entry;
    const rows = (s.guarded ? this.guarded('all', stmt, s.params, budgetMs) : stmt.all(...s.params)) as unknown[];
    if (!build) return normalizers.rows(rows as Record<string, unknown>[], shape);
    // The driver's array holds the objects in place of the raw rows.
    for (let i = 0; i < rows.length; i++) rows[i] = build(convert(entry, shape, rows[i] as unknown[]));
    return rows as Record<string, unknown>[];
  }

  /** One guarded statement within `budgetMs`; no closure per call (the hot path). */
  private guarded(kind: Kind, stmt: Statement, params: unknown[], budgetMs: number): unknown {
    this.budget.start(budgetMs);
    try {
      return kind === 'get' ? stmt.get(...params) : kind === 'all' ? stmt.all(...params) : stmt.run(...params);
    } finally {
      this.budget.stop();
    }
  }

  async all<T>(query: Sql, shape?: RowShape): Promise<T[]> {
    return this.allRows(prepareStatement(query), shape) as T[];
  }

  async get<T>(query: Sql, shape?: RowShape): Promise<T | undefined> {
    return this.getRow(prepareStatement(query), shape) as T | undefined;
  }

  async run(query: Sql): Promise<RunResult> {
    return { changes: this.runStatement(prepareStatement(query)).changes };
  }

  clearCache(): void {
    this.cache.clear();
  }
}

/**
 * One read transaction shared by the reads of the main thread's reader connection within a turn of
 * the event loop. A read outside a transaction takes SQLite's shared locks and checks the WAL for
 * itself: on Linux two fcntl calls and an fstat per statement, several µs on a virtual machine
 * (docs/performance.md). Reads in one transaction take them once.
 * - The transaction ends at the end of the turn (setImmediate).
 * - It also ends before every write of this process, so that the write never finds this connection
 *   holding the WAL (which could then not restart), and once the write is done, so that every read
 *   after it begins a new transaction and sees it.
 * - Changes made by other processes (a shell on the file) show from the next turn.
 * - A database whose rows are also appended from the appender thread (auxiliary.db's request
 *   logs) stops sharing on its first append: that thread commits at any time, the main thread
 *   cannot end its transaction first, and a WAL always held by one could never restart.
 */
class ReadSnapshot {
  private endScheduled = false;
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly endOfTurn = () => {
    this.endScheduled = false;
    this.end();
  };

  constructor(private readonly conn: Connection) {
    this.begin = conn.prepare('BEGIN');
    this.commit = conn.prepare('COMMIT');
  }

  /** Before a read: the transaction of this turn, begun if there is none. */
  enter(): void {
    if (this.conn.inTransaction) return;
    this.begin.run();
    if (!this.endScheduled) {
      this.endScheduled = true;
      setImmediate(this.endOfTurn);
    }
  }

  /** Ends the transaction, if one is open. */
  end(): void {
    if (this.conn.inTransaction) this.commit.run();
  }
}

function open(file: string, busyTimeoutMs: number): Connection {
  const conn = new BetterSqlite3(file, { timeout: busyTimeoutMs });
  conn.pragma('journal_mode = WAL');
  conn.pragma('synchronous = NORMAL');
  conn.pragma('foreign_keys = ON');
  conn.pragma('temp_store = MEMORY');
  conn.pragma('cache_size = -16000');
  conn.pragma('journal_size_limit = 200000000');
  return conn;
}

/**
 * How long a guarded read may run on the main thread before it is stopped and run again on a
 * reader thread. Most guarded reads (a filtered page of a small table) finish well within it and
 * never pay a thread's round trip; a costly one holds the event loop for this long at most, once:
 * its text is remembered, and it goes straight to a thread next time.
 */
const INLINE_SLICE_MS = 10;
/** Statement texts remembered as too slow for the main thread (least recently added dropped). */
const SLOW_TEXTS = 1000;

/**
 * Reads on the main thread's reader connection; guarded (costly) ones move to the reader threads
 * once past `INLINE_SLICE_MS`, where they run within `budgetMs`. Without threads (`:memory:`,
 * which they cannot open), guarded reads run on the main connection, within their budget.
 */
class ReadExecutor implements Executor {
  readonly dialect: Dialect = sqliteDialect;

  constructor(
    private readonly main: ConnectionExecutor,
    private readonly threads: SqliteReaderPool | undefined,
    private readonly budgetMs: number,
    private readonly slow: Set<string>,
    private readonly writes: (query: Sql) => Promise<RunResult>,
  ) {}

  all<T>(query: Sql, shape?: RowShape): Promise<T[]> {
    try {
      const s = prepareStatement(query);
      if (this.inline(s)) return Promise.resolve(this.main.allRows(s, shape, this.budgetMs) as T[]);
      return this.read('all', s, shape) as Promise<T[]>;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  get<T>(query: Sql, shape?: RowShape): Promise<T | undefined> {
    try {
      const s = prepareStatement(query);
      if (this.inline(s)) return Promise.resolve(this.main.getRow(s, shape, this.budgetMs) as T | undefined);
      return this.read('get', s, shape) as Promise<T | undefined>;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * An unguarded read (most: a record by id, Baton's own) runs to its end on the main connection,
   * right away: its promise is made settled, with no async step in between.
   */
  private inline(s: RenderedStatement): boolean {
    return !s.guarded || !this.threads;
  }

  run(query: Sql): Promise<RunResult> {
    return this.writes(query);
  }

  /**
   * A guarded read: inline for a slice, then on a reader thread (see INLINE_SLICE_MS); one whose
   * rows may each cost a long native call (`offLoop`: a JSON path) goes to a thread at once.
   *
   * The slice is part of the budget: the thread gets what the inline attempt left. An attempt
   * that spent the whole budget (a row costlier than the budget between two guard checks) is a
   * timeout (400) at once, as it would have been on a thread; it is not run again with nothing
   * left, which the pool would refuse as busy (503), blaming the threads for the statement's cost.
   */
  private async read(kind: 'all' | 'get', s: RenderedStatement, shape: RowShape | undefined): Promise<unknown> {
    let spent = 0;
    if (!s.offLoop && !this.slow.has(s.text)) {
      const started = performance.now();
      try {
        const slice = Math.min(INLINE_SLICE_MS, this.budgetMs);
        return kind === 'get' ? this.main.getRow(s, shape, slice) : this.main.allRows(s, shape, slice);
      } catch (e) {
        if (!isBudgetExceeded(e) || INLINE_SLICE_MS >= this.budgetMs) throw e;
        spent = performance.now() - started;
        if (this.slow.size >= SLOW_TEXTS) this.slow.delete(this.slow.values().next().value as string);
        this.slow.add(s.text);
        if (spent >= this.budgetMs) throw e;
      }
    }
    const { rows, ms } = await this.threads!.run(kind, s.text, s.params, this.budgetMs - spent);
    // Past its slice once is not slow for ever: the slice may have been lost to a pause (garbage
    // collection, the core taken by another process, a cold cache), or its values made it costly
    // once. A statement that ran well within the slice on its thread (its own time, the queue and
    // the messages left out) runs inline again.
    if (ms < INLINE_SLICE_MS / 2) this.slow.delete(s.text);
    // The threads' rows are the driver's objects.
    return kind === 'get' ? normalizers.row(rows as Record<string, unknown> | undefined, shape) : normalizers.rows(rows as Record<string, unknown>[], shape);
  }
}

/**
 * SQLite with one writer and one reader connection on the main thread, and reader threads for
 * costly reads. In WAL mode readers see only committed data, so reads that interleave with an open
 * (async) transaction never observe its changes. Writes, transactional or not, are serialized
 * through one queue: SQLite has a single writer. (`:memory:` has one connection for everything,
 * so there reads do see an open transaction's writes; Baton itself always opens files.)
 *
 * Statement budgets: only guarded statements can be cut off (see `sqlite-budget.ts`). Guarded
 * reads move to the reader threads past a short slice (`ReadExecutor`), within the client budget
 * for `forClients()` reads and the longer one otherwise; guarded statements of write transactions
 * (clients' rule checks) run on the writer within the client budget.
 */
export class SqliteDatabase implements Database {
  readonly dialect: Dialect = sqliteDialect;
  private readonly writer: ConnectionExecutor;
  private readonly reader: ConnectionExecutor;
  private readonly threads: SqliteReaderPool | undefined;
  private readonly reads: ReadExecutor;
  private readonly clientReads: ReadExecutor;
  private readonly writes = new WriteQueue();
  /** How long a write waits for the lock another process holds on the file (`whenUnlocked`). */
  private readonly lockWaitMs: number;
  /** Texts of guarded reads that ran past their slice on the main thread (see ReadExecutor). */
  private readonly slow = new Set<string>();
  private readonly appender: SqliteAppender | undefined;
  /** Where the SQL console runs (a file: `:memory:` has no second connection). */
  private readonly console: SqliteConsole | undefined;

  constructor(file: string, options: SqliteOptions = {}) {
    const timeout = options.busyTimeoutMs ?? 10_000;
    const budget = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    const clientBudget = options.clientStatementTimeoutMs ?? DEFAULT_CLIENT_STATEMENT_TIMEOUT_MS;
    // No busy timeout on the writer: SQLite's busy handler sleeps on this thread, holding the event
    // loop for as long as another process holds the write lock. Writes wait in `whenUnlocked`.
    this.lockWaitMs = timeout;
    const writerConn = open(file, 0);
    this.writer = new ConnectionExecutor(writerConn, clientBudget);
    if (file === ':memory:') this.reader = this.writer;
    else {
      const conn = open(file, timeout);
      this.reader = new ConnectionExecutor(conn, budget, new ReadSnapshot(conn));
    }
    this.threads =
      file === ':memory:' ? undefined : new SqliteReaderPool({ file, size: options.readerThreads ?? DEFAULT_READER_THREADS, busyTimeoutMs: timeout });
    this.appender = file === ':memory:' ? undefined : new SqliteAppender({ file, busyTimeoutMs: timeout });
    this.console = file === ':memory:' ? undefined : new SqliteConsole({ file, busyTimeoutMs: timeout, budgetMs: budget });
    const write = (query: Sql) => this.run(query);
    this.reads = new ReadExecutor(this.reader, this.threads, budget, this.slow, write);
    this.clientReads = new ReadExecutor(this.reader, this.threads, clientBudget, this.slow, write);
  }

  /** How many statement texts currently go straight to the reader threads (known to be slow). */
  get slowStatements(): number {
    return this.slow.size;
  }

  all<T>(query: Sql, shape?: RowShape): Promise<T[]> {
    return this.reads.all<T>(query, shape);
  }

  get<T>(query: Sql, shape?: RowShape): Promise<T | undefined> {
    return this.reads.get<T>(query, shape);
  }

  run(query: Sql): Promise<RunResult> {
    const deadline = Date.now() + this.lockWaitMs;
    return this.writes.run(() => this.written(() => whenUnlocked(() => this.writer.run(query), deadline)));
  }

  write<T>(query: Sql, shape?: RowShape): Promise<T[]> {
    const deadline = Date.now() + this.lockWaitMs;
    return this.writes.run(() => this.written(() => whenUnlocked(() => this.writer.all<T>(query, shape), deadline)));
  }

  /**
   * A write on the writer connection: the reader's shared transaction ends before it and once it
   * is done, when a read during it may have begun one (ReadSnapshot).
   */
  private async written<T>(write: () => Promise<T>): Promise<T> {
    this.reader.snapshot?.end();
    try {
      return await write();
    } finally {
      this.reader.snapshot?.end();
    }
  }

  /**
   * `signal` (TransactionOptions): SQLite runs each statement to its end on this thread, so one
   * that aborts gives the transaction up between statements, or while `fn` awaits something else.
   */
  transaction<T>(fn: (tx: Executor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const { signal } = options;
    const deadline = Date.now() + this.lockWaitMs;
    return this.writes.run(() => this.written(async () => {
      signal?.throwIfAborted();
      const conn = this.writer.conn;
      await whenUnlocked(() => conn.exec('BEGIN IMMEDIATE'), deadline);
      // Given up on while it waited for the lock: it never begins.
      if (signal?.aborted) {
        conn.exec('ROLLBACK');
        signal.throwIfAborted();
      }
      try {
        this.writer.syncSchema();
        const result = signal ? await runAbortable(this.writer, signal, fn) : await fn(this.writer);
        // Reads during `fn` may have begun a shared transaction: the commit must not find one.
        this.reader.snapshot?.end();
        conn.exec('COMMIT');
        return result;
      } catch (e) {
        if (conn.inTransaction) conn.exec('ROLLBACK');
        // A rolled-back DDL statement may leave cached statements that no longer match the schema.
        this.writer.clearCache();
        throw e;
      }
    }));
  }

  forClients(): Executor {
    return this.clientReads;
  }

  /** Called after schema changes so the readers re-prepare against the new schema. */
  schemaChanged(): void {
    this.reader.snapshot?.end();
    this.reader.clearCache();
    this.writer.clearCache();
    this.threads?.reset();
  }


  /** Database.appendRows: from the appender thread (files only: `:memory:` has no second connection). */
  async appendRows(table: string, columns: readonly string[], values: readonly unknown[]): Promise<void> {
    if (this.appender) {
      // Reads stop sharing a transaction per turn (see ReadSnapshot): one would hold the WAL while
      // the thread commits. Each read then sees every append done before it.
      this.reader.snapshot?.end();
      this.reader.snapshot = undefined;
      return this.appender.append(table, columns, values);
    }
    const statements = appendStatements(table, columns, values);
    await this.transaction(async (tx) => {
      for (const statement of statements) await tx.run(statement);
    });
  }

  /**
   * Database.runSuperuserSql: in a child process (sqlite-superuser-sql.ts), killed past the system
   * budget. A write holds the write queue until that process has exited, so Baton's own writes
   * wait for it (at most the budget) instead of failing on SQLite's lock.
   */
  runSuperuserSql(query: SuperuserSqlQuery): Promise<SuperuserSqlResult> {
    const sqlConsole = this.console;
    if (!sqlConsole) return Promise.reject(new Error('the SQL console needs a database file'));
    if (!query.write) return sqlConsole.run(query);
    return this.writes.run(() => this.written(() => sqlConsole.run(query))).finally(() => this.schemaChanged());
  }

  async close(): Promise<void> {
    if (this.writes.isClosed) return;
    await this.appender?.close();
    await this.threads?.close();
    await this.writes.drain();
    this.reader.snapshot?.end();
    if (this.reader !== this.writer) this.reader.conn.close();
    // Fold the WAL back into the main file so the directory is self-contained after a clean stop.
    this.writer.conn.pragma('wal_checkpoint(TRUNCATE)');
    this.writer.conn.close();
  }
}

/**
 * Runs `attempt`, a write's first statement (one in autocommit, or BEGIN IMMEDIATE), until it gets
 * the file's write lock. The writer connection has no busy timeout: a lock another process holds
 * (`baton superuser …`, a shell on the file) is waited for here, between turns of the event loop,
 * where SQLite's busy handler would sleep on the main thread and freeze the server for the whole
 * wait. SQLITE_BUSY on a first statement means it did nothing, so it can run again. Past
 * `deadline` (the lock wait from when the write was queued, so the writes queued behind one
 * waiting do not each wait the whole lock wait again) the last SQLITE_BUSY is thrown (the busy
 * 503); a write whose deadline passed in the queue is tried once.
 */
async function whenUnlocked<T>(attempt: () => T | Promise<T>, deadline: number): Promise<T> {
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      return await attempt();
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(1, deadline - Date.now()))));
    }
  }
}

/**
 * Keeps a second `baton serve` off a data directory another process serves: two servers would
 * each cache the schema and silently drift. The lock is SQLite's own exclusive lock on a small
 * file, held for the life of the connection; the OS drops it when the process dies, so a crash
 * never leaves a stale lock behind.
 */
export class SqliteDirectoryLock {
  private constructor(private readonly conn: Connection) {}

  static acquire(dir: string): SqliteDirectoryLock {
    const conn = new BetterSqlite3(path.join(dir, '.baton.lock'), { timeout: 0 });
    try {
      conn.pragma('locking_mode = EXCLUSIVE');
      conn.exec('CREATE TABLE IF NOT EXISTS lock (pid INTEGER)');
      conn.exec('BEGIN EXCLUSIVE');
      conn.prepare('DELETE FROM lock').run();
      conn.prepare('INSERT INTO lock (pid) VALUES (?)').run(process.pid);
      conn.exec('COMMIT');
    } catch (e) {
      conn.close();
      if ((e as { code?: string }).code === 'SQLITE_BUSY') {
        throw new EnvironmentError(`another Baton process is serving ${dir}; stop it first (two servers on one SQLite directory would drift apart)`);
      }
      throw e;
    }
    return new SqliteDirectoryLock(conn);
  }

  release(): void {
    if (this.conn.open) this.conn.close();
  }
}

