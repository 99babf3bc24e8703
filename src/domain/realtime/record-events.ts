/**
 * What one stored record change becomes for the subscribers of this node: PocketBase's
 * realtimeBroadcastRecord, evaluated per group of subscribers rather than per subscriber.
 *
 * Subscribers whose event would be the same (same rule, same auth, same options: filter, expand,
 * fields, headers) form a group, and a group costs one access check, whatever its size; an
 * event's checks share statements, up to CHECKS_PER_QUERY each. The rule
 * (listRule for `coll/*`, viewRule for `coll/ID`) and the subscription's own filter are checked,
 * as that subscriber, against the record as it was written: a one-row derived table of its
 * values, as the create rule is checked. So the check sees the change itself, not whatever the
 * row became since, it works for a record that has been deleted, and it can run on any node
 * that receives the change. Then expand, email visibility and `fields` as in the records API.
 */
import type { Database, Executor } from '../../db/dialect.ts';
import { fieldValueType, type Collection, type SchemaLookup } from '../../db/schema.ts';
import { ident, join, sql, type Sql, value } from '../../db/sql.ts';
import { ApiError } from '../../kernel/errors.ts';
import type { Logger } from '../../kernel/logger.ts';
import type { DataStatistics } from '../../filter/index.ts';
import { and, assertClientQueryAllowed, requestInfoOf, ruleCondition, type FilterScope } from '../records/access.ts';
import { encodeRecord, type RecordData } from '../records/codec.ts';
import { expandBudget, expandRecords, parseExpand } from '../records/expand.ts';
import { exportRecord } from '../records/export.ts';
import type { ResponseLimits } from '../records/limits.ts';
import { parseFieldsParam, pickFields } from '../records/picker.ts';
import { compileClientFilter } from '../records/query.ts';
import { isSuperuser, type Principal, type RequestContext } from '../context.ts';
import type { Subscription } from './clients.ts';
import type { SubscriptionOptions } from './topics.ts';

export type RecordAction = 'create' | 'update' | 'delete';

/** Which rule a subscription is checked by: `coll/*` (and the older bare `coll`) list, `coll/ID` view. */
export type RuleKind = 'list' | 'view';

/** Subscribers that receive the same event: one evaluation serves them all. */
export interface SubscriberGroup {
  readonly kind: RuleKind;
  readonly auth: Principal;
  readonly options: SubscriptionOptions;
  readonly members: Subscription[];
}

export interface RecordEventDeps {
  db: Database;
  schema: SchemaLookup;
  statistics?: DataStatistics;
  /** The records API's bounds: the expanded records one event may carry. */
  limits: ResponseLimits;
  logger: Logger;
}

/** The key subscribers are grouped by: rule, auth identity and options. */
export function groupKey(kind: RuleKind, auth: Principal, optionsKey: string): string {
  const who = auth.kind === 'guest' ? '' : `${auth.kind}:${auth.collection.id}:${String(auth.record.id)}`;
  return `${kind}\u0000${who}\u0000${optionsKey}`;
}

/** A subscriber seen as a request: what its rules read as `@request.*`. */
function subscriberContext(auth: Principal, options: SubscriptionOptions, logger: Logger): RequestContext {
  return { requestId: 'realtime', principal: auth, method: 'GET', headers: options.headers, query: options.query, logger, realIp: '' };
}

/**
 * Access checks of one event put in one statement, at most this many per statement: each is a
 * `CASE` over the same one-row table, so a thousand groups cost twenty round trips, not a thousand.
 */
const CHECKS_PER_QUERY = 50;

export class RecordEventRenderer {
  constructor(private readonly deps: RecordEventDeps) {}

