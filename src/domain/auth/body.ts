import { badRequest } from '../../kernel/errors.ts';

/** PocketBase's answer to a body whose values cannot be bound to its form's Go types. */
export const LOAD_FAILED = 'An error occurred while loading the submitted data.';

/**
 * The named body values as strings. A value of another JSON type cannot be bound to PocketBase's
 * string fields: that is its "loading" error (400, empty data). A missing or null value reads as ''.
 */
export function readStrings<K extends string>(body: Record<string, unknown>, names: readonly K[]): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const name of names) {
    const v = body[name];
    if (v !== undefined && v !== null && typeof v !== 'string') throw badRequest(LOAD_FAILED);
    out[name] = v ?? '';
  }
  return out;
}

/** A body value bound to a Go integer field: missing or null reads as 0; anything but a whole number is the loading error. */
export function readInteger(body: Record<string, unknown>, name: string): number {
  const v = body[name];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw badRequest(LOAD_FAILED);
  return v;
}
