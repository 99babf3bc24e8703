import type { Database } from '../../db/dialect.ts';
import { appendRows } from '../../db/append.ts';
import { sql } from '../../db/sql.ts';
import { timeOrderedId } from '../../kernel/ids.ts';
import type { Logger } from '../../kernel/logger.ts';
import { formatDate } from '../../kernel/time.ts';
import type { LogsConfig } from '../settings/model.ts';
import { LOG_LEVEL, type RequestLogInput, requestLevel, requestLogRow, type UnloggedRequests, unloggedRequestsRow } from './entry.ts';

export interface RequestLogOptions {
  /** How often the buffer is written (PocketBase: 3 s after the last entry). */
  readonly flushIntervalMs: number;
  /**
   * Entries that trigger a write, and the most one write (one transaction) carries. PocketBase
   * writes 200 at a time; here a larger batch measured cheaper per request (fewer round trips to
   * the appender thread, which on a busy core each cost the main thread time; docs/performance.md).
   */
  readonly batchSize: number;
  /** Entries kept while writes lag; past it the oldest are dropped. */
  readonly maxBuffered: number;
  /** How often entries older than settings.logs.maxDays are deleted (PocketBase's cron: 6 hours). */
  readonly retentionIntervalMs: number;
  /**
   * Successful requests logged one by one in a second (`--request-log-rate`); past it they are
   * counted, and one entry a second says how many were not logged. Failed and slow requests are
   * always logged. 0: every request, as PocketBase does.
   */
  readonly maxPerSecond: number;
}

/**
 * The default of `maxPerSecond`. Far above what most servers see, so each of their requests is
 * logged, as in PocketBase. Under a load past it, logging stays about 1% of a view's cost instead
 * of the 15-20% that a row per request costs on a saturated core (docs/performance.md, "Request
 * logs"), and `_logs` grows by at most about 3.6 million rows an hour, not by every request.
 */
export const REQUEST_LOG_RATE = 1000;

export const DEFAULT_REQUEST_LOG_OPTIONS: RequestLogOptions = Object.freeze({
  flushIntervalMs: 2000,
  batchSize: 1000,
  // 10,000 small objects (about 2 MB): ten batches, under a second of a saturated server's requests.
  maxBuffered: 10_000,
  retentionIntervalMs: 6 * 60 * 60_000,
  maxPerSecond: REQUEST_LOG_RATE,
});

/**
 * A request that took this long is logged even past `maxPerSecond`: those are the ones an
 * operator looks for under load, and they cannot flood (each holds a connection that long).
 */
export const SLOW_REQUEST_MS = 1000;

const DAY_MS = 24 * 60 * 60_000;

const LOG_COLUMNS = ['id', 'level', 'message', 'data', 'created', 'updated'];

/**
 * Request logs, written to `_logs` off the request path: `add` only pushes a plain object onto an
 * in-memory buffer; a timer writes the buffer, and a full batch the full batches, each in one
 * transaction (db/append.ts: on SQLite from the appender thread; elsewhere INSERTs of 64 rows).
 * The buffer is bounded: when writes lag past `maxBuffered`, the oldest entries are dropped and
 * the count is logged once the writes catch up. `close` writes what is left.
 */
export class RequestLogWriter {
  private buffer: Array<RequestLogInput | UnloggedRequests> = [];
  /** The second (epoch seconds) whose successful requests `logged` counts. */
  private second = 0;
  private logged = 0;
  /** Successful requests not logged since the last `UnloggedRequests` entry. */
  private unlogged: { count: number; from: number; to: number } | undefined;
  private flushing: Promise<void> | undefined;
  private deleting: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private dropped = 0;
  private closed = false;
  private readonly options: RequestLogOptions;

  constructor(
    private readonly deps: {
      /** The auxiliary database (auxiliary.db on SQLite). */
      readonly db: Database;
      readonly settings: () => LogsConfig;
      readonly logger: Logger;
      /** Calls back after every settings change (SettingsService.subscribe). */
      readonly subscribe?: (listener: () => void) => () => void;
    },
    options: Partial<RequestLogOptions> = {},
  ) {
    this.options = { ...DEFAULT_REQUEST_LOG_OPTIONS, ...options };
  }

