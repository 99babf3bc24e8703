import { translateDbError, isStatementError } from '../../db/errors.ts';
import type { Database, Executor } from '../../db/dialect.ts';
import { TransactionDatabase } from '../../db/transaction-database.ts';
import { randomPassword } from '../../kernel/ids.ts';
import { ident, join, sql, type Sql, value } from '../../db/sql.ts';
import { ApiError, badRequest, fieldError, notFound } from '../../kernel/errors.ts';
import type { PasswordAlgorithm } from '../auth/passwords.ts';
import { fieldValueType, SUPERUSERS, type Collection, type SchemaLookup } from '../../db/schema.ts';
import { isSuperuser, type RequestContext } from '../context.ts';
import { dropInstaller, INSTALLER_EMAIL } from '../auth/installer.ts';
import {
  and,
  assertClientQueryAllowed,
  assertRuleAllows,
  managedIds,
  requestInfoOf,
  ruleCondition,
  type FilterScope,
} from './access.ts';
import { decodeRow, encodeRecord, planOf, rowShape, zeroRecord, type RecordData } from './codec.ts';
import { autogenerateText } from '../collections/fields/text.ts';
import { deleteRefError, deleteRefRows, deleteWithCascade } from './delete.ts';
import type { RecordChange, RecordChangeSink } from './changes.ts';
import { expandBudget, expandRecords, parseExpand } from './expand.ts';
import { exportRecord } from './export.ts';
import { parseInput, type ParsedInput, type RecordFileStore, type RecordInput } from './input.ts';
import { DEFAULT_RESPONSE_LIMITS, exportBytesBound, responseTooLarge, type ResponseLimits } from './limits.ts';
import { listColumns } from './list-columns.ts';
import { decodePage, pagePlan, pageWeight } from './list-page.ts';
import type { FieldsSelection } from './picker.ts';
import { compileSort, COUNT_SHAPE, countFrom, parsePaging, selectById, selectFrom, type ListParams, type ScanGuard } from './query.ts';
import { comparesOwnColumnsOnly, compileWhere, type DataStatistics, FilterError, FilterLimitError, type FilterPart, parseFilter } from '../../filter/index.ts';
import {
  applyInput,
  checkOldPassword,
  grantManageAccess,
  insertStatement,
  saveError,
  storedValues,
  updateStatement,
  refuseNulCharacters,
  validateRecord,
  validateRelations,
  type AppliedChange,
} from './write.ts';

export interface ListResult {
  items: Array<Record<string, unknown>>;
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
}

export interface ReadOptions {
  expand?: string;
}

/** How a create or update answers. */
export interface WriteOptions<R = Record<string, unknown>> extends ReadOptions {
  /**
   * Builds the client's answer from the record as exported, and refuses it by throwing (the
   * response limit). A refused answer leaves nothing written: wherever the answer could pass
   * `limits.maxResponseBytes`, the write and its answer run in one transaction (`answeredWrite`
   * says when). Absent: the exported record.
   */
  respond?: (record: Record<string, unknown>) => R;
}

/** A create's or update's stored record, and its answer when it was built before the commit. */
interface WrittenRecord<R> {
  saved: RecordData;
  answer?: { value: R };
}

export interface CreateOptions<R = Record<string, unknown>> extends WriteOptions<R> {
  /** `@request.context` for the create and manage rules ('default' unless a sign-in creates: 'oauth2'). */
  requestContext?: string;
}

export interface RecordServiceDeps {
  db: Database;
  schema: SchemaLookup;
  /** Bounds on one response (DEFAULT_RESPONSE_LIMITS when absent). */
  limits?: ResponseLimits;
  /** Figures about the data for the client cost estimate (absent: its defaults). */
  statistics?: DataStatistics;
  /** How new passwords are hashed (Config.passwordHash); absent: bcrypt at the field's cost. */
  passwordHash?: PasswordAlgorithm;
  /** Stores uploads before a write and removes dropped files after it (absent: uploads are not kept). */
  files?: RecordFileStore;
  /**
   * Told of every create, update and delete once it is stored (realtime). Per service instance:
   * a service that runs inside a larger transaction gets a sink that buffers until its commit.
   */
  changes?: RecordChangeSink;
  /** `@request.context` of this service's rule checks ('default'; a batch's items: 'batch'). */
  requestContext?: string;
}

