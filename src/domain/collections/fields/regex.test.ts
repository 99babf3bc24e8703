import { describe, expect, it } from 'vitest';
import { matchesGoRegex, regexError } from './regex.ts';

describe('Go-syntax field patterns on RE2', () => {
  it.each([
    ['(?i)^abc$', 'ABC', true],
    ['^(?P<word>\\w+)$', 'hello', true],
    ['\\Afoo\\z', 'foo', true],
    ['\\Afoo\\z', 'foo\n', false],
    ['^[a-z0-9]+$', 'abc123', true],
    ['^[a-z0-9]+$', 'ABC', false],
    ['b', 'abc', true], // unanchored search, like Go's MatchString
  ])('%s matches %j: %s', (pattern, value, expected) => {
    expect(matchesGoRegex(pattern, value)).toBe(expected);
  });

  it('reports invalid patterns', () => {
    expect(regexError('(unclosed')).toBeTruthy();
    expect(regexError('^ok$')).toBeUndefined();
    // Backreferences are not RE2: refused rather than run with backtracking.
    expect(regexError('(a)\\1')).toBeTruthy();
  });

  it('runs a catastrophic-backtracking pattern in linear time', () => {
    // With a backtracking engine this pattern never finishes on such an input.
    const hostile = `${'a '.repeat(2500)}!`;
    expect(matchesGoRegex('^(\\w+\\s?)*$', hostile)).toBe(false);
  });
});
