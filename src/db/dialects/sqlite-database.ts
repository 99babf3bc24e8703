import BetterSqlite3 from 'better-sqlite3';
import path from 'node:path';
import type { Database, Dialect, Executor, RowShape, RunResult } from '../dialect.ts';
import { NormalizerCache } from '../normalize.ts';
import { EnvironmentError } from '../../kernel/errors.ts';
import { render, type Sql } from '../sql.ts';
import { WriteQueue } from '../write-queue.ts';
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
  // Whole numbers go in as INTEGER, as PocketBase binds them (a REAL 12 reads as the text '12.0').
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) return JSON.stringify(v);
  return v;
}

/** SQLite hands JSON back as text and booleans as 0/1. */
const normalizers = new NormalizerCache(true);

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

  async all<T>(query: Sql, shape?: RowShape): Promise<T[]> {
    const { stmt, params } = this.prepare(query);
    return normalizers.rows<T>(stmt.all(...params) as Record<string, unknown>[], shape);
  }

  async get<T>(query: Sql, shape?: RowShape): Promise<T | undefined> {
    const { stmt, params } = this.prepare(query);
    return normalizers.row<T>(stmt.get(...params) as Record<string, unknown> | undefined, shape);
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
  private readonly writes = new WriteQueue();

  constructor(file: string, options: SqliteOptions = {}) {
    const timeout = options.busyTimeoutMs ?? 10_000;
    const writerConn = open(file, timeout);
    this.writer = new ConnectionExecutor(writerConn);
    this.reader = file === ':memory:' ? this.writer : new ConnectionExecutor(open(file, timeout));
  }

  all<T>(query: Sql, shape?: RowShape): Promise<T[]> {
    return this.reader.all<T>(query, shape);
  }

  get<T>(query: Sql, shape?: RowShape): Promise<T | undefined> {
    return this.reader.get<T>(query, shape);
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
    return this;
  }

  /** Called after schema changes so the reader re-prepares against the new schema. */
  schemaChanged(): void {
    this.reader.clearCache();
    this.writer.clearCache();
  }


  async close(): Promise<void> {
    if (this.writes.isClosed) return;
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
