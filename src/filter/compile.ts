import { empty, join, sql, type Sql, SqlValue } from '../db/sql.ts';
import type { Collection } from '../db/schema.ts';
import { type Expr, compare, countComparisons, ident, nestingDepth, or, str } from './ast.ts';
import { compareOperands } from './compare.ts';
import { type Compiled, CompileContext, type FilterEnv, type Scope, emptyRequestInfo, sumCheckRows, unionJoins } from './context.ts';
import { FilterError, fail } from './errors.ts';
import { FILTER_LIMITS } from './limits.ts';
import { resolveOperand } from './operands.ts';
import { parseFilter } from './parser.ts';

/** One filter or rule of a WHERE clause, with what it may read. */
export interface FilterPart {
  filter: string | Expr;
  /** Rules and superusers: true. Other users' client filters: false (hidden fields unknown, list rules of related collections enforced). */
  allowHiddenFields: boolean;
  params?: Record<string, unknown>;
}

export type WhereEnv = Omit<FilterEnv, 'allowHiddenFields' | 'params'>;

/** A filter or rule as a WHERE fragment. */
export function compileFilter(filter: string | Expr, env: FilterEnv): Sql {
  return compileWhere([{ filter, allowHiddenFields: env.allowHiddenFields, params: env.params }], env);
}

/**
 * Several filters ANDed into one WHERE fragment. The parts share their relation joins, so, as in
 * PocketBase when a rule and a client filter are applied to one query, `tags.name ?= 'a'` in the
 * rule and `tags.color ?= 'red'` in the filter must hold for the same tag. Empty parts are
 * skipped; the result is `empty` when nothing filters.
 */
export function compileWhere(parts: readonly FilterPart[], env: WhereEnv): Sql {
  return compileWhereWithCost(parts, env).sql;
}

/**
 * `compileWhere`, with the estimated cost charged to its client parts (0 without any; see
 * `FILTER_LIMITS.maxClientFilterCost`). Not part of the package's API: for tests and measurements.
 */
export function compileWhereWithCost(parts: readonly FilterPart[], env: WhereEnv): { sql: Sql; clientCost: number } {
  const ctx = new CompileContext({ ...env, allowHiddenFields: false });
  const root = { kind: 'table', alias: env.tableAlias ?? env.collection.name, join: null } as const;
  const conjuncts: Compiled[] = [];
  const client = new Set<Compiled>();
  for (const part of parts) {
    const tree = toTree(part.filter);
    if (!tree) continue;
    const scope: Scope = {
      ctx, collection: env.collection, root, allowHiddenFields: part.allowHiddenFields,
      params: part.params ?? {}, keyPrefix: '', current: env.request.current,
    };
    for (const item of tree.kind === 'and' ? tree.items : [tree]) {
      const c = compileExpr(scope, item);
      conjuncts.push(c);
      if (!part.allowHiddenFields) client.add(c);
    }
  }
  // Only client filters queue list-rule constraints: their cost is the client's.
  for (const c of compileConstraints(ctx)) {
    conjuncts.push(c);
    client.add(c);
  }
  const clientCost = client.size > 0 ? checkClientCost(ctx, conjuncts, client) : 0;
  const where = assemble(ctx, conjuncts);
  if (!env.dialect.caps.nulInText) refuseNulValues(where);
  return { sql: where, clientCost };
}

/**
 * A database whose text cannot hold U+0000 (PostgreSQL) refuses such a parameter outright; no
 * stored text can contain one there, so the filter is refused as invalid rather than failing.
 */
function refuseNulValues(where: Sql): void {
  for (const p of where.parts) {
    if (p instanceof SqlValue && typeof p.value === 'string' && holdsNul(p.value, p.type === 'json')) {
      fail('text values cannot contain NUL (U+0000) characters on this database');
    }
  }
}

