import { eachGuard, ident, join, loopGuard, sql, type Sql, value } from '../db/sql.ts';
import { type Collection, type FieldDef, fieldByName, fieldValueType, isMultiValue } from '../db/schema.ts';
import { compareOperands } from './compare.ts';
import { privateConstraint } from './compile.ts';
import {
  ALWAYS, type CompileContext, NULL_OPERAND, type Operand, type RowRef, type Scope, boolOperand, leftJoin, operand,
} from './context.ts';
import { fail, quote } from './errors.ts';
import { hasUniqueIndexOn } from '../db/indexes-parse.ts';
import { FILTER_LIMITS } from './limits.ts';
import { requestPath } from './request.ts';
import { columnValue } from './values.ts';

/**
 * Field paths, resolved the way PocketBase's RecordFieldResolver does: relation hops (single,
 * multi, back-relations `coll_via_field`), `@collection` joins, JSON paths, modifiers. Hops are
 * shared LEFT JOINs registered on the context (so several expressions on `tags.*` read the same
 * joined tag, as in PocketBase); for multi-valued paths the same hops are also built privately
 * for the all-of check.
 */

export type Modifier = '' | 'each' | 'isset' | 'length' | 'lower' | 'changed';
const MODIFIERS = new Set<string>(['each', 'isset', 'length', 'lower', 'changed']);

export function splitModifier(prop: string): [string, Modifier] {
  const parts = prop.split(':');
  if (parts.length !== 2) return [prop, ''];
  if (!MODIFIERS.has(parts[1])) fail(`unknown modifier in ${quote(prop)}`);
  return [parts[0], parts[1] as Modifier];
}

const ALLOWED = [
  /^\w+[\w.:]*$/,
  /^@request\.(context|method)$/,
  /^@request\.(auth|body|query|headers)\.[\w.:]*\w$/,
  /^@collection\.\w+(:\w+)?\.[\w.:]*\w$/,
];

/**
 * One step of a private multi-match chain: given where the columns are, the joins to add, and the
 * condition a joined row must meet to be visible (the constraint its shared join gets).
 */
type MultiHop = (ctx: CompileContext, from: RowRef) => { joins: Sql[]; ref: RowRef; where?: Sql; fanout: number };

/** Estimated rows per record of a step that can yield several, where the data says nothing (see `FILTER_LIMITS.maxClientFilterCost`). */
const MANY = FILTER_LIMITS.clientFanoutEstimate;

/**
 * Estimated rows per record of a walk through the items of a multi-valued field: the data's
 * average where statistics know it, never more than the field's `maxSelect` (which no stored
 * record can exceed once validated), and at least 1.
 */
function itemsFanout(ctx: CompileContext, c: Collection, field: FieldDef): number {
  const known = ctx.env.statistics?.itemsPerRecord(c.id, field.name);
  const max = Number(field.maxSelect) > 1 ? Number(field.maxSelect) : Infinity;
  return Math.max(1, Math.min(max, known ?? MANY));
}

/**
 * Estimated records of `back` pointing at one record of `target` through `field`: on average,
 * the links `back` holds (its records times their items) spread over `target`'s records.
 */
function backFanout(ctx: CompileContext, back: Collection, field: FieldDef, target: Collection): number {
  const stats = ctx.env.statistics;
  const backRows = stats?.records(back.id);
  const targetRows = stats?.records(target.id);
  if (backRows === undefined || targetRows === undefined) return MANY;
  const links = backRows * (isMultiValue(field) ? itemsFanout(ctx, back, field) : 1);
  return Math.max(1, links / Math.max(1, targetRows));
}

/** Walk state: where the current record's columns are in the shared scope and in the private chain. */
export interface Walk {
  readonly collection: Collection;
  readonly main: RowRef;
  readonly mainKey: string;
  readonly mmStart: RowRef;
  readonly mmHops: readonly MultiHop[];
  /** A hop may yield several rows, so non-`?` operators need the all-of check. */
  readonly multi: boolean;
  /** Missing fields resolve to NULL instead of failing (all `@request.*` paths, as PocketBase). */
  readonly nullify: boolean;
}

export function resolveField(scope: Scope, name: string): Operand {
  if (!ALLOWED.some((re) => re.test(name))) fail(`unknown field ${quote(name)}`);
  const props = name.split('.');
  if (props[0] === '@collection') return collectionPath(scope, props, name);
  if (props[0] === '@request') return requestPath(scope, props);
  return walk(scope, rootWalk(scope), props);
}

