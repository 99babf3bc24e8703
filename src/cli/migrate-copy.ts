/**
 * `baton migrate copy`: a whole Baton from one database to another (SQLite directory, PostgreSQL,
 * MySQL/MariaDB, any direction). The target is built only through the dialect (system tables,
 * `syncRecordTable` for each collection, `createView`), so it is exactly what Baton would have
 * made there itself; rows travel in keyset-paginated batches as normalised values and are written
 * with bound parameters. Afterwards every table is read back on both ends and compared.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Database, Executor, RowShape, ValueType } from '../db/dialect.ts';
import { databaseKind, openDatabases, type Databases } from '../db/open.ts';
import type { Collection } from '../db/schema.ts';
import { empty, ident, join, sql, value, type Sql } from '../db/sql.ts';
import { COLLECTION_ROW_SHAPE, collectionFromRow } from '../domain/collections/store.ts';
import { syncRecordTable } from '../domain/collections/table-sync.ts';
import { rowShape } from '../domain/records/codec.ts';
import { isApiError } from '../kernel/errors.ts';

/** One end of a copy: a data directory (SQLite, and the files' `storage/`) and/or a database URL. */
export interface CopyEnd {
  /** The data directory. Without `url` it holds the SQLite databases; with it, only `storage/`. */
  dir?: string;
  /** `postgres://…` or `mysql://…`. */
  url?: string;
}

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
}

export interface TableCheck {
  /** The table as shown, e.g. `posts`, `_logs`, `view1 (view)`. */
  label: string;
  kind: 'system' | 'collection' | 'view';
  /** Undefined where the view cannot be read (see `error`). */
  sourceRows?: number;
  /** Undefined where the view is missing on the target, or cannot be read there. */
  targetRows?: number;
  /** Why a view could not be read on one end. */
  error?: string;
  /** Hex digest; views are compared by row count only. */
  sourceChecksum?: string;
  targetChecksum?: string;
  ok: boolean;
}

export interface CopyReport {
  /** Every table verified equal and every view created. */
  ok: boolean;
  /** The target was written in one transaction. */
  transactional: boolean;
  tables: TableCheck[];
  /** Views the target database refused (their query is SQL of the source database). */
  failedViews: Array<{ name: string; error: string }>;
  /** Whether `storage/` was copied, and why not. */
  storage: { copied: boolean; note: string };
}

/** A problem the operator must fix (wrong argument, non-empty target …): one line, no stack. */
export class CopyError extends Error {
  override name = 'CopyError';
}

const DEFAULT_BATCH = 500;
/** Bound values per INSERT: SQLite builds may cap them at 999. */
const MAX_PARAMS = 999;

// ------------------------------------------------------------------------------------------ tables

interface TableSpec {
  name: string;
  label: string;
  /** The primary key, used to page through the rows. */
  key: string;
  /** Every column copied, with its value type. */
  shape: RowShape;
  /** Lives in the auxiliary database (`_logs`). */
  aux: boolean;
  kind: 'system' | 'collection';
}

const COLLECTIONS: TableSpec = {
  name: '_collections',
  label: '_collections',
  key: 'id',
  aux: false,
  kind: 'system',
  shape: {
    id: 'text', system: 'bool', type: 'text', name: 'text', fields: 'json', indexes: 'json',
    listRule: 'text', viewRule: 'text', createRule: 'text', updateRule: 'text', deleteRule: 'text',
    options: 'json', created: 'text', updated: 'text',
    ...COLLECTION_ROW_SHAPE,
  },
};
const PARAMS: TableSpec = { name: '_params', label: '_params', key: 'id', aux: false, kind: 'system', shape: { id: 'text', value: 'json', created: 'text', updated: 'text' } };
const MIGRATIONS: TableSpec = { name: '_migrations', label: '_migrations', key: 'file', aux: false, kind: 'system', shape: { file: 'text', applied: 'number' } };
const AUX_MIGRATIONS: TableSpec = { ...MIGRATIONS, label: '_migrations (auxiliary.db)', aux: true };
const LOGS: TableSpec = {
  name: '_logs',
  label: '_logs',
  key: 'id',
  aux: true,
  kind: 'system',
  shape: { id: 'text', level: 'number', message: 'text', data: 'json', created: 'text', updated: 'text' },
};