/** Whether the text, or (bound as JSON) any string of the JSON it holds, contains U+0000. */
function holdsNul(text: string, json: boolean): boolean {
  if (text.includes('\u0000')) return true;
  if (!json || !text.includes('\\u0000')) return false;
  // The escape may spell a NUL or a backslash followed by "u0000": only parsing tells.
  const walk = (v: unknown): boolean =>
    typeof v === 'string'
      ? v.includes('\u0000')
      : Array.isArray(v)
        ? v.some(walk)
        : v !== null && typeof v === 'object' && Object.entries(v).some(([k, x]) => k.includes('\u0000') || walk(x));
  try {
    return walk(JSON.parse(text));
  } catch {
    return false;
  }
}

/**
 * The cost budget of client filters (`FILTER_LIMITS.maxClientFilterCost`), in estimated related
 * rows read per filtered record. Each EXISTS group reads the product of its joins' fanouts, and
 * for each of those rows may run every all-of check of its members: a group costs
 * rows x (1 + rows of its checks). Charged to the client: what its conjuncts (and the list-rule
 * constraints they bring in) add to the cost of the trusted parts alone.
 */
function checkClientCost(ctx: CompileContext, conjuncts: readonly Compiled[], client: ReadonlySet<Compiled>): number {
  const cost = estimatedCost(ctx, conjuncts) - estimatedCost(ctx, conjuncts.filter((c) => !client.has(c)));
  const max = FILTER_LIMITS.maxClientFilterCost;
  if (cost > max) {
    const shown = cost > 1e9 ? 'over 1000000000' : String(Math.ceil(cost));
    fail(`too costly: its relation paths would read an estimated ${shown} related rows per record (max ${max})`);
  }
  return cost;
}

function estimatedCost(ctx: CompileContext, conjuncts: readonly Compiled[]): number {
  let cost = 0;
  for (const group of joinGroups(ctx, conjuncts)) {
    cost += ctx.estimatedRows(group.flatMap((c) => [...c.joins])) * (1 + (sumCheckRows(group) ?? 0));
  }
  for (const c of conjuncts) if (c.joins.size === 0) cost += c.checkRows ?? 0;
  return cost;
}

/** Parses the rule with an empty request and hidden fields allowed (as PocketBase validates rules on save). */
export function validateRule(rule: string, env: Omit<WhereEnv, 'request'>): void {
  try {
    compileWhere([{ filter: rule, allowHiddenFields: true }], { ...env, request: emptyRequestInfo() });
  } catch (e) {
    if (e instanceof FilterError) throw new FilterError(e.reason, 'Invalid rule');
    throw e;
  }
}

function toTree(filter: string | Expr): Expr | null {
  if (typeof filter === 'string') return filter.trim() === '' ? null : parseFilter(filter);
  // Trees built by callers get the same caps as parsed ones.
  if (countComparisons(filter) > FILTER_LIMITS.maxExpressions) fail(`too many expressions (max ${FILTER_LIMITS.maxExpressions})`);
  if (nestingDepth(filter) > FILTER_LIMITS.maxDepth * 2) fail('too deeply nested');
  return filter;
}

export function compileExpr(scope: Scope, e: Expr): Compiled {
  if (e.kind === 'compare') {
    const left = resolveOperand(scope, e.left);
    const right = resolveOperand(scope, e.right);
    return compareOperands(scope.ctx, left, e.op, right, !scope.allowHiddenFields);
  }
  const parts = e.items.map((item) => compileExpr(scope, item));
  const checkRows = sumCheckRows(parts);
  return {
    sql: sql`(${join(parts.map((p) => p.sql), e.kind === 'and' ? ' AND ' : ' OR ')})`,
    joins: unionJoins(...parts.map((p) => p.joins)),
    ...(checkRows !== undefined && { checkRows }),
  };
}

/**
 * Rows of a collection joined by a client filter must pass that collection's listRule, or a
 * related record's fields could be probed without list access. As in PocketBase the check is
 * `id = '' || (listRule)` on the joined row, compiled with the joined collection as root.
 */
