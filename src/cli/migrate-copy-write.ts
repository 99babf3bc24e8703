/**
 * Writing the target of `baton migrate copy`: the system tables, each collection's table (rows
 * first, indexes after), the views, in one transaction where the target's DDL is transactional.
 * Rows are written with bound parameters.
 */
import type { Database, Executor, ValueType } from '../db/dialect.ts';
import type { Collection } from '../db/schema.ts';
import { ident, join, sql, value, type Sql } from '../db/sql.ts';
import { converter } from '../db/normalize.ts';
import { markUnfinishedCopy, unmarkUnfinishedCopy, withSavepoint } from '../db/system-tables.ts';
import { syncRecordTable } from '../domain/collections/table-sync.ts';
import { createViewTable } from '../domain/collections/view.ts';
import { isApiError } from '../kernel/errors.ts';
import { viewOrder, viewQueryOf, type Plan, type ProgressSink } from './migrate-copy-plan.ts';
import { asError, CopyError, countRows, forEachBatch, PARAMS, type TableSpec } from './migrate-copy-tables.ts';

/** Bound values per INSERT: SQLite builds may cap them at 999. */
const MAX_PARAMS = 999;

/** Where the copy writes: inside the one transaction, or (no transactional DDL) statement by statement. */
interface Writer {
  readonly exec: Executor;
  readonly transactional: boolean;
  /** Runs a batch of writes atomically: within the transaction already open, or in one of its own. */
  batch<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
}

const inTransaction = (tx: Executor): Writer => ({ exec: tx, transactional: true, batch: (fn) => fn(tx) });
const direct = (db: Database): Writer => ({ exec: db, transactional: false, batch: (fn) => db.transaction(fn) });

/** The target refused a view's query. */
class ViewRefused extends Error {
  constructor(
    readonly view: Collection,
    readonly reason: Error,
  ) {
    super(`view ${view.name}: ${reason.message}`);
  }
}

/** How a value travels: read as stored (source `anyTypeInColumns`), and whether the target keeps any type. */
interface Passage {
  stored: boolean;
  anyType: boolean;
}

const NOT_JSON = Symbol('not JSON');

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/**
 * A value as the target receives it. Between two databases that keep any type (SQLite) it is
 * written as stored, so text in a JSON or number column stays what it was. Into a typed column a
 * stored value is converted as a read would (JSON text passed as it is, for the database to
 * parse); text that is not JSON cannot go into a JSON column (NOT_JSON).
 */
function encode(v: unknown, type: ValueType, passage: Passage): unknown {
  if (v === null || v === undefined) return null;
  if (passage.stored) {
    if (passage.anyType) return v;
    if (type === 'json') {
      const text = typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : JSON.stringify(v);
      return isJson(text) ? text : NOT_JSON;
    }
    v = converter(type, true)?.(v) ?? v;
  }
  switch (type) {
    case 'json': return JSON.stringify(v);
    case 'bool': return Boolean(v);
    default: return v;
  }
}

/** How messages name a row: a record by its id, a system table's row by its key. */
const rowName = (spec: TableSpec, row: Record<string, unknown>): string =>
  `${spec.kind === 'collection' ? 'record' : `row with ${spec.key}`} ${String(row[spec.key])}`;

function encodeRows(spec: TableSpec, rows: readonly Record<string, unknown>[], passage: Passage, database: string): Record<string, unknown>[] {
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [column, type] of Object.entries(spec.shape)) {
      const v = encode(row[column], type, passage);
      if (v === NOT_JSON) {
        const text = String(row[column]);
        throw new CopyError(
          `${spec.label}: ${column} of ${rowName(spec, row)} holds text that is not JSON (${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}), ` +
            `which a JSON column on ${database} cannot store; correct it on the source, or copy to a SQLite directory, which keeps it as it is`,
        );
      }
      out[column] = v;
    }
    return out;
  });
}

/** Rows already encoded (`encodeRows`). */
function insertStatement(spec: TableSpec, rows: readonly Record<string, unknown>[]): Sql {
  const columns = Object.keys(spec.shape);
  const tuples = rows.map((r) => sql`(${join(columns.map((c) => value(r[c], spec.shape[c])))})`);
  return sql`INSERT INTO ${ident(spec.name)} (${join(columns.map((c) => ident(c)))}) VALUES ${join(tuples)}`;
}

/** PostgreSQL's text and JSON cannot hold U+0000: say where it is, rather than the driver's encoding error. */
function refuseNul(spec: TableSpec, rows: readonly Record<string, unknown>[], database: string): void {
  for (const row of rows) {
    for (const [column, type] of Object.entries(spec.shape)) {
      const v = row[column];
      if (typeof v === 'string' && (v.includes('\u0000') || (type === 'json' && v.includes('\\u0000')))) {
        throw new CopyError(`${spec.label}: ${column} of row ${String(row[spec.key])} holds the character U+0000, which ${database} cannot store; remove it on the source first`);
      }
    }
  }
}

