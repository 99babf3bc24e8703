/** Builders shared by this folder's tests (not imported by production code). */
import { SchemaSnapshot } from '../store.ts';
import type { Collection, FieldDef, FieldType, SchemaLookup } from '../model.ts';
import { fieldDefaults } from './registry.ts';
import type { OptionsContext, ValidateContext } from './types.ts';

export const field = (type: FieldType, options: Record<string, unknown> = {}): FieldDef =>
  fieldDefaults({ type, name: 'f', ...options } as Partial<FieldDef> & { type: FieldType });

export function collection(partial: Partial<Collection> = {}): Collection {
  return {
    id: 'pbc_test',
    name: 'test',
    type: 'base',
    system: false,
    fields: [],
    indexes: [],
    listRule: null,
    viewRule: null,
    createRule: null,
    updateRule: null,
    deleteRule: null,
    created: '',
    updated: '',
    options: {},
    ...partial,
  };
}

export const schemaOf = (...collections: Collection[]): SchemaLookup => new SchemaSnapshot(collections);

/** Options context for a field saved in a (new, by default) base collection holding just that field. */
export const optionsCtx = (f: FieldDef, extra: Partial<OptionsContext> = {}): OptionsContext => ({
  schema: schemaOf(),
  collection: collection({ fields: [f] }),
  ...extra,
});

export const created: ValidateContext = { isNew: true };
