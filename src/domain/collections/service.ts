import { isStatementError, translateDbError } from '../../db/errors.ts';
import type { Database, Executor } from '../../db/dialect.ts';
import { ident, join as joinSql, sql, type Sql } from '../../db/sql.ts';
import { ApiError, badRequest, fieldError, isApiError, notFound, type ErrorData } from '../../kernel/errors.ts';
import { randomString } from '../../kernel/ids.ts';
import type { RequestContext } from '../context.ts';
import { requestInfoOf } from '../records/access.ts';
import type { RecordChange } from '../records/changes.ts';
import { deleteAuthRefs, deleteWithCascade } from '../records/delete.ts';
import type { RecordFileStore } from '../records/input.ts';
import { compileClientFilter, compileSort, COUNT_SHAPE, countFrom, parsePaging, selectFrom, type ListParams } from '../records/query.ts';
import { fieldDefaults } from './fields/registry.ts';
import { buildCollection } from './build.ts';
import { collectionJson } from './defaults.ts';
import { blankCollection, SUPERUSERS, type Collection, type SchemaLookup } from '../../db/schema.ts';
import { collectionToRow, SchemaSnapshot, type CollectionStore } from './store.ts';
import { applyWithShadowTables, type PlannedChange } from './shadow-ddl.ts';
import { dropRecordTable, syncRecordTable } from './table-sync.ts';
import { validateCollection } from './validate.ts';
import { checkViewQuery, createViewTable, inferViewFields } from './view.ts';
import { viewColumnFields } from './view-query.ts';
import { unsetMissingOAuth2MappedFields } from './auth-options.ts';
import { dryRunView, validateViewDryRun } from './dry-run.ts';
import { dependentViews, dropViews, resaveViews } from './dependent-views.ts';

type Json = Record<string, unknown>;

/** `_collections` described as a collection, so the filter language can query it. */
const COLLECTIONS_TABLE: Collection = Object.freeze(
  blankCollection({
    id: '_collections',
    name: '_collections',
    system: true,
    fields: [
      fieldDefaults({ type: 'text', name: 'id', primaryKey: true }),
      fieldDefaults({ type: 'text', name: 'name' }),
      fieldDefaults({ type: 'text', name: 'type' }),
      fieldDefaults({ type: 'bool', name: 'system' }),
      fieldDefaults({ type: 'date', name: 'created' }),
      fieldDefaults({ type: 'date', name: 'updated' }),
    ],
  }),
);

/**
 * Something outside the schema that names collections and follows their renames (the rate limit
 * labels of the settings), inside the transaction of the schema change, so that a change that
 * fails renames nothing anywhere.
 */
export interface CollectionRenameFollower {
  /** Rewrites what names collection `from` to name `to`, in `tx`; may refuse with an ApiError. */
  collectionRenamed(tx: Executor, from: string, to: string): Promise<void>;
  /** Once the change committed or rolled back: reads again what is stored. */
  reload(): Promise<unknown>;
}

/**
 * Where the files of deleted collections and of truncated records go (domain/files/record-files.ts),
 * called only after the change committed; it logs its own failures, as the change is done.
 */
export interface CollectionFileStore extends Pick<RecordFileStore, 'removeRecords'> {
  /** After a committed delete: removes everything the collections kept in storage (their folders). */
  removeCollections(collections: readonly Collection[]): Promise<void>;
}

export interface CollectionServiceDeps {
  db: Database;
  store: CollectionStore;
  renameFollowers?: readonly CollectionRenameFollower[];
  files?: CollectionFileStore;
}

const withReplaced = (list: readonly Collection[], c: Collection, previousId?: string) => [
  ...list.filter((o) => o.id !== (previousId ?? c.id)),
  c,
];

/** Placeholder message of errors raised while applying a change; create, update and import reword it. */
const SAVE_FAILED = 'Failed to save collection.';

