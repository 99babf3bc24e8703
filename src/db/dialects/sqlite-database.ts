import BetterSqlite3 from 'better-sqlite3';
import path from 'node:path';
import type { Database, Dialect, Executor, RowShape, RunResult } from '../dialect.ts';
import { NormalizerCache } from '../normalize.ts';
import { EnvironmentError } from '../../kernel/errors.ts';
import { render, type Sql } from '../sql.ts';
import { DEFAULT_CLIENT_STATEMENT_TIMEOUT_MS, DEFAULT_STATEMENT_TIMEOUT_MS } from '../timeouts.ts';
import { WriteQueue } from '../write-queue.ts';
import { sqliteDialect } from './sqlite.ts';
import { StatementBudget } from './sqlite-budget.ts';
import { SqliteReaderPool } from './sqlite-reader-pool.ts';

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
  /** Reader threads for costly reads (default 2). */
  readerThreads?: number;
}

/** Prepared statements cached per connection, least recently used evicted. */
class StatementCache {
  private readonly map = new Map<string, Statement>();
  constructor(private readonly conn: Connection) {}

  get(text: string): Statement {
    let stmt = this.map.get(text);
    if (stmt) {
      this.map.delete(text);
    } else {
      stmt = this.conn.prepare(text);
      if (this.map.size >= STATEMENT_CACHE_SIZE) this.map.delete(this.map.keys().next().value as string);
    }
    this.map.set(text, stmt);
    return stmt;
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

/**
 * One connection on the main thread. Guarded statements (see `SqlLoopGuard`) that reach it run
 * within `guardedBudgetMs`; the others, Baton's own, have no loop guards and run to their end.
 */
class ConnectionExecutor implements Executor {
  readonly dialect: Dialect = sqliteDialect;
  private readonly cache: StatementCache;
  private readonly budget = new StatementBudget();

  constructor(
    readonly conn: Connection,
    private readonly guardedBudgetMs: number,
  ) {
    this.cache = new StatementCache(conn);
    this.budget.install(conn);
  }

  private prepare(query: Sql): { stmt: Statement; params: unknown[]; guarded: boolean } {
    const { text, params, guarded } = render(query, this.dialect);
    return { stmt: this.cache.get(text), params: params.map(bindable), guarded };
  }

  async all<T>(query: Sql, shape?: RowShape): Promise<T[]> {
    const { stmt, params, guarded } = this.prepare(query);
    const rows = guarded ? this.budget.within(this.guardedBudgetMs, () => stmt.all(...params)) : stmt.all(...params);
    return normalizers.rows<T>(rows as Record<string, unknown>[], shape);
  }

  async get<T>(query: Sql, shape?: RowShape): Promise<T | undefined> {
    const { stmt, params, guarded } = this.prepare(query);
    const row = guarded ? this.budget.within(this.guardedBudgetMs, () => stmt.get(...params)) : stmt.get(...params);
    return normalizers.row<T>(row as Record<string, unknown> | undefined, shape);
  }

  async run(query: Sql): Promise<RunResult> {
    const { stmt, params, guarded } = this.prepare(query);
    const info = guarded ? this.budget.within(this.guardedBudgetMs, () => stmt.run(...params)) : stmt.run(...params);
    // DDL changes the schema: statements prepared before it may be stale.
    if (!stmt.reader && /^\s*(CREATE|ALTER|DROP)\b/i.test(stmt.source)) this.cache.clear();
    return { changes: info.changes };
  }

  clearCache(): void {
    this.cache.clear();
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
 * Reads on the main thread's reader connection, except guarded (costly) ones, which run on the
 * reader threads within `budgetMs`. Without threads (`:memory:`, which they cannot open), guarded
 * reads run on the main connection, still within their budget.
 */
class ReadExecutor implements Executor {
  readonly dialect: Dialect = sqliteDialect;

  constructor(
    private readonly main: ConnectionExecutor,
    private readonly threads: SqliteReaderPool | undefined,
    private readonly budgetMs: number,
    private readonly writes: (query: Sql) => Promise<RunResult>,
  ) {}

  async all<T>(query: Sql, shape?: RowShape): Promise<T[]> {
    const rendered = this.threaded(query);
    if (!rendered) return this.main.all<T>(query, shape);
    const rows = await this.threads!.run<Record<string, unknown>[]>('all', rendered.text, rendered.params, this.budgetMs);
    return normalizers.rows<T>(rows, shape);
  }

  async get<T>(query: Sql, shape?: RowShape): Promise<T | undefined> {
    const rendered = this.threaded(query);
    if (!rendered) return this.main.get<T>(query, shape);
    const row = await this.threads!.run<Record<string, unknown> | undefined>('get', rendered.text, rendered.params, this.budgetMs);
    return normalizers.row<T>(row, shape);
  }

  run(query: Sql): Promise<RunResult> {
    return this.writes(query);
  }

  /** The statement rendered for a reader thread, or undefined when it runs on the main connection. */
  private threaded(query: Sql): { text: string; params: unknown[] } | undefined {
    if (!this.threads) return undefined;
    const { text, params, guarded } = render(query, this.dialect);
    return guarded ? { text, params: params.map(bindable) } : undefined;
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
 * reads run on the reader threads, within the client budget for `forClients()` reads and the
 * longer one otherwise; guarded statements of write transactions (clients' rule checks) run on
 * the writer within the client budget.
 */
export class SqliteDatabase implements Database {
  readonly dialect: Dialect = sqliteDialect;
  private readonly writer: ConnectionExecutor;
  private readonly reader: ConnectionExecutor;
  private readonly threads: SqliteReaderPool | undefined;
  private readonly reads: ReadExecutor;
  private readonly clientReads: ReadExecutor;
  private readonly writes = new WriteQueue();

  constructor(file: string, options: SqliteOptions = {}) {
    const timeout = options.busyTimeoutMs ?? 10_000;
    const budget = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    const clientBudget = options.clientStatementTimeoutMs ?? DEFAULT_CLIENT_STATEMENT_TIMEOUT_MS;
    const writerConn = open(file, timeout);
    this.writer = new ConnectionExecutor(writerConn, clientBudget);
    this.reader = file === ':memory:' ? this.writer : new ConnectionExecutor(open(file, timeout), budget);
    this.threads =
      file === ':memory:' ? undefined : new SqliteReaderPool({ file, size: options.readerThreads ?? 2, busyTimeoutMs: timeout });
    const write = (query: Sql) => this.run(query);
    this.reads = new ReadExecutor(this.reader, this.threads, budget, write);
    this.clientReads = new ReadExecutor(this.reader, this.threads, clientBudget, write);
  }

  all<T>(query: Sql, shape?: RowShape): Promise<T[]> {
    return this.reads.all<T>(query, shape);
  }

  get<T>(query: Sql, shape?: RowShape): Promise<T | undefined> {
    return this.reads.get<T>(query, shape);
  }

  run(query: Sql): Promise<RunResult> {
    return this.writes.run(() => this.writer.run(query));
  }

  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    return this.writes.run(async () => {
      const conn = this.writer.conn;
      conn.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.writer);
        conn.exec('COMMIT');
        return result;
      } catch (e) {
        if (conn.inTransaction) conn.exec('ROLLBACK');
        // A rolled-back DDL statement may leave cached statements that no longer match the schema.
        this.writer.clearCache();
        throw e;
      }
    });
  }

  forClients(): Executor {
    return this.clientReads;
  }

  /** Called after schema changes so the readers re-prepare against the new schema. */
  schemaChanged(): void {
    this.reader.clearCache();
    this.writer.clearCache();
    this.threads?.reset();
  }


  async close(): Promise<void> {
    if (this.writes.isClosed) return;
    await this.threads?.close();
    await this.writes.drain();
    if (this.reader !== this.writer) this.reader.conn.close();
    // Fold the WAL back into the main file so the directory is self-contained after a clean stop.
    this.writer.conn.pragma('wal_checkpoint(TRUNCATE)');
    this.writer.conn.close();
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