const CREATE_FAILED = 'Failed to create record.';
/**
 * Records up to which a scan filtered on the record's own columns is cheap enough for its guard
 * to go after the filter: at a few tens of ns a row, a few ms.
 */
const SMALL_TABLE_RECORDS = 100_000;
const UPDATE_FAILED = 'Failed to update record.';

/** Record use cases: list, view, create, update, delete, with API rules applied. No HTTP here. */
export class RecordService {
  /** The bounds every response of this service keeps (the HTTP layer applies the byte limit). */
  readonly limits: ResponseLimits;

  constructor(private readonly deps: RecordServiceDeps) {
    this.limits = deps.limits ?? DEFAULT_RESPONSE_LIMITS;
  }

  private collection(ref: string, message = 'Missing collection context.'): Collection {
    const c = this.deps.schema.find(ref);
    if (!c) throw notFound(message);
    return c;
  }

  /** Where this service announces stored changes (realtime), if anywhere. */
  get changeSink(): RecordChangeSink | undefined {
    return this.deps.changes;
  }

  /** Where this service stores uploads and removes dropped files, if anywhere. */
  get fileStore(): RecordFileStore | undefined {
    return this.deps.files;
  }

  /** Whether the collection holds a record with this id, whoever asks (a batch upsert's choice). */
  async exists(ref: string, id: string): Promise<boolean> {
    const collection = this.collection(ref);
    return (await this.deps.db.get(selectById(collection).bind(id), rowShape(collection))) !== undefined;
  }

  /**
   * The same service inside an open transaction (a batch): every read and write goes to `db`,
   * changes go to `changes` (to announce after the commit), files to `files` (which must hold
   * removals until the commit), rules see `requestContext`.
   */
  within(db: Database, options: { changes?: RecordChangeSink; requestContext?: string; files?: RecordFileStore } = {}): RecordService {
    // Only the file store given: this service's own removes right after each write, which inside
    // a transaction would come before the commit (files kept by a rolled-back batch would be gone).
    return new RecordService({ ...this.deps, db, changes: options.changes, requestContext: options.requestContext, files: options.files });
  }

  private scope(
    ctx: RequestContext,
    collection: Collection,
    body?: Record<string, unknown>,
    current?: RecordData,
    context = this.deps.requestContext ?? 'default',
  ): FilterScope {
    return {
      schema: this.deps.schema,
      collection,
      tableAlias: collection.name,
      request: requestInfoOf(ctx, body, context, current),
      superuser: isSuperuser(ctx),
      statistics: this.deps.statistics,
    };
  }

