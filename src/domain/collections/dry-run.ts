import type { Database, Executor } from '../../db/dialect.ts';
import type { SuperuserSqlResult } from '../../db/superuser-sql.ts';
import { blankCollection, type Collection, type SchemaLookup } from '../../db/schema.ts';
import { ApiError, badRequest, fieldError, isApiError } from '../../kernel/errors.ts';
import { randomString } from '../../kernel/ids.ts';
import type { Principal } from '../context.ts';
import { decodeRow } from '../records/codec.ts';
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

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const invalidView = (reason: string) => badRequest(`Invalid view query. Raw error: \n${reason}`);

/**
 * `POST /api/collections/meta/dry-run-view` (PocketBase's DryRunView): the fields a view
 * collection of `query` would get, and a sample of up to 10 of its records, saving nothing.
 * The fields come from a temporary view on the writer, as a view collection's save finds them;
 * the sample from a read of the SQL console (`probe`).
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
  // The sample is the probe's rows: the query's rows are read only there, never on the writer.
  const sample = await probe(db, query);
  try {
    return await withTemporaryView(db, query, async (tx, view) => {
      const fields = await inferViewFields(tx, view, query, schema);
      const c: Collection = blankCollection({ id: collectionIdFor('view', view), name: view, type: 'view', fields, options: { viewQuery: query } });
      const errors = validateCollection(c, { dialect: tx.dialect, schema: new SchemaSnapshot([...schema.all(), c]), viewFieldsInferred: true });
      if (errors.fields) throw invalidView(`invalid fields: ${JSON.stringify(errors.fields)}`);
      // Cells come as text: the fields' decoders read text as they read stored values, but for a
      // JSON field's, which is the value's JSON (an expression's number, say) unless it does not parse.
      const json = new Set(fields.filter((f) => f.type === 'json').map((f) => f.name));
      const cell = (name: string, text: string | null): unknown => (text !== null && json.has(name) ? parseJsonOr(text) : text);
      const records = sample.rows.map((r) => decodeRow(c, Object.fromEntries(sample.columns.map((col, i) => [col.name, cell(col.name, r[i])]))));
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
 * Reads the sample as the SQL console reads (db/superuser-sql.ts): within the system budget, on a
 * session of its own in a read-only transaction, and on SQLite in a process that is killed at the
 * budget. The writer only creates the view and reads its columns (no row of the query is computed
 * there): a query that never ends (a recursive CTE without a bound), or one that behaves
 * differently on the writer's connection, can neither hold the write lock nor, on SQLite, the
 * event loop, and a side effect (PostgreSQL's nextval) is refused by the read-only transaction.
 */
async function probe(db: Database, query: string): Promise<SuperuserSqlResult> {
  if (!db.runSuperuserSql) throw invalidView('this database cannot run a view query outside a save');
  const text = `SELECT * FROM (${query.trim().replace(/;\s*$/, '')}) AS baton_probe LIMIT ${SAMPLE_SIZE}`;
  try {
    return await db.runSuperuserSql({ text, write: false, maxRows: SAMPLE_SIZE, maxBytes: PROBE_BYTES });
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
      return validateCollection(withFields, { dialect: tx.dialect, schema: new SchemaSnapshot([...others, withFields]), original, viewFieldsInferred: true });
    });
  } catch (e) {
    if (isApiError(e) && e.status !== 400) throw e;
    if (isApiError(e) && Object.keys(e.data).length) return e.data;
    return { viewQuery: fieldError('validation_invalid_view_query', `Invalid query - ${viewQueryReason(e).replace(/\.$/, '')}.`) };
  }
}