export const rootWalk = (scope: Scope): Walk => ({
  collection: scope.collection, main: scope.root, mainKey: scope.keyPrefix, mmStart: scope.root, mmHops: [], multi: false, nullify: false,
});

const ID_FIELD: FieldDef = { id: '', name: 'id', type: 'text', system: true, hidden: false, presentable: false };
const idField = (c: Collection) => fieldByName(c, 'id') ?? ID_FIELD;

/** The column of `field` for the record at `ref`: a column reference, or its bound stored value. */
export function col(ref: RowRef, field: FieldDef): Sql {
  return ref.kind === 'table' ? sql`${ident(ref.alias, field.name)}` : sql`${value(columnValue(field, ref.values[field.name]), fieldValueType(field))}`;
}

const refJoin = (ref: RowRef): string | null => (ref.kind === 'table' ? ref.join : null);
const refJoins = (ref: RowRef): ReadonlySet<string> => {
  const j = refJoin(ref);
  return j ? new Set([j]) : new Set();
};
const table = (alias: string, join: string | null): RowRef => ({ kind: 'table', alias, join });
const unknownField = (name: string): never => fail(`unknown field ${quote(name)}`);

/**
 * A shared join to a collection's table. Client filters (no hidden-field access) may only read
 * collections that have a listRule, and then only rows that pass it: the rule is queued as a
 * constraint on the alias (PocketBase's list-rule joins).
 */
export function sharedCollectionJoin(
  scope: Scope, key: string, parent: string | null, c: Collection, on: (alias: string) => Sql, fanout = 1, many = fanout > 1,
): string {
  if (!scope.allowHiddenFields && c.listRule === null) {
    fail(`the fields of collection ${quote(c.name)} can only be filtered by superusers`);
  }
  const alias = scope.ctx.sharedJoin(key, parent, c, (a) => leftJoin(sql`${ident(c.name)} AS ${ident(a)}`, on(a), many ? loopGuard(a) : undefined), fanout);
  if (listRuleApplies(scope, c)) scope.ctx.constraints.set(alias, c);
  return alias;
}

const listRuleApplies = (scope: Scope, c: Collection): boolean =>
  !scope.allowHiddenFields && c.listRule !== null && c.listRule.trim() !== '';

/**
 * The private counterpart of `sharedCollectionJoin`'s constraint: the condition under which the
 * row of `c` at private alias `a` is visible to the filter (undefined: always).
 */
export function privateVisibility(scope: Scope, ctx: CompileContext, c: Collection, a: string): Sql | undefined {
  return listRuleApplies(scope, c) ? privateConstraint(ctx, a, c) : undefined;
}

export function walk(scope: Scope, start: Walk, props: readonly string[]): Operand {
  let w = start;
  for (let i = 0; i < props.length - 1; i++) {
    const prop = props[i];
    const field = fieldByName(w.collection, prop);
    if (field?.hidden && !scope.allowHiddenFields) unknownField(prop);
    if (field && (field.type === 'json' || field.type === 'geoPoint')) return jsonPath(scope, w, field, props.slice(i + 1));
    if (i >= FILTER_LIMITS.maxNestedRelations) fail(`too many nested relations in ${quote(props.join('.'))} (max ${FILTER_LIMITS.maxNestedRelations})`);
    if (!field) {
      const next = backRelationHop(scope, w, prop);
      if (!next) return NULL_OPERAND;
      w = next;
      continue;
    }
    if (field.type !== 'relation') fail(`field ${quote(prop)} is not a relation`);
    const target = scope.ctx.collection(String(field.collectionId)) ?? fail(`relation field ${quote(prop)} points to a missing collection`);
    // `author.id` reads the relation column itself: no join needed.
    if (!isMultiValue(field) && i === props.length - 2 && props[i + 1] === 'id') return finalize(scope, w, field.name);
    w = relationHop(scope, w, field, target);
  }
  return finalize(scope, w, props[props.length - 1]);
}

