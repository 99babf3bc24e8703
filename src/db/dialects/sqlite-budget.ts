import type BetterSqlite3 from 'better-sqlite3';
import { likeFunction } from './sqlite-like.js';

/**
 * Time budgets for SQLite statements. SQLite runs a statement to its end on the calling thread,
 * and better-sqlite3 exposes neither `sqlite3_interrupt` nor a progress handler. What it can do is
 * call a JavaScript function from inside a running statement: the loop guards a costly statement
 * carries (`SqlLoopGuard`, rendered `baton_tick(…)`) call this one once per row of every loop
 * that can grow with the data, and it fails the statement once the budget is spent. The failure
 * leaves nothing behind: the statement is a read, or the write transaction it belongs to rolls
 * back. (The same check runs in the reader threads, `sqlite-reader-worker.js`.)
 *
 * A call costs about 55-100 ns; the clock is read on one call in 64 (per-row guards) or on sampled
 * rows only (scan guards, see SqliteDialect.loopGuard).
 */
export const BUDGET_ERROR_CODE = 'SQLITE_INTERRUPT';

/** The error a statement past its budget fails with (classified as a timeout). */
export function budgetExceeded(): Error {
  return Object.assign(new Error('statement time budget exceeded'), { code: BUDGET_ERROR_CODE });
}

/** Whether `e` is the failure of a statement stopped by its budget. */
export const isBudgetExceeded = (e: unknown): boolean => (e as { code?: unknown })?.code === BUDGET_ERROR_CODE;

export class StatementBudget {
  private deadline = Infinity;
  private calls = 0;

  /**
   * Registers on `conn` the guards' two functions: `baton_tick`, called for every row of a loop,
   * reads the clock every 64 calls; `baton_check`, called for sampled rows only, on every call.
   * And `baton_like`, what `~` compiles to (sqlite-like.js), which checks the same budget as it works.
   */
  install(conn: BetterSqlite3.Database): void {
    const options = { deterministic: false, varargs: true, directOnly: true };
    conn.function('baton_tick', options, () => ((++this.calls & 63) === 0 ? this.check() : 1));
    conn.function('baton_check', options, () => this.check());
    conn.function('baton_like', { deterministic: true, directOnly: true }, likeFunction(() => this.check()));
  }

  private check(): number {
    if (performance.now() > this.deadline) throw budgetExceeded();
    return 1;
  }

  /** Gives the statement about to run (synchronously) `ms` to spend in its guarded loops. */
  start(ms: number): void {
    this.deadline = performance.now() + ms;
    this.calls = 0;
  }

  /** The statement has ended: guards outside a budgeted statement never fail. */
  stop(): void {
    this.deadline = Infinity;
  }
}