/** A collection's table: every field a column, typed as the record codec reads it. */
function recordTable(c: Collection): TableSpec {
  if (!c.fields.some((f) => f.name === 'id')) throw new CopyError(`collection ${c.name} has no id field; it cannot be copied`);
  const shape: Record<string, ValueType> = Object.fromEntries(c.fields.map((f) => [f.name, 'text' as const]));
  return { name: c.name, label: c.name, key: 'id', aux: false, kind: 'collection', shape: { ...shape, ...rowShape(c) } };
}

// ------------------------------------------------------------------------------------- the ends

interface OpenedEnd {
  label: string;
  kind: Databases['kind'];
  dbs: Databases;
  /** The files' directory, when known. */
  dir?: string;
  /** SQLite: `_logs` lives in a database of its own (auxiliary.db). */
  separateAux: boolean;
}

/** `postgres://user:secret@host/db` shown as `postgres://user:***@host/db`. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

async function openEnd(end: CopyEnd, role: 'source' | 'target'): Promise<OpenedEnd> {
  const flag = role === 'source' ? '--from' : '--to';
  const dir = end.dir ? path.resolve(end.dir) : undefined;
  if (end.url) {
    if (!databaseKind(end.url)) throw new CopyError(`${flag}: unsupported database URL ${displayUrl(end.url)} (expected postgres://… or mysql://…)`);
    const dbs = await openDatabases({ url: end.url, dataDir: dir ?? process.cwd() });
    return { label: displayUrl(end.url), kind: dbs.kind, dbs, dir, separateAux: false };
  }
  if (!dir) throw new CopyError(`${flag}: give a data directory or a database URL`);
  if (role === 'source' && !existsSync(path.join(dir, 'data.db'))) throw new CopyError(`${flag}: ${dir} is not a data directory (no data.db)`);
  let dbs: Databases;
  try {
    // Exclusive: a Baton serving this directory would change it under the copy.
    dbs = await openDatabases({ dataDir: dir, exclusive: true });
  } catch (e) {
    if (e instanceof Error && /another Baton process/.test(e.message)) throw new CopyError(e.message);
    throw e;
  }
  return { label: dir, kind: dbs.kind, dbs, dir, separateAux: dbs.aux !== dbs.data };
}

async function tableExists(db: Executor, name: string): Promise<boolean> {
  return (await db.all(db.dialect.tableColumns(name))).length > 0;
}

const sameDir = (a: string, b: string): boolean => {
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : path.resolve(p));
  return real(a) === real(b);
};

function checkDistinct(from: CopyEnd, to: CopyEnd): void {
  const sameUrl = (a: string, b: string) => {
    try {
      return new URL(a).toString() === new URL(b).toString();
    } catch {
      return a === b;
    }
  };
  if (from.url && to.url && sameUrl(from.url, to.url)) throw new CopyError('--from and --to name the same database');
  if (!from.url && !to.url && from.dir && to.dir && sameDir(from.dir, to.dir)) throw new CopyError('--from and --to name the same directory');
}

/** What Baton owns in the target: the system tables present and the collections its `_collections` lists. */
interface TargetContents {
  system: TableSpec[];
  collections: Collection[];
}

async function loadCollections(db: Executor): Promise<Collection[]> {
  const rows = await db.all<Parameters<typeof collectionFromRow>[0]>(
    sql`SELECT * FROM ${ident('_collections')} ORDER BY ${ident('created')}, ${ident('id')}`,
    COLLECTION_ROW_SHAPE,
  );
  return rows.map(collectionFromRow);
}

async function inspectTarget(t: OpenedEnd): Promise<TargetContents> {
  const candidates = [COLLECTIONS, PARAMS, MIGRATIONS, LOGS, ...(t.separateAux ? [AUX_MIGRATIONS] : [])];
  const system: TableSpec[] = [];
  for (const spec of candidates) if (await tableExists(spec.aux ? t.dbs.aux : t.dbs.data, spec.name)) system.push(spec);
  return { system, collections: system.includes(COLLECTIONS) ? await loadCollections(t.dbs.data) : [] };
}

const hasFiles = (dir: string): boolean => existsSync(dir) && readdirSync(dir).length > 0;

