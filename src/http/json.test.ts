import { describe, expect, it } from 'vitest';
import { jsonTooDeep, MAX_JSON_DEPTH, parseJsonBody } from './json.ts';

describe('JSON request bodies', () => {
  it('reads an empty body as {}', () => {
    expect(parseJsonBody('  ')).toEqual({});
  });

  it('accepts nesting up to the limit and refuses deeper', () => {
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(jsonTooDeep(nest(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonTooDeep(nest(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(() => parseJsonBody(`{"a":${nest(200_000)}}`)).toThrow(SyntaxError);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ s: '['.repeat(10_000) + '\\"' + '{'.repeat(10_000) });
    expect(jsonTooDeep(text)).toBe(false);
    expect(parseJsonBody(text)).toEqual(JSON.parse(text));
  });
});
