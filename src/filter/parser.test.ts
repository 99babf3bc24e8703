import { describe, expect, it } from 'vitest';
import { isApiError } from '../kernel/errors.ts';
import { and, compare, comparesOwnColumnsOnly, func, ident, macro, num, or, placeholder, str } from './ast.ts';
import { tokenize } from './lexer.ts';
import { parseFilter } from './parser.ts';


const errorOf = (src: string): string => {
  try {
    parseFilter(src);
  } catch (e) {
    expect(isApiError(e) && e.status).toBe(400);
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(src)} to fail`);
};

describe('lexer', () => {
  it('scans identifiers with paths, modifiers and special starts', () => {
    expect(tokenize('@request.auth.id a.b_c:lower _x #y @collection.u:al.f').map((t) => [t.kind, t.text])).toEqual([
      ['ident', '@request.auth.id'], ['ident', 'a.b_c:lower'], ['ident', '_x'], ['ident', '#y'], ['ident', '@collection.u:al.f'], ['eof', ''],
    ]);
  });

  it('scans numbers (negative, decimal), strings and placeholders with positions', () => {
    expect(tokenize(`-1.5 10 'a' "b" {:p1}`)).toEqual([
      { kind: 'number', text: '-1.5', pos: 0 }, { kind: 'number', text: '10', pos: 5 },
      { kind: 'string', text: 'a', pos: 8 }, { kind: 'string', text: 'b', pos: 12 },
      { kind: 'placeholder', text: 'p1', pos: 16 }, { kind: 'eof', text: '', pos: 21 },
    ]);
  });

  it("reads JSON's escapes (what pb.filter writes) and keeps other backslashes (LIKE escapes)", () => {
    expect(tokenize(String.raw`'it\'s' "say \"hi\"" 'a\%b' 'x\"y' "back\\slash" "nl\n" "nul\u0000!" "end\\"`).slice(0, 8).map((t) => t.text))
      .toEqual(["it's", 'say "hi"', String.raw`a\%b`, 'x"y', 'back\\slash', 'nl\n', 'nul\u0000!', 'end\\']);
  });

  it('refuses a lone UTF-16 surrogate, escaped or not; a pair is one character', () => {
    expect(() => tokenize(String.raw`'\ud800'`)).toThrow(/lone UTF-16 surrogate/);
    expect(() => tokenize(String.raw`'x\udc00'`)).toThrow(/lone UTF-16 surrogate/);
    expect(() => tokenize("'\ud800 unescaped'")).toThrow(/lone UTF-16 surrogate/);
    expect(tokenize(String.raw`'\ud83d\ude00'`)[0].text).toBe('\u{1F600}');
  });

  it('a backslash before the closing quote escapes it: the string is unterminated', () => {
    expect(() => tokenize(String.raw`"trailing\"`)).toThrow(/unterminated string/);
  });

  it('skips comments and whitespace including CR', () => {
    expect(tokenize('a // comment = 1\r\n= 1').map((t) => t.kind)).toEqual(['ident', 'op', 'number', 'eof']);
  });

  it('distinguishes functions (name directly followed by "(") from identifiers', () => {
    expect(tokenize('f(1) f (1)').map((t) => t.kind)).toEqual(['func', 'lparen', 'number', 'rparen', 'ident', 'lparen', 'number', 'rparen', 'eof']);
  });

  it.each([
    ['a = 1.', 'invalid number "1." at 4'],
    ['a = -', 'invalid number "-" at 4'],
    ['a == 1', 'invalid operator "==" at 2'],
    ['a = 1 & b = 2', 'invalid operator "&" at 6'],
    ['a = 1 ||| b = 2', 'invalid operator "|||" at 6'],
    ['a = / 1', 'invalid comment at 4'],
    ["a = 'open", 'unterminated string starting at 4'],
    ["a = 'x\\'", 'unterminated string starting at 4'],
    ['a. = 1', 'invalid identifier "a." at 0'],
    ['a: = 1', 'invalid identifier "a:" at 0'],
    ['@ = 1', 'invalid identifier "@" at 0'],
    ['a = {:x', 'invalid placeholder at 4 (expected {:name})'],
    ['a = $1', 'unexpected character "$" at 4'],
    ['a = 1;', 'unexpected character ";" at 5'],
    ['a = \u0000', 'unexpected character "\\u0000" at 4'],
  ])('rejects %j', (src, message) => {
    expect(errorOf(src)).toBe(`Invalid filter: ${message}`);
  });
});

