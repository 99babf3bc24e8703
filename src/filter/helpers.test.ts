import { describe, expect, it } from 'vitest';
import { likePattern } from './compare.ts';
import { macroValue } from './macros.ts';
import { columnValue, extractNested, toUniqueStrings } from './values.ts';
import { field } from './test-support.ts';


describe('likePattern', () => {
  it.each([
    ['abc', '%abc%'],
    ['a_b', '%a\\_b%'],
    ['a\\b', '%a\\\\b%'],
    ['a\\%b', '%a\\%b%'], // an escaped % stays a literal %
    ['a\\_b', '%a\\_b%'],
    ['__', '%\\_\\_%'],
    ['_', '%\\_%'],
    ['50%', '50%'], // an unescaped % makes it a pattern, used as-is
    ['\\\\%', '\\\\%'],
    ['', '%%'],
    [12.5, '%12.5%'],
  ])('%j -> %j', (input, pattern) => {
    expect(likePattern(input)).toBe(pattern);
  });
});

describe('macros', () => {
  it('computes month and year boundaries in UTC', () => {
    const leap = new Date('2024-02-10T05:06:07.008Z');
    expect(macroValue('@monthEnd', leap)).toBe('2024-02-29 23:59:59.999Z');
    expect(macroValue('@monthStart', leap)).toBe('2024-02-01 00:00:00.000Z');
    expect(macroValue('@yesterday', new Date('2024-03-01T01:00:00Z'))).toBe('2024-02-29 01:00:00.000Z');
    expect(macroValue('@monthEnd', new Date('2023-12-31T23:59:59Z'))).toBe('2023-12-31 23:59:59.999Z');
    expect(macroValue('@weekday', new Date('2024-06-16T00:00:00Z'))).toBe(0);
  });
});

describe('request values', () => {
  it('reads submitted relation ids like PocketBase', () => {
    expect(toUniqueStrings('a')).toEqual(['a']);
    expect(toUniqueStrings('["a","b","a",""]')).toEqual(['a', 'b']);
    expect(toUniqueStrings('[not json')).toEqual(['[not json']);
    expect(toUniqueStrings(['a', 1, null, 'a'])).toEqual(['a', '1']);
    expect(toUniqueStrings(null)).toEqual([]);
  });

  it('extracts nested values without reading inherited properties', () => {
    expect(extractNested({ a: [{ b: 1 }] }, ['a', '0', 'b'])).toEqual({ found: true, value: 1 });
    expect(extractNested({ a: null }, ['a'])).toEqual({ found: true, value: null });
    expect(extractNested({ a: 1 }, ['a', 'b']).found).toBe(false);
    expect(extractNested({}, ['constructor']).found).toBe(false);
    expect(extractNested({}, ['__proto__']).found).toBe(false);
    expect(extractNested([1], ['5']).found).toBe(false);
  });

  it('turns decoded values back into stored column values', () => {
    expect(columnValue(field('r', 'relation', { maxSelect: 3 }), ['a', 'b'])).toBe('["a","b"]');
    expect(columnValue(field('r', 'relation', { maxSelect: 3 }), undefined)).toBe('[]');
    expect(columnValue(field('r', 'relation', { maxSelect: 1 }), 'a')).toBe('a');
    expect(columnValue(field('b', 'bool'), true)).toBe(1);
    expect(columnValue(field('j', 'json'), { a: 1 })).toBe('{"a":1}');
    expect(columnValue(field('j', 'json'), null)).toBe(null);
    expect(columnValue(field('g', 'geoPoint'), undefined)).toBe('{"lon":0,"lat":0}');
  });
});
