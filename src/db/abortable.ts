import type { Dialect, Executor, RowShape, RunResult } from './dialect.ts';
import type { Sql } from './sql.ts';

/**
 * A transaction's statements under an AbortSignal (`TransactionOptions.signal`): once the signal
 * aborted, or the transaction ended, a statement is refused before it is sent. The body of a
 * transaction given up on may still be running (a password being hashed, a file being stored);
 * its next statement must not reach the connection, where it would run after the ROLLBACK, in
 * autocommit or in someone else's transaction.
 */
class AbortableExecutor implements Executor {
  readonly dialect: Dialect;
  /** Statements sent and not yet answered. */
  inFlight = 0;
  private ended = false;

  constructor(
    private readonly tx: Executor,
    private readonly signal: AbortSignal,
  ) {
    this.dialect = tx.dialect;
  }

  all<T = Record<string, unknown>>(query: Sql, shape?: RowShape): Promise<T[]> {
    return this.send(() => this.tx.all<T>(query, shape));
  }

  get<T = Record<string, unknown>>(query: Sql, shape?: RowShape): Promise<T | undefined> {
    return this.send(() => this.tx.get<T>(query, shape));
  }

  run(query: Sql): Promise<RunResult> {
    return this.send(() => this.tx.run(query));
  }

  end(): void {
    this.ended = true;
  }

  private async send<T>(statement: () => Promise<T>): Promise<T> {
    this.signal.throwIfAborted();
    if (this.ended) throw new Error('the transaction has ended');
    this.inFlight++;
    try {
      return await statement();
    } finally {
      this.inFlight--;
    }
  }
}

/**
 * Runs `fn` in an open transaction that `signal` may abort. Resolves with what `fn` resolves to;
 * rejects with the signal's reason as soon as it aborts, without waiting for `fn` (whose later
 * statements are refused, and whose outcome is then ignored), so that the caller rolls back at
 * once. `cancelInFlight` stops a statement the database is running for the transaction (one
 * blocked on a lock); it is awaited before the rejection, so the rollback never races it.
 */
export async function runAbortable<T>(
  tx: Executor,
  signal: AbortSignal,
  fn: (tx: Executor) => Promise<T>,
  cancelInFlight?: () => Promise<unknown>,
): Promise<T> {
  signal.throwIfAborted();
  const executor = new AbortableExecutor(tx, signal);
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      executor.end();
      const cancelled = executor.inFlight > 0 && cancelInFlight ? cancelInFlight().catch(() => undefined) : undefined;
      void Promise.resolve(cancelled).then(() => reject(signal.reason));
    };
  });
  signal.addEventListener('abort', onAbort, { once: true });
  const work = fn(executor);
  work.catch(() => undefined);
  try {
    const result = await Promise.race([work, aborted]);
    // Settled in the same turn as an abort: the abort wins, nothing commits past it.
    signal.throwIfAborted();
    return result;
  } finally {
    signal.removeEventListener('abort', onAbort);
    executor.end();
  }
}

/** The error a transaction given up on rejects with: the signal's reason once it aborted, else `e`. */
export const abortReason = (signal: AbortSignal | undefined, e: unknown): unknown => (signal?.aborted ? signal.reason : e);
