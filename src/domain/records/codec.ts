import { VALUE_TYPE_OF, type RowShape, type ValueType } from '../../db/dialect.ts';
import { fieldHandler } from '../collections/fields/registry.ts';
import type { DbValue } from '../collections/fields/types.ts';
import type { Collection, FieldDef } from '../../db/schema.ts';

/** A record in memory: field name -> value in the form the field handlers work with. */
export type RecordData = Record<string, unknown>;

interface CollectionPlan {
  /** Fields with their handler, in collection order. */
  fields: Array<{ def: FieldDef; handler: ReturnType<typeof fieldHandler> }>;
  byName: Map<string, FieldDef>;
  /** Names in PocketBase's JSON key order for public output (alphabetical, as Go maps marshal). */
  exportOrder: string[];
  /** How the database normalises the collection's rows (JSON, booleans, numbers). */
  shape: RowShape;
}

// Collections are frozen and replaced on every schema reload, so a WeakMap keyed by the
// collection object is invalidated automatically.
const plans = new WeakMap<Collection, CollectionPlan>();

export function planOf(collection: Collection): CollectionPlan {
  let plan = plans.get(collection);
  if (!plan) {
    const fields = collection.fields.map((def) => ({ def, handler: fieldHandler(def.type) }));
    const exportOrder = ['collectionId', 'collectionName', ...collection.fields.map((f) => f.name)].sort();
    const shape: Record<string, ValueType> = {};
    for (const { def, handler } of fields) {
      const type = VALUE_TYPE_OF[handler.columnKind(def)];
      if (type !== 'text') shape[def.name] = type;
    }
    plan = { fields, byName: new Map(collection.fields.map((f) => [f.name, f])), exportOrder, shape };
    plans.set(collection, plan);
  }
  return plan;
}

/** How rows of the collection's table come back from the database (pass it to `all`/`get`). */
export const rowShape = (collection: Collection): RowShape => planOf(collection).shape;

/**
 * Turns a database row into in-memory values; columns the collection does not know are dropped.
 * `only`: the fields the row was read with (a list narrowed by `fields`); the others stay absent.
 */
export function decodeRow(collection: Collection, row: Record<string, unknown>, only?: ReadonlySet<string>): RecordData {
  const out: RecordData = {};
  for (const { def, handler } of planOf(collection).fields) {
    if (!only || only.has(def.name)) out[def.name] = handler.decode(def, row[def.name]);
  }
  return out;
}

/** The column values to write for `data` (every field of the collection). */
export function encodeRecord(collection: Collection, data: RecordData): Record<string, DbValue> {
  const out: Record<string, DbValue> = {};
  for (const { def, handler } of planOf(collection).fields) {
    out[def.name] = handler.encode(def, data[def.name] ?? handler.zero(def));
  }
  return out;
}

/** A fresh record: every field at its zero value. */
export function zeroRecord(collection: Collection): RecordData {
  const out: RecordData = {};
  for (const { def, handler } of planOf(collection).fields) out[def.name] = handler.zero(def);
  return out;
}
