import type { Executor } from '../../db/dialect.ts';
import { splitTopLevel } from '../../db/indexes-parse.ts';
import { ApiError, fieldError } from '../../kernel/errors.ts';
import { fieldDefaults } from './fields/registry.ts';
import { generateFieldId } from './fields/options.ts';
import type { Collection, FieldDef, SchemaLookup } from '../../db/schema.ts';

const MAX_VIEW_QUERY = 10_000;

/** A view query is one superuser-authored SELECT: no second statement may ride along. */
export function checkViewQuery(query: string): string | undefined {
  const q = query.trim().replace(/;\s*$/, '');
  if (q.length === 0) return 'The view query cannot be empty.';
  if (q.length > MAX_VIEW_QUERY) return 'The view query is too long.';
  if (q.includes(';')) return 'The view query must be a single SELECT statement.';
  if (!/^(select|with)\b/i.test(q)) return 'The view query must be a SELECT statement.';
  return undefined;
}

const unquote = (s: string) => s.replace(/^[`"[](.*)[`"\]]$/, '$1');

/** Maps each output column to the expression that produces it, for the outermost SELECT. */
function selectColumns(query: string): Map<string, string> {
  const m = /^\s*select\s+(?:distinct\s+)?([\s\S]+?)\s+from\s/i.exec(query);
  const out = new Map<string, string>();
  if (!m) return out;
  for (const item of splitTopLevel(m[1])) {
    const alias = /^([\s\S]+?)\s+(?:as\s+)?([`"[]?\w+[`"\]]?)$/i.exec(item);
    if (alias && !/^[\w.`"]+$/.test(item)) out.set(unquote(alias[2]), alias[1].trim());
    else if (alias && /\s+as\s+/i.test(item)) out.set(unquote(alias[2]), alias[1].trim());
    else out.set(unquote(item.split('.').pop() ?? item), item);
  }
  return out;
}

/** `alias -> collection` for the tables named in FROM and JOIN clauses. */
function sourceTables(query: string, schema: SchemaLookup): Map<string, Collection> {
  const out = new Map<string, Collection>();
  const re = /(?:from|join)\s+([`"[]?\w+[`"\]]?)(?:\s+(?:as\s+)?([`"[]?\w+[`"\]]?))?/gi;
  for (const m of query.matchAll(re)) {
    const c = schema.find(unquote(m[1]));
    if (!c) continue;
    out.set(c.name, c);
    const alias = m[2] ? unquote(m[2]) : '';
    if (alias && !/^(where|join|left|right|inner|outer|cross|on|group|order|limit|union)$/i.test(alias)) out.set(alias, c);
  }
  return out;
}

/** The collection field a column expression takes straight from a source table, if it does. */
function columnSource(expr: string, tables: Map<string, Collection>): { collection: Collection; field: FieldDef } | undefined {
  const ref = /^[`"]?(?:(\w+)[`"]?\.)?[`"]?(\w+)[`"]?$/.exec(expr.trim());
  if (!ref) return undefined;
  const candidates = ref[1] ? [tables.get(ref[1])] : [...tables.values()];
  for (const collection of candidates) {
    const field = collection?.fields.find((f) => f.name === ref[2]);
    if (collection && field) return { collection, field };
  }
  return undefined;
}

/**
 * Where a view's column comes from: the collection (possibly another view) and field it is
 * taken straight from, as `inferViewFields` reads it. The files API serves a view's file from
 * the record that owns it.
 */
export function viewColumnSource(query: string, column: string, schema: SchemaLookup): { collection: Collection; field: FieldDef } | undefined {
  return columnSource(selectColumns(query).get(column) ?? column, sourceTables(query, schema));
}

const NUMERIC_AGGREGATE = /^(count|sum|avg|total|min|max)\s*\(/i;

/**
 * Creates the view of a view collection: its query as it is, or, when the query's `id` is not
 * text (`(ROW_NUMBER() OVER()) as id`), with that id cast to text, as PocketBase wraps such a
 * view (record ids are text; lookups and filters compare them as text). `columns`: the view's
 * columns in order (its fields); without them the query is created as it is, to read its columns.
 */
export async function createViewTable(tx: Executor, name: string, query: string, columns?: readonly string[]): Promise<void> {
  const select = query.trim().replace(/;\s*$/, '');
  await tx.run(tx.dialect.createView(name, select));
  if (!columns) return;
  const id = (await tx.all<{ name: string; type: unknown }>(tx.dialect.tableColumns(name))).find((c) => c.name === 'id');
  if (!id || tx.dialect.isTextType(String(id.type ?? ''))) return;
  await tx.run(tx.dialect.dropView(name));
  await tx.run(tx.dialect.createView(name, select, columns));
}

/**
 * The fields of a view collection, from the columns its query yields: a column taken straight
 * from a collection field keeps that field's type and options; aggregates are numbers; anything
 * else is a json field.
 */
export async function inferViewFields(tx: Executor, viewName: string, query: string, schema: SchemaLookup): Promise<FieldDef[]> {
  const rows = await tx.all<{ name: string }>(tx.dialect.tableColumns(viewName));
  const names = rows.map((r) => r.name);
  if (!names.includes('id')) {
    // PocketBase's wording; the collection service rewords the message for create, update or import.
    throw new ApiError(400, 'Failed to save collection.', {
      viewQuery: fieldError(
        'validation_invalid_view_query',
        'Invalid query - missing required id column (you can use `(ROW_NUMBER() OVER()) as id` if you don\'t have one).',
      ),
    });
  }
  const exprs = selectColumns(query);
  const tables = sourceTables(query, schema);
  const taken = new Set<string>();
  return names.map((name) => {
    if (name === 'id') {
      return fieldDefaults({ type: 'text', name: 'id', system: true, primaryKey: true, required: true, pattern: '^[a-z0-9]+$' });
    }
    const expr = exprs.get(name) ?? name;
    const source = columnSource(expr, tables)?.field;
    if (source) {
      const id = generateFieldId(`_clone_${source.type}`, name, taken);
      taken.add(id);
      const clone: FieldDef = { ...structuredClone(source), id, name, system: false };
      if ('primaryKey' in clone) clone.primaryKey = false;
      return clone;
    }
    const type = NUMERIC_AGGREGATE.test(expr.trim()) ? 'number' : 'json';
    const id = generateFieldId(type, name, taken);
    taken.add(id);
    return fieldDefaults({ type, name, id });
  });
}
