import type { Database, Dialect, Executor, RowShape, RunResult, TransactionOptions } from './dialect.ts';
import type { Sql } from './sql.ts';
import { WriteQueue } from './write-queue.ts';

/**
 * What the server databases (PostgreSQL, MySQL) share: reads from a pool, client reads from a
 * second pool with the client statement budget, and transactions that are serialized (a queue in
 * the process, then a lock in the database that the subclass takes) unless marked `concurrent`.
 */
export abstract class PooledDatabase implements Database {
  abstract readonly dialect: Dialect;
  protected abstract readonly reader: Executor;
  protected abstract readonly clientReader: Executor;
  private readonly writes = new WriteQueue();

  /**
   * Runs `fn` in one transaction on a pooled connection; `serialized`: first take the database's
   * write lock, which orders Baton's serialized transactions across processes. `signal`: see
   * `TransactionOptions.signal`.
   */
  protected abstract runTransaction<T>(fn: (tx: Executor) => Promise<T>, serialized: boolean, signal?: AbortSignal): Promise<T>;
  /** Closes the pools. */
  protected abstract endPools(): Promise<void>;

  forClients(): Executor {
    return this.clientReader;
  }

  all<T>(query: Sql, shape?: RowShape): Promise<T[]> {
    return this.reader.all<T>(query, shape);
  }

  get<T>(query: Sql, shape?: RowShape): Promise<T | undefined> {
    return this.reader.get<T>(query, shape);
  }

  run(query: Sql, options: TransactionOptions = {}): Promise<RunResult> {
    // A concurrent single statement commits on its own (autocommit, one round trip).
    return options.concurrent ? this.reader.run(query) : this.transaction((tx) => tx.run(query));
  }

  write<T>(query: Sql, shape?: RowShape, options: TransactionOptions = {}): Promise<T[]> {
    return options.concurrent ? this.reader.all<T>(query, shape) : this.transaction((tx) => tx.all<T>(query, shape));
  }

  transaction<T>(fn: (tx: Executor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    // Concurrent writes go straight to the pool; the others queue here (so they don't each hold a
    // pooled connection while waiting) and then take the lock that orders them across processes.
    const { signal } = options;
    if (options.concurrent) return this.runTransaction(fn, false, signal);
    return this.writes.run(() => {
      // Given up on while it waited for its turn: it never begins.
      signal?.throwIfAborted();
      return this.runTransaction(fn, true, signal);
    });
  }

  /** Runs `fn` in turn with the serialized transactions of this process (the SQL console's writes). */
  protected serialized<T>(fn: () => Promise<T>): Promise<T> {
    return this.writes.run(fn);
  }

  schemaChanged(): void {
    // Both drivers re-prepare a statement that a schema change invalidated.
  }

  async close(): Promise<void> {
    if (this.writes.isClosed) return;
    await this.writes.drain();
    await this.endPools();
  }
}