  /** `fields`: the parsed `?fields=` the items will be narrowed to (only the columns it needs are read). */
  async list(ctx: RequestContext, ref: string, params: ListParams & ReadOptions, fields?: FieldsSelection): Promise<ListResult> {
    const { db } = this.deps;
    const collection = this.collection(ref);
    assertRuleAllows(ctx, collection, 'listRule');
    assertClientQueryAllowed(ctx, params.filter ?? '', params.sort ?? '');
    const paging = parsePaging(params);
    const scope = this.scope(ctx, collection);
    // The list rule and the client's filter compile into one WHERE, sharing relation joins as in PocketBase.
    const parts: FilterPart[] = [];
    if (!scope.superuser && collection.listRule) parts.push({ filter: collection.listRule, allowHiddenFields: true });
    if (params.filter) parts.push({ filter: params.filter, allowHiddenFields: scope.superuser });
    let compiled: Sql | undefined;
    let order: Sql | undefined;
    try {
      compiled = parts.length
        ? compileWhere(parts, {
          dialect: db.dialect, schema: scope.schema, collection, tableAlias: scope.tableAlias, request: scope.request, statistics: scope.statistics,
        })
        : undefined;
      order = compileSort(db, scope, params.sort);
    } catch (e) {
      // PocketBase answers every filter or sort problem with its generic 400: the reason names
      // fields and rules the client may not know about, so it is only logged.
      if (!(e instanceof FilterError)) throw e;
      // A limit the client can act on, naming nothing of the schema, is told (PocketBase's shape).
      if (e instanceof FilterLimitError) throw badRequest(`${e.message}.`);
      ctx.logger.debug({ reason: e.reason }, 'invalid list filter or sort');
      // The reason travels as the error's cause: the request's `_logs` entry names it (superusers read it).
      throw Object.assign(badRequest(), { cause: e });
    }
    const where = compiled && !compiled.isEmpty ? compiled : undefined;
    const filtered = !!params.filter?.trim();
    const guard = filtered ? this.filterScanGuard(collection, params.filter!) : false;
    const plan = pagePlan(db.dialect, collection, listColumns(collection, fields, parseExpand(params.expand), scope.superuser));
    // Ties and pages in the table's order where the database's own sort would not keep it (PostgreSQL).
    const tieBreak = db.dialect.listTieBreak(collection.name, order !== undefined, collection.type === 'view');
    const orderBy = order && tieBreak ? sql`${order}, ${tieBreak}` : order ?? tieBreak;
    const page = (columns: Sql): Sql => {
      let query = selectFrom(collection, where, guard || order !== undefined, columns);
      if (orderBy) query = sql`${query} ORDER BY ${orderBy}`;
      return sql`${query}${db.dialect.limitOffset(paging.perPage, paging.perPage * (paging.page - 1))}`;
    };

    const reader = this.reader(ctx);
    const { maxResponseBytes } = this.limits;
    // A page that could pass the byte limit, as its fields' own limits allow, is weighed first: a
    // sum the database computes without sending the values. One that could not (a page of 30
    // ordinary records) is weighed once read, before any value is parsed (rows written around
    // those limits: a limit lowered later, a copied database). Not again after the database
    // weighed the same rows: the text read can be longer than the value sent (PostgreSQL's jsonb
    // text has a space after each `,` and `:`), which the database's sum leaves out.
    const weighFirst = plan.rowBytes !== undefined && paging.perPage * plan.rowBound > maxResponseBytes;
    if (weighFirst) {
      const bytes = ident('bytes');
      let weight: { n: number } | undefined;
      // A statement of its own, with the page's filter, sort, LIMIT and OFFSET.
      try {
        weight = await reader.get<{ n: number }>(sql`SELECT COALESCE(SUM(${bytes}), 0) AS n FROM (${page(sql`${plan.rowBytes} AS ${bytes}`)}) AS ${ident('page')}`, COUNT_SHAPE);
      } catch (e) {
        throw this.readError(ctx, collection, e, 'list');
      }
      if (Number(weight?.n) > maxResponseBytes) throw responseTooLarge(maxResponseBytes);
    }
    let rows: Record<string, unknown>[];
    let count: { n: number } | undefined;
    try {
      [rows, count] = await Promise.all([
        reader.all(page(plan.select), plan.shape),
        paging.skipTotal ? undefined : reader.get<{ n: number }>(countFrom(collection, where, guard), COUNT_SHAPE),
      ]);
    } catch (e) {
      throw this.readError(ctx, collection, e, 'list');
    }
    const weight = pageWeight(plan, rows);
    // A random sort reads other rows than it weighed.
    const weighed = weighFirst && !params.sort?.includes('@random');
    if (!weighed && weight > maxResponseBytes) throw responseTooLarge(maxResponseBytes);
    const records = await decodePage(collection, plan, rows, weight);
    const totalItems = count ? Number(count.n) : -1;
    return {
      items: await this.export(ctx, collection, records, params.expand),
      page: paging.page,
      perPage: paging.perPage,
      totalItems,
      totalPages: count ? Math.ceil(totalItems / paging.perPage) : -1,
    };
  }

  async view(ctx: RequestContext, ref: string, id: string, options: ReadOptions = {}): Promise<Record<string, unknown>> {
    const collection = this.collection(ref);
    assertRuleAllows(ctx, collection, 'viewRule');
    let record: RecordData | undefined;
    try {
      record = await this.findWithRule(this.reader(ctx), ctx, collection, id, collection.viewRule);
    } catch (e) {
      throw this.readError(ctx, collection, e, 'view');
    }
    if (!record) throw notFound();
    return (await this.export(ctx, collection, [record], options.expand))[0];
  }

