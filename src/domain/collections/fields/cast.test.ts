import { describe, expect, test } from 'vitest';
import {
  formatFloatPlain,
  formatFloatVerb,
  inferFormField,
  inferFormValue,
  parseGoFloat,
  runeLength,
  sortJsonKeys,
  toGoBool,
  toGoFloat,
  toGoString,
  toUniqueStringList,
} from './cast.ts';
import { compileGoRegex, matchesGoRegex, regexError } from './regex.ts';

describe('toGoString (cast.ToString)', () => {
  test.each<[unknown, string]>([
    ['abc', 'abc'],
    ['  padded  ', '  padded  '],
    [12, '12'],
    [1.5, '1.5'],
    [1e21, '1000000000000000000000'],
    [1e-7, '0.0000001'],
    [-2.5e-8, '-0.000000025'],
    [true, 'true'],
    [false, 'false'],
    [null, ''],
    [undefined, ''],
    [{ a: 1 }, ''],
    [['a'], ''],
  ])('%j -> %j', (input, expected) => expect(toGoString(input)).toBe(expected));

  test('bigint (SQLite safe integers) prints as digits', () => expect(toGoString(10n)).toBe('10'));
});

describe('Go number printing', () => {
  test.each<[number, string, string]>([
    [5, '5', '5'],
    [0.5, '0.5', '0.5'],
    [1e21, '1000000000000000000000', '1e+21'],
    [1e-5, '0.00001', '1e-05'],
    [123.456, '123.456', '123.456'],
    [Infinity, '+Inf', '+Inf'],
    [NaN, 'NaN', 'NaN'],
  ])('%d: FormatFloat %j, %%v %j', (n, plain, verb) => {
    expect(formatFloatPlain(n)).toBe(plain);
    expect(formatFloatVerb(n)).toBe(verb);
  });
});

describe('toGoFloat (cast.ToFloat64)', () => {
  test.each<[unknown, number]>([
    [12.5, 12.5],
    ['12.5', 12.5],
    ['-3', -3],
    ['1e3', 1000],
    ['.5', 0.5],
    ['', 0],
    ['abc', 0],
    [' 12', 0], // Go does not trim
    ['0x10', 0],
    ['1e400', 0], // range error
    [true, 1],
    [false, 0],
    [null, 0],
    [[1], 0],
    [{}, 0],
  ])('%j -> %d', (input, expected) => expect(toGoFloat(input)).toBe(expected));

  test('inf and nan spellings parse like strconv.ParseFloat', () => {
    expect(parseGoFloat('inf')).toBe(Infinity);
    expect(parseGoFloat('-Infinity')).toBe(-Infinity);
    expect(parseGoFloat('NaN')).toBeNaN();
  });
});

describe('toGoBool (cast.ToBool)', () => {
  test.each<[unknown, boolean]>([
    [true, true],
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['t', true],
    ['1', true],
    [1, true],
    [-2, true],
    ['on', false],
    ['yes', false],
    ['false', false],
    ['0', false],
    [0, false],
    ['', false],
    [null, false],
    [{}, false],
  ])('%j -> %s', (input, expected) => expect(toGoBool(input)).toBe(expected));
});

describe('toUniqueStringList (list.ToUniqueStringSlice)', () => {
  test.each<[unknown, string[]]>([
    [null, []],
    ['', []],
    ['a', ['a']],
    ['a b', ['a b']],
    ['["a","b","a"]', ['a', 'b']],
    ['[invalid', ['[invalid']],
    ['["a",1]', ['a', '["a",1]']],
    ['"x["', ['"x["']],
    [['a', 'b', 'a', ''], ['a', 'b']],
    [['a', 1, true], ['a', '1', 'true']],
    [['a', { x: 1 }], []],
    [['a', ['b']], []],
    [7, ['7']],
    [{ a: 1 }, []],
  ])('%j -> %j', (input, expected) => expect(toUniqueStringList(input)).toEqual(expected));
});

describe('inferFormValue (multipart reading)', () => {
  test.each<[string, unknown]>([
    ['', ''],
    ['true', true],
    ['false', false],
    ['12', 12],
    ['-1.5', -1.5],
    ['007', '007'],
    ['1.50', '1.50'],
    ['1e3', '1e3'],
    ['abc', 'abc'],
  ])('%j -> %j', (input, expected) => expect(inferFormValue(input)).toEqual(expected));

  test('a repeated key becomes a list, a single one a scalar', () => {
    expect(inferFormField(['1', 'a'])).toEqual([1, 'a']);
    expect(inferFormField(['true'])).toBe(true);
  });
});

test('sortJsonKeys orders object keys at every depth, arrays untouched', () => {
  expect(JSON.stringify(sortJsonKeys({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 2 } }))).toBe('{"a":{"c":2,"d":[{"y":2,"z":1}]},"b":1}');
});

test('runeLength counts code points', () => {
  expect(runeLength('aé🔑')).toBe(3);
  const codePoints = (s: string) => [...s].length;
  for (const s of ['', 'plain ascii', '🔑'.repeat(100), 'é🔑x'.repeat(50), '\ud800', 'a\udc00b', '\ud83d\ud83d\ude00', '🔑\ud800']) {
    expect(runeLength(s), JSON.stringify(s)).toBe(codePoints(s));
  }
});

describe('Go regex patterns', () => {
  test.each<[string, string, boolean]>([
    ['^[a-z0-9]+$', 'abc123', true],
    ['^[a-z0-9]+$', 'ABC', false],
    ['^[\\w][\\w\\.\\-]*$', 'john.doe-1', true],
    ['(?i)^abc$', 'ABC', true],
    ['\\Aabc\\z', 'abc', true],
    ['\\Aabc\\z', 'abc\n', false],
    ['^(?P<x>a+)$', 'aaa', true],
    ['\\_', '_', true],
    ['b', 'abc', true], // unanchored search
  ])('%s matches %j: %s', (pattern, value, expected) => expect(matchesGoRegex(pattern, value)).toBe(expected));

  test('invalid patterns report an error, valid ones compile once', () => {
    expect(regexError('(')).toBeTypeOf('string');
    expect(regexError('^a$')).toBeUndefined();
    expect(compileGoRegex('^a$')).toBe(compileGoRegex('^a$'));
  });
});
