/**
 * The collection model, shaped exactly like PocketBase's `_collections` row and its API JSON,
 * so an existing PocketBase data directory loads unchanged.
 */

export type CollectionType = 'base' | 'auth' | 'view';

/** The system auth collection of superusers (id `pbc_3142635823`). */
export const SUPERUSERS = '_superusers';

export type FieldType =
  | 'text'
  | 'number'
  | 'bool'
  | 'email'
  | 'url'
  | 'editor'
  | 'date'
  | 'autodate'
  | 'select'
  | 'json'
  | 'relation'
  | 'file'
  | 'password'
  | 'geoPoint';

/**
 * A field definition as stored in `_collections.fields`. Common keys are typed; the
 * type-specific options (min, max, pattern, values, maxSelect, collectionId …) sit beside
 * them, exactly as PocketBase serializes them.
 */
export interface FieldDef {
  id: string;
  name: string;
  type: FieldType;
  system: boolean;
  hidden: boolean;
  presentable: boolean;
  required?: boolean;
  [option: string]: unknown;
}

export type RuleName = 'listRule' | 'viewRule' | 'createRule' | 'updateRule' | 'deleteRule';
export const RULE_NAMES: readonly RuleName[] = ['listRule', 'viewRule', 'createRule', 'updateRule', 'deleteRule'];

export interface Collection {
  id: string;
  name: string;
  type: CollectionType;
  system: boolean;
  fields: FieldDef[];
  indexes: string[];
  listRule: string | null;
  viewRule: string | null;
  createRule: string | null;
  updateRule: string | null;
  deleteRule: string | null;
  created: string;
  updated: string;
  /**
   * Type-specific options as stored in `_collections.options`: `viewQuery` for views;
   * authRule, manageRule, passwordAuth, authToken … for auth collections. The API flattens
   * them into the collection JSON.
   */
  options: Record<string, unknown>;
}

/** Read access to the current schema; cached and invalidated on every change. */
export interface SchemaLookup {
  /** By id or name (name match is case-insensitive, as in PocketBase). */
  find(idOrName: string): Collection | undefined;
  all(): readonly Collection[];
}

export const fieldByName = (c: Collection, name: string): FieldDef | undefined => c.fields.find((f) => f.name === name);

/** Relation and select and file fields hold several values when maxSelect > 1. */
export function isMultiValue(f: FieldDef): boolean {
  if (f.type !== 'relation' && f.type !== 'select' && f.type !== 'file') return false;
  return typeof f.maxSelect === 'number' ? f.maxSelect > 1 : false;
}

/**
 * The value type a field's column holds: what filters compare it as. Multi-value fields and JSON
 * documents are JSON; a single relation/select/file value is text.
 */
export function fieldValueType(f: FieldDef): 'text' | 'number' | 'bool' | 'json' {
  switch (f.type) {
    case 'number': return 'number';
    case 'bool': return 'bool';
    case 'json':
    case 'geoPoint': return 'json';
    default: return isMultiValue(f) ? 'json' : 'text';
  }
}

/** A collection with every key at its empty value, overridden by `partial`. */
export function blankCollection(partial: Partial<Collection> = {}): Collection {
  return {
    id: '',
    name: '',
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
