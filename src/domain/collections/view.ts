import type { Executor } from '../../db/dialect.ts';
import { ApiError, fieldError } from '../../kernel/errors.ts';
import { fieldDefaults } from './fields/registry.ts';
import { generateFieldId } from './fields/options.ts';
import type { Collection, FieldDef, SchemaLookup } from '../../db/schema.ts';
import { suggestionFor, viewColumnFields, type ViewColumnField } from './view-query.ts';

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

/**
 * Where a view's column comes from: the collection (possibly another view) and field it is
 * taken straight from, as `inferViewFields` reads it. The files API serves a view's file from
 * the record that owns it.
 */
export function viewColumnSource(query: string, column: string, schema: SchemaLookup): { collection: Collection; field: FieldDef } | undefined {
  let fields: ReadonlyMap<string, ViewColumnField>;
  try {
    fields = viewColumnFields(query, schema);
  } catch {
    return undefined; // a wildcard view saved before they were refused: no column has a known source
  }
  const source = suggestionFor(fields, column);
  return source?.collection && source.original ? { collection: source.collection, field: source.original } : undefined;
}

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
 * The fields of a view collection: one per column of the view, in its order, named as the
 * database names the column, of the type its expression suggests (`viewColumnFields`); a column
 * taken straight from a collection field keeps that field's type and options.
 */
export async function inferViewFields(tx: Executor, viewName: string, query: string, schema: SchemaLookup): Promise<FieldDef[]> {
  const suggested = viewColumnFields(query, schema);
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
  const taken = new Set<string>();
  const withId = (type: string, name: string) => {
    const id = generateFieldId(type, name, taken);
    taken.add(id);
    return id;
  };
  return names.map((name) => {
    const s: ViewColumnField = name === 'id' ? { kind: 'id' } : suggestionFor(suggested, name) ?? { kind: 'json' };
    switch (s.kind) {
      case 'id':
        // Whatever the query's id is, a view's id is a text field.
        return fieldDefaults({ type: 'text', name: 'id', system: true, primaryKey: true, required: true, pattern: '^[a-z0-9]+$' });
      case 'clone': {
        const clone: FieldDef = { ...structuredClone(s.original!), id: withId(`_clone_${s.original!.type}`, name), name, system: false };
        if ('primaryKey' in clone) clone.primaryKey = false;
        return clone;
      }
      case 'relation':
        return fieldDefaults({ type: 'relation', name, id: withId('relation', name), collectionId: s.collection!.id, maxSelect: 1 });
      case 'int':
        return fieldDefaults({ type: 'number', name, id: withId('number', name), onlyInt: true });
      case 'number':
      case 'text':
      case 'bool':
      case 'json':
        return fieldDefaults({ type: s.kind, name, id: withId(s.kind, name) });
    }
  });
}