function relationHop(scope: Scope, w: Walk, field: FieldDef, target: Collection): Walk {
  const { ctx } = scope;
  const d = ctx.dialect;
  const key = `${w.mainKey}.${field.name}`;
  const multiple = isMultiValue(field);
  const ids = col(w.main, field);
  let alias: string;
  if (multiple) {
    const je = ctx.sharedJoin(`${key}:each`, refJoin(w.main), null, (a) => leftJoin(d.jsonEach(ids, a, true), ALWAYS, eachGuard(a)), itemsFanout(ctx, w.collection, field));
    alias = sharedCollectionJoin(scope, key, je, target, (a) => sql`${ident(a, 'id')} = ${ident(je, 'value')}`);
  } else {
    alias = sharedCollectionJoin(scope, key, refJoin(w.main), target, (a) => sql`${ident(a, 'id')} = ${ids}`);
  }
  const hop: MultiHop = (c, from) => {
    const fromIds = col(from, field);
    if (!multiple) {
      const a = c.alias('m');
      return {
        joins: [sql`LEFT JOIN ${ident(target.name)} AS ${ident(a)} ON ${ident(a, 'id')} = ${fromIds}`],
        ref: table(a, null),
        where: privateVisibility(scope, c, target, a),
        fanout: 1,
      };
    }
    const je = c.alias('m');
    const a = c.alias('m');
    return {
      joins: [
        leftJoin(d.jsonEach(fromIds, je, true), ALWAYS, eachGuard(je)),
        sql`LEFT JOIN ${ident(target.name)} AS ${ident(a)} ON ${ident(a, 'id')} = ${ident(je, 'value')}`,
      ],
      ref: table(a, null),
      where: privateVisibility(scope, c, target, a),
      fanout: itemsFanout(c, w.collection, field),
    };
  };
  return { ...w, collection: target, main: table(alias, alias), mainKey: key, mmHops: [...w.mmHops, hop], multi: w.multi || multiple };
}

/** `comments_via_post`: the records of `comments` whose relation `post` points at the current one. */
function backRelationHop(scope: Scope, w: Walk, prop: string): Walk | null {
  const { ctx } = scope;
  const miss = (reason: string): null => (w.nullify ? null : fail(reason));
  const m = /^(\w+)_via_(\w+)$/.exec(prop);
  if (!m) return miss(`unknown field ${quote(prop)}`);
  const back = ctx.collection(m[1]);
  if (!back) return miss(`unknown collection ${quote(m[1])} in ${quote(prop)}`);
  const backField = fieldByName(back, m[2]);
  if (!backField) return miss(`unknown field ${quote(m[2])} in ${quote(prop)}`);
  if (backField.type !== 'relation') return miss(`field ${quote(m[2])} in ${quote(prop)} is not a relation`);
  if (backField.hidden && !scope.allowHiddenFields) unknownField(prop);
  if (backField.collectionId !== w.collection.id) return miss(`${quote(prop)} does not point to collection ${quote(w.collection.name)}`);

  const multiple = isMultiValue(backField);
  // A single back-relation without a unique index can still match several records.
  const many = multiple || !hasUniqueIndexOn(back.indexes, backField.name);
  const fanout = many ? backFanout(ctx, back, backField, w.collection) : 1;
  const key = `${w.mainKey}.${prop}`;
  const current = w.collection;
  let alias: string;
  let hop: MultiHop;
  if (!multiple) {
    const pointsAt = (a: string, id: Sql): Sql => sql`${ident(a, backField.name)} = ${id}`;
    alias = sharedCollectionJoin(scope, key, refJoin(w.main), back, (a) => pointsAt(a, col(w.main, idField(current))), fanout, many);
    hop = (c, from) => {
      const a = c.alias('m');
      return {
        joins: [leftJoin(sql`${ident(back.name)} AS ${ident(a)}`, pointsAt(a, col(from, idField(current))), many ? loopGuard(a) : undefined)],
        ref: table(a, null),
        where: privateVisibility(scope, c, back, a),
        fanout,
      };
    };
  } else {
    // Through the (listed id, record) pairs of `back`'s relation, built once per query: see pointersJoin.
    const via = ctx.sharedJoin(`${key}:via`, refJoin(w.main), null, (r) => pointersJoin(ctx, r, back, backField, col(w.main, idField(current))), fanout);
    alias = sharedCollectionJoin(scope, key, via, back, (a) => sql`${ident(a, 'id')} = ${ident(via, 'src')}`);
    hop = (c, from) => {
      const r = c.alias('m');
      const a = c.alias('m');
      return {
        joins: [
          pointersJoin(c, r, back, backField, col(from, idField(current))),
          sql`LEFT JOIN ${ident(back.name)} AS ${ident(a)} ON ${ident(a, 'id')} = ${ident(r, 'src')}`,
        ],
        ref: table(a, null),
        where: privateVisibility(scope, c, back, a),
        fanout,
      };
    };
  }
  const multi = w.multi || many;
  return { ...w, collection: back, main: table(alias, alias), mainKey: key, mmHops: [...w.mmHops, hop], multi };
}

