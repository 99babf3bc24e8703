import { formatDate } from '../kernel/time.ts';
import { type FieldDef, isMultiValue } from '../db/schema.ts';

/** A value the SQL drivers can bind: booleans become 1/0, structures become JSON text. */
export function bindable(v: unknown): string | number | bigint | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return v;
  if (v instanceof Date) return formatDate(v);
  return JSON.stringify(v) ?? null;
}

/** A decoded record value turned back into what its column stores (for rows bound from memory). */
export function columnValue(field: FieldDef, v: unknown): string | number | bigint | null {
  switch (field.type) {
    case 'relation':
    case 'select':
    case 'file':
      if (isMultiValue(field)) return JSON.stringify(Array.isArray(v) ? v : v == null || v === '' ? [] : [v]);
      return Array.isArray(v) ? (v.length ? String(v[0]) : '') : bindable(v ?? '');
    case 'json':
      return v === undefined || v === null ? null : JSON.stringify(v);
    case 'geoPoint':
      return JSON.stringify(v ?? { lon: 0, lat: 0 });
    default:
      return bindable(v);
  }
}

/** Go's cast.ToString: scalars as text, anything else empty. */
export function castToString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return '';
}

/** A body value as a list (nil -> [], scalar -> [scalar]). */
export const toSlice = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** Relation ids submitted in a body value: non-empty unique strings (PocketBase's ToUniqueStringSlice). */
export function toUniqueStrings(v: unknown): string[] {
  let list: unknown[] = [];
  if (typeof v === 'string') {
    if (v === '') list = [];
    else if (v.includes('[')) {
      try {
        const parsed: unknown = JSON.parse(v);
        list = Array.isArray(parsed) ? parsed : [v];
      } catch {
        list = [v];
      }
    } else list = [v];
  } else list = toSlice(v);
  const out = new Set<string>();
  for (const item of list) {
    const s = castToString(item);
    if (s !== '') out.add(s);
  }
  return [...out];
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A numeric string as a number (multipart bodies carry numbers as text), otherwise undefined. */
export function parseNumeric(s: string): number | undefined {
  if (!DECIMAL.test(s.trim())) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Reads `path` from nested maps/arrays like PocketBase's extractNestedVal: `found` is false when a
 * key or index is missing or a non-container is crossed.
 */
export function extractNested(root: unknown, path: readonly string[]): { found: boolean; value: unknown } {
  let cur: unknown = root;
  for (const key of path) {
    if (Array.isArray(cur)) {
      if (!/^[+-]?\d+$/.test(key)) return { found: false, value: undefined };
      const idx = Number(key);
      if (idx < 0 || idx >= cur.length) return { found: false, value: undefined };
      cur = cur[idx];
    } else if (cur !== null && typeof cur === 'object' && !(cur instanceof Date)) {
      if (!Object.prototype.hasOwnProperty.call(cur, key)) return { found: false, value: undefined };
      cur = (cur as Record<string, unknown>)[key];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: cur };
}
