import { zeroOf, type Kind, type Shape } from './model.ts';

/**
 * JSON decoded onto existing settings the way Go's encoding/json decodes onto PocketBase's
 * struct, which is what both reading the stored row and PATCH /api/settings do:
 * - a key left out keeps its value, and so does one set to `null` (except lists, which `null` empties);
 * - unknown keys are ignored; a key matches its field exactly or, failing that, case-insensitively;
 * - a list takes the length of the array sent, and item i of an array of objects is decoded onto
 *   the current item i (new items start from zero values): Go reuses the slice's elements;
 * - a value of the wrong type (a string for a number, 1.5 for an integer, an object for a list…)
 *   fails the whole decoding.
 */
export class SettingsDecodeError extends Error {
  override name = 'SettingsDecodeError';
}

type Plain = Record<string, unknown>;

// Go's int is 64 bits; JSON numbers beyond it do not decode.
const INT64_LIMIT = 2 ** 63;

const isPlainObject = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Decodes `input` onto `target` (mutated) as a struct of `shape`. */
export function decodeOnto(shape: Shape, target: Plain, input: unknown, path = ''): void {
  if (input === null || input === undefined) return;
  if (!isPlainObject(input)) throw typeError(path, 'an object');
  for (const [key, value] of Object.entries(input)) {
    const field = shape.find((s) => s.key === key) ?? shape.find((s) => s.key.toLowerCase() === key.toLowerCase());
    if (!field) continue;
    const at = path ? `${path}.${field.key}` : field.key;
    target[field.key] = decodeValue(field.kind, target[field.key], value, at);
  }
}

function decodeValue(kind: Kind, current: unknown, value: unknown, path: string): unknown {
  if (value === null) return kind === 'strings' || (typeof kind === 'object' && 'list' in kind) ? [] : current;
  switch (kind) {
    case 'bool':
      if (typeof value !== 'boolean') throw typeError(path, 'a boolean');
      return value;
    case 'string':
      if (typeof value !== 'string') throw typeError(path, 'a string');
      return value;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) >= INT64_LIMIT) throw typeError(path, 'an integer');
      return value;
    case 'strings':
      if (!Array.isArray(value)) throw typeError(path, 'an array');
      return value.map((item, i) => decodeValue('string', (current as string[])[i] ?? '', item, `${path}.${i}`));
  }
  if ('object' in kind) {
    decodeOnto(kind.object, current as Plain, value, path);
    return current;
  }
  if (!Array.isArray(value)) throw typeError(path, 'an array');
  const items = current as Plain[];
  return value.map((item, i) => {
    const target = i < items.length ? items[i] : (zeroOf({ object: kind.list }) as Plain);
    decodeOnto(kind.list, target, item, `${path}.${i}`);
    return target;
  });
}

const typeError = (path: string, expected: string) => new SettingsDecodeError(`${path || 'settings'}: expected ${expected}`);
