import type { Database, Executor } from '../../db/dialect.ts';
import { ident, sql } from '../../db/sql.ts';
import { blankCollection, type Collection, type SchemaLookup } from '../../db/schema.ts';
import { ApiError, badRequest, fieldError, isApiError } from '../../kernel/errors.ts';
import { randomString } from '../../kernel/ids.ts';
import type { Principal } from '../context.ts';
import { decodeRow, rowShape } from '../records/codec.ts';
import { exportRecord } from '../records/export.ts';
import { collectionIdFor, collectionJson } from './defaults.ts';
import { SchemaSnapshot } from './store.ts';
import { validateCollection } from './validate.ts';
import { checkViewQuery, inferViewFields } from './view.ts';

/** PocketBase's limits of the dry run (apis/collection.go): query length, sample size. */
const MAX_DRY_RUN_QUERY = 5000;
const SAMPLE_SIZE = 10;
/** The sample's size bound (cell text): ten records of a view are a preview, not an export. */
const PROBE_BYTES = 16 << 20;

/** Carries a dry run's result out of its transaction, which it rolls back. */
class DryRunDone {
  constructor(readonly value: unknown) {}
}

/**
 * Creates view `temp_view_<random>` of `query`, hands it to `fn`, and leaves nothing behind: the
 * transaction is always rolled back, and where DDL commits on its own (MySQL) the view is dropped
 * before the end. The view is created, not only parsed, because only the database knows whether
 * the query's tables and columns exist, and what columns it yields.
 */
export async function withTemporaryView<T>(db: Database, query: string, fn: (tx: Executor, view: string) => Promise<T>): Promise<T> {
  const view = `temp_view_${randomString(5)}`;
  try {
    await db.transaction(async (tx) => {
      await tx.run(tx.dialect.createView(view, query.trim().replace(/;\s*$/, '')));
      let value: T;
      try {
        value = await fn(tx, view);
      } finally {
        if (!tx.dialect.caps.transactionalDdl) await tx.run(tx.dialect.dropView(view));
      }
      throw new DryRunDone(value);
    });
  } catch (e) {
    // No schemaChanged(): the view was never visible outside the transaction (and a rolled-back
    // transaction drops its connection's statements), so the caches stay warm for live checks.
    if (e instanceof DryRunDone) return e.value as T;
    throw e;
  }
  throw new Error('unreachable: a dry run always rolls back');
}

/** The database's reason a view query failed, as the view machinery words it (`Invalid query - …`). */
export function viewQueryReason(e: unknown): string {
  if (isApiError(e)) {
    const field = e.data.viewQuery as { message?: unknown } | undefined;
    if (typeof field?.message === 'string') return field.message.replace(/^Invalid query - /, '');
    return e.message;
  }
  return (e instanceof Error ? e.message : String(e)).slice(0, 500);
}

const invalidView = (reason: string) => badRequest(`Invalid view query. Raw error: \n${reason}`);

/**
 * `POST /api/collections/meta/dry-run-view` (PocketBase's DryRunView): the fields a view
 * collection of `query` would get, and a sample of up to 10 of its records, saving nothing.
 * Runs on the writer like a view collection's save (a superuser's query, within the statement
 * budget where the database enforces one).
 */
