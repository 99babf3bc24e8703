import type { Executor } from '../../db/dialect.ts';
import { ident, sql, type Sql } from '../../db/sql.ts';
import { hasUniqueIndexOn } from '../../db/indexes-parse.ts';
import { isMultiValue, type Collection, type FieldDef, type SchemaLookup } from '../../db/schema.ts';
import type { Principal } from '../context.ts';
import type { RequestInfo } from '../../filter/index.ts';
import { managedIds, ruleCondition, type FilterScope } from './access.ts';
import { decodeRow, rowShape, type RecordData } from './codec.ts';
import { exportRecord } from './export.ts';
import { MAX_EXPANDED_RECORDS, tooManyExpandedRecords } from './limits.ts';

const MAX_EXPAND_DEPTH = 6;
const MAX_EXPAND_PATHS = 50;
const MAX_BACK_RELATIONS = 1000;
const BACK_RELATION_RE = /^(\w+)_via_(\w+)$/;

export interface ExpandNode {
  readonly children: Map<string, ExpandNode>;
}

/** `a,b.c, b.d` -> a tree of relation names; paths deeper than 6 levels are cut there. */
export function parseExpand(raw: string | undefined): ExpandNode | undefined {
  if (!raw) return undefined;
  const root: ExpandNode = { children: new Map() };
  const paths = raw
    .replace(/\s+/g, '')
    .split(',')
    .map((p) => p.replace(/^\.+|\.+$/g, ''))
    .filter(Boolean)
    .slice(0, MAX_EXPAND_PATHS);
  for (const path of paths) {
    let node = root;
    for (const segment of path.split('.').slice(0, MAX_EXPAND_DEPTH)) {
      let next = node.children.get(segment);
      if (!next) node.children.set(segment, (next = { children: new Map() }));
      node = next;
    }
  }
  return root.children.size ? root : undefined;
}

export interface ExpandEnv {
  db: Executor;
  schema: SchemaLookup;
  viewer: Principal;
  /** Request data for view rules, with context "expand". */
  request: RequestInfo;
  /**
   * The response's allowance of expanded records, shared by all its expand paths; when absent,
   * one of MAX_EXPANDED_RECORDS is made for this call.
   */
  budget?: ExpandBudget;
}

/**
 * Expanded records one response may carry (ResponseLimits.maxExpandedRecords) and how many it
 * carries so far, counted as they will be serialised: a record reached from three places, or
 * below a record that is itself reached from three places, counts three times.
 */
export interface ExpandBudget {
  readonly max: number;
  used: number;
}

export const expandBudget = (max: number): ExpandBudget => ({ max, used: 0 });

function charge(budget: ExpandBudget, count: number): void {
  budget.used += count;
  if (budget.used > budget.max) throw tooManyExpandedRecords(budget.max);
}

/** How one expand key is resolved against a collection. */
type Resolved =
  | { kind: 'forward'; field: FieldDef; target: Collection }
  | { kind: 'back'; field: FieldDef; source: Collection; single: boolean };

function resolveSegment(env: ExpandEnv, collection: Collection, name: string): Resolved | undefined {
  const superuser = env.viewer.kind === 'superuser';
  const field = collection.fields.find((f) => f.name === name);
  if (field) {
    if (field.type !== 'relation') return undefined;
    const target = env.schema.find(String(field.collectionId ?? ''));
    if (!target || (target.viewRule === null && !superuser)) return undefined;
    return { kind: 'forward', field, target };
  }
  const m = BACK_RELATION_RE.exec(name);
  if (!m) return undefined;
  const source = env.schema.find(m[1]);
  const backField = source?.fields.find((f) => f.name === m[2]);
  if (!source || !backField || backField.type !== 'relation' || backField.collectionId !== collection.id) return undefined;
  if (source.viewRule === null && !superuser) return undefined;
  const single = !isMultiValue(backField) && hasUniqueIndexOn(source.indexes, backField.name);
  return { kind: 'back', field: backField, source, single };
}

const idsOf = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : typeof value === 'string' && value ? [value] : [];

const scopeOf = (env: ExpandEnv, collection: Collection): FilterScope => ({
  schema: env.schema,
  collection,
  tableAlias: collection.name,
  request: env.request,
  superuser: env.viewer.kind === 'superuser',
});

