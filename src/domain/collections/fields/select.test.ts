import { describe, expect, test } from 'vitest';
import { normalizeValue } from './registry.ts';
import { selectField } from './select.ts';
import { created, field, optionsCtx } from './test-support.ts';

const single = field('select', { values: ['a', 'b', 'c'], maxSelect: 1 });
const multi = field('select', { values: ['a', 'b', 'c'], maxSelect: 2 });

describe('select normalize', () => {
  test.each<[unknown, string, string[]]>([
    ['a', 'a', ['a']],
    [['a', 'b', 'a'], 'b', ['a', 'b']],
    ['["b","c"]', 'c', ['b', 'c']],
    ['', '', []],
    [null, '', []],
    [[], '', []],
    [[{ x: 1 }], '', []],
  ])('%j -> single %j, multi %j', (raw, one, many) => {
    expect(selectField.normalize(single, raw)).toEqual(one);
    expect(selectField.normalize(multi, raw)).toEqual(many);
  });

  test('multipart: repeated keys make a list', () => {
    expect(normalizeValue(multi, ['a', 'b'], { source: 'form' })).toEqual(['a', 'b']);
  });
});

describe('select decode / encode', () => {
  test.each<[unknown, string, string[]]>([
    ['["a","b"]', 'b', ['a', 'b']],
    ['a', 'a', ['a']], // a legacy scalar in a multi column
    ['', '', []],
    [null, '', []],
  ])('decode %j -> single %j, multi %j', (db, one, many) => {
    expect(selectField.decode(single, db)).toEqual(one);
    expect(selectField.decode(multi, db)).toEqual(many);
  });

  test('encode: text for single, a JSON array for multi', () => {
    expect(selectField.encode(single, 'a')).toBe('a');
    expect(selectField.encode(multi, ['a', 'b'])).toBe('["a","b"]');
    expect(selectField.encode(multi, [])).toBe('[]');
  });
});

describe('select modifiers', () => {
  test.each<['append' | 'prepend' | 'subtract', unknown, unknown, unknown]>([
    ['append', ['a'], 'b', ['a', 'b']],
    ['append', ['a'], ['a', 'c'], ['a', 'c']],
    ['prepend', ['a'], 'b', ['b', 'a']],
    ['subtract', ['a', 'b'], 'a', ['b']],
    ['subtract', ['a', 'b'], ['a', 'b', 'x'], []],
  ])('%s %j with %j -> %j', (modifier, current, raw, out) => {
    expect(selectField.applyModifier!(multi, current as string[], modifier, raw)).toEqual(out);
  });

  test('a single select keeps the last value after a modifier', () => {
    expect(selectField.applyModifier!(single, 'a', 'append', 'b')).toBe('b');
    expect(selectField.applyModifier!(single, 'a', 'prepend', 'b')).toBe('a');
  });
});

describe('select validate', () => {
  test.each<[Record<string, unknown>, unknown, string | undefined, string | undefined, unknown]>([
    [{}, '', undefined, undefined, undefined],
    [{ required: true }, '', 'validation_required', 'Cannot be blank.', undefined],
    [{ required: true }, [], 'validation_required', 'Cannot be blank.', undefined],
    [{}, 'x', 'validation_invalid_value', 'Invalid value x.', { value: 'x' }],
    [{ maxSelect: 2 }, ['a', 'b', 'c'], 'validation_too_many_values', 'Select no more than 2.', { maxSelect: 2 }],
    [{ maxSelect: 0 }, ['a', 'b'], 'validation_too_many_values', 'Select no more than 1.', { maxSelect: 1 }],
    [{ maxSelect: 3 }, ['a', 'c'], undefined, undefined, undefined],
  ])('%j with %j -> %s', (options, value, code, message, params) => {
    const err = selectField.validate(field('select', { values: ['a', 'b', 'c'], ...options }), value as string, created);
    expect(err?.code).toBe(code);
    expect(err?.message).toBe(message);
    expect(err?.params).toEqual(params);
  });

  test.each<[Record<string, unknown>, Record<string, unknown> | undefined]>([
    [{ values: ['a'] }, undefined],
    [{ values: [] }, { values: { code: 'validation_required', message: 'Cannot be blank.' } }],
    [{ values: null }, { values: { code: 'validation_required', message: 'Cannot be blank.' } }],
    [
      { values: ['a', 'b'], maxSelect: 3 },
      { maxSelect: { code: 'validation_max_less_equal_than_required', message: 'Must be no greater than 2.', params: { threshold: 2 } } },
    ],
    [
      { values: ['a'], maxSelect: -1 },
      { maxSelect: { code: 'validation_min_greater_equal_than_required', message: 'Must be no less than 0.', params: { threshold: 0 } } },
    ],
  ])('options %j', (options, errors) => {
    const f = field('select', options);
    expect(selectField.validateOptions(f, optionsCtx(f))).toEqual(errors);
  });
});