export function compileConstraints(ctx: CompileContext): Compiled[] {
  const out: Compiled[] = [];
  for (const [alias, c] of [...ctx.constraints]) out.push(compileConstraint(ctx, alias, c));
  return out;
}

/**
 * The same check for a private alias of a multi-match chain (the all-of check of a client filter),
 * so that check only sees the rows the shared joins see. The rule's own joins are assembled in a
 * forked context into a correlated EXISTS, as they cannot join the outer query.
 */
export function privateConstraint(ctx: CompileContext, alias: string, c: Collection): Sql {
  const sub = ctx.fork();
  return assemble(sub, [compileConstraint(sub, alias, c, null)]);
}

/** `join` null: `alias` is a private one (a copy of the rule, charged to the copies budget). */
function compileConstraint(ctx: CompileContext, alias: string, c: Collection, join: string | null = alias): Compiled {
  const scope: Scope = {
    ctx, collection: c, root: { kind: 'table', alias, join }, allowHiddenFields: true, params: {}, keyPrefix: `${alias}#`,
  };
  const rule = asRuleError(c, () => parseFilter(c.listRule ?? ''));
  if (join === null) ctx.countRuleCopy(countComparisons(rule));
  return asRuleError(c, () => compileExpr(scope, or(compare(ident('id'), '=', str('')), rule)));
}

function asRuleError<T>(c: Collection, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FilterError) fail(`the listRule of collection ${JSON.stringify(c.name)} is invalid: ${e.reason}`);
    throw e;
  }
}

/**
 * Top-level conjuncts that read no joined table stay plain, so indexes on the filtered table
 * keep working. The others are grouped by the join chains they share and each group becomes one
 * `EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN … WHERE …)` correlated to the outer row: the joins
 * never multiply outer rows, so the outer query needs no DISTINCT. Splitting by chain is sound
 * because LEFT JOINs from a one-row anchor always yield at least one row.
 */
export function assemble(ctx: CompileContext, conjuncts: readonly Compiled[]): Sql {
  const groups = new Map<Compiled, readonly Compiled[]>();
  for (const g of joinGroups(ctx, conjuncts)) groups.set(g[0], g);
  const out: Sql[] = [];
  for (const c of conjuncts) {
    if (c.joins.size === 0) {
      out.push(c.sql);
      continue;
    }
    const members = groups.get(c);
    if (!members) continue;
    const joins = ctx.closure(members.flatMap((m) => [...m.joins])).map((j) => j.clause);
    out.push(sql`EXISTS (SELECT 1 FROM ${ctx.fromAnchor(joins)} WHERE ${join(members.map((m) => m.sql), ' AND ')})`);
  }
  if (out.length === 0) return empty;
  return out.length === 1 ? out[0] : sql`(${join(out, ' AND ')})`;
}

/**
 * The conjuncts that read joined tables, grouped by the join chains they share (union-find over
 * chains, a chain being named by its first join), each group in conjunct order, groups in the
 * order of their first member.
 */
function joinGroups(ctx: CompileContext, conjuncts: readonly Compiled[]): Compiled[][] {
  const parent = new Map<string, string>();
  const find = (a: string): string => {
    let r = a;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r) as string;
    return r;
  };
  for (const c of conjuncts) {
    const roots = [...c.joins].map((a) => ctx.chainRoot(a));
    for (const r of roots) if (!parent.has(r)) parent.set(r, r);
    for (const r of roots.slice(1)) {
      const a = find(roots[0]);
      const b = find(r);
      if (a !== b) parent.set(b, a);
    }
  }
  const groups = new Map<string, Compiled[]>();
  for (const c of conjuncts) {
    if (c.joins.size === 0) continue;
    const g = find(ctx.chainRoot(c.joins.values().next().value as string));
    const members = groups.get(g);
    if (members) members.push(c);
    else groups.set(g, [c]);
  }
  return [...groups.values()];
}