async function fetchVisible(env: ExpandEnv, collection: Collection, where: Sql): Promise<RecordData[]> {
  const table = ident(collection.name);
  const rule = ruleCondition(env.db, scopeOf(env, collection), collection.viewRule);
  const query = rule ? sql`SELECT ${table}.* FROM ${table} WHERE (${where}) AND (${rule})` : sql`SELECT ${table}.* FROM ${table} WHERE ${where}`;
  const rows = await env.db.all(query, rowShape(collection));
  return rows.map((r) => decodeRow(collection, r));
}


/**
 * Expands `records` of `collection` along `node`. Returns one `expand` object per record, or
 * undefined when no path resolved (then records carry no `expand` key at all). As in PocketBase,
 * a path fails whole when one of its parts does not resolve; parts below a level that reached no
 * related records are not checked, so such a path succeeds (with `expand: {}`).
 *
 * `weights[i]` is how many times `records[i]` will be serialised (once per place it is expanded
 * into; 1 at the top). Every level is charged to `env.budget` before the next one is read, so a
 * request over the limit stops after the level that crossed it: the count grows with the links,
 * not with the rows, and a few levels of self-relations multiply it past any page size.
 */
export async function expandRecords(
  env: ExpandEnv,
  collection: Collection,
  records: readonly RecordData[],
  node: ExpandNode,
  weights: readonly number[] = records.map(() => 1),
): Promise<Array<Record<string, unknown>> | undefined> {
  const budget = env.budget ?? expandBudget(MAX_EXPANDED_RECORDS);
  if (!env.budget) env = { ...env, budget };
  const result = records.map(() => ({}) as Record<string, unknown>);
  let resolvedAny = false;
  for (const [name, child] of node.children) {
    const resolved = resolveSegment(env, collection, name);
    if (!resolved) continue;
    const target = resolved.kind === 'forward' ? resolved.target : resolved.source;
    // Forward links are in hand: charge them before the query, so a level over the limit costs no
    // read at all, then give back those that lead to no visible record. Back-relations are only
    // known by reading them; that read stops one row past what the budget still allows.
    const linked = resolved.kind === 'forward' ? forwardLinkCount(resolved, records, weights) : 0;
    charge(budget, linked);
    const related = await fetchRelated(env, resolved, records, budget.max - budget.used + 1);
    if (related.pairs > budget.max - budget.used) throw tooManyExpandedRecords(budget.max);
    const weighed = weighRelated(resolved, records, weights, related);
    budget.used -= linked;
    charge(budget, weighed.total);
    let nested: Array<Record<string, unknown>> | undefined;
    if (child.children.size > 0 && related.records.length > 0) {
      nested = await expandRecords(env, target, related.records, child, weighed.weights);
      // Every deeper part failed, which fails this level too (`rel` asked alone merges into `rel.x`).
      if (!nested) {
        budget.used -= weighed.total;
        continue;
      }
    }
    resolvedAny = true;
    const managed = await managedIds(env.db, scopeOf(env, target), related.records);
    const exported = related.records.map((r, i) =>
      exportRecord(target, r, { viewer: env.viewer, canManage: managed.has(String(r.id)) }, nested?.[i]),
    );
    attach(resolved, name, records, related, exported, result);
  }
  return resolvedAny ? result : undefined;
}

const isMulti = (resolved: Resolved): boolean => (resolved.kind === 'forward' ? isMultiValue(resolved.field) : !resolved.single);

/** Ids of the records `record` lists under the expand key, in the order they are serialised. */
const linksOf = (resolved: Resolved, record: RecordData, related?: Related): string[] =>
  resolved.kind === 'forward' ? idsOf(record[resolved.field.name]) : (related?.owners?.get(String(record.id)) ?? []);

/** The most records a forward key can add: every listed id, found or not (one for a single relation). */
function forwardLinkCount(resolved: Resolved, records: readonly RecordData[], weights: readonly number[]): number {
  const multi = isMulti(resolved);
  let count = 0;
  for (let i = 0; i < records.length; i++) {
    const n = linksOf(resolved, records[i]).length;
    count += weights[i] * (multi ? n : Math.min(n, 1));
  }
  return count;
}

/**
 * How many times each related record will be serialised (the sum of the weights of the records
 * listing it, once per listing, as `attach` places them), and the total.
 */
