import BetterSqlite3 from 'better-sqlite3';
import type { Database, Dialect, Executor, RunResult } from '../dialect.ts';
import { render, type Sql } from '../sql.ts';
import { sqliteDialect } from './sqlite.ts';

type Connection = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

const STATEMENT_CACHE_SIZE = 500;

export interface SqliteOptions {
  /** Busy timeout in milliseconds (PocketBase uses 10s). */
  busyTimeoutMs?: number;
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
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) return JSON.stringify(v);
  return v;
}

class ConnectionExecutor implements Executor {
  readonly dialect: Dialect = sqliteDialect;
  private readonly cache: StatementCache;

  constructor(readonly conn: Connection) {
    this.cache = new StatementCache(conn);
  }

  private prepare(query: Sql): { stmt: Statement; params: unknown[] } {
    const { text, params } = render(query, this.dialect);
    return { stmt: this.cache.get(text), params: params.map(bindable) };
  }

  async all<T>(query: Sql): Promise<T[]> {
    const { stmt, params } = this.prepare(query);
    return stmt.all(...params) as T[];
  }

  async get<T>(query: Sql): Promise<T | undefined> {
    const { stmt, params } = this.prepare(query);
    return stmt.get(...params) as T | undefined;
  }

  async run(query: Sql): Promise<RunResult> {
    const { stmt, params } = this.prepare(query);
    // DDL changes the schema: statements prepared before it may be stale.
    if (!stmt.reader && /^\s*(CREATE|ALTER|DROP)\b/i.test(stmt.source)) {
      const info = stmt.run(...params);
      this.cache.clear();
      return { changes: info.changes };
    }
    const info = stmt.run(...params);
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
 * SQLite with one writer and one reader connection. In WAL mode the reader sees only committed
 * data, so reads that interleave with an open (async) transaction never observe its changes.
 * Writes, transactional or not, are serialized through one queue: SQLite has a single writer.
 * (`:memory:` has one connection for both, so there reads do see an open transaction's writes;
 * Baton itself always opens files.)
 */
export class SqliteDatabase implements Database {
  readonly dialect: Dialect = sqliteDialect;
  private readonly writer: ConnectionExecutor;
  private readonly reader: ConnectionExecutor;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(file: string, options: SqliteOptions = {}) {
    const timeout = options.busyTimeoutMs ?? 10_000;
    const writerConn = open(file, timeout);
    this.writer = new ConnectionExecutor(writerConn);
    this.reader = file === ':memory:' ? this.writer : new ConnectionExecutor(open(file, timeout));
  }

  all<T>(query: Sql): Promise<T[]> {
    return this.reader.all<T>(query);
  }

  get<T>(query: Sql): Promise<T | undefined> {
    return this.reader.get<T>(query);
  }

  run(query: Sql): Promise<RunResult> {
    return this.serialize(() => this.writer.run(query));
  }

  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    return this.serialize(async () => {
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

  /** Called after schema changes so the reader re-prepares against the new schema. */
  schemaChanged(): void {
    this.reader.clearCache();
    this.writer.clearCache();
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    if (this.reader !== this.writer) this.reader.conn.close();
    // Fold the WAL back into the main file so the directory is self-contained after a clean stop.
    this.writer.conn.pragma('wal_checkpoint(TRUNCATE)');
    this.writer.conn.close();
  }
}