  /**
   * The event's data for each group (`{"record":…,"action":…}`, PocketBase's key order), or
   * undefined where its subscribers may not see the record. Never throws: a failure is logged and
   * that group gets nothing, as PocketBase's failed access check does.
   */
  async renderAll(action: RecordAction, collection: Collection, record: RecordData, groups: readonly SubscriberGroup[]): Promise<Array<string | undefined>> {
    const contexts = groups.map((g) => subscriberContext(g.auth, g.options, this.deps.logger));
    const allowed = await this.access(collection, record, groups, contexts);
    return Promise.all(contexts.map((ctx, i) => (allowed[i] ? this.render(action, collection, record, ctx) : undefined)));
  }

  private async render(action: RecordAction, collection: Collection, record: RecordData, ctx: RequestContext): Promise<string | undefined> {
    const { logger } = this.deps;
    try {
      const expanded = await this.expand(ctx, collection, record);
      const canManage = await this.canManage(ctx, collection, record);
      let out: unknown = exportRecord(collection, record, { viewer: ctx.principal, canManage }, expanded);
      const fields = ctx.query.fields;
      if (fields) {
        try {
          out = pickFields(out, parseFieldsParam(fields));
        } catch (e) {
          // PocketBase sends the whole record when `fields` cannot be read.
          logger.debug({ err: e, collection: collection.name }, 'realtime: invalid fields option');
        }
      }
      return JSON.stringify({ record: out, action });
    } catch (e) {
      logger.debug({ err: e, collection: collection.name }, 'realtime: record event not rendered');
      return undefined;
    }
  }

  /**
   * Which groups may see the record: each group's rule (listRule or viewRule) and filter, checked
   * as its subscribers; those that need the database are checked together (CHECKS_PER_QUERY a
   * statement, superusers' apart, since other subscribers read under the client budget).
   */
  private async access(
    collection: Collection,
    record: RecordData,
    groups: readonly SubscriberGroup[],
    contexts: readonly RequestContext[],
  ): Promise<boolean[]> {
    const allowed = groups.map(() => false);
    const pending: Array<{ index: number; condition: Sql; superuser: boolean }> = [];
    groups.forEach((group, index) => {
      const ctx = contexts[index];
      const rule = group.kind === 'list' ? collection.listRule : collection.viewRule;
      try {
        const condition = this.condition(ctx, collection, rule, ctx.query.filter ?? '');
        if (typeof condition === 'boolean') allowed[index] = condition;
        else pending.push({ index, condition, superuser: isSuperuser(ctx) });
      } catch (e) {
        this.deps.logger.debug({ err: e, collection: collection.name }, 'realtime: access check failed');
      }
    });
    const chunks: Array<typeof pending> = [];
    for (const superuser of [false, true]) {
      const same = pending.filter((p) => p.superuser === superuser);
      for (let i = 0; i < same.length; i += CHECKS_PER_QUERY) chunks.push(same.slice(i, i + CHECKS_PER_QUERY));
    }
    // Each statement started in a turn of its own: where a read runs on the event loop (SQLite),
    // an event with many groups never holds it for all of their checks at once; a server
    // database still runs them side by side.
    const running: Array<Promise<void>> = [];
    for (const [n, chunk] of chunks.entries()) {
      if (n > 0) await new Promise((resolve) => setImmediate(resolve));
      const reader = chunk[0].superuser ? this.deps.db : this.deps.db.forClients();
      running.push(this.holdsForAll(reader, collection, record, chunk.map((p) => p.condition)).then((results) => {
        chunk.forEach((p, i) => (allowed[p.index] = results[i]));
      }));
    }
    await Promise.all(running);
    return allowed;
  }

  /**
   * PocketBase's realtimeCanAccessRecord as a condition: true or false when it is known without
   * the database, else the SQL that decides. Superusers pass the rule, a null rule lets no one
   * else through, and the subscription's filter must hold too (a filter naming `@collection` or
   * `@request`, or one that does not compile, lets nothing through for a non-superuser).
   */
  private condition(ctx: RequestContext, collection: Collection, rule: string | null, filter: string): Sql | boolean {
    const superuser = isSuperuser(ctx);
    if (rule === null && !superuser) return false;
    const reader = this.reader(ctx);
    const scope = this.scope(ctx, collection);
    try {
      if (filter) assertClientQueryAllowed(ctx, filter, '');
      // Compiled apart, so they share no relation joins: PocketBase checks them in two queries.
      return and([ruleCondition(reader, scope, rule), compileClientFilter(reader, scope, filter)]) ?? true;
    } catch (e) {
      if (e instanceof ApiError) return false;
      throw e;
    }
  }

