/**
 * Roughly how much memory a JSON-like value holds, in bytes: strings at two bytes a character
 * (V8 keeps one-byte strings more compactly, so this overstates them), numbers and booleans at 8,
 * and a fixed overhead per array, object and member. An estimate for bounding caches of records,
 * cheap enough to run on every write; it stops counting once past `limit`.
 */
export function approxBytes(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  switch (typeof value) {
    case 'string':
      return 16 + 2 * value.length;
    case 'number':
    case 'boolean':
    case 'bigint':
      return 8;
    case 'object': {
      if (value === null) return 8;
      let n = 32;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length && n <= limit; i++) n += 8 + approxBytes(value[i], limit - n);
        return n;
      }
      for (const key in value as Record<string, unknown>) {
        n += 16 + 2 * key.length + approxBytes((value as Record<string, unknown>)[key], limit - n);
        if (n > limit) break;
      }
      return n;
    }
    default:
      return 8;
  }
}
