/**
 * Field definitions as PocketBase stores them in `_collections.fields`: every option present,
 * zero values for the unset ones (`null` for nullable lists and numbers), unknown keys dropped,
 * keys in alphabetical order (PocketBase serializes each field through a map), and a
 * `<type><crc32 of name>` id when none is given.
 */
import type { ErrorData, FieldError } from '../../../kernel/errors.ts';
import { normalizeDate } from '../../../kernel/time.ts';
import type { FieldDef, FieldType } from '../../../db/schema.ts';
import { lengthRule, notInList, invalidFormat, required, templateError } from './errors.ts';
import type { OptionKind, OptionSpecs } from './types.ts';

/** Keys every type stores. */
export const BASE_OPTIONS = {
  id: 'string',
  name: 'string',
  system: 'bool',
  hidden: 'bool',
  presentable: 'bool',
} as const satisfies OptionSpecs;

/** Keys every type but autodate stores on top of the base ones. */
export const COMMON_OPTIONS = { ...BASE_OPTIONS, help: 'string', required: 'bool' } as const satisfies OptionSpecs;

const ZERO: Record<OptionKind, unknown> = { bool: false, int: 0, string: '', 'number?': null, 'strings?': null, date: '' };

/** True when `v` can be stored as an option of `kind` (null always can: it means "unset"). */
function fits(kind: OptionKind, v: unknown): boolean {
  if (v === null || v === undefined) return true;
  switch (kind) {
    case 'bool':
      return typeof v === 'boolean';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number?':
      return typeof v === 'number' && Number.isFinite(v);
    case 'string':
    case 'date':
      return typeof v === 'string';
    case 'strings?':
      return Array.isArray(v) && v.every((s) => typeof s === 'string');
  }
}

function coerce(kind: OptionKind, v: unknown): unknown {
  if (v === null || v === undefined || !fits(kind, v)) return ZERO[kind];
  if (kind === 'date') return normalizeDate(v) ?? '';
  if (kind === 'strings?') return [...(v as string[])];
  return v;
}

/**
 * The options of `partial` that PocketBase could not load (wrong JSON type), as messages;
 * PocketBase refuses such a body with "Failed to load the submitted data due to invalid formatting."
 */
export function optionTypeErrors(specs: OptionSpecs, partial: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [key, kind] of Object.entries(specs)) {
    if (!fits(kind, partial[key])) out.push(`invalid value for "${key}" (expected ${kind.replace('?', '')})`);
  }
  return out;
}

/** A full definition from a partial one: known keys only, sorted, unset ones at their zero value. */
export function buildField(type: FieldType, specs: OptionSpecs, partial: Record<string, unknown>): FieldDef {
  const entries: [string, unknown][] = Object.entries(specs).map(([k, kind]) => [k, coerce(kind, partial[k])]);
  entries.push(['type', type]);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const field = Object.fromEntries(entries) as FieldDef;
  if (!field.id) field.id = generateFieldId(type, field.name);
  return field;
}

// ---- ids ----

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE) of the UTF-8 bytes of `s`, as PocketBase uses for generated ids. */
export function crc32(s: string): number {
  let c = 0xffffffff;
  for (const byte of Buffer.from(s, 'utf8')) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * PocketBase's default field id: the type followed by the CRC-32 of the name
 * (`text3208210256` for `id`), with 2, 3 … appended while the id is taken.
 */
export function generateFieldId(type: string, name: string, taken: ReadonlySet<string> = new Set()): string {
  const base = `${type}${crc32(name)}`;
  let id = base;
  for (let i = 2; i < 1000 && taken.has(id); i++) id = `${base}${i}`;
  return id;
}

// ---- checks shared by every type ----

const NAME_PATTERN = /^\w+$/;
/** Names that would clash with filter literals or the record's dynamic keys. */
export const RESERVED_FIELD_NAMES: readonly string[] = ['null', 'true', 'false', '_rowid_', 'collectionId', 'collectionName', 'expand'];

/**
 * Names with a meaning of their own as JavaScript object keys, refused by Baton (PocketBase
 * accepts them): records and request bodies are objects keyed by field name, where `__proto__`
 * sets the prototype instead of a value (its values were silently dropped) and `constructor` or
 * `prototype` shadow what code may expect there.
 */
export const OBJECT_KEY_NAMES: readonly string[] = ['__proto__', 'constructor', 'prototype'];

export function validateFieldName(name: string): FieldError | undefined {
  if (name === '') return required();
  return (
    lengthRule(name, 1, 100) ??
    (NAME_PATTERN.test(name) ? undefined : invalidFormat()) ??
    (RESERVED_FIELD_NAMES.includes(name) || OBJECT_KEY_NAMES.includes(name) ? notInList() : undefined) ??
    (name.toLowerCase().includes('_via_')
      ? templateError('validation_found_via', 'The value cannot contain "_via_".')
      : undefined)
  );
}

/** The id, name and help checks every type runs when a collection is saved. */
export function validateCommonOptions(field: FieldDef): ErrorData {
  const errors: ErrorData = {};
  const id = String(field.id ?? '');
  const idError = id === '' ? required() : lengthRule(id, 1, 100);
  if (idError) errors.id = idError;
  const nameError = validateFieldName(String(field.name ?? ''));
  if (nameError) errors.name = nameError;
  if (typeof field.help === 'string') {
    const helpError = lengthRule(field.help, 1, 300);
    if (helpError) errors.help = helpError;
  }
  return errors;
}

/** Merges per-option errors; undefined when there are none. */
export function collectErrors(...parts: (ErrorData | undefined)[]): ErrorData | undefined {
  const out: ErrorData = {};
  for (const p of parts) if (p) Object.assign(out, p);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `{key: error}` when the error is set, else nothing. */
export const entry = (key: string, error: ErrorData[string] | undefined): ErrorData | undefined =>
  error ? { [key]: error } : undefined;

export const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