/**
 * `LEFT JOIN (SELECT value AS dst, id AS src FROM back, json_each(back.field)) AS r ON r.dst = id`:
 * the records of `back` whose multi relation `field` lists `id`, as (dst, src) pairs. The derived
 * table is uncorrelated, so the database builds it once per query (SQLite materializes it with an
 * automatic index on `dst`) instead of reading every record of `back` for each row reaching this
 * hop, as `id IN (SELECT value FROM json_each(back.field))` (PocketBase's form) does. A record
 * listing the id twice yields two rows: harmless, as only existence is ever asked of them.
 */
function pointersJoin(c: CompileContext, r: string, back: Collection, field: FieldDef, id: Sql): Sql {
  c.countSubquery();
  const m = c.alias('e');
  const je = c.alias('e');
  const pairs = sql`SELECT ${ident(je, 'value')} AS ${ident('dst')}, ${ident(m, 'id')} AS ${ident('src')} FROM ${ident(back.name)} AS ${ident(m)}, ${c.dialect.jsonEach(sql`${ident(m, field.name)}`, je, true)} WHERE ${loopGuard(je)}`;
  return leftJoin(sql`(${pairs}) AS ${ident(r)}`, sql`${ident(r, 'dst')} = ${id}`, loopGuard(r, 'src'));
}

function collectionPath(scope: Scope, props: readonly string[], name: string): Operand {
  const [collName, aliasName] = props[1].split(':');
  const c = scope.ctx.collection(collName) ?? fail(`unknown collection ${quote(collName)} in ${quote(name)}`);
  const key = aliasName ? `${scope.keyPrefix}@collection:${aliasName}` : `${scope.keyPrefix}@collection.${c.name}`;
  // Priced like any multi-valued step, though it reads the whole collection: only rules and
  // superusers can reach it through the API (PocketBase's ban on @collection in client filters).
  const alias = sharedCollectionJoin(scope, key, null, c, () => sql`1=1`, MANY);
  const hop: MultiHop = (ctx) => {
    const a = ctx.alias('m');
    return {
      joins: [leftJoin(sql`${ident(c.name)} AS ${ident(a)}`, ALWAYS, loopGuard(a))], ref: table(a, null), where: privateVisibility(scope, ctx, c, a), fanout: MANY,
    };
  };
  const w: Walk = { collection: c, main: table(alias, alias), mainKey: key, mmStart: scope.root, mmHops: [hop], multi: true, nullify: false };
  return walk(scope, w, props.slice(2));
}

/**
 * Attaches the all-of chain when the path is multi-valued; `valueAt` maps the chain's last row to
 * the value, `visibleAt` (if any) to the condition under which the client may see that value.
 */
function withMulti(scope: Scope, w: Walk, o: Operand, valueAt: (ref: RowRef) => Sql, extra?: MultiHop, visibleAt?: (ref: RowRef) => Sql): Operand {
  if (!w.multi) return o;
  const { ctx } = scope;
  const multi = () => {
    let ref = w.mmStart;
    const joins: Sql[] = [];
    const where: Sql[] = [];
    let rows = 1;
    for (const hop of extra ? [...w.mmHops, extra] : w.mmHops) {
      const step = hop(ctx, ref);
      joins.push(...step.joins);
      if (step.where) where.push(step.where);
      ref = step.ref;
      rows *= step.fanout;
    }
    if (visibleAt) where.push(visibleAt(ref));
    const visible = where.length === 0 ? undefined : where.length === 1 ? where[0] : sql`(${join(where.map((x) => sql`(${x})`), ' AND ')})`;
    return { from: ctx.fromAnchor(joins), value: valueAt(ref), where: visible, rows };
  };
  return { ...o, multi };
}

