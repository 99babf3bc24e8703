/**
 * Runs writes one after another in this process, whether each succeeds or fails: SQLite has a
 * single writer, and the server databases order Baton's serialized transactions the same way
 * before they take their cross-process lock (so waiting writes do not each hold a pooled connection).
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Waits for the queued writes, then refuses new ones. */
  async drain(): Promise<void> {
    await this.tail;
    this.closed = true;
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