  /**
   * Which of `conditions` hold for the record as written: one query on a one-row table made of its
   * values. Where that statement fails (one subscriber's filter past the statement budget …),
   * each condition is checked alone, and those that fail alone are false.
   */
  private async holdsForAll(reader: Executor, collection: Collection, record: RecordData, conditions: readonly Sql[]): Promise<boolean[]> {
    const values = encodeRecord(collection, record);
    // Typed, so databases that type a bare parameter as text compare each column as its field.
    const columns = collection.fields.map((f) => sql`${value(values[f.name], fieldValueType(f))} AS ${ident(f.name)}`);
    const snapshot = sql`(SELECT ${join(columns)}) AS ${ident(collection.name)}`;
    const check = async (list: readonly Sql[]): Promise<boolean[]> => {
      const cases = list.map((c, i) => sql`CASE WHEN (${c}) THEN 1 ELSE 0 END AS ${ident(`c${i}`)}`);
      const row = await reader.get(sql`SELECT ${join(cases)} FROM ${snapshot}`);
      return list.map((_, i) => Number(row?.[`c${i}`]) === 1);
    };
    try {
      return await check(conditions);
    } catch (e) {
      if (conditions.length === 1) {
        this.deps.logger.debug({ err: e, collection: collection.name }, 'realtime: access check failed');
        return [false];
      }
      return Promise.all(conditions.map(async (c) => (await this.holdsForAll(reader, collection, record, [c]))[0]));
    }
  }

  /**
   * An auth record's email shows to whoever may manage it (manageRule), as in PocketBase; the
   * viewer's own record and superusers see it anyway (exportRecord).
   */
  private async canManage(ctx: RequestContext, collection: Collection, record: RecordData): Promise<boolean> {
    if (collection.type !== 'auth' || record.emailVisibility === true || ctx.principal.kind !== 'record') return false;
    if (ctx.principal.collection.id === collection.id && ctx.principal.record.id === record.id) return false;
    const rule = collection.options.manageRule;
    if (typeof rule !== 'string') return false;
    const condition = this.condition(ctx, collection, rule, '');
    return typeof condition === 'boolean' ? condition : (await this.holdsForAll(this.reader(ctx), collection, record, [condition]))[0];
  }

  /** `expand`, as the records API expands (each related record behind its viewRule). */
  private async expand(ctx: RequestContext, collection: Collection, record: RecordData): Promise<Record<string, unknown> | undefined> {
    const tree = parseExpand(ctx.query.expand);
    if (!tree) return undefined;
    const env = {
      db: this.reader(ctx),
      schema: this.deps.schema,
      viewer: ctx.principal,
      request: requestInfoOf(ctx, {}, 'expand'),
      budget: expandBudget(this.deps.limits.maxExpandedRecords),
    };
    try {
      return (await expandRecords(env, collection, [record], tree))?.[0];
    } catch (e) {
      // As in PocketBase, an expansion that fails leaves the record without it.
      this.deps.logger.debug({ err: e, collection: collection.name }, 'realtime: expand failed');
      return undefined;
    }
  }

  private scope(ctx: RequestContext, collection: Collection): FilterScope {
    return {
      schema: this.deps.schema,
      collection,
      tableAlias: collection.name,
      request: requestInfoOf(ctx, {}, 'realtime'),
      superuser: isSuperuser(ctx),
      statistics: this.deps.statistics,
    };
  }

  /** Subscribers other than superusers read under the client statement budget, as their requests do. */
  private reader(ctx: RequestContext): Executor {
    return isSuperuser(ctx) ? this.deps.db : this.deps.db.forClients();
  }
}