  /**
   * What a failed read of a list or a record answers. A query the database refuses (a view whose
   * source changed under it, a view computing a number past the largest double on PostgreSQL or
   * MariaDB) is the client's generic 400, as in PocketBase, and logged for the operator; one cut
   * off by the statement budget is a 400 that says so (translateDbError).
   */
  private readError(ctx: RequestContext, collection: Collection, e: unknown, read: 'list' | 'view'): unknown {
    const { dialect } = this.deps.db;
    if (!isStatementError(dialect, e)) return translateDbError(dialect, e) ?? e;
    ctx.logger.warn({ err: e, collection: collection.name }, `${read} query refused by the database`);
    return badRequest();
  }

  async create<R = Record<string, unknown>>(ctx: RequestContext, ref: string, input: RecordInput, options: CreateOptions<R> = {}): Promise<R> {
    const { db } = this.deps;
    const collection = this.collection(ref, 'Missing or invalid collection context.');
    if (collection.type === 'view') throw badRequest('Unsupported collection type.');
    assertRuleAllows(ctx, collection, 'createRule');
    const superuser = isSuperuser(ctx);
    const random = input.randomPassword === true && collection.type === 'auth' && !('password' in input.body);
    if (random) input = withRandomPassword(input);
    const parsed = parseInput(collection, input, superuser);
    const opts = { isNew: true, source: input.source, canManage: superuser, randomPassword: random, uploads: parsed.uploads };
    const change = applyInput(collection, zeroRecord(collection), parsed, opts);

    // An empty createRule lets everyone create: no dummy row to build, unless an auth
    // collection's manageRule is to be checked against it.
    const openCreate = collection.createRule !== null && collection.createRule.trim() === '';
    const checksManage = collection.type === 'auth' && Boolean(collection.options.manageRule);
    if (!superuser && (!openCreate || checksManage)) {
      const body = this.ruleBody(input, parsed, change);
      // The rule runs against the record as it would be stored, before validation: a request the
      // rule rejects learns nothing about the data (PocketBase checks a dummy row the same way).
      const dummy = encodeRecord(collection, { ...change.data, password: '' });
      // Security: the rules see verified=false whatever was sent, or a manageRule trusting
      // `verified` could be met by sending verified=true.
      if (collection.type === 'auth') dummy.verified = false;
      const context = options.requestContext;
      const allowed = await this.dummyMatches(ctx, collection, dummy, body, collection.createRule, context);
      if (!allowed) throw badRequest(CREATE_FAILED);
      if (collection.type === 'auth' && collection.options.manageRule) {
        opts.canManage = await this.dummyMatches(ctx, collection, dummy, body, collection.options.manageRule as string, context);
        if (opts.canManage) grantManageAccess(change);
      }
    }
    await this.validate(collection, change, opts);
    if (collection.type === 'auth') await this.assertAuthIdFree(collection, String(change.data.id));
    const values = await storedValues(collection, change, this.deps.passwordHash);
    // Files hook: uploads are stored before the record, and removed again if it is not written.
    const undoUploads = await this.storeUploads(collection, change.data, parsed, true);
    let written: WrittenRecord<R>;
    try {
      // One INSERT, alongside other writes: the database's constraints keep it whole.
      const idChosen = !db.dialect.caps.returning && parsed.values.some((v) => v.field.name === 'id');
      written = await this.answeredWrite(ctx, collection, values, options, opts.canManage, idChosen, async (service) => {
        const row = await service.writeReturning(insertStatement(collection, values), collection);
        return row ?? (await service.findWithRule(service.deps.db, ctx, collection, String(change.data.id), null, true))!;
      });
    } catch (e) {
      await undoUploads?.();
      throw saveError(db, e, CREATE_FAILED);
    }
    const { saved } = written;
    // Change hook: the INSERT has committed, so the record is announced.
    this.deps.changes?.recordChanged({ action: 'create', collection, record: saved });
    // The first real superuser ends the installer's (auth/installer.ts), as PocketBase does; best effort.
    if (collection.name === SUPERUSERS && saved.email !== INSTALLER_EMAIL) {
      await dropInstaller(db).catch((e: unknown) => ctx.logger.warn({ err: e }, 'failed to delete the installer superuser'));
    }
    return written.answer ? written.answer.value : this.answer(ctx, collection, saved, options, opts.canManage);
  }