/** PocketBase's import failure: one `collections` error naming the collection that failed, or the raw cause. */
function importFailure(cause: unknown, c?: Collection): ApiError {
  let detail: string;
  if (isApiError(cause) && c) detail = `Data validations failed for collection "${c.name}" (${c.id}):\n${JSON.stringify(cause.data)}.`;
  else detail = `Failed to import the collections configuration. Raw error:\n${cause instanceof Error ? cause.message : String(cause)}.`;
  return badRequest('Failed to import collections.', { collections: fieldError('validation_collections_import_failure', detail) });
}

/** Collection use cases. Every schema change is one transaction: DDL plus its `_collections` row. */
export class CollectionService {
  constructor(private readonly deps: CollectionServiceDeps) {}

  private find(ref: string): Collection {
    const c = this.deps.store.find(ref);
    if (!c) throw notFound();
    return c;
  }

  view(_ctx: RequestContext, ref: string): Json {
    return collectionJson(this.find(ref));
  }

  /** GET /api/collections: paginated like records; filter and sort by id, name, type, system, created, updated. */
  async list(ctx: RequestContext, params: ListParams): Promise<{ items: Json[]; page: number; perPage: number; totalItems: number; totalPages: number }> {
    const { db, store } = this.deps;
    const paging = parsePaging(params);
    const scope = { schema: store, collection: COLLECTIONS_TABLE, tableAlias: '_collections', request: requestInfoOf(ctx), superuser: true };
    let where: Sql | undefined;
    let order: Sql | undefined;
    try {
      where = compileClientFilter(db, scope, params.filter);
      order = compileSort(db, scope, params.sort);
    } catch (e) {
      // PocketBase answers any filter or sort problem here with its generic 400.
      if (isApiError(e) && e.status === 400) throw badRequest();
      throw e;
    }
    let query = selectFrom(COLLECTIONS_TABLE, where);
    if (order) query = sql`${query} ORDER BY ${order}`;
    query = sql`${query}${db.dialect.limitOffset(paging.perPage, paging.perPage * (paging.page - 1))}`;
    const rows = await db.all<{ id: string }>(query);
    const count = paging.skipTotal ? undefined : await db.get<{ n: number }>(countFrom(COLLECTIONS_TABLE, where), COUNT_SHAPE);
    const totalItems = count ? Number(count.n) : -1;
    return {
      items: rows.map((r) => store.find(r.id)).filter((c): c is Collection => !!c).map(collectionJson),
      page: paging.page,
      perPage: paging.perPage,
      totalItems,
      totalPages: count ? Math.ceil(totalItems / paging.perPage) : -1,
    };
  }

  async create(_ctx: RequestContext, input: unknown): Promise<Json> {
    const body = this.body(input, 'Failed to load the collection type data due to invalid formatting.');
    const c = buildCollection(body, undefined, new Set(this.deps.store.all().map((o) => o.id)));
    await this.save(c, undefined, 'Failed to create collection.');
    return collectionJson(this.find(c.id));
  }

  async update(_ctx: RequestContext, ref: string, input: unknown): Promise<Json> {
    const existing = this.find(ref);
    const c = buildCollection(this.body(input), existing);
    await this.save(c, existing, 'Failed to update collection.');
    return collectionJson(this.find(c.id));
  }

  async delete(_ctx: RequestContext, ref: string): Promise<void> {
    const c = this.find(ref);
    if (c.system) throw badRequest('Failed to delete collection.');
    const referencing = this.deps.store
      .all()
      .filter((o) => o.id !== c.id && o.fields.some((f) => f.type === 'relation' && f.collectionId === c.id));
    if (referencing.length) {
      throw badRequest(`Failed to delete collection probably due to existing reference in ${referencing.map((o) => o.name).join(', ')}.`);
    }
    try {
      // The views selecting from it are dropped and made again after (dependent-views.ts): one
      // that no longer works fails the delete, as PocketBase's re-save of the views does. Views
      // that select from other collections are not looked at.
      await this.applyChange([], [c], this.deps.store);
    } catch (e) {
      if (isStatementError(this.deps.db.dialect, e) || (isApiError(e) && e.status === 400)) throw badRequest('Failed to delete collection.');
      throw e;
    } finally {
      await this.reload();
    }
  }

