/**
 * The views that select from what a schema change alters, made again from their stored query
 * within the change, as PocketBase re-saves the views whose fields changed after each collection
 * save (`resaveViewsWithChangedFields`). The databases disagree on what a view becomes when a
 * table under it changes (SQLite rewrites its text on a rename and refuses to drop a column it
 * reads, PostgreSQL follows renames and refuses drops, MySQL keeps the text and the view fails on
 * every read), so Baton drops them before the change and creates them again after it from the
 * query the view collection stores, fields inferred anew. The query is never rewritten: a view
 * whose query names a renamed or removed collection or field fails, and so does the change (a
 * 400 naming the view), where PocketBase commits the change and only logs that the view could
 * not be saved again (see docs/ARCHITECTURE.md, deliberate differences).
 */
import type { Executor } from '../../db/dialect.ts';
import type { Collection, FieldDef, SchemaLookup } from '../../db/schema.ts';
import { badRequest, fieldError, isApiError } from '../../kernel/errors.ts';
import type { PlannedChange } from './shadow-ddl.ts';
import { createViewTable, inferViewFields } from './view.ts';

const queryOf = (v: Collection) => String(v.options.viewQuery ?? '').trim().replace(/;\s*$/, '');

/** Whether `query` names `name` as a word (quoted or not, any case): a superset of what it reads. */
const mentions = (query: string, name: string) =>
  new RegExp(`(^|[^\\w$])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w$])`, 'i').test(query);

const sameTable = (p: PlannedChange) =>
  !!p.previous && p.previous.name === p.next.name && JSON.stringify(p.previous.fields) === JSON.stringify(p.next.fields);

/**
 * The stored views, other than those the change itself saves or deletes, that select (directly or
 * through other views) from a collection the change renames, alters the fields of, or deletes;
 * ordered so that each comes after the views it selects from.
 */
export function dependentViews(all: readonly Collection[], changes: readonly PlannedChange[], removed: readonly Collection[]): Collection[] {
  const involved = new Set([...changes.map((p) => p.next.id), ...removed.map((r) => r.id)]);
  const touched = new Set<string>();
  for (const p of changes) if (p.previous && !sameTable(p)) touched.add(p.previous.name).add(p.next.name);
  for (const r of removed) touched.add(r.name);
  const candidates = all.filter((c) => c.type === 'view' && !involved.has(c.id));
  const found: Collection[] = [];
  for (let grew = true; grew; ) {
    grew = false;
    for (const v of candidates) {
      if (found.includes(v) || ![...touched].some((n) => mentions(queryOf(v), n))) continue;
      found.push(v);
      touched.add(v.name);
      grew = true;
    }
  }
  const ordered: Collection[] = [];
  while (ordered.length < found.length) {
    const before = ordered.length;
    for (const v of found) {
      if (ordered.includes(v)) continue;
      if (found.every((o) => o === v || ordered.includes(o) || !mentions(queryOf(v), o.name))) ordered.push(v);
    }
    if (ordered.length === before) ordered.push(...found.filter((v) => !ordered.includes(v)));
  }
  return ordered;
}

/** Drops the views, those selecting from others first. */
export async function dropViews(tx: Executor, views: readonly Collection[]): Promise<void> {
  for (const v of [...views].reverse()) await tx.run(tx.dialect.dropView(v.name));
}

const withoutIds = (fields: readonly FieldDef[]) => JSON.stringify(fields.map(({ id: _id, ...rest }) => rest));

/**
 * Creates the (dropped) views again from their stored queries and infers their fields against
 * `schema`; returns those whose fields changed, as they are to be stored (a field keeps its id
 * where its name and type stay). A query that no longer works fails with a 400 naming the view.
 */
export async function resaveViews(tx: Executor, views: readonly Collection[], schema: SchemaLookup): Promise<Array<{ next: Collection; previous: Collection }>> {
  const changed: Array<{ next: Collection; previous: Collection }> = [];
  for (const v of views) {
    const query = queryOf(v);
    let fields: FieldDef[];
    try {
      await createViewTable(tx, v.name, query);
      fields = await inferViewFields(tx, v.name, query, schema);
      await tx.run(tx.dialect.dropView(v.name));
      await createViewTable(tx, v.name, query, fields.map((f) => f.name));
    } catch (e) {
      const reason = isApiError(e) ? JSON.stringify(e.data) : (e instanceof Error ? e.message : String(e)).slice(0, 500).replace(/\.$/, '');
      throw dependencyFailure(v, `Invalid query - ${reason}.`);
    }
    if (withoutIds(fields) === withoutIds(v.fields)) continue;
    const next: Collection = {
      ...v,
      fields: fields.map((f) => {
        const old = v.fields.find((o) => o.name === f.name && o.type === f.type);
        return old ? { ...f, id: old.id } : f;
      }),
    };
    changed.push({ next, previous: v });
  }
  return changed;
}

function dependencyFailure(view: Collection, detail: string) {
  return badRequest('Failed to save collection.', {
    views: { [view.name]: fieldError('validation_view_dependency', `The view collection "${view.name}" depends on this change and cannot be saved again: ${detail}`) },
  });
}
