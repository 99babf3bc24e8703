import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteNumberText } from './affinity.ts';

/**
 * sqliteNumberText() is the text SQLite gives a number (`~`, a text column against a number);
 * PostgreSQL's baton_real_text() and MySQL's realText() render the same layout, and the
 * differential test compares those with SQLite. Here: the function against SQLite itself.
 */
describe('sqliteNumberText', () => {
  const db = new Database(':memory:');
  afterAll(() => db.close());
  const real = db.prepare<[number], { t: string }>('SELECT CAST(? AS TEXT) AS t');
  const integer = db.prepare<[bigint], { t: string }>('SELECT CAST(? AS TEXT) AS t');

  it.each([0, 1, -1, 0.5, 2.5, 100, 1e15, 1e16, 1e17, 1e20, 1e21, 1e-4, 1e-5, 1.5e-7, 123.456, -0.001, 1e300, 1e-300])('REAL %s', (n) => {
    expect(sqliteNumberText(n, false)).toBe(real.get(n)?.t);
  });

  // SQLite writes up to 17 digits with a conversion of its own: a number of more than 13 significant
  // digits, and rarely one just below a power of ten (0.000996618 as 0.0009966179999999999) or of a
  // large exponent (1e165 as 9.999999999999999e+164), can come out longer than the shortest text
  // used here (docs/dialects.md, "Known differences in filters").
  it('REALs of up to 12 significant digits, as SQLite writes them', () => {
    const value = fc.tuple(fc.integer({ min: 1 - 1e12, max: 1e12 - 1 }), fc.integer({ min: -25, max: 25 }))
      .map(([digits, exponent]) => Number(`${digits}e${exponent}`))
      .filter((n) => !/^-?[0.]*9/.test(String(n)));
    fc.assert(fc.property(value, (n) => sqliteNumberText(n, false) === real.get(n)?.t), { numRuns: 2000 });
  });

  it('INTEGERs as their digits', () => {
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => sqliteNumberText(n, true) === integer.get(BigInt(n))?.t), { numRuns: 500 });
  });
});