export async function dryRunView(
  db: Database,
  schema: SchemaLookup,
  viewer: Principal,
  input: unknown,
): Promise<{ fields: unknown[]; sample: Record<string, unknown>[] }> {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw badRequest('An error occurred while loading the submitted data.');
  const query = (input as Record<string, unknown>).query ?? '';
  if (typeof query !== 'string') throw badRequest('An error occurred while loading the submitted data.');
  const invalid = (code: string, message: string) => badRequest('An error occurred while validating the submitted data.', { query: fieldError(code, message) });
  if (query === '') throw invalid('validation_required', 'Cannot be blank.');
  if ([...query].length > MAX_DRY_RUN_QUERY) throw invalid('validation_length_too_long', `The length must be no more than ${MAX_DRY_RUN_QUERY}.`);
  const problem = checkViewQuery(query);
  if (problem) throw invalidView(problem);
  await probe(db, query);
  try {
    return await withTemporaryView(db, query, async (tx, view) => {
      const fields = await inferViewFields(tx, view, query, schema);
      const c: Collection = blankCollection({ id: collectionIdFor('view', view), name: view, type: 'view', fields, options: { viewQuery: query } });
      const errors = validateCollection(c, { dialect: tx.dialect, schema: new SchemaSnapshot([...schema.all(), c]) });
      if (errors.fields) throw invalidView(`invalid fields: ${JSON.stringify(errors.fields)}`);
      const rows = await tx.all<Record<string, unknown>>(sql`SELECT * FROM ${ident(view)}${tx.dialect.limitOffset(SAMPLE_SIZE, 0)}`, rowShape(c));
      const records = rows.map((r) => decodeRow(c, r));
      // As PocketBase: a sample that shows empty or repeated ids tells the superuser at once.
      const ids = new Set<string>();
      for (const r of records) {
        const id = typeof r.id === 'string' ? r.id : '';
        if (id === '') throw invalidView('the query could return records with empty or invalid ids');
        if (ids.has(id)) throw invalidView('the query could return records with non-unique ids');
        ids.add(id);
      }
      return { fields: collectionJson(c).fields as unknown[], sample: records.map((r) => exportRecord(c, r, { viewer })) };
    });
  } catch (e) {
    if (isApiError(e) && e.message.startsWith('Invalid view query.')) throw e;
    if (isApiError(e) && e.status !== 400) throw e;
    throw invalidView(viewQueryReason(e));
  }
}

/**
 * Runs the sample's query first as a read of the SQL console (db/superuser-sql.ts): within the
 * system budget, on a session of its own, and on SQLite in a process that is killed at the
 * budget. The sample itself is read on the writer, inside the view's transaction, where a query
 * that never ends (a recursive CTE without a bound) would hold the write lock and, on SQLite,
 * the event loop; such a query is refused here instead.
 */
async function probe(db: Database, query: string): Promise<void> {
  if (!db.runSuperuserSql) return;
  const text = `SELECT * FROM (${query.trim().replace(/;\s*$/, '')}) AS baton_probe LIMIT ${SAMPLE_SIZE}`;
  try {
    await db.runSuperuserSql({ text, write: false, maxRows: SAMPLE_SIZE, maxBytes: PROBE_BYTES });
  } catch (e) {
    throw invalidView(e instanceof Error ? e.message : String(e));
  }
}

/**
 * A view collection about to be saved, checked as its save would check it but writing nothing:
 * its fields inferred from a temporary view (see `withTemporaryView`), then `validateCollection`
 * again, since rules can only be checked against known fields. Returns the errors (empty: valid).
 */
export async function validateViewDryRun(
  db: Database,
  c: Collection,
  others: readonly Collection[],
  original: Collection | undefined,
): Promise<ApiError['data']> {
  const query = String(c.options.viewQuery ?? '');
  const problem = checkViewQuery(query);
  if (problem) return { viewQuery: fieldError('validation_invalid_view_query', problem) };
  try {
    return await withTemporaryView(db, query, async (tx, view) => {
      const withFields: Collection = { ...c, fields: await inferViewFields(tx, view, query, new SchemaSnapshot(others)) };
      return validateCollection(withFields, { dialect: tx.dialect, schema: new SchemaSnapshot([...others, withFields]), original });
    });
  } catch (e) {
    if (isApiError(e) && e.status !== 400) throw e;
    if (isApiError(e) && Object.keys(e.data).length) return e.data;
    return { viewQuery: fieldError('validation_invalid_view_query', `Invalid query - ${viewQueryReason(e).replace(/\.$/, '')}.`) };
  }
}