  async update<R = Record<string, unknown>>(ctx: RequestContext, ref: string, id: string, input: RecordInput, options: WriteOptions<R> = {}): Promise<R> {
    const { db } = this.deps;
    const collection = this.collection(ref, 'Missing or invalid collection context.');
    if (collection.type === 'view') throw badRequest('Unsupported collection type.');
    assertRuleAllows(ctx, collection, 'updateRule');
    const superuser = isSuperuser(ctx);
    const original = await this.findWithRule(db, ctx, collection, id, null, true);
    if (!original) throw notFound();
    const random = input.randomPassword === true && collection.type === 'auth';
    if (random) input = withRandomPassword(input);
    const parsed = parseInput(collection, input, superuser);
    const opts = { isNew: false, source: input.source, original, canManage: superuser, randomPassword: random, uploads: parsed.uploads };
    const change = applyInput(collection, original, parsed, opts);
    const body = this.ruleBody(input, parsed, change);
    if (!superuser) {
      const visible = await this.findWithRule(db, ctx, collection, id, collection.updateRule, false, body, original);
      if (!visible) throw notFound();
      if (collection.type === 'auth' && collection.options.manageRule) {
        opts.canManage = !!(await this.findWithRule(db, ctx, collection, id, collection.options.manageRule as string, false, body, original));
        if (opts.canManage) grantManageAccess(change);
      }
    }
    await checkOldPassword(parsed, change, original, opts.canManage);
    await this.validate(collection, change, opts, UPDATE_FAILED);
    const dropExternalAuths = await this.verifiedUpgrade(collection, id, original, change.data);
    // Only the columns this update changes are written, so a concurrent update of other fields
    // (made while this one awaited validation or hashing) is not overwritten with stale values.
    const values = await storedValues(collection, change, this.deps.passwordHash);
    const before = encodeRecord(collection, original);
    const changed = Object.fromEntries(Object.entries(values).filter(([k, v]) => k !== 'id' && v !== before[k]));
    const undoUploads = await this.storeUploads(collection, change.data, parsed, false);
    let written: WrittenRecord<R>;
    try {
      written = await this.answeredWrite(ctx, collection, values, options, opts.canManage, true, async (service) => {
        const row = Object.keys(changed).length ? await service.writeReturning(updateStatement(collection, id, changed), collection) : undefined;
        return row ?? (await service.findWithRule(service.deps.db, ctx, collection, id, null, true))!;
      });
    } catch (e) {
      await undoUploads?.();
      throw saveError(db, e, UPDATE_FAILED);
    }
    const { saved } = written;
    // Change hook: the UPDATE has committed (an update that changed nothing counts, as in PocketBase).
    this.deps.changes?.recordChanged({ action: 'update', collection, record: saved });
    // Files hook: the files the record no longer names go once the update is stored.
    await this.deps.files?.removeDropped(collection, original, saved);
    if (collection.type === 'auth' && 'password' in changed) await this.forgetSessions(collection, id);
    // A new tokenKey (a new password or email, a verified upgrade, a manual change) ends the
    // record's pending one-time passwords too, as in PocketBase: a code mailed to the old address,
    // or seen by whoever the new password locks out, no longer signs in.
    if (collection.type === 'auth' && 'tokenKey' in changed) await this.deleteRecordRows('_otps', collection, id);
    if (dropExternalAuths) await this.deleteRecordRows('_externalAuths', collection, id);
    return written.answer ? written.answer.value : this.answer(ctx, collection, saved, options, opts.canManage);
  }