  async truncate(_ctx: RequestContext, ref: string): Promise<void> {
    const c = this.find(ref);
    if (c.type === 'view') throw badRequest("View collections cannot be truncated since they don't store their own records.");
    // Emptying _superusers would lock everyone out of the API (PocketBase refuses it too, record by record).
    if (c.name === SUPERUSERS) throw badRequest("Failed to truncate collection: the superusers collection can't be emptied.");
    const { db, store, files } = this.deps;
    const referenced = store.all().some((o) => o.fields.some((f) => f.type === 'relation' && f.collectionId === c.id));
    // The records deleted (this collection's, and those the cascade deleted), whose files go after the commit.
    const deleted: Array<Pick<RecordChange, 'collection' | 'record'>> = [];
    try {
      await db.transaction(async (tx) => {
        deleted.length = 0;
        await deleteAuthRefs(tx, c);
        const hasFiles = !!files && c.fields.some((f) => f.type === 'file');
        if (!referenced) {
          if (hasFiles) {
            // Read in the transaction: a record created after it commits keeps its files.
            const rows = await tx.all<{ id: string }>(sql`SELECT ${ident('id')} AS id FROM ${ident(c.name)}`);
            for (const r of rows) deleted.push({ collection: c, record: { id: r.id } });
          }
          await tx.run(sql`DELETE FROM ${ident(c.name)}`);
          return;
        }
        const rows = await tx.all<{ id: string }>(sql`SELECT ${ident('id')} AS id FROM ${ident(c.name)}`);
        const onChange = files
          ? (change: RecordChange) => {
              if (change.action === 'delete') deleted.push(change);
            }
          : undefined;
        for (const r of rows) {
          if (hasFiles) deleted.push({ collection: c, record: { id: r.id } });
          await deleteWithCascade(tx, store, c, r.id, 0, onChange);
        }
      });
    } catch (e) {
      if (e instanceof ApiError) {
        throw badRequest('Failed to truncate collection (most likely due to required cascade delete record references).');
      }
      throw e;
    }
    // As PocketBase, which deletes record by record, each delete removing the record's folder.
    await files?.removeRecords(deleted);
  }

