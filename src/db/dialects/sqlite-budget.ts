import type BetterSqlite3 from 'better-sqlite3';

/**
 * Time budgets for SQLite statements. SQLite runs a statement to its end on the calling thread,
 * and better-sqlite3 exposes neither `sqlite3_interrupt` nor a progress handler. What it can do is
 * call a JavaScript function from inside a running statement: the loop guards a costly statement
 * carries (`SqlLoopGuard`, rendered `baton_tick(…)`) call this one once per row of every loop
 * that can grow with the data, and it fails the statement once the budget is spent. The failure
 * leaves nothing behind: the statement is a read, or the write transaction it belongs to rolls
 * back. (The same check runs in the reader threads, `sqlite-reader-worker.js`.)
 *
 * A call costs about 55 ns, so the clock is read every 64 calls only.
 */
export const BUDGET_ERROR_CODE = 'SQLITE_INTERRUPT';

export class StatementBudget {
  private deadline = Infinity;
  private calls = 0;

  /** Registers `baton_tick` on `conn`, checking this budget. */
  install(conn: BetterSqlite3.Database): void {
    conn.function('baton_tick', { deterministic: false, varargs: true, directOnly: true }, () => {
      if ((++this.calls & 63) === 0 && performance.now() > this.deadline) {
        throw Object.assign(new Error('statement time budget exceeded'), { code: BUDGET_ERROR_CODE });
      }
      return 1;
    });
  }

  /** Runs `fn` (one statement, synchronously) with `ms` to spend in its guarded loops. */
  within<T>(ms: number, fn: () => T): T {
    this.deadline = performance.now() + ms;
    this.calls = 0;
    try {
      return fn();
    } finally {
      this.deadline = Infinity;
    }
  }
}
