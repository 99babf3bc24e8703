/**
 * The columns a records list reads. A list narrowed by `fields` reads only what its items show
 * and what building them reads in JS; the others are never selected, so a large column the client
 * did not ask for costs neither the database's transfer nor a parse (a guest's `fields=id` list of
 * 340 records with 180 KB JSON values each parsed 61 MB of JSON before, 3.3 s of a held loop).
 */
import type { Collection } from '../../db/schema.ts';
import { planOf } from './codec.ts';
import type { ExpandNode } from './expand.ts';
import type { FieldsSelection, PickNode } from './picker.ts';

/**
 * The names of the fields to read, or undefined for every column (no `fields`, or one that
 * keeps every key: `*`, `*:excerpt(…)`). What export and expand read whatever `fields` says is
 * always read: `id` (expand, managed ids, email visibility), an auth record's `email` and
 * `emailVisibility` (who may see the email), and the relation fields `expand` follows from this
 * collection (back-relations are found by `id`). Rules are SQL and read nothing here.
 */
export function listColumns(collection: Collection, fields: FieldsSelection | undefined, expand: ExpandNode | undefined): ReadonlySet<string> | undefined {
  const root = fields?.root;
  if (!root || root.keepsAll || root.wildcard) return undefined;
  const { byName } = planOf(collection);
  const names = new Set<string>();
  for (const [name, def] of byName) {
    if (name === 'id' || pickedNode(root, name) !== null) names.add(def.name);
  }
  if (collection.type === 'auth') for (const name of ['email', 'emailVisibility']) if (byName.has(name)) names.add(name);
  for (const name of expand?.children.keys() ?? []) if (byName.get(name)?.type === 'relation') names.add(name);
  return names;
}

/** What the picker applies to a record's top-level key (`pickObject`): its entry, or the wildcard. */
export function pickedNode(root: PickNode, key: string): PickNode | null {
  return root.children?.get(key) ?? root.wildcard;
}
