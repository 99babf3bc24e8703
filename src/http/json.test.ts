import { describe, expect, it } from 'vitest';
import { tokenize } from '../filter/lexer.ts';
import { jsonShapeProblem, jsonTooDeep, MAX_JSON_DEPTH, MAX_JSON_ITEMS, parseJsonBody } from './json.ts';

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

  it('refuses more items than the limit before parsing, whatever their shape', () => {
    const items = (n: number, item: string) => `{"a":[${Array(n).fill(item).join(',')}]}`;
    // `{` and `[` open two items; the n values are separated by n-1 commas.
    expect(jsonShapeProblem(items(MAX_JSON_ITEMS - 1, '1'))).toBeUndefined();
    expect(jsonShapeProblem(items(MAX_JSON_ITEMS, '1'))).toMatch(/items/);
    expect(jsonShapeProblem(items(MAX_JSON_ITEMS, '[]'))).toMatch(/items/);
    expect(jsonShapeProblem(items(MAX_JSON_ITEMS, '"a,b,c"'))).toMatch(/items/);
    // Commas inside strings are not items.
    expect(jsonShapeProblem(JSON.stringify({ a: ','.repeat(MAX_JSON_ITEMS * 2) }))).toBeUndefined();
    expect(() => parseJsonBody(items(MAX_JSON_ITEMS, '{}'))).toThrow(SyntaxError);
    // A caller may allow more (superusers importing schemas).
    expect(parseJsonBody(items(MAX_JSON_ITEMS, '0'), { maxDepth: MAX_JSON_DEPTH, maxItems: MAX_JSON_ITEMS * 2 })).toBeTruthy();
  });

  it('refuses a lone UTF-16 surrogate escape, and only a lone one', () => {
    for (const bad of ['"\\ud800"', '"\\uDBFF"', '"\\udc00"', '"a\\ud800b"', '"\\ud800\\u0041"', '"\\ud800\\ud800"', '"\\udc00\\ud800"', '"x\\\\\\ud800"']) {
      // The filter language reads the same escapes, and refuses the same strings.
      expect(() => tokenize(bad), bad).toThrow(/lone UTF-16 surrogate/);
      expect(() => parseJsonBody(`{"t":${bad}}`), bad).toThrow(SyntaxError);
    }
    for (const good of ['"\\ud83d\\ude00"', '"\\\\ud800"', '"\\\\\\\\ud800"', '"\\u00e9\\n\\"\\\\"', '"😀"', '"\\uD83D\\uDE00 and \\u0041"']) {
      expect(tokenize(good)[0].text, good).toBe(JSON.parse(good));
      expect(parseJsonBody(`{"t":${good}}`)).toEqual({ t: JSON.parse(good) });
    }
    // Keys are strings too.
    expect(() => parseJsonBody('{"\\ud800":1}')).toThrow(SyntaxError);
  });

  it('refuses numbers beyond float64, which JSON.parse reads as Infinity', () => {
    for (const bad of ['1e400', '-1e400', '1E+309', '[0, {"a": 2e308}]', '1' + '0'.repeat(309)]) {
      expect(() => parseJsonBody(`{"n":${bad}}`), bad).toThrow(SyntaxError);
    }
    for (const good of ['1e308', '1e-400', '1e0300', '-1.7976931348623157e308', '"1e400"', '0.' + '0'.repeat(400) + '1']) {
      expect(parseJsonBody(`{"n":${good}}`), good).toEqual({ n: JSON.parse(good) });
    }
  });
});
