import type { Executor } from '../../db/dialect.ts';
import { ident, sql, type Sql } from '../../db/sql.ts';
import { forbidden } from '../../kernel/errors.ts';
import { compileFilter, type DataStatistics, type RequestInfo } from '../../filter/index.ts';
import type { Collection, RuleName, SchemaLookup } from '../../db/schema.ts';
import { isSuperuser, type RequestContext } from '../context.ts';
import type { RecordData } from './codec.ts';

/** PocketBase exposes header names lower-cased with `-` turned into `_`. */
function requestHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase().replace(/-/g, '_')] = v;
  return out;
}

export function requestInfoOf(
  ctx: RequestContext,
  body: Record<string, unknown> = {},
  context = 'default',
  current?: RecordData,
): RequestInfo {
  const p = ctx.principal;
  let headers: Record<string, string> | undefined;
  return {
    auth: p.kind === 'guest' ? null : { collection: p.collection, record: p.record },
    method: ctx.method.toUpperCase(),
    query: { ...ctx.query },
    // Built on first use: most rules never read headers, and this runs on every request.
    get headers() {
      return (headers ??= requestHeaders(ctx.headers));
    },
    body,
    context,
    current,
  };
}

/** `null` rules are for superusers only. */
export function assertRuleAllows(ctx: RequestContext, collection: Collection, rule: RuleName): void {
  if (collection[rule] === null && !isSuperuser(ctx)) throw forbidden('Only superusers can perform this action.');
}

export interface FilterScope {
  schema: SchemaLookup;
  collection: Collection;
  /** Alias of the collection's table in the outer query. */
  tableAlias: string;
  request: RequestInfo;
  superuser: boolean;
  /** For the client cost estimate (absent: its defaults). */
  statistics?: DataStatistics;
}

/** The rule as a WHERE fragment, or undefined when it does not restrict (superuser or empty rule). */
export function ruleCondition(db: Executor, scope: FilterScope, rule: string | null): Sql | undefined {
  if (scope.superuser || rule === null || rule.trim() === '') return undefined;
  return compileFilter(rule, {
    dialect: db.dialect,
    schema: scope.schema,
    collection: scope.collection,
    tableAlias: scope.tableAlias,
    request: scope.request,
    allowHiddenFields: true,
  });
}

/**
 * Ids among `records` (of the scope's collection) that the requester may manage through an auth
 * collection's manageRule: PocketBase shows their email whatever emailVisibility says.
 */
export async function managedIds(db: Executor, scope: FilterScope, records: readonly RecordData[]): Promise<Set<string>> {
  const { collection } = scope;
  const rule = collection.type === 'auth' ? collection.options.manageRule : undefined;
  const condition = typeof rule === 'string' && records.length > 0 ? ruleCondition(db, scope, rule) : undefined;
  if (!condition) return new Set();
  const idColumn = ident(scope.tableAlias, 'id');
  const ids = records.map((r) => String(r.id));
  const rows = await db.all<{ id: string }>(
    sql`SELECT ${idColumn} AS id FROM ${ident(collection.name)} WHERE ${db.dialect.inValues(sql`${idColumn}`, ids)} AND (${condition})`,
  );
  return new Set(rows.map((r) => r.id));
}

/** Clients other than superusers may not probe other collections or request data via filter/sort. */
export function assertClientQueryAllowed(ctx: RequestContext, filter: string, sort: string): void {
  if (isSuperuser(ctx)) return;
  for (const special of ['@collection.', '@request.']) {
    if (filter.includes(special) || sort.includes(special)) {
      throw forbidden(`Only superusers can filter by ${special.slice(0, -1)}.`);
    }
  }
}

export const and = (parts: Array<Sql | undefined>): Sql | undefined => {
  const present = parts.filter((p): p is Sql => p !== undefined);
  if (present.length === 0) return undefined;
  return present.slice(1).reduce((acc, p) => sql`${acc} AND (${p})`, sql`(${present[0]})`);
};
