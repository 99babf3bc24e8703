import type { Executor } from '../../db/dialect.ts';
import { ident, sql, type Sql } from '../../db/sql.ts';
import { hasUniqueIndexOn } from '../../db/indexes.ts';
import { isMultiValue, type Collection, type FieldDef, type SchemaLookup } from '../collections/model.ts';
import type { Principal } from '../context.ts';
import type { RequestInfo } from '../../filter/index.ts';
import { ruleCondition } from './access.ts';
import { decodeRow, type RecordData } from './codec.ts';
import { exportRecord } from './export.ts';

export const MAX_EXPAND_DEPTH = 6;
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

/** Drops paths that do not resolve at some level: PocketBase skips such a path whole. */
function prune(env: ExpandEnv, collection: Collection, node: ExpandNode): Map<string, { resolved: Resolved; node: ExpandNode }> {
  const out = new Map<string, { resolved: Resolved; node: ExpandNode }>();
  for (const [name, child] of node.children) {
    const resolved = resolveSegment(env, collection, name);
    if (!resolved) continue;
    const next = resolved.kind === 'forward' ? resolved.target : resolved.source;
    const kept = prune(env, next, child);
    // A child path that failed removes this level too, unless the level was also asked on its own.
    if (child.children.size > 0 && kept.size === 0) continue;
    out.set(name, { resolved, node: { children: new Map([...child.children].filter(([k]) => kept.has(k))) } });
  }
  return out;
}

const idsOf = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : typeof value === 'string' && value ? [value] : [];

async function fetchVisible(env: ExpandEnv, collection: Collection, where: Sql): Promise<RecordData[]> {
  const table = ident(collection.name);
  const rule = ruleCondition(env.db, {
    schema: env.schema,
    collection,
    tableAlias: collection.name,
    request: env.request,
    superuser: env.viewer.kind === 'superuser',
  }, collection.viewRule);
  const query = rule ? sql`SELECT ${table}.* FROM ${table} WHERE (${where}) AND (${rule})` : sql`SELECT ${table}.* FROM ${table} WHERE ${where}`;
  const rows = await env.db.all(query);
  return rows.map((r) => decodeRow(collection, r));
}

const inList = (expr: Sql, ids: readonly string[]): Sql => sql`${expr} IN (${joinValues(ids)})`;
const joinValues = (ids: readonly string[]): Sql => ids.slice(1).reduce<Sql>((acc, id) => sql`${acc}, ${id}`, sql`${ids[0]}`);

/**
 * Expands `records` of `collection` along `node`. Returns one `expand` object per record, or
 * undefined when no path resolved (then records carry no `expand` key at all).
 */
export async function expandRecords(
  env: ExpandEnv,
  collection: Collection,
  records: readonly RecordData[],
  node: ExpandNode,
): Promise<Array<Record<string, unknown>> | undefined> {
  const plan = prune(env, collection, node);
  if (plan.size === 0) return undefined;
  const result = records.map(() => ({}) as Record<string, unknown>);
  for (const [name, { resolved, node: child }] of plan) {
    if (resolved.kind === 'forward') {
      const ids = [...new Set(records.flatMap((r) => idsOf(r[resolved.field.name])))];
      if (ids.length === 0) continue;
      const related = await fetchVisible(env, resolved.target, inList(sql`${ident(resolved.target.name, 'id')}`, ids));
      const exported = await exportWithExpand(env, resolved.target, related, child);
      const byId = new Map(related.map((r, i) => [r.id as string, exported[i]]));
      const multi = isMultiValue(resolved.field);
      records.forEach((r, i) => {
        const items = idsOf(r[resolved.field.name]).map((id) => byId.get(id)).filter((x) => x !== undefined);
        if (items.length) result[i][name] = multi ? items : items[0];
      });
    } else {
      const ids = records.map((r) => r.id as string);
      if (ids.length === 0) continue;
      const { source, field } = resolved;
      const column = sql`${ident(source.name, field.name)}`;
      const where = isMultiValue(field)
        ? sql`EXISTS (SELECT 1 FROM ${env.db.dialect.jsonEach(column, '__je')} WHERE ${inList(sql`${ident('__je', 'value')}`, ids)})`
        : inList(column, ids);
      const related = await fetchVisible(env, source, where);
      const exported = await exportWithExpand(env, source, related, child);
      records.forEach((r, i) => {
        const matches: unknown[] = [];
        related.forEach((rel, k) => {
          if (matches.length < MAX_BACK_RELATIONS && idsOf(rel[field.name]).includes(r.id as string)) matches.push(exported[k]);
        });
        if (resolved.single) {
          if (matches.length) result[i][name] = matches[0];
        } else if (matches.length) result[i][name] = matches;
      });
    }
  }
  return result;
}

async function exportWithExpand(
  env: ExpandEnv,
  collection: Collection,
  records: RecordData[],
  node: ExpandNode,
): Promise<Array<Record<string, unknown>>> {
  const nested = node.children.size ? await expandRecords(env, collection, records, node) : undefined;
  return records.map((r, i) => exportRecord(collection, r, { viewer: env.viewer }, nested?.[i]));
}
