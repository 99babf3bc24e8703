/**
 * JSON fields: any JSON value, NULL in the database when empty. A string is taken as JSON text
 * when it looks like JSON (starts with a digit, '-', '"', '[' or '{', or is null/true/false) and
 * parses; any other string is stored as a JSON string. Objects sent in a JSON body come back with
 * their keys sorted, because PocketBase re-encodes them through a Go map.
 */
import type { FieldDef } from '../../../db/schema.ts';
import { fieldError } from '../../../kernel/errors.ts';
import { byteLength, sortJsonKeys, toGoString } from './cast.ts';
import { intRange, MAX_SAFE_JSON_INT, required, templateError } from './errors.ts';
import { collectErrors, COMMON_OPTIONS, entry, num, validateCommonOptions } from './options.ts';
import type { FieldHandler } from './types.ts';

export const DEFAULT_JSON_MAX_SIZE = 1 << 20;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A string as PocketBase reads it into a JSON field. */
export function parseJsonText(text: string): JsonValue {
  if (text === '') return '';
  const c = text[0];
  const looksLikeJson = ['null', 'true', 'false'].includes(text) || (c >= '0' && c <= '9') || '-"[{'.includes(c);
  if (!looksLikeJson) return text;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

function toJsonValue(raw: unknown): JsonValue {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string') return parseJsonText(raw);
  if (typeof raw === 'bigint') return Number(raw);
  if (raw instanceof Uint8Array) return parseJsonText(toGoString(raw));
  return sortJsonKeys(raw) as JsonValue;
}

/**
 * True when `v` holds a number JSON cannot (a form value "1e400" or "[1e400]" parses to Infinity,
 * which JSON.stringify would store as null).
 */
export function hasNonFiniteNumber(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (v === null || typeof v !== 'object') return false;
  for (const item of Array.isArray(v) ? v : Object.values(v)) if (hasNonFiniteNumber(item)) return true;
  return false;
}

const isEmptyJson = (v: JsonValue): boolean =>
  v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

export const jsonMaxSize = (field: FieldDef): number =>
  num(field.maxSize) > 0 ? num(field.maxSize) : DEFAULT_JSON_MAX_SIZE;

const handler = {
  type: 'json',
  options: { ...COMMON_OPTIONS, maxSize: 'int' },
  modifiers: [],
  columnKind: () => 'json',
  zero: (): JsonValue => null,
  /**
   * Rows arrive normalised (the document parsed), so a string is a JSON string and stays one;
   * anything else is read like client input (keys sorted).
   */
  decode: (_field, dbValue) => (typeof dbValue === 'string' ? dbValue : toJsonValue(dbValue)),
  /** JSON text, or null (SQL NULL) for an empty field. */
  encode: (_field, value) => (value === null || value === undefined ? null : JSON.stringify(value)),
  normalize: (_field, raw) => toJsonValue(raw),
  validate(field, value) {
    const maxSize = jsonMaxSize(field);
    const size = value === null ? 0 : byteLength(JSON.stringify(value));
    if (size > maxSize) {
      return templateError('validation_json_size_limit', 'The maximum allowed JSON size is {{.maxSize}} bytes', { maxSize });
    }
    if (hasNonFiniteNumber(value)) return fieldError('validation_invalid_json', 'Must be a valid json value.');
    return field.required && isEmptyJson(value) ? required() : undefined;
  },
  validateOptions: (field) =>
    collectErrors(validateCommonOptions(field), entry('maxSize', intRange(num(field.maxSize), 0, MAX_SAFE_JSON_INT))),
} satisfies FieldHandler<JsonValue>;

/** Typed as the interface so callers see every parameter (the literal's own type is narrower). */
export const jsonField: FieldHandler<JsonValue> = handler;
