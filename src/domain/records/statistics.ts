import type { Database, RowShape } from '../../db/dialect.ts';
import { type Collection, isMultiValue, type SchemaLookup } from '../../db/schema.ts';
import { ident, join, scanGuard, sql } from '../../db/sql.ts';
import type { DataStatistics } from '../../filter/index.ts';
import type { Logger } from '../../kernel/logger.ts';

/** How often `baton serve` measures the data again, unless configured (`--statistics-interval`). */
export const STATISTICS_REFRESH_MS = 10 * 60_000;
/** Records counted per collection at most. */
const MAX_COUNTED = 1_000_000;
/** Records whose multi-valued fields are averaged per collection. */
const SAMPLE = 10_000;

/**
 * Figures about the stored data for the client cost estimate (`FILTER_LIMITS.maxClientFilterCost`):
 * each collection's record count and, per multi-valued field, its average items per record. They
 * replace the fixed guess of 3 rows per multi-valued step, so a filter over relations whose
 * records hold dozens of links each is refused before it runs instead of being cut off by the
 * statement budget after it.
 *
 * Cheap to keep: two bounded reads per collection (see `measure`), run in the background at start
 * and then every `refreshMs`, never on a request's path. Until a
 * collection is measured, and for a collection created since, the estimate keeps its default.
 * Figures are averages: the statement budget, not the estimate, bounds a filter over data that is
 * skewed (one record with thousands of links among records with few).
 */
export class CollectionStatistics implements DataStatistics {
  private counts = new Map<string, number>();
  private items = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly schema: SchemaLookup & { all(): readonly Collection[] },
    private readonly logger: Logger,
  ) {}

  records(collectionId: string): number | undefined {
    return this.counts.get(collectionId);
  }

  itemsPerRecord(collectionId: string, field: string): number | undefined {
    return this.items.get(`${collectionId}\u0000${field}`);
  }

  /**
   * Measures now, then every `refreshMs` (an unref'd timer: it never keeps the process up). 0
   * measures nothing, ever: the estimate keeps its defaults rather than figures taken once at
   * start, which would only grow staler.
   */
  start(refreshMs = STATISTICS_REFRESH_MS): void {
    if (refreshMs <= 0) return;
    void this.refresh();
    this.timer ??= setInterval(() => void this.refresh(), refreshMs).unref();
  }

  /** No more refreshes; one under way ends at its next collection, silently (the database is closing). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Measures every table-backed collection; one refresh at a time. A failure is logged and the old figures kept. */
  refresh(): Promise<void> {
    this.running ??= this.measureAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async measureAll(): Promise<void> {
    const counts = new Map<string, number>();
    const items = new Map<string, number>();
    for (const c of this.schema.all()) {
      if (this.stopped) return;
      if (c.type === 'view') continue;
      try {
        await this.measure(c, counts, items);
      } catch (e) {
        if (this.stopped) return;
        // A collection dropped or changed meanwhile, or the scan over its budget: keep what was known.
        this.logger.warn({ err: e, collection: c.name }, 'collection statistics not refreshed');
        const known = this.counts.get(c.id);
        if (known !== undefined) counts.set(c.id, known);
        for (const f of c.fields) {
          const k = `${c.id}\u0000${f.name}`;
          const v = this.items.get(k);
          if (v !== undefined) items.set(k, v);
        }
      }
    }
    this.counts = counts;
    this.items = items;
  }

  /**
   * Bounded work whatever the table's size: records are counted up to `MAX_COUNTED` (past it the
   * estimate needs no more precision), and averages are taken over the first `SAMPLE` records in
   * storage order. Both statements are guarded: on SQLite a long one moves to a reader thread.
   */
  private async measure(c: Collection, counts: Map<string, number>, items: Map<string, number>): Promise<void> {
    const table = ident(c.name);
    const d = this.db.dialect;
    const counted = await this.db.get<{ n: number }>(
      sql`SELECT COUNT(*) AS ${ident('n')} FROM (SELECT 1 AS ${ident('x')} FROM ${table} WHERE ${scanGuard(c.name)}${d.limitOffset(MAX_COUNTED, 0)}) AS ${ident('counted')}`,
      { n: 'number' },
    );
    counts.set(c.id, Number(counted?.n ?? 0));
    const multi = c.fields.filter(isMultiValue);
    if (multi.length === 0) return;
    const columns = multi.map((f) => sql`${ident(f.name)}`);
    const averages = multi.map((f, i) => sql`AVG(${d.jsonArrayLength(sql`${ident('sample', f.name)}`, true)}) AS ${ident(`a${i}`)}`);
    const shape: RowShape = Object.fromEntries(multi.map((_, i) => [`a${i}`, 'number']));
    const row = await this.db.get<Record<string, number | null>>(
      sql`SELECT ${join(averages)} FROM (SELECT ${join(columns)} FROM ${table} WHERE ${scanGuard(c.name)}${d.limitOffset(SAMPLE, 0)}) AS ${ident('sample')}`,
      shape,
    );
    multi.forEach((f, i) => {
      const avg = row?.[`a${i}`];
      if (avg !== null && avg !== undefined) items.set(`${c.id}\u0000${f.name}`, Number(avg));
    });
  }
}
