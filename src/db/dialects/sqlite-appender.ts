import { Worker } from 'node:worker_threads';

const WORKER_URL = new URL('./sqlite-append-worker.js', import.meta.url);

interface Pending {
  resolve(): void;
  reject(e: Error): void;
}

/**
 * Appends batches of rows to a SQLite table from a thread of its own (`Database.appendRows` on
 * SQLite): the inserts, and the WAL checkpoints they trigger, run off the event loop. The thread
 * starts on the first batch and writes batches in the order they were given.
 */
export class SqliteAppender {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly inflight = new Set<Promise<void>>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly options: { file: string; busyTimeoutMs: number }) {}

  /** Appends the rows in `values` (`columns.length` values per row, one row after another). */
  append(table: string, columns: readonly string[], values: readonly unknown[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    if (values.length === 0) return Promise.resolve();
    const worker = (this.worker ??= this.spawn());
    const id = ++this.nextId;
    const written = new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, table, columns, values });
    });
    this.inflight.add(written);
    void written.then(() => this.inflight.delete(written), () => this.inflight.delete(written));
    return written;
  }

  /** Waits for the batches under way, then stops the thread. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_URL, { workerData: this.options });
    worker.unref();
    worker.on('message', (msg: { id: number; error?: { name?: string; message: string; code?: string } }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(Object.assign(new Error(msg.error.message), { name: msg.error.name ?? 'Error', code: msg.error.code }));
      else p.resolve();
    });
    const fail = (e: Error) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new Error('SQLite appender thread exited')));
    return worker;
  }
}