  /**
   * Runs a create's or update's `write` (which gives the stored record) and builds its answer. An
   * answer that could be refused is built in the write's transaction, on a service bound to it: a
   * refusal rolls the write back. That is a write whose row others may have written to besides
   * `values` (`othersMayWrite`): every update (the row it answers holds what other writes stored
   * in the columns it did not change, after `values` was read), and a create of an id the client
   * chose that reads its row back in a statement of its own (MySQL: no RETURNING; an update of
   * that id could land in between; an id Baton made is known to no one else yet). Also an expand
   * (its cost and size only reading tells), and `values` whose exported JSON could pass the byte
   * limit. The transaction is `concurrent`, as the one statement alone was (the database's
   * constraints keep it whole); its expand reads run inside it, without the client statement
   * budget, as a batch's do (bounded by `maxExpandedRecords`). Any other create (its row is
   * `values` as the database stored them) is under the limit whatever it hands back, so it runs
   * alone in autocommit, and the caller answers once it is done (`answer` absent): a failed export
   * there must not undo the uploads of a stored record.
   */
  private async answeredWrite<R>(
    ctx: RequestContext,
    collection: Collection,
    values: Record<string, unknown>,
    options: WriteOptions<R>,
    canManage: boolean,
    othersMayWrite: boolean,
    write: (service: RecordService) => Promise<RecordData>,
  ): Promise<WrittenRecord<R>> {
    const refusable =
      options.respond !== undefined &&
      (othersMayWrite || !!options.expand?.trim() || exportBytesBound(values) > this.limits.maxResponseBytes);
    if (!refusable) return { saved: await write(this) };
    return this.deps.db.transaction(async (tx) => {
      const service = this.within(new TransactionDatabase(tx));
      const saved = await write(service);
      return { saved, answer: { value: await service.answer(ctx, collection, saved, options, canManage) } };
    }, { concurrent: true });
  }

  /** A written record as its client gets it: exported, with its expansions, then `respond`. */
  private async answer<R>(ctx: RequestContext, collection: Collection, record: RecordData, options: WriteOptions<R>, canManage: boolean): Promise<R> {
    const [exported] = await this.export(ctx, collection, [record], options.expand, canManage);
    return options.respond ? options.respond(exported) : (exported as R);
  }

  /**
   * A new password ends more than the tokens (its tokenKey changed with it): the record's open MFA
   * sessions and known sign-in origins go too, as in PocketBase, so the next sign-in from any
   * device starts over and alerts again.
   */
  private async forgetSessions(collection: Collection, recordId: string): Promise<void> {
    for (const table of ['_mfas', '_authOrigins']) await this.deleteRecordRows(table, collection, recordId);
  }

  /** The rows of a system table (`_mfas`, `_externalAuths` …) that belong to the record. */
  private deleteRecordRows(table: string, collection: Collection, recordId: string): Promise<void> {
    return deleteRefRows(this.deps.db, table, collection, recordId);
  }

  /**
   * An auth record becoming verified that has OAuth2 links (`_externalAuths`) loses them, and its
   * sessions (a new tokenKey), as in PocketBase: links made before the address was proven may be
   * someone else's, who registered it first. True when the links are to be deleted after the save.
   */
  private async verifiedUpgrade(collection: Collection, id: string, original: RecordData, next: RecordData): Promise<boolean> {
    if (collection.type !== 'auth' || original.verified === true || next.verified !== true) return false;
    const links = await this.deps.db.get(
      sql`SELECT 1 AS found FROM ${ident('_externalAuths')} WHERE ${ident('collectionRef')} = ${collection.id} AND ${ident('recordRef')} = ${id} LIMIT 1`,
    );
    if (!links) return false;
    const tokenKey = planOf(collection).byName.get('tokenKey');
    if (tokenKey) next.tokenKey = autogenerateText(tokenKey);
    return true;
  }

