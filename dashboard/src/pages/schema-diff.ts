// What an import would change: collections added, removed and changed, and per changed collection
// the fields added, removed and changed and the other keys that differ.
type Json = Record<string, unknown>;

export interface CollectionChange {
  name: string;
  fieldsAdded: string[];
  fieldsRemoved: string[];
  fieldsChanged: string[];
  keysChanged: string[];
}

export interface SchemaDiff {
  added: string[];
  removed: string[];
  changed: CollectionChange[];
}

const IGNORED = new Set(['created', 'updated', 'fields']);

const stable = (v: unknown): string =>
  JSON.stringify(v, (_k, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Json).sort(([a], [b]) => (a < b ? -1 : 1)))
      : value,
  );

function match<T extends Json>(list: T[], item: Json): T | undefined {
  return (item.id ? list.find((c) => c.id === item.id) : undefined) ?? list.find((c) => String(c.name).toLowerCase() === String(item.name).toLowerCase());
}

/**
 * A field missing from the import is kept, unless `deleteMissing` (and it is not a system field),
 * as the server's import does.
 */
function diffFields(before: Json[], after: Json[], deleteMissing: boolean) {
  const added: string[] = [];
  const changed: string[] = [];
  for (const f of after) {
    const old = match(before, f);
    if (!old) added.push(String(f.name));
    else if (stable(old) !== stable(f)) changed.push(old.name === f.name ? String(f.name) : `${String(old.name)} → ${String(f.name)}`);
  }
  const removed = deleteMissing ? before.filter((f) => !f.system && !match(after, f)).map((f) => String(f.name)) : [];
  return { added, removed, changed };
}

/** The changes importing `incoming` over `current` makes; `deleteMissing` drops the others. */
export function diffSchemas(current: Json[], incoming: Json[], deleteMissing: boolean): SchemaDiff {
  const diff: SchemaDiff = { added: [], removed: [], changed: [] };
  for (const next of incoming) {
    const old = match(current, next);
    if (!old) {
      diff.added.push(String(next.name));
      continue;
    }
    const fields = diffFields((old.fields as Json[]) ?? [], (next.fields as Json[]) ?? (deleteMissing ? [] : ((old.fields as Json[]) ?? [])), deleteMissing);
    // A key the import leaves out keeps its value: only keys present in the import count.
    const keys = Object.keys(next).filter((k) => !IGNORED.has(k) && stable(old[k]) !== stable(next[k]));
    if (fields.added.length || fields.removed.length || fields.changed.length || keys.length) {
      diff.changed.push({
        name: old.name === next.name ? String(next.name) : `${String(old.name)} → ${String(next.name)}`,
        fieldsAdded: fields.added,
        fieldsRemoved: fields.removed,
        fieldsChanged: fields.changed,
        keysChanged: keys,
      });
    }
  }
  if (deleteMissing) {
    // System collections are never deleted by an import.
    diff.removed = current.filter((c) => !c.system && !match(incoming, c)).map((c) => String(c.name));
  }
  return diff;
}