function jsonPath(scope: Scope, w: Walk, field: FieldDef, rest: readonly string[]): Operand {
  const d = scope.ctx.dialect;
  // Keys keep word characters only, as PocketBase's Columnify does (so `a:lower` reads key `alower`).
  const path = rest.map((p) => p.replace(/[^\w.*\-@#]/g, ''));
  const at = (ref: RowRef) => d.jsonValue(col(ref, field), path);
  return withMulti(scope, w, operand({ sql: at(w.main), type: 'dynamic', nullFallback: 'disabled', joins: refJoins(w.main) }), at);
}

export function finalize(scope: Scope, w: Walk, prop: string): Operand {
  const { ctx } = scope;
  const d = ctx.dialect;
  const [name, modifier] = splitModifier(prop);
  const field = fieldByName(w.collection, name);
  if (!field) return w.nullify ? NULL_OPERAND : unknownField(name);
  if (field.hidden && !scope.allowHiddenFields) unknownField(name);
  const listLike = field.type === 'relation' || field.type === 'select' || field.type === 'file';

  if (modifier === 'length' && listLike) {
    const at = (ref: RowRef) => d.jsonArrayLength(col(ref, field), isMultiValue(field));
    return withMulti(scope, w, operand({ sql: at(w.main), type: 'number', joins: refJoins(w.main) }), at);
  }

  if (modifier === 'each' && listLike) {
    const items = col(w.main, field);
    const many = isMultiValue(field);
    const fanout = many ? itemsFanout(ctx, w.collection, field) : 1;
    const je = ctx.sharedJoin(`${w.mainKey}.${field.name}:each`, refJoin(w.main), null, (a) => leftJoin(d.jsonEach(items, a, many), ALWAYS, many ? eachGuard(a) : undefined), fanout);
    const eachHop: MultiHop = (c, from) => {
      const a = c.alias('m');
      return { joins: [leftJoin(d.jsonEach(col(from, field), a, many), ALWAYS, many ? eachGuard(a) : undefined)], ref: table(a, null), fanout };
    };
    const ww = isMultiValue(field) ? { ...w, multi: true } : w;
    const valueOf = (ref: RowRef) => sql`${ident((ref as { alias: string }).alias, 'value')}`;
    return withMulti(scope, ww, operand({ sql: sql`${ident(je, 'value')}`, type: 'text', joins: new Set([je]) }), valueOf, eachHop);
  }

  // Other modifiers (:isset, :changed, and :each/:length on single-value types) are ignored here, as in PocketBase.
  const json = field.type === 'json';
  const lower = modifier === 'lower';
  const at = (ref: RowRef) => {
    let e = col(ref, field);
    if (json) e = d.jsonValue(e, []);
    return lower ? d.lower(d.cast(e, json ? 'dynamic' : type, 'text')) : e;
  };
  const type = fieldValueType(field);
  let o = operand({
    sql: at(w.main), type: lower ? 'text' : json ? 'dynamic' : type, nullFallback: json ? 'disabled' : 'auto', joins: refJoins(w.main),
    column: !json && !lower && w.main.kind === 'table',
  });
  // Emails of auth records are only searchable by others when their owner made them visible; the
  // all-of check of a multi-valued path only looks at the visible ones.
  let visibleAt: ((ref: RowRef) => Sql) | undefined;
  if (field.name === 'email' && w.collection.type === 'auth' && !scope.allowHiddenFields && w.main.kind === 'table') {
    // A missing record (dangling id, empty relation) still counts, as a NULL value, as it does for
    // every other field and for the listRule constraint (`id = '' || rule`).
    visibleAt = (ref) => (ref.kind === 'table' ? sql`(${ident(ref.alias, 'id')} IS NULL OR ${emailVisible(ref.alias)})` : sql`1=0`);
    const visible = emailVisible(w.main.alias);
    o = { ...o, afterBuild: (e) => sql`(${e} AND ${visible})` };
  }
  return withMulti(scope, w, o, at, undefined, visibleAt);
}

const emailVisible = (alias: string): Sql => sql`${ident(alias, 'emailVisibility')} = ${value(true, 'bool')}`;

/** `@request.body.f:changed`: `@request.body.f:isset = true && @request.body.f != f`. */
export function bodyChanged(scope: Scope, field: FieldDef): Operand {
  const { ctx } = scope;
  const isset = compareOperands(ctx, resolveField(scope, `@request.body.${field.name}:isset`), '=', boolOperand(true));
  const submitted = resolveField(scope, `@request.body.${field.name}`);
  let stored = resolveField(scope, field.name);
  if (scope.current) {
    const type = fieldValueType(field);
    stored = operand({ sql: sql`${value(columnValue(field, scope.current[field.name]), type)}`, type: field.type === 'json' ? 'dynamic' : type });
  }
  const differs = compareOperands(ctx, submitted, '!=', stored);
  return operand({ sql: sql`(${isset.sql} AND ${differs.sql})`, type: 'bool', nullFallback: 'disabled', joins: differs.joins });
}