  async delete(ctx: RequestContext, ref: string, id: string): Promise<void> {
    const { db, schema } = this.deps;
    const collection = this.collection(ref);
    if (collection.type === 'view') throw badRequest('Unsupported collection type.');
    assertRuleAllows(ctx, collection, 'deleteRule');
    const record = await this.findWithRule(db, ctx, collection, id, collection.deleteRule);
    if (!record) throw notFound();
    // Change hook: what the cascade deletes or unlinks is gathered inside the transaction and
    // announced, after the record itself, only once it has committed.
    const cascaded: RecordChange[] = [];
    try {
      await db.transaction(async (tx) => {
        cascaded.length = 0;
        await deleteWithCascade(tx, schema, collection, id, 0, (this.deps.changes || this.deps.files) && ((c) => cascaded.push(c)));
        // Checked after the delete, inside the transaction: concurrent deletes cannot both pass.
        if (collection.name === SUPERUSERS && !(await tx.get(sql`SELECT 1 AS ok FROM ${ident(SUPERUSERS)} LIMIT 1`))) {
          throw badRequest("You can't delete the only existing superuser.");
        }
        // Realtime settles who may see the deletes while the rows they relate to still exist
        // outside this transaction (a rule through the parent a cascade deletes with them).
        await this.deps.changes?.beforeDelete?.([{ action: 'delete', collection, record }, ...cascaded.filter((c) => c.action === 'delete')]);
      });
    } catch (e) {
      if (e instanceof ApiError) throw e;
      // Only constraint failures mean a blocking reference; anything else (busy …) keeps its meaning.
      const translated = translateDbError(db.dialect, e);
      if (translated?.status === 400) throw deleteRefError();
      throw translated ?? e;
    }
    this.deps.changes?.recordChanged({ action: 'delete', collection, record });
    for (const change of cascaded) this.deps.changes?.recordChanged(change);
    // Files hook: the files of the record, and of those the cascade deleted, go after the commit.
    await this.deps.files?.removeRecords([{ collection, record }, ...cascaded.filter((c) => c.action === 'delete')]);
  }

  /** Stores the request's uploads (when there are any); resolves to their undo. */
  private async storeUploads(collection: Collection, data: RecordData, parsed: ParsedInput, isNew: boolean): Promise<(() => Promise<void>) | undefined> {
    if (parsed.uploads.size === 0) return undefined;
    if (!this.deps.files) throw badRequest('File uploads are not supported.');
    return this.deps.files.store(collection, data, parsed.uploads, isNew);
  }

  /**
   * Body values visible to rules as `@request.body.*`: submitted fields as normalized, with
   * modifier keys (`n+`, `-tags`…) replaced by the field's resolved value, as PocketBase does;
   * other keys stay raw. A password reads as the submitted plaintext (PocketBase's getter), so
   * rules such as `@request.body.password:isset = false` work; it only ever reaches SQL bound.
   */
  private ruleBody(input: RecordInput, parsed: ParsedInput, change: AppliedChange): Record<string, unknown> {
    const body: Record<string, unknown> = { ...input.body };
    for (const { key, field } of [...parsed.values, ...parsed.modifiers]) {
      if (field.type === 'autodate') continue;
      delete body[key];
      body[field.name] = field.type === 'password' ? (change.newPassword ?? '') : change.data[field.name];
    }
    return body;
  }

  private async validate(collection: Collection, change: AppliedChange, opts: Parameters<typeof validateRecord>[2], message = CREATE_FAILED) {
    const errors = validateRecord(collection, change, opts);
    if (!this.deps.db.dialect.caps.nulInText) refuseNulCharacters(collection, change, errors);
    if (Object.keys(change.errors).length === 0) await validateRelations(this.deps.db, this.deps.schema, collection, change, errors);
    if (Object.keys(errors).length) throw badRequest(message, errors);
  }

  /** Loads a record by id, restricted by `rule` for non-superusers (unless `bypass`). */
  private async findWithRule(
    db: Executor,
    ctx: RequestContext,
    collection: Collection,
    id: string,
    rule: string | null,
    bypass = false,
    body?: Record<string, unknown>,
    current?: RecordData,
  ): Promise<RecordData | undefined> {
    // The request scope is only built when a rule will actually be compiled (a hot path).
    const restricted = !bypass && !isSuperuser(ctx) && rule !== null && rule.trim() !== '';
    const query = restricted
      ? selectFrom(collection, and([sql`${ident(collection.name, 'id')} = ${id}`, ruleCondition(db, this.scope(ctx, collection, body, current), rule)]))
      : selectById(collection).bind(id);
    const row = await db.get(query, rowShape(collection));
    return row ? decodeRow(collection, row) : undefined;
  }

  /**
   * An auth record's id must not be taken in another auth collection either (PocketBase's loose
   * cross-check): a rule that compares `@request.auth.id` with a relation then cannot be met by an
   * account of another collection that happens to share the id. Its own collection's primary key
   * covers the rest.
   */
  private async assertAuthIdFree(collection: Collection, id: string): Promise<void> {
    for (const other of this.deps.schema.all()) {
      if (other.type !== 'auth' || other.id === collection.id) continue;
      if (await this.deps.db.get(selectById(other).bind(id), rowShape(other))) {
        throw badRequest(CREATE_FAILED, { id: fieldError('validation_invalid_auth_id', 'Invalid or duplicated auth record id.') });
      }
    }
  }