// ------------------------------------------------------------------------------------- writing

/** Where the copy writes: inside the one transaction, or (no transactional DDL) statement by statement. */
interface Writer {
  readonly exec: Executor;
  readonly transactional: boolean;
  /** Runs a batch of writes atomically: within the transaction already open, or in one of its own. */
  batch<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
}

const inTransaction = (tx: Executor): Writer => ({ exec: tx, transactional: true, batch: (fn) => fn(tx) });
const direct = (db: Database): Writer => ({ exec: db, transactional: false, batch: (fn) => db.transaction(fn) });

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/** A view query as stored: SQL of the source database, used as is. */
const viewQueryOf = (v: Collection): string => String(v.options.viewQuery ?? '').trim().replace(/;\s*$/, '');

/**
 * Views ordered so that each comes after the views its query names (a word match on the name):
 * a view's query may have been changed to read a newer view, so creation order is not enough.
 */
function viewOrder(views: readonly Collection[]): Collection[] {
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

/** The target refused a view's query. */
class ViewRefused extends Error {
  constructor(
    readonly view: Collection,
    readonly reason: Error,
  ) {
    super(`view ${view.name}: ${reason.message}`);
  }
}

function encode(v: unknown, type: ValueType): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'json': return JSON.stringify(v);
    case 'bool': return Boolean(v);
    default: return v;
  }
}

function insertStatement(spec: TableSpec, rows: readonly Record<string, unknown>[]): Sql {
  const columns = Object.keys(spec.shape);
  const tuples = rows.map((r) => sql`(${join(columns.map((c) => value(encode(r[c], spec.shape[c]), spec.shape[c])))})`);
  return sql`INSERT INTO ${ident(spec.name)} (${join(columns.map((c) => ident(c)))}) VALUES ${join(tuples)}`;
}

/** Reads a table's rows in key order, `batchSize` at a time (keyset pagination: no OFFSET scans). */
async function forEachBatch(db: Executor, spec: TableSpec, batchSize: number, fn: (rows: Record<string, unknown>[]) => Promise<void> | void): Promise<void> {
  const columns = join(Object.keys(spec.shape).map((c) => ident(c)));
  const key = ident(spec.key);
  let last: unknown;
  for (;;) {
    const after = last === undefined ? empty : sql` WHERE ${key} > ${last}`;
    const rows = await db.all<Record<string, unknown>>(
      sql`SELECT ${columns} FROM ${ident(spec.name)}${after} ORDER BY ${key}${db.dialect.limitOffset(batchSize, 0)}`,
      spec.shape,
    );
    if (rows.length) await fn(rows);
    if (rows.length < batchSize) return;
    last = rows[rows.length - 1][spec.key];
  }
}

async function countRows(db: Executor, table: string): Promise<number> {
  const row = await db.get<{ n: number }>(sql`SELECT COUNT(*) AS ${ident('n')} FROM ${ident(table)}`, { n: 'number' });
  return row?.n ?? 0;
}

/** PostgreSQL's text and JSON cannot hold U+0000: say where it is, rather than the driver's encoding error. */
function refuseNul(spec: TableSpec, rows: readonly Record<string, unknown>[], database: string): void {
  for (const row of rows) {
    for (const [column, type] of Object.entries(spec.shape)) {
      const v = row[column];
      const text = type === 'json' ? JSON.stringify(v ?? null) : typeof v === 'string' ? v : '';
      if (text.includes(type === 'json' ? '\\u0000' : '\u0000')) {
        throw new CopyError(`${spec.label}: ${column} of row ${String(row[spec.key])} holds the character U+0000, which ${database} cannot store; remove it on the source first`);
      }
    }
  }
}

async function copyTable(source: Executor, target: Writer, spec: TableSpec, batchSize: number, progress: ProgressSink): Promise<void> {
  const { caps, name: database } = target.exec.dialect;
  const total = await countRows(source, spec.name);
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / Object.keys(spec.shape).length));
  let done = 0;
  progress(spec.label, 0, total, total === 0);
  if (total === 0) return;
  await forEachBatch(source, spec, batchSize, async (rows) => {
    if (!caps.nulInText) refuseNul(spec, rows, database);
    await target.batch(async (tx) => {
      for (let i = 0; i < rows.length; i += perStatement) await tx.run(insertStatement(spec, rows.slice(i, i + perStatement)));
    });
    done += rows.length;
    progress(spec.label, done, Math.max(total, done), false);
  });
  progress(spec.label, done, Math.max(total, done), true);
}

