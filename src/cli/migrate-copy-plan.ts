/** What `baton migrate copy` will do (`Plan`), decided after checking that the target may receive it; and its progress output. */
import path from 'node:path';
import type { Collection } from '../db/schema.ts';
import { unfinishedCopy } from '../db/system-tables.ts';
import { hasFiles, inspectTarget, sameDir, type CopyEnd, type OpenedEnd, type TargetContents } from './migrate-copy-ends.ts';
import {
  AUX_MIGRATIONS,
  COLLECTIONS,
  CopyError,
  DEFAULT_BATCH,
  LOGS,
  loadCollections,
  MIGRATIONS,
  PARAMS,
  recordTable,
  tableExists,
  type TableSpec,
} from './migrate-copy-tables.ts';

/** Reports progress of one table; `finished` once its last batch is written. */
export type ProgressSink = (table: string, done: number, total: number, finished: boolean) => void;

export interface CopyOptions {
  from: CopyEnd;
  to: CopyEnd;
  /** Replace a target that already holds a Baton (its own collections' tables and the system tables only). */
  force?: boolean;
  log: (line: string) => void;
  /** Progress per table; default: a plain line per table (and every few seconds on long ones) through `log`. */
  progress?: ProgressSink;
  /** Rows per read batch (default 500). */
  batchSize?: number;
  /** Aborted (Ctrl-C): the copy stops after the batch under way, with a CopyError, as a failed one. */
  signal?: AbortSignal;
}

/** A view query as stored: SQL of the source database, used as is. */
export const viewQueryOf = (v: Collection): string => String(v.options.viewQuery ?? '').trim().replace(/;\s*$/, '');

/**
 * Views ordered so that each comes after the views its query names (a word match on the name):
 * a view's query may have been changed to read a newer view, so creation order is not enough.
 */
export function viewOrder(views: readonly Collection[]): Collection[] {
  const out: Collection[] = [];
  const seen = new Set<Collection>();
  const reads = (v: Collection, w: Collection) =>
    new RegExp(`(^|[^\\w$])${w.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w$])`, 'i').test(viewQueryOf(v));
  const visit = (v: Collection) => {
    if (seen.has(v)) return;
    seen.add(v);
    for (const w of views) if (w !== v && reads(v, w)) visit(w);
    out.push(v);
  };
  for (const v of views) visit(v);
  return out;
}

export interface Plan {
  source: OpenedEnd;
  target: OpenedEnd;
  systemData: TableSpec[];
  systemAux: TableSpec[];
  tables: Array<{ collection: Collection; spec: TableSpec }>;
  /** In creation order (see `viewOrder`). */
  views: Collection[];
  existing: TargetContents;
  force: boolean;
  batchSize: number;
  log: (line: string) => void;
  progress: ProgressSink;
  signal?: AbortSignal;
}

export function lineProgress(log: (line: string) => void): ProgressSink {
  let lastAt = 0;
  return (table, done, total, finished) => {
    const now = Date.now();
    if (done === 0 && !finished) lastAt = now; // a table starts: its first line comes after a while, or at its end
    if (!finished && now - lastAt < 2000) return;
    lastAt = now;
    log(`copied ${table}: ${done}/${total} rows`);
  };
}

/** What will be copied, after checking that the target may receive it. */
export async function planCopy(source: OpenedEnd, target: OpenedEnd, options: CopyOptions): Promise<Plan> {
  if (!(await tableExists(source.dbs.data, '_collections'))) throw new CopyError(`${source.label} holds no Baton (no _collections table)`);
  const unfinished = await unfinishedCopy(source.dbs.data);
  if (unfinished) {
    throw new CopyError(`${source.label} holds a copy that did not finish (from ${unfinished.from}, started ${unfinished.started}): finish that copy first (run it again with --force)`);
  }
  const collections = await loadCollections(source.dbs.data);
  const systemData = [COLLECTIONS];
  for (const spec of [PARAMS, MIGRATIONS]) if (await tableExists(source.dbs.data, spec.name)) systemData.push(spec);
  const systemAux: TableSpec[] = [];
  if (await tableExists(source.dbs.aux, LOGS.name)) systemAux.push(LOGS);
  // Only SQLite keeps a second `_migrations` (auxiliary.db's); a server database has one.
  if (source.separateAux && target.separateAux && (await tableExists(source.dbs.aux, AUX_MIGRATIONS.name))) systemAux.push(AUX_MIGRATIONS);

  const existing = await inspectTarget(target);
  const targetStorage = target.dir && source.dir && !sameDir(source.dir, target.dir) ? path.join(target.dir, 'storage') : undefined;
  if (!options.force && (existing.system.length || (targetStorage && hasFiles(targetStorage)))) {
    const what = existing.system.length ? `Baton's tables (${existing.system.map((s) => s.label).join(', ')})` : `files in ${targetStorage}`;
    throw new CopyError(
      `the target ${target.label} is not empty: it holds ${what}. Use --force to replace that Baton ` +
        `(its collections' tables and the system tables are dropped; nothing else is touched)`,
    );
  }
  // A table Baton does not own is never dropped: refuse rather than write into or beside it.
  const owned = new Set(existing.collections.map((c) => c.name.toLowerCase()));
  for (const c of collections) {
    if (!owned.has(c.name.toLowerCase()) && (await tableExists(target.dbs.data, c.name))) {
      throw new CopyError(`the target ${target.label} already has a table or view named ${c.name} that is not one of its collections; rename or drop it first`);
    }
  }
  return {
    source,
    target,
    systemData,
    systemAux,
    tables: collections.filter((c) => c.type !== 'view').map((collection) => ({ collection, spec: recordTable(collection) })),
    views: viewOrder(collections.filter((c) => c.type === 'view')),
    existing,
    force: Boolean(options.force),
    batchSize: Math.max(1, Math.trunc(options.batchSize ?? DEFAULT_BATCH)),
    log: options.log,
    progress: options.progress ?? lineProgress(options.log),
    signal: options.signal,
  };
}