function weighRelated(
  resolved: Resolved,
  records: readonly RecordData[],
  weights: readonly number[],
  related: Related,
): { total: number; weights: number[] } {
  const index = new Map(related.records.map((r, i) => [String(r.id), i]));
  const out = new Array<number>(related.records.length).fill(0);
  const multi = isMulti(resolved);
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    for (const id of linksOf(resolved, records[i], related)) {
      const j = index.get(id);
      if (j === undefined) continue;
      out[j] += weights[i];
      total += weights[i];
      if (!multi) break;
    }
  }
  return { total, weights: out };
}

interface Related {
  records: RecordData[];
  /** Back-relations: owner record id -> ids of its related records (at most MAX_BACK_RELATIONS). */
  owners?: Map<string, string[]>;
  /** Back-relations: (record, owner) pairs read, each serialised at least once; 0 for forward keys. */
  pairs: number;
}

/** The column of a back-relation's rows naming the record they belong to (see fetchRelated). */
const BACK_OWNER = '@owner';

/**
 * The related records one expand key reaches from `records`, the target's viewRule applied.
 * Back-relations read at most `maxPairs` (record, owner) pairs.
 */
async function fetchRelated(env: ExpandEnv, resolved: Resolved, records: readonly RecordData[], maxPairs: number): Promise<Related> {
  const { dialect } = env.db;
  if (resolved.kind === 'forward') {
    const ids = [...new Set(records.flatMap((r) => idsOf(r[resolved.field.name])))];
    if (ids.length === 0) return { records: [], pairs: 0 };
    const found = await fetchVisible(env, resolved.target, dialect.inValues(sql`${ident(resolved.target.name, 'id')}`, ids));
    return { records: found, pairs: 0 };
  }
  const ids = records.map((r) => String(r.id));
  if (ids.length === 0) return { records: [], pairs: 0 };
  const { source, field } = resolved;
  const table = ident(source.name);
  const column = sql`${ident(source.name, field.name)}`;
  // Each referencing row once per owner it points at; at most MAX_BACK_RELATIONS per owner and
  // `maxPairs` in all, cut in SQL so a post with a million comments never loads them all.
  const [from, owner] = isMultiValue(field)
    ? [sql`${table}, ${dialect.jsonEach(column, '__je', true)}`, sql`${ident('__je', 'value')}`]
    : [sql`${table}`, column];
  const rule = ruleCondition(env.db, scopeOf(env, source), source.viewRule);
  const where = rule ? sql`${dialect.inValues(owner, ids)} AND (${rule})` : dialect.inValues(owner, ids);
  // The owner and the row number go by names no field can have (fields are `\w+`): beside the
  // table's own columns, a field named like them would take their place.
  const ownerName = ident(BACK_OWNER);
  const rowNumber = ident('@n');
  const rows = await env.db.all<Record<string, unknown>>(sql`SELECT * FROM (
    SELECT ${table}.*, ${owner} AS ${ownerName}, ROW_NUMBER() OVER (PARTITION BY ${owner}) AS ${rowNumber} FROM ${from} WHERE ${where}
  ) AS __ranked WHERE ${rowNumber} <= ${MAX_BACK_RELATIONS}${dialect.limitOffset(maxPairs, 0)}`, rowShape(source));
  const owners = new Map<string, string[]>();
  const unique = new Map<string, RecordData>();
  for (const row of rows) {
    const id = String(row.id);
    if (!unique.has(id)) unique.set(id, decodeRow(source, row));
    const owner = String(row[BACK_OWNER]);
    const list = owners.get(owner);
    if (list) list.push(id);
    else owners.set(owner, [id]);
  }
  return { records: [...unique.values()], owners, pairs: rows.length };
}

/** Puts the exported related records under `name` in each record's expand, in stored id order. */
function attach(
  resolved: Resolved,
  name: string,
  records: readonly RecordData[],
  related: Related,
  exported: ReadonlyArray<Record<string, unknown>>,
  result: Array<Record<string, unknown>>,
): void {
  const byId = new Map(related.records.map((r, i) => [String(r.id), exported[i]]));
  const multi = isMulti(resolved);
  records.forEach((r, i) => {
    const items = linksOf(resolved, r, related)
      .map((id) => byId.get(id))
      .filter((x) => x !== undefined);
    if (items.length) result[i][name] = multi ? items : items[0];
  });
}