/** Index errors come back as the collection API's validation error: keep its details. */
const describeError = (e: unknown): string => (isApiError(e) ? `${e.message} ${JSON.stringify(e.data)}` : asError(e).message);

interface Plan {
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
}

async function dropExisting(plan: Plan, data: Writer, aux: Writer | undefined): Promise<void> {
  const d = plan.target.dbs.data.dialect;
  const drop = async (w: Writer, what: string, statement: Sql) => {
    try {
      await w.exec.run(statement);
    } catch (e) {
      throw new CopyError(`cannot drop the target's ${what}: ${asError(e).message}`);
    }
  };
  const { collections, system } = plan.existing;
  // Dependent views first.
  for (const v of viewOrder(collections.filter((c) => c.type === 'view')).reverse()) await drop(data, `view ${v.name}`, d.dropView(v.name));
  for (const c of collections) if (c.type !== 'view') await drop(data, `table ${c.name}`, d.dropTable(c.name));
  for (const spec of system) {
    const w = spec.aux ? aux : data;
    if (w) await drop(w, `table ${spec.label}`, d.dropTable(spec.name));
  }
}

/**
 * Everything the target receives, in order. `data` and `aux` are the same writer on a server
 * database; `aux` is absent, and `rows` false, in a probe (see `probeViews`). Inside a transaction
 * a refused view throws `ViewRefused` (the transaction is lost anyway); statement by statement,
 * refused views are tried again after the others and returned.
 */
async function writeTarget(plan: Plan, data: Writer, aux: Writer | undefined, step: { rows: boolean; views: readonly Collection[] }): Promise<Map<Collection, Error>> {
  const { source, target, batchSize, progress } = plan;
  const d = target.dbs.data.dialect;
  if (plan.force && (plan.existing.system.length || plan.existing.collections.length)) {
    await dropExisting(plan, data, aux);
    if (step.rows) plan.log(`dropped the target's Baton (${plan.existing.collections.length} collections, ${plan.existing.system.length} system tables)`);
  }
  const systemTables = d.systemTables();
  for (const s of systemTables.data) await data.exec.run(s);
  if (aux) for (const s of systemTables.aux) await aux.exec.run(s);
  if (step.rows) for (const spec of plan.systemData) await copyTable(source.dbs.data, data, spec, batchSize, progress);

  for (const { collection, spec } of plan.tables) {
    try {
      // Indexes are built once the rows are in: one sort instead of an index update per row.
      const bare = { ...collection, indexes: [] };
      await syncRecordTable(data.exec, bare);
      if (!step.rows) continue;
      await copyTable(source.dbs.data, data, spec, batchSize, progress);
      await syncRecordTable(data.exec, collection, bare);
    } catch (e) {
      throw e instanceof CopyError ? e : new CopyError(`collection ${collection.name}: ${describeError(e)}`);
    }
  }

  const refused = new Map<Collection, Error>();
  let pending = [...step.views];
  while (pending.length) {
    const failed: Collection[] = [];
    for (const v of pending) {
      try {
        await data.exec.run(d.createView(v.name, viewQueryOf(v)));
        if (step.rows) plan.log(`created view ${v.name}`);
      } catch (e) {
        if (data.transactional) throw new ViewRefused(v, asError(e));
        refused.set(v, asError(e));
        failed.push(v);
      }
    }
    if (failed.length === pending.length) break;
    for (const v of pending) if (!failed.includes(v)) refused.delete(v);
    pending = failed;
  }

  if (aux && step.rows) for (const spec of plan.systemAux) await copyTable(source.dbs.aux, aux, spec, batchSize, progress);
  return refused;
}

class ProbeDone extends Error {}

/**
 * Finds the views the target refuses, before the copy: inside a transaction a refused statement
 * cannot be stepped over (PostgreSQL aborts the transaction, and Executor has no savepoints), so
 * the copy must create only views known to work. A probe builds the empty tables and the views
 * in a transaction that is always rolled back; a refused view is set aside and the probe runs
 * again without it (a view reading a refused view is then refused in turn). DDL only: cheap.
 */