describe('parser', () => {
  it('builds frozen, kind-tagged trees', () => {
    const tree = parseFilter("title = 'x'");
    expect(tree).toEqual(compare(ident('title'), '=', str('x')));
    expect(Object.isFrozen(tree)).toBe(true);
    expect(tree.kind).toBe('compare');
  });

  it('parses every operator', () => {
    for (const op of ['=', '!=', '>', '>=', '<', '<=', '~', '!~', '?=', '?!=', '?>', '?>=', '?<', '?<=', '?~', '?!~'] as const) {
      expect(parseFilter(`a${op}1`)).toEqual(compare(ident('a'), op, num(1)));
    }
  });

  it('gives && precedence over || and honours parentheses', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => compare(ident(n), '=', num(1)));
    expect(parseFilter('a=1 || b=1 && c=1')).toEqual(or(a, and(b, c)));
    expect(parseFilter('(a=1 || b=1) && c=1')).toEqual(and(or(a, b), c));
    expect(parseFilter('((a=1))')).toEqual(a);
    expect(parseFilter('a=1 && b=1 && c=1')).toEqual(and(a, b, c));
  });

  it('recognises macros, placeholders, literals on either side and functions with nested args', () => {
    expect(parseFilter('@now > created')).toEqual(compare(macro('@now'), '>', ident('created')));
    expect(parseFilter("'x' = {:p}")).toEqual(compare(str('x'), '=', placeholder('p')));
    expect(parseFilter("strftime('%Y', created, 'start of day',) = '2024'")).toEqual(
      compare(func('strftime', [str('%Y'), ident('created'), str('start of day')]), '=', str('2024')),
    );
    expect(parseFilter('geoDistance(loc.lon, loc.lat, 1.5, -2) < 10')).toEqual(
      compare(func('geoDistance', [ident('loc.lon'), ident('loc.lat'), num(1.5), num(-2)]), '<', num(10)),
    );
    expect(parseFilter('f(g(h(1))) = 1').kind).toBe('compare');
    expect(parseFilter('@nowish = 1')).toEqual(compare(ident('@nowish'), '=', num(1)));
  });

  it('allows comments between tokens and inside function calls', () => {
    expect(parseFilter('a = 1 // first\n&& f(1, // arg\n 2) = 3')).toEqual(
      and(compare(ident('a'), '=', num(1)), compare(func('f', [num(1), num(2)]), '=', num(3))),
    );
  });

  it.each([
    ['', 'empty expression'],
    ['  // only a comment', 'empty expression'],
    ['a', 'unexpected end of input, expected an operator'],
    ['a =', 'unexpected end of input, expected a field, value or function'],
    ['a = 1 b = 2', 'unexpected token "b" at 6, expected "&&" or "||"'],
    ['a = 1 &&', 'unexpected end of input, expected a field, value or function'],
    ['(a = 1', 'unexpected end of input, expected ")"'],
    ['a = 1)', 'unexpected token ")" at 5, expected "&&" or "||"'],
    ['() && a = 1', 'empty parentheses at 0'],
    ['a = (1)', 'unexpected token "(" at 4, expected a field, value or function'],
    ['&& a = 1', 'unexpected token "&&" at 0, expected a field, value or function'],
    ['a = b = c', 'unexpected token "=" at 6, expected "&&" or "||"'],
    ['f(1 2) = 1', 'unexpected token "2" at 4, expected "," or ")"'],
    ['f(,) = 1', 'unexpected token "," at 2, expected a field, value or function'],
    ['f(1 = 1', 'unexpected token "=" at 4, expected "," or ")"'],
    ['f(1', 'unexpected end of input, expected "," or ")"'],
    ['f(g(h(i(1)))) = 1', 'too deeply nested function calls at 6'],
  ])('rejects %j', (src, message) => {
    expect(errorOf(src)).toBe(`Invalid filter: ${message}`);
  });

  it('enforces the length, expression and depth limits', () => {
    expect(errorOf(`a = '${'x'.repeat(3500)}'`)).toBe('Invalid filter: too long (max 3500 bytes)');
    expect(() => parseFilter(`a = '${'x'.repeat(3494)}'`)).not.toThrow();
    // 3500 bytes counted in UTF-8, as PocketBase does
    expect(errorOf(`a = '${'é'.repeat(1750)}'`)).toBe('Invalid filter: too long (max 3500 bytes)');
    expect(() => parseFilter(Array.from({ length: 200 }, () => 'a=1').join('&&'))).not.toThrow();
    expect(errorOf(Array.from({ length: 201 }, () => 'a=1').join('&&'))).toBe('Invalid filter: too many expressions (max 200)');
    expect(() => parseFilter(`${'('.repeat(20)}a=1${')'.repeat(20)}`)).not.toThrow();
    expect(errorOf(`${'('.repeat(21)}a=1${')'.repeat(21)}`)).toBe('Invalid filter: too deeply nested at 20 (max 20 levels)');
  });

  it('caches trees by text', () => {
    expect(parseFilter('cached = 1')).toBe(parseFilter('cached = 1'));
  });
});

describe('comparesOwnColumnsOnly', () => {
  it.each<[string, boolean]>([
    ['(views > 500 && published = true)', true],
    ["title = 'x' || (views >= 1 && status != null)", true],
    ["created > @now && id = {:id}", true],
    ["title ~ 'x'", false],
    ["tags ?= 'a'", true],
    ["tags ?~ 'a'", false],
    ["author.name = 'x'", false],
    ["data.a = 1", false],
    ["tags:length > 1", false],
    ["@request.auth.id = author", false],
    ["strftime('%Y', created) = '2024'", false],
  ])('%s: %s', (filter, expected) => {
    expect(comparesOwnColumnsOnly(parseFilter(filter))).toBe(expected);
  });
});
