/**
 * Shared behaviour of select and relation values: one string when `maxSelect` <= 1, a list of
 * unique non-empty strings otherwise, stored as a JSON array. A single field given several
 * values keeps the last one, as PocketBase does.
 */
import type { ColumnKind } from '../../../db/dialect.ts';
import { isMultiValue, type FieldDef } from '../../../db/schema.ts';
import { toUniqueStringList } from './cast.ts';
import type { DbValue, Modifier } from './types.ts';

export type MultiValue = string | string[];

/** A normalized list to the field's shape. */
export function shapeValue(field: FieldDef, list: readonly string[]): MultiValue {
  if (isMultiValue(field)) return [...list];
  return list.length > 0 ? list[list.length - 1] : '';
}

export const normalizeMulti = (field: FieldDef, raw: unknown): MultiValue => shapeValue(field, toUniqueStringList(raw));

export const encodeMulti = (field: FieldDef, value: MultiValue): DbValue => {
  const shaped = normalizeMulti(field, value);
  return Array.isArray(shaped) ? JSON.stringify(shaped) : shaped;
};

/** `field+` / `+field` / `field-`: add to the end or the start, or remove the given values. */
export function modifyMulti(field: FieldDef, current: unknown, modifier: Modifier, raw: unknown): MultiValue {
  const now = toUniqueStringList(current);
  const given = toUniqueStringList(raw);
  switch (modifier) {
    case 'append':
      return normalizeMulti(field, [...now, ...given]);
    case 'prepend':
      return normalizeMulti(field, [...given, ...now]);
    case 'subtract': {
      const removed = new Set(given);
      return normalizeMulti(field, now.filter((v) => !removed.has(v)));
    }
    default:
      return normalizeMulti(field, now);
  }
}

/**
 * The value handling select and relation fields share: one id/value as text, several as a JSON
 * array (maxSelect > 1), with PocketBase's append/prepend/subtract modifiers.
 */
export const multiValueHandling = {
  modifiers: ['append', 'prepend', 'subtract'] as readonly Modifier[],
  columnKind: (field: FieldDef): ColumnKind => (isMultiValue(field) ? 'jsonArray' : 'text'),
  zero: (field: FieldDef): MultiValue => (isMultiValue(field) ? [] : ''),
  decode: (field: FieldDef, dbValue: unknown): MultiValue => normalizeMulti(field, dbValue),
  encode: encodeMulti,
  normalize: (field: FieldDef, raw: unknown): MultiValue => normalizeMulti(field, raw),
};