async function probeViews(plan: Plan): Promise<Map<Collection, Error>> {
  const refused = new Map<Collection, Error>();
  for (;;) {
    const views = plan.views.filter((v) => !refused.has(v));
    try {
      await plan.target.dbs.data.transaction(async (tx) => {
        await writeTarget(plan, inTransaction(tx), undefined, { rows: false, views });
        throw new ProbeDone();
      });
    } catch (e) {
      if (e instanceof ProbeDone) return refused;
      if (!(e instanceof ViewRefused)) throw e;
      refused.set(e.view, e.reason);
    }
  }
}

// ------------------------------------------------------------------------------------- verifying

/** Canonical JSON: object keys sorted at every level (JSONB and MySQL reorder them), numbers as JS numbers. */
function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return JSON.stringify(Buffer.from(v).toString('base64'));
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return JSON.stringify(String(v));
  return JSON.stringify(v);
}

const MOD = 1n << 256n;

/**
 * Row count and checksum of a table: the sum (mod 2^256) of each row's SHA-256 over its canonical
 * JSON, values normalised through the table's shape. A sum does not depend on the order rows come
 * back in, so databases that collate differently still agree.
 */
async function tableDigest(db: Executor, spec: TableSpec, batchSize = DEFAULT_BATCH): Promise<{ rows: number; checksum: string }> {
  let rows = 0;
  let sum = 0n;
  const columns = Object.keys(spec.shape);
  await forEachBatch(db, spec, batchSize, (batch) => {
    for (const r of batch) {
      const canonical = canonicalJson(Object.fromEntries(columns.map((c) => [c, r[c]])));
      sum = (sum + BigInt(`0x${createHash('sha256').update(canonical).digest('hex')}`)) % MOD;
      rows++;
    }
  });
  return { rows, checksum: sum.toString(16).padStart(64, '0') };
}

async function verify(plan: Plan, failedViews: Map<Collection, Error>): Promise<TableCheck[]> {
  const { source, target, batchSize } = plan;
  const checks: TableCheck[] = [];
  const specs = [...plan.systemData, ...plan.tables.map((t) => t.spec), ...plan.systemAux];
  for (const spec of specs) {
    const s = await tableDigest(spec.aux ? source.dbs.aux : source.dbs.data, spec, batchSize);
    const t = await tableDigest(spec.aux ? target.dbs.aux : target.dbs.data, spec, batchSize);
    checks.push({
      label: spec.label,
      kind: spec.kind,
      sourceRows: s.rows,
      targetRows: t.rows,
      sourceChecksum: s.checksum,
      targetChecksum: t.checksum,
      ok: s.rows === t.rows && s.checksum === t.checksum,
    });
  }
  // A view is compared by its row count: its rows are computed by each database's own SQL.
  for (const v of plan.views) {
    const check: TableCheck = { label: `${v.name} (view)`, kind: 'view', ok: false };
    const count = (db: Executor, end: string) =>
      countRows(db, v.name).catch((e: unknown) => {
        // SQLite creates a view whose query names an unknown function; only reading it fails.
        check.error = `${end}: ${asError(e).message.split('\n')[0]}`;
        plan.log(`view ${v.name} cannot be read on the ${check.error}`);
        return undefined;
      });
    check.sourceRows = await count(source.dbs.data, 'source');
    if (!failedViews.has(v)) check.targetRows = await count(target.dbs.data, 'target');
    check.ok = check.targetRows !== undefined && check.sourceRows === check.targetRows;
    checks.push(check);
  }
  return checks;
}

// ------------------------------------------------------------------------------------- the copy

function lineProgress(log: (line: string) => void): ProgressSink {
  let lastAt = 0;
  return (table, done, total, finished) => {
    const now = Date.now();
    if (done === 0 && !finished) lastAt = now; // a table starts: its first line comes after a while, or at its end
    if (!finished && now - lastAt < 2000) return;
    lastAt = now;
    log(`copied ${table}: ${done}/${total} rows`);
  };
}