  /**
   * Runs one INSERT or UPDATE of a record on its own (concurrently with other such writes) and,
   * where the database can return the stored row with it, decodes that row: no second query to
   * read back what was just written. Undefined where it cannot (the caller reads the row back).
   */
  private async writeReturning(statement: Sql, collection: Collection): Promise<RecordData | undefined> {
    const { db } = this.deps;
    if (!db.dialect.caps.returning) {
      await db.run(statement, { concurrent: true });
      return undefined;
    }
    const rows = await db.write(sql`${statement} RETURNING *`, rowShape(collection), { concurrent: true });
    return rows[0] ? decodeRow(collection, rows[0]) : undefined;
  }

  /** Does `rule` hold for a record that is not stored yet? Checked on a one-row subquery. */
  private async dummyMatches(
    ctx: RequestContext,
    collection: Collection,
    values: Record<string, unknown>,
    body: Record<string, unknown>,
    rule: string | null,
    context?: string,
  ): Promise<boolean> {
    const { db } = this.deps;
    // An empty rule lets everyone in: no request scope to build, nothing to compile.
    if (rule !== null && rule.trim() === '') return true;
    const condition = ruleCondition(db, this.scope(ctx, collection, body, undefined, context), rule);
    if (!condition) return true;
    // Typed, so databases that type a bare parameter as text compare each column as its field.
    const types = new Map(collection.fields.map((f) => [f.name, fieldValueType(f)]));
    const columns: Sql[] = Object.entries(values).map(([k, v]) => sql`${value(v, types.get(k))} AS ${ident(k)}`);
    const row = await db.get(sql`SELECT 1 AS ok FROM (SELECT ${join(columns)}) AS ${ident(collection.name)} WHERE ${condition}`);
    return row !== undefined;
  }

  /**
   * How a client's filter guards its scan of the table (see `ScanGuard`): after the filter when
   * the filter only compares the record's own columns and the table is known to be small, so that
   * the scan's cost is bounded and the rows the filter turns away cost no guard (a guard on every
   * row made a filtered count of 10,000 records half as slow again); first otherwise.
   */
  private filterScanGuard(collection: Collection, filter: string): ScanGuard {
    const records = this.deps.statistics?.records(collection.id);
    if (records === undefined || records > SMALL_TABLE_RECORDS) return true;
    return comparesOwnColumnsOnly(parseFilter(filter)) ? 'afterFilter' : true;
  }

  /** Where reads for this request go: clients' reads run under the client statement budget. */
  private reader(ctx: RequestContext): Executor {
    return isSuperuser(ctx) ? this.deps.db : this.deps.db.forClients();
  }

  private async export(
    ctx: RequestContext,
    collection: Collection,
    records: RecordData[],
    expand: string | undefined,
    canManage = false,
  ): Promise<Array<Record<string, unknown>>> {
    const tree = parseExpand(expand);
    let expanded: Array<Record<string, unknown>> | undefined;
    if (tree) {
      try {
        const env = {
          db: this.reader(ctx),
          schema: this.deps.schema,
          viewer: ctx.principal,
          request: requestInfoOf(ctx, {}, 'expand'),
          budget: expandBudget(this.limits.maxExpandedRecords),
        };
        expanded = await expandRecords(env, collection, records, tree);
      } catch (e) {
        // An expansion cut off by the statement budget is a 400, like the query it belongs to.
        throw translateDbError(this.deps.db.dialect, e) ?? e;
      }
    }
    const managed =
      canManage || collection.type !== 'auth' ? undefined : await managedIds(this.deps.db, this.scope(ctx, collection), records);
    return records.map((r, i) =>
      exportRecord(collection, r, { viewer: ctx.principal, canManage: canManage || !!managed?.has(String(r.id)) }, expanded?.[i]),
    );
  }
}

/** The input with a password nobody knows (RecordInput.randomPassword). */
function withRandomPassword(input: RecordInput): RecordInput {
  const password = randomPassword();
  return { ...input, body: { ...input.body, password, passwordConfirm: password } };
}
