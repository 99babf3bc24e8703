/** Builders shared by this folder's tests (not imported by production code). */
import { SchemaSnapshot } from '../store.ts';
import { blankCollection, type Collection, type FieldDef, type FieldType, type SchemaLookup } from '../../../db/schema.ts';
import { fieldDefaults } from './registry.ts';
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
