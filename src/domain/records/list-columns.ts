/**
 * The columns a records list reads: only what its items can show and what building them reads in
 * JS. A large column the client did not ask for, or may not see, costs neither the database's
 * transfer nor a parse (a guest's `fields=id` list of 340 records with 180 KB JSON values each
 * parsed 61 MB of JSON before, 3.3 s of a held loop).
 */
import type { Collection } from '../../db/schema.ts';
import { planOf } from './codec.ts';
import type { ExpandNode } from './expand.ts';
import { isExported } from './export.ts';
import type { FieldsSelection, PickNode } from './picker.ts';

/**
 * The names of the fields to read: those the viewer may see (secrets never; hidden fields only by
 * superusers) and `fields` keeps at the top level (all of them without `fields`, or with one that
 * keeps every key: `*`, `*:excerpt(…)`). What export and expand read is always read: `id`
 * (expand, managed ids, email visibility), an auth record's `email` and `emailVisibility` (who
 * may see the email), and the relation fields `expand` follows from this collection
 * (back-relations are found by `id`). Rules are SQL and read nothing here.
 */
export function listColumns(
  collection: Collection,
  fields: FieldsSelection | undefined,
  expand: ExpandNode | undefined,
  superuser: boolean,
): ReadonlySet<string> {
  const root = fields?.root;
  const keepsAll = !root || root.keepsAll || root.wildcard !== null;
  if (keepsAll && !expand) return everyColumn(collection, superuser);
  return columnsOf(collection, keepsAll ? null : root!, expand, superuser);
}

/** A list without `fields` or `expand` (the usual one): its columns, worked out once per collection and viewer kind. */
const everyColumnCache = new WeakMap<Collection, { guest?: ReadonlySet<string>; superuser?: ReadonlySet<string> }>();

function everyColumn(collection: Collection, superuser: boolean): ReadonlySet<string> {
  let cached = everyColumnCache.get(collection);
  if (!cached) everyColumnCache.set(collection, (cached = {}));
  const key = superuser ? 'superuser' : 'guest';
  return (cached[key] ??= columnsOf(collection, null, undefined, superuser));
}

/** `root`: the `fields` selection's, null when it keeps every key. */
function columnsOf(collection: Collection, root: PickNode | null, expand: ExpandNode | undefined, superuser: boolean): ReadonlySet<string> {
  const { byName } = planOf(collection);
  const names = new Set<string>();
  for (const [name, def] of byName) {
    if (name === 'id' || (isExported(collection, def, superuser) && (root === null || pickedNode(root, name) !== null))) names.add(name);
  }
  if (collection.type === 'auth') for (const name of ['email', 'emailVisibility']) if (byName.has(name)) names.add(name);
  for (const name of expand?.children.keys() ?? []) if (byName.get(name)?.type === 'relation') names.add(name);
  return names;
}

/** What the picker applies to a record's top-level key (`pickObject`): its entry, or the wildcard. */
function pickedNode(root: PickNode, key: string): PickNode | null {
  return root.children?.get(key) ?? root.wildcard;
}
