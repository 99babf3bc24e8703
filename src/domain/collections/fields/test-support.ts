/** Builders shared by this folder's tests (not imported by production code). */
import { SchemaSnapshot } from '../store.ts';
import { blankCollection, type Collection, type FieldDef, type FieldType, type SchemaLookup } from '../../../db/schema.ts';
import { VALUE_TYPE_OF } from '../../../db/dialect.ts';
import { shapeNormalizer } from '../../../db/normalize.ts';
import { columnKindOf, fieldDefaults } from './registry.ts';
import type { OptionsContext, ValidateContext } from './types.ts';

export const field = (type: FieldType, options: Record<string, unknown> = {}): FieldDef =>
  fieldDefaults({ type, name: 'f', ...options } as Partial<FieldDef> & { type: FieldType });

export const collection = (partial: Partial<Collection> = {}): Collection =>
  blankCollection({ id: 'pbc_test', name: 'test', ...partial });

export const schemaOf = (...collections: Collection[]): SchemaLookup => new SchemaSnapshot(collections);

/** Options context for a field saved in a (new, by default) base collection holding just that field. */
export const optionsCtx = (f: FieldDef, extra: Partial<OptionsContext> = {}): OptionsContext => ({
  schema: schemaOf(),
  collection: collection({ fields: [f] }),
  ...extra,
});

export const created: ValidateContext = { isNew: true };

/**
 * A column value as the database hands it back: rows are normalised by their shape before any
 * field handler sees them (SQLite's JSON text parsed, 0/1 as booleans).
 */
export function fromDb(f: FieldDef, dbValue: unknown): unknown {
  const type = VALUE_TYPE_OF[columnKindOf(f)];
  return shapeNormalizer({ v: type }, true)({ v: dbValue }).v;
}

/** A stored row normalised for its fields (see `fromDb`). */
export function rowFromDb(fields: readonly FieldDef[], row: Record<string, unknown>): Record<string, unknown> {
  const out = { ...row };
  for (const f of fields) if (Object.hasOwn(out, f.name)) out[f.name] = fromDb(f, out[f.name]);
  return out;
}