/**
 * One multi-row INSERT. When the target refuses it, the driver names the statement's row at best
 * (MySQL's "at row 2"), not the record: the rows are then tried one at a time to name the first
 * one refused. Savepoints keep the transaction usable for that (PostgreSQL aborts it otherwise);
 * the whole batch is rolled back anyway, as the error ends the copy.
 */
async function insertRows(tx: Executor, spec: TableSpec, rows: readonly Record<string, unknown>[], database: string): Promise<void> {
  try {
    await withSavepoint(tx, 'baton_copy_rows', () => tx.run(insertStatement(spec, rows)));
  } catch (e) {
    for (const row of rows) {
      try {
        await withSavepoint(tx, 'baton_copy_row', () => tx.run(insertStatement(spec, [row])));
      } catch (rowError) {
        throw new CopyError(`${spec.label}: ${rowName(spec, row)}: ${database} refused it: ${describeError(rowError)}`);
      }
    }
    throw e;
  }
}

async function copyTable(source: Executor, target: Writer, spec: TableSpec, { batchSize, progress, signal }: Plan): Promise<void> {
  const { caps, name: database } = target.exec.dialect;
  throwIfInterrupted(signal);
  const total = await countRows(source, spec.name);
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / Object.keys(spec.shape).length));
  let done = 0;
  progress(spec.label, 0, total, total === 0);
  if (total === 0) return;
  const passage: Passage = { stored: source.dialect.caps.anyTypeInColumns, anyType: caps.anyTypeInColumns };
  await forEachBatch(source, spec, batchSize, async (read) => {
    const rows = encodeRows(spec, read, passage, database);
    if (!caps.nulInText) refuseNul(spec, rows, database);
    await target.batch(async (tx) => {
      for (let i = 0; i < rows.length; i += perStatement) await insertRows(tx, spec, rows.slice(i, i + perStatement), database);
    });
    done += rows.length;
    progress(spec.label, done, Math.max(total, done), false);
    // SQLite answers without turning the event loop: let it turn, so a signal's handler runs.
    if (signal) await new Promise((resolve) => setImmediate(resolve));
    throwIfInterrupted(signal);
  });
  progress(spec.label, done, Math.max(total, done), true);
}

/** An interrupted copy (Ctrl-C) stops as a failed one: rolled back, or marked unfinished. */
export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CopyError(`interrupted (${String(signal.reason)})`);
}

/** Index errors come back as the collection API's validation error: keep its details. */
const describeError = (e: unknown): string => (isApiError(e) ? `${e.message} ${JSON.stringify(e.data)}` : asError(e).message);

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
  // _params last: until it goes, it holds the unfinished-copy mark written before the drops.
  for (const spec of [...system.filter((s) => s !== PARAMS), ...system.filter((s) => s === PARAMS)]) {
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
  const { source, target } = plan;
  const d = target.dbs.data.dialect;
  // Until its last write the target is marked unfinished (see UNFINISHED_COPY_PARAM): on a target
  // that cannot roll back, a failed or interrupted copy must not be served as a whole one.
  if (step.rows && plan.existing.system.includes(PARAMS)) await markUnfinishedCopy(data.exec, source.label);
  if (plan.force && (plan.existing.system.length || plan.existing.collections.length)) {
    await dropExisting(plan, data, aux);
    if (step.rows) plan.log(`dropped the target's Baton (${plan.existing.collections.length} collections, ${plan.existing.system.length} system tables)`);
  }
  const systemTables = d.systemTables();
  for (const s of systemTables.data) await data.exec.run(s);
  if (aux) for (const s of systemTables.aux) await aux.exec.run(s);
  if (step.rows) {
    await markUnfinishedCopy(data.exec, source.label);
    for (const spec of plan.systemData) await copyTable(source.dbs.data, data, spec, plan);
  }

  for (const { collection, spec } of plan.tables) {
    try {
      // Indexes are built once the rows are in: one sort instead of an index update per row.
      const bare = { ...collection, indexes: [] };
      await syncRecordTable(data.exec, bare);
      if (!step.rows) continue;
      await copyTable(source.dbs.data, data, spec, plan);
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
        await createViewTable(data.exec, v.name, viewQueryOf(v), v.fields.map((f) => f.name));
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

  if (aux && step.rows) for (const spec of plan.systemAux) await copyTable(source.dbs.aux, aux, spec, plan);
  if (step.rows) await unmarkUnfinishedCopy(data.exec);
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

/** Writes the target: in one transaction where its DDL is transactional; returns the views it refused. */
export async function runCopy(plan: Plan): Promise<Map<Collection, Error>> {
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