  /** Starts the flush timer and the retention job (run once now, then every retentionIntervalMs). */
  start(): void {
    this.flushTimer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.flushTimer.unref();
    this.deleting = this.deleteOld();
    this.retentionTimer = setInterval(() => (this.deleting = this.deleteOld()), this.options.retentionIntervalMs);
    this.retentionTimer.unref();
    // As PocketBase on a settings reload: entries the new settings would not keep go at once.
    this.unsubscribe = this.deps.subscribe?.(() => (this.deleting = this.deleteOld(true)));
  }

  /** Whether requests are logged at all: settings.logs.maxDays 0 keeps none (PocketBase). */
  get enabled(): boolean {
    return !this.closed && this.deps.settings().maxDays > 0;
  }

  /** Entries waiting to be written. */
  get bufferedEntries(): number {
    return this.buffer.length;
  }

  /** Entries dropped since the writes last caught up. */
  get droppedEntries(): number {
    return this.dropped;
  }

  /**
   * Whether a finished request gets an entry, asked before anything is gathered for it: failed
   * ones (`failed`: an error, or a status of 400 or more) and those that took `SLOW_REQUEST_MS`
   * always (as minLevel lets them), successful ones up to `maxPerSecond` a second. Past that a
   * request is only counted, and the count becomes one entry when the second ends (or at the next
   * flush).
   */
  admits(failed: boolean, timing: { readonly elapsedTime: number }, now = Date.now()): boolean {
    if (!this.enabled) return false;
    if (failed) return true;
    if (LOG_LEVEL.info < this.deps.settings().minLevel) return false;
    const max = this.options.maxPerSecond;
    if (max === 0) return true;
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      this.logged = 0;
      this.queueUnlogged();
    }
    if (this.logged < max) {
      this.logged++;
      return true;
    }
    if (timing.elapsedTime >= SLOW_REQUEST_MS) return true;
    if (this.unlogged) {
      this.unlogged.count++;
      this.unlogged.to = now;
    } else {
      this.unlogged = { count: 1, from: now, to: now };
    }
    return false;
  }

  /** Buffers the entry that counts the requests not logged since the last one, if any were. */
  private queueUnlogged(): void {
    if (!this.unlogged) return;
    this.buffer.push({ ...this.unlogged, limit: this.options.maxPerSecond });
    this.unlogged = undefined;
  }

  /** Queues one request's entry; cheap and synchronous (no formatting, no I/O). */
  add(input: RequestLogInput): void {
    if (!this.enabled) return;
    if (requestLevel(input) < this.deps.settings().minLevel) return;
    const buffer = this.buffer;
    buffer.push(input);
    if (buffer.length > this.options.maxBuffered) {
      // Dropping in chunks keeps the cost of shifting the array off most requests.
      const excess = buffer.length - this.options.maxBuffered + Math.ceil(this.options.maxBuffered / 10);
      buffer.splice(0, excess);
      this.dropped += excess;
    }
    if (buffer.length >= this.options.batchSize && !this.flushing) setImmediate(() => void this.write(false));
  }

  /**
   * Writes everything buffered when called; resolves when written (or failed, which is logged).
   * Entries added meanwhile wait for a full batch or the next flush.
   */
  flush(): Promise<void> {
    this.queueUnlogged();
    return this.write(true);
  }

  /**
   * Writes what is due: with `all` (a flush) what is buffered now, and in any case full batches
   * while there are. A busy server then writes whole batches, and what is left waits for the next
   * full batch or the timer. (Writing whatever was left made batches of the few entries that
   * arrived during the previous write: a transaction and two thread wake-ups per handful of
   * requests; docs/performance.md.)
   */
  private write(all: boolean): Promise<void> {
    if (this.flushing) {
      return all ? this.flushing.then(() => (this.buffer.length ? this.write(true) : undefined)) : this.flushing;
    }
    if (this.buffer.length === 0 || (!all && this.buffer.length < this.options.batchSize)) return Promise.resolve();
    this.flushing = this.writeAll(all ? this.buffer.length : 0).finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Writes the first `due` entries (fewer if some were dropped meanwhile), then full batches while there are. */
  private async writeAll(due: number): Promise<void> {
    const { batchSize } = this.options;
    while ((due > 0 && this.buffer.length > 0) || this.buffer.length >= batchSize) {
      const batch = this.buffer.splice(0, batchSize);
      due -= batch.length;
      // Checked again at write time, as PocketBase does: maxDays may have dropped to 0 meanwhile.
      if (this.deps.settings().maxDays === 0) continue;
      try {
        await this.insert(batch);
      } catch (err) {
        // One entry the database refuses must not cost the others (PocketBase writes them one by
        // one): its part of the batch is narrowed down, and only what still fails is lost.
        const lost = await this.salvage(batch);
        this.deps.logger.error({ err, entries: batch.length, lost }, 'failed to write request logs');
        // The database itself is failing: the rest waits for the next write.
        if (lost === batch.length) return;
      }
    }
    if (this.dropped) {
      this.deps.logger.warn({ dropped: this.dropped }, 'request logs dropped: writes could not keep up');
      this.dropped = 0;
    }
  }

  /**
   * After `batch` failed: its halves on their own, then the half that fails, down to the entries
   * the database refuses. When both halves of a part fail, the database is failing, not an entry,
   * and the part is given up. Returns how many entries were not written.
   */
  private async salvage(batch: ReadonlyArray<RequestLogInput | UnloggedRequests>): Promise<number> {
    if (batch.length <= 1) return batch.length;
    const half = Math.ceil(batch.length / 2);
    const failed: Array<ReadonlyArray<RequestLogInput | UnloggedRequests>> = [];
    for (const part of [batch.slice(0, half), batch.slice(half)]) {
      try {
        await this.insert(part);
      } catch {
        failed.push(part);
      }
    }
    if (failed.length === 2) return batch.length;
    return failed.length ? this.salvage(failed[0]!) : 0;
  }

  private async insert(batch: ReadonlyArray<RequestLogInput | UnloggedRequests>): Promise<void> {
    const values: unknown[] = [];
    for (const input of batch) {
      const r = 'limit' in input ? unloggedRequestsRow(input, timeOrderedId()) : requestLogRow(input, timeOrderedId());
      // `data` is JSON text: SQLite keeps it so; PostgreSQL and MySQL read it into their JSON column.
      values.push(r.id, r.level, r.message, r.data, r.created, r.created);
    }
    // On SQLite from a thread of its own: the inserts (and the index updates and WAL checkpoints
    // they bring) never hold the event loop.
    await appendRows(this.deps.db, '_logs', LOG_COLUMNS, values);
  }

  /**
   * Deletes entries older than settings.logs.maxDays (PocketBase's DeleteOldLogs), and, after a
   * settings change, those below minLevel too (as PocketBase's settings reload does).
   */
  async deleteOld(belowMinLevel = false): Promise<void> {
    try {
      const { maxDays, minLevel } = this.deps.settings();
      // Never rejects (a settings listener and the start call it without waiting): a maxDays
      // reaching back before 1970 keeps every entry by age (a Date cannot even hold 100 million
      // days back; PocketBase accepts any maxDays).
      const cutoff = Date.now() - maxDays * DAY_MS;
      const byAge = cutoff > 0 ? sql`created <= ${formatDate(new Date(cutoff))}` : undefined;
      const condition = belowMinLevel ? (byAge ? sql`${byAge} OR level < ${minLevel}` : sql`level < ${minLevel}`) : byAge;
      if (condition) await this.deps.db.run(sql`DELETE FROM _logs WHERE ${condition}`, { concurrent: true });
    } catch (err) {
      if (!this.closed) this.deps.logger.warn({ err }, 'failed to delete old logs');
    }
  }

  /** Stops the timers and writes what is buffered. */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.retentionTimer);
    this.unsubscribe?.();
    await this.flush();
    // A write that failed left the rest buffered for a later one: one more try, then they are lost, and said so.
    if (this.buffer.length) await this.flush();
    if (this.buffer.length) this.deps.logger.error({ entries: this.buffer.length }, 'request logs lost at shutdown: they could not be written');
    this.closed = true;
    await this.deleting;
  }
}