  /** PUT /api/collections/import: creates, updates and (optionally) deletes collections in one transaction. */
  async import(_ctx: RequestContext, input: unknown): Promise<void> {
    const body = input && typeof input === 'object' && !Array.isArray(input) ? (input as Json) : undefined;
    if (!body) throw badRequest('An error occurred while loading the submitted data.');
    const items = body.collections;
    if (!Array.isArray(items) || items.length === 0) {
      throw badRequest('An error occurred while validating the submitted data.', {
        collections: fieldError('validation_required', 'Cannot be blank.'),
      });
    }
    const deleteMissing = body.deleteMissing === true;
    const current = this.deps.store.all();
    const taken = new Set(current.map((c) => c.id));
    const planned: Array<{ next: Collection; previous?: Collection }> = [];
    for (const raw of items) {
      const item = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Json) : {};
      const previous =
        (typeof item.id === 'string' && item.id ? current.find((c) => c.id === item.id) : undefined) ??
        (!item.id && typeof item.name === 'string' ? current.find((c) => c.name.toLowerCase() === String(item.name).toLowerCase()) : undefined);
      let next = buildCollection(item, previous, taken);
      if (previous && Array.isArray(item.fields)) {
        // As PocketBase: an existing field the import misses by id (always a system field; any
        // field without deleteMissing) is kept. It takes the place of the imported field of its
        // name and type, which is the same field exported from elsewhere under another id: made
        // anew, its column would be dropped with the values in it. Otherwise it is appended (a
        // same-named field of another type then fails validation as a duplicate name).
        const fields = [...next.fields];
        for (const f of previous.fields) {
          if ((!f.system && deleteMissing) || fields.some((n) => n.id === f.id)) continue;
          const at = fields.findIndex((n) => n.name === f.name);
          if (at >= 0 && fields[at].type === f.type) fields[at] = structuredClone(f);
          else fields.push(structuredClone(f));
        }
        next = { ...next, fields };
      }
      unsetMissingOAuth2MappedFields(next);
      taken.add(next.id);
      planned.push({ next, previous });
    }
    const importedIds = new Set(planned.map((p) => p.next.id));
    const removed = deleteMissing ? current.filter((c) => !c.system && !importedIds.has(c.id)) : [];
    let snapshot = current.filter((c) => !removed.some((r) => r.id === c.id));
    for (const p of planned) snapshot = withReplaced(snapshot, p.next, p.previous?.id);
    const schema = new SchemaSnapshot(snapshot);
    for (const p of planned) {
      const errors = validateCollection(p.next, { dialect: this.deps.db.dialect, schema, original: p.previous });
      if (Object.keys(errors).length) throw importFailure(badRequest(SAVE_FAILED, errors), p.next);
    }
    const progress: { applying?: Collection } = {};
    try {
      // Tables first, views last: a view may select from a table created by this import.
      const ordered = [...planned.filter((p) => p.next.type !== 'view'), ...planned.filter((p) => p.next.type === 'view')];
      await this.applyChange(ordered, removed, schema, { progress });
    } catch (e) {
      // Everything rolled back; a failure found while applying (an index that cannot be built, a
      // view query the database rejects) is reported like a validation failure, never as a 500.
      throw isApiError(e) && e.status !== 400 ? e : importFailure(e, isApiError(e) ? progress.applying : undefined);
    } finally {
      await this.reload();
    }
  }

  /**
   * POST /api/collections/meta/validate (Baton's own, for the dashboard's live checks): `input`
   * as for create, or as for an update of the collection whose `id` it names; the errors the save
   * would answer, with nothing written. A view's query runs as a temporary view in a transaction
   * that is rolled back (dry-run.ts). Not checked: what only building the table could refuse
   * (a UNIQUE index over values already duplicated), which would mean copying the table.
   */
  async validate(_ctx: RequestContext, input: unknown): Promise<void> {
    const { db, store } = this.deps;
    const body = this.body(input, 'Failed to load the collection type data due to invalid formatting.');
    const existing = typeof body.id === 'string' && body.id !== '' ? store.all().find((o) => o.id === body.id) : undefined;
    const message = existing ? 'Failed to update collection.' : 'Failed to create collection.';
    const c = existing ? buildCollection(body, existing) : buildCollection(body, undefined, new Set(store.all().map((o) => o.id)));
    // The schema as `save` sees it: the collection beside (or in place of) the stored ones.
    const others = existing ? store.all().filter((o) => o.id !== existing.id) : store.all();
    let errors: ErrorData = validateCollection(c, { dialect: db.dialect, schema: new SchemaSnapshot([...others, c]), original: existing });
    if (Object.keys(errors).length === 0 && c.type === 'view') errors = await validateViewDryRun(db, c, others, existing);
    if (Object.keys(errors).length) throw badRequest(message, errors);
  }

  /** POST /api/collections/meta/dry-run-view: a view query's fields and sample records, nothing saved. */
  dryRunView(ctx: RequestContext, input: unknown): Promise<{ fields: unknown[]; sample: Record<string, unknown>[] }> {
    return dryRunView(this.deps.db, this.deps.store, ctx.principal, input);
  }

  /**
   * GET /api/collections/meta/scaffolds: a blank collection of each type. As PocketBase, they are
   * built under a random id, which names the auth collection's default indexes: with a fixed one,
   * a second auth collection made from a scaffold would reuse the first one's index names.
   */
  scaffolds(): Record<string, Json> {
    const out: Record<string, Json> = {};
    const id = randomString(10);
    for (const type of ['auth', 'base', 'view'] as const) {
      const c = buildCollection({ type, name: '', id }, undefined);
      c.id = '';
      c.created = '';
      c.updated = '';
      if (type === 'view') c.options = { viewQuery: '' };
      out[type] = collectionJson(c);
    }
    return out;
  }

  private body(input: unknown, message = 'Failed to load the submitted data due to invalid formatting.'): Json {
    if (!input || typeof input !== 'object' || Array.isArray(input)) throw badRequest(message);
    return input as Json;
  }

  private async save(c: Collection, previous: Collection | undefined, message: string): Promise<void> {
    const { db, store } = this.deps;
    // A new collection joins the schema beside everything stored, so an id already taken is seen.
    const schema = new SchemaSnapshot(previous ? withReplaced(store.all(), c) : [...store.all(), c]);
    unsetMissingOAuth2MappedFields(c);
    const errors: ErrorData = validateCollection(c, { dialect: db.dialect, schema, original: previous });
    if (Object.keys(errors).length) throw badRequest(message, errors);
    try {
      await this.applyChange([{ next: c, previous }], [], schema);
    } catch (e) {
      // Errors found while applying (view fields, index statements) are validation errors of this save.
      if (isApiError(e)) throw e.status === 400 ? badRequest(message, e.data) : e;
      const translated = translateDbError(db.dialect, e);
      // The database busy (a lock another process held past the lock wait): the 503, to retry.
      if (translated?.status === 503) throw translated;
      if (translated) throw badRequest(message, translated.data);
      const detail = e instanceof Error ? e.message : String(e);
      // Superuser-authored SQL (view queries, index expressions) can still fail in the database;
      // say why, as PocketBase does, since only superusers reach this endpoint.
      throw badRequest(`${message.replace(/\.$/, '')}. Raw error: \n${detail}.`);
    } finally {
      await this.reload();
    }
  }

  /** Writes one collection inside `tx`: its table or view, then its `_collections` row. */
  private async apply(tx: Executor, c: Collection, previous: Collection | undefined, schema: SchemaLookup): Promise<void> {
    if (c.type === 'view') await this.applyView(tx, c, previous, schema);
    else await syncRecordTable(tx, c, previous);
    await this.writeRow(tx, c, previous);
  }

  /**
   * A schema change, applied as one unit (`applyAtomically`); the rename followers then read
   * again what it left stored, whether it committed or not.
   */
  private async applyChange(
    changes: readonly PlannedChange[],
    removed: readonly Collection[],
    schema: SchemaLookup,
    opts: { after?: (tx: Executor) => Promise<void>; progress?: { applying?: Collection } } = {},
  ): Promise<void> {
    const renames = changes.some((p) => p.previous && p.previous.name !== p.next.name);
    try {
      await this.applyAtomically(changes, removed, schema, opts);
    } finally {
      if (renames) for (const follower of this.deps.renameFollowers ?? []) await follower.reload();
    }
    // Committed: the deleted collections' files go too (PocketBase's files manager hook).
    if (removed.length) await this.deps.files?.removeCollections(removed);
  }

  /** Tells the rename followers that `p` renamed its collection, in the change's transaction. */
  private async followRename(tx: Executor, p: PlannedChange): Promise<void> {
    if (!p.previous || p.previous.name === p.next.name) return;
    for (const follower of this.deps.renameFollowers ?? []) await follower.collectionRenamed(tx, p.previous.name, p.next.name);
  }

  /**
   * The change in one transaction where the database rolls DDL back; elsewhere (MySQL) through
   * shadow tables swapped in at the end (see shadow-ddl.ts). Renames are followed right after
   * the collection's own row is written, in the same transaction.
   */
  private async applyAtomically(
    changes: readonly PlannedChange[],
    removed: readonly Collection[],
    schema: SchemaLookup,
    opts: { after?: (tx: Executor) => Promise<void>; progress?: { applying?: Collection } },
  ): Promise<void> {
    const { after, progress = {} } = opts;
    const { db } = this.deps;
    // Views selecting from what changes are dropped first and made again from their query after.
    const dependents = dependentViews(this.deps.store.all(), changes, removed);
    const resave = async (tx: Executor) => {
      for (const v of await resaveViews(tx, dependents, schema)) await this.writeRow(tx, v.next, v.previous);
    };
    if (db.dialect.caps.transactionalDdl) {
      await db.transaction(async (tx) => {
        await dropViews(tx, dependents);
        // Views first: a database may refuse to drop a table a view still selects from.
        for (const r of [...removed.filter((x) => x.type === 'view'), ...removed.filter((x) => x.type !== 'view')]) {
          await dropRecordTable(tx, r);
          await tx.run(sql`DELETE FROM _collections WHERE id = ${r.id}`);
          await deleteAuthRefs(tx, r);
        }
        for (const p of changes) {
          progress.applying = p.next;
          await this.apply(tx, p.next, p.previous, schema);
          await this.followRename(tx, p);
        }
        await resave(tx);
        if (after) await after(tx);
      });
      return;
    }
    await applyWithShadowTables(db, changes, removed, {
      dependents,
      resaveDependents: resave,
      onTable: (next) => {
        progress.applying = next;
      },
      createView: async (tx, next, previous) => {
        progress.applying = next;
        await this.applyView(tx, next, previous, schema);
      },
      writeRows: async (tx) => {
        for (const r of removed) {
          await tx.run(sql`DELETE FROM _collections WHERE id = ${r.id}`);
          await deleteAuthRefs(tx, r);
        }
        for (const p of changes) {
          await this.writeRow(tx, p.next, p.previous);
          await this.followRename(tx, p);
        }
        if (after) await after(tx);
      },
    });
  }

  /** Creates (or replaces) a view collection's view and infers its fields from the query. */
  private async applyView(tx: Executor, c: Collection, previous: Collection | undefined, schema: SchemaLookup): Promise<void> {
    {
      const query = String(c.options.viewQuery ?? '');
      const problem = checkViewQuery(query);
      if (problem) throw badRequest(SAVE_FAILED, { viewQuery: fieldError('validation_invalid_view_query', problem) });
      // What the query's text refuses (a wildcard column) is refused before any DDL, as PocketBase
      // reads the query before it makes the view (MySQL could not roll the view back).
      viewColumnFields(query, schema);
      if (previous) await tx.run(tx.dialect.dropView(previous.name));
      try {
        try {
          await createViewTable(tx, c.name, query);
          c.fields = await inferViewFields(tx, c.name, query, schema);
          // Made again with its id cast to text where it is not text, now that its columns are known.
          await tx.run(tx.dialect.dropView(c.name));
          await createViewTable(tx, c.name, query, c.fields.map((f) => f.name));
        } catch (e) {
          if (isApiError(e)) throw e;
          // Only the database knows whether the query's tables and columns exist: PocketBase's wording.
          const reason = (e instanceof Error ? e.message : String(e)).slice(0, 500).replace(/\.$/, '');
          throw badRequest(SAVE_FAILED, { viewQuery: fieldError('validation_invalid_view_query', `Invalid query - ${reason}.`) });
        }
        // The rules of a view can only be checked once its fields are known.
        const errors = validateCollection(c, { dialect: tx.dialect, schema, original: previous, viewFieldsInferred: true });
        if (Object.keys(errors).length) throw badRequest(SAVE_FAILED, errors);
      } catch (e) {
        // Where DDL commits as it runs (MySQL), the view of a refused query (no id column, a rule
        // its columns do not resolve) would outlive the save: served in place of the previous
        // view, which the undo could then not make again under its name.
        if (!tx.dialect.caps.transactionalDdl) await tx.run(tx.dialect.dropView(c.name));
        throw e;
      }
    }
  }

  /** Inserts or updates the collection's `_collections` row. */
  private async writeRow(tx: Executor, c: Collection, previous: Collection | undefined): Promise<void> {
    const row = collectionToRow(c);
    const cols = Object.keys(row);
    if (previous) {
      const sets = cols.filter((k) => k !== 'id').map((k) => sql`${ident(k)} = ${row[k]}`);
      await tx.run(sql`UPDATE _collections SET ${joinSql(sets)} WHERE id = ${c.id}`);
    } else {
      await tx.run(sql`INSERT INTO _collections (${joinSql(cols.map((k) => sql`${ident(k)}`))}) VALUES (${joinSql(cols.map((k) => sql`${row[k]}`))})`);
    }
  }

  private async reload(): Promise<void> {
    this.deps.db.schemaChanged();
    await this.deps.store.load(this.deps.db);
  }
}
