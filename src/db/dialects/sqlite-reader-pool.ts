import { Worker } from 'node:worker_threads';

/**
 * Reader threads per database file unless configured (`--sqlite-reader-threads`): two costly
 * reads run at once while the main thread keeps serving; a third waits for a thread, and is
 * refused as busy if it waits its whole budget. More threads admit more costly reads at once,
 * each taking a core from the event loop while it runs.
 */
export const DEFAULT_READER_THREADS = 2;

export interface ReaderPoolOptions {
  file: string;
  /** Threads, each with its own read-only connection: at least one. */
  size: number;
  busyTimeoutMs: number;
}

/** A read's rows, and how long the statement itself ran on its thread (queue and messages left out). */
export interface ReaderResult {
  readonly rows: unknown;
  readonly ms: number;
}

interface Job {
  readonly id: number;
  readonly kind: 'all' | 'get';
  readonly text: string;
  readonly params: unknown[];
  readonly budgetMs: number;
  readonly queuedAt: number;
  resolve(result: ReaderResult): void;
  reject(e: Error): void;
}

interface Reader {
  readonly worker: Worker;
  job: Job | undefined;
}

const WORKER_URL = new URL('./sqlite-reader-worker.js', import.meta.url);

/**
 * Threads that run costly SQLite reads (statements with loop guards) off the event loop, each on a
 * read-only connection of its own: in WAL mode they read the last committed state, as the main
 * reader does. A statement past its budget is failed from inside by its loop guards; one that
 * waited in the queue longer than its whole budget is refused without running, so a burst of
 * costly requests is turned away instead of piling up behind the threads. Threads start on the
 * first costly read, so a server that never sees one never starts them.
 */
export class SqliteReaderPool {
  private readonly readers: Reader[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(private readonly options: ReaderPoolOptions) {
    // With no thread a costly read would wait in the queue forever.
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError(`reader threads: ${options.size}, expected a whole number of at least 1`);
  }

  run(kind: 'all' | 'get', text: string, params: unknown[], budgetMs: number): Promise<ReaderResult> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    return new Promise<ReaderResult>((resolve, reject) => {
      const job: Job = { id: ++this.nextId, kind, text, params, budgetMs, queuedAt: performance.now(), resolve, reject };
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Drops the threads' prepared statements (after a schema change). */
  reset(): void {
    for (const r of this.readers) r.worker.postMessage({ kind: 'reset' });
  }

  /**
   * Stops the threads. A statement still running is stopped at its next loop guard (a terminated
   * thread can no longer call into JavaScript); jobs still queued are refused.
   */
  async close(): Promise<void> {
    this.closed = true;
    const closed = () => new Error('the database is closed');
    for (const job of this.queue.splice(0)) job.reject(closed());
    const readers = this.readers.splice(0);
    for (const r of readers) r.job?.reject(closed());
    await Promise.all(readers.map((r) => r.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const reader = this.readers.find((r) => !r.job) ?? this.spawn();
      if (!reader) return;
      const job = this.queue.shift()!;
      const waited = performance.now() - job.queuedAt;
      if (waited >= job.budgetMs) {
        job.reject(budgetSpent());
        continue;
      }
      reader.job = job;
      reader.worker.postMessage({ id: job.id, kind: job.kind, text: job.text, params: job.params, budgetMs: job.budgetMs - waited });
    }
  }

  private spawn(): Reader | undefined {
    if (this.readers.length >= this.options.size) return undefined;
    const worker = new Worker(WORKER_URL, { workerData: { file: this.options.file, busyTimeoutMs: this.options.busyTimeoutMs } });
    const reader: Reader = { worker, job: undefined };
    worker.unref();
    worker.on('message', (msg: { id: number; rows?: unknown; ms?: number; error?: { name?: string; message: string; code?: string } }) => {
      const job = reader.job;
      if (!job || job.id !== msg.id) return;
      reader.job = undefined;
      if (msg.error) job.reject(Object.assign(new Error(msg.error.message), { name: msg.error.name ?? 'Error', code: msg.error.code }));
      else job.resolve({ rows: msg.rows, ms: msg.ms ?? 0 });
      this.dispatch();
    });
    // A thread that dies (it could not open the file, or ran out of memory) fails its job and is
    // replaced by the next dispatch.
    worker.on('error', (e) => this.lose(reader, e));
    worker.on('exit', () => this.lose(reader, new Error('SQLite reader thread exited')));
    this.readers.push(reader);
    return reader;
  }

  private lose(reader: Reader, e: Error): void {
    const i = this.readers.indexOf(reader);
    if (i < 0) return;
    this.readers.splice(i, 1);
    const job = reader.job;
    reader.job = undefined;
    job?.reject(e);
    if (!this.closed) this.dispatch();
  }
}

/** Busy, not too costly: the statement never ran (503, see translateDbError). */
function budgetSpent(): Error {
  return Object.assign(new Error('statement time budget spent waiting for a reader thread'), { code: 'SQLITE_BUSY' });
}