/** Copies `storage/` when both ends have a directory of their own; otherwise says where the files are. */
function copyStorage(plan: Plan): CopyReport['storage'] {
  const { source, target } = plan;
  if (source.dir && target.dir && !sameDir(source.dir, target.dir)) {
    const from = path.join(source.dir, 'storage');
    const to = path.join(target.dir, 'storage');
    if (!existsSync(from)) return { copied: false, note: `${from} does not exist: no files to copy` };
    if (plan.force) rmSync(to, { recursive: true, force: true });
    cpSync(from, to, { recursive: true, errorOnExist: false, force: true });
    return { copied: true, note: `copied ${from} to ${to}` };
  }
  if (source.dir && target.dir) return { copied: false, note: `${path.join(source.dir, 'storage')} is used by both ends as it is` };
  if (source.dir) {
    return {
      copied: false,
      note: `they stay in ${path.join(source.dir, 'storage')}: serve with \`baton serve --db=${target.label} --dir=${source.dir}\``,
    };
  }
  if (target.dir) return { copied: false, note: `the source is a database URL: copy the storage/ folder of the directory it is served with (--dir) into ${target.dir}` };
  return { copied: false, note: 'no directory on either end: storage/ folders are not copied' };
}

/** What will be copied, after checking that the target may receive it. */
async function planCopy(source: OpenedEnd, target: OpenedEnd, options: CopyOptions): Promise<Plan> {
  if (!(await tableExists(source.dbs.data, '_collections'))) throw new CopyError(`${source.label} holds no Baton (no _collections table)`);
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
  };
}

/** Writes the target: in one transaction where its DDL is transactional; returns the views it refused. */
async function runCopy(plan: Plan): Promise<Map<Collection, Error>> {
  const t = plan.target;
  if (!t.dbs.data.dialect.caps.transactionalDdl) {
    return writeTarget(plan, direct(t.dbs.data), direct(t.separateAux ? t.dbs.aux : t.dbs.data), { rows: true, views: plan.views });
  }
  const refused = plan.views.length ? await probeViews(plan) : new Map<Collection, Error>();
  const step = { rows: true, views: plan.views.filter((v) => !refused.has(v)) };
  try {
    await t.dbs.data.transaction((tx) =>
      t.separateAux
        ? t.dbs.aux.transaction((atx) => writeTarget(plan, inTransaction(tx), inTransaction(atx), step))
        : writeTarget(plan, inTransaction(tx), inTransaction(tx), step),
    );
  } catch (e) {
    throw e instanceof ViewRefused ? new CopyError(e.message) : e;
  }
  return refused;
}

/** Copies a whole Baton from one database (and directory) to another, then verifies it; see the module comment. */
export async function copyBaton(options: CopyOptions): Promise<CopyReport> {
  const { log } = options;
  checkDistinct(options.from, options.to);
  const source = await openEnd(options.from, 'source');
  let target: OpenedEnd | undefined;
  try {
    target = await openEnd(options.to, 'target');
    const plan = await planCopy(source, target, options);
    const transactional = target.dbs.data.dialect.caps.transactionalDdl;
    log(`copying ${source.label} (${source.kind}) to ${target.label} (${target.kind}): ${plan.tables.length} tables, ${plan.views.length} views`);
    log(
      transactional
        ? 'the target is written in one transaction: an interrupted copy leaves it as it was'
        : `${target.kind} cannot roll back table changes: if this copy is interrupted, run it again with --force`,
    );
    const failedViews = await runCopy(plan);
    target.dbs.data.schemaChanged();
    target.dbs.aux.schemaChanged();
    for (const [v, e] of failedViews) {
      log(`view ${v.name} NOT created: ${target.kind} refused its query (${e.message.split('\n')[0]}); fix its query on the target (collection settings) to serve it`);
    }
    const storage = copyStorage(plan);
    log(`files: ${storage.note}`);
    const tables = await verify(plan, failedViews);
    return {
      ok: tables.every((c) => c.ok) && failedViews.size === 0,
      transactional,
      tables,
      failedViews: [...failedViews].map(([v, e]) => ({ name: v.name, error: e.message })),
      storage,
    };
  } finally {
    await target?.dbs.close();
    await source.dbs.close();
  }
}
