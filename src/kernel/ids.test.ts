import { describe, expect, it } from 'vitest';
import { isDefaultRecordId, newRecordId, randomFromPattern, randomString, timeOrderedIds } from './ids.ts';

describe('random ids', () => {
  it('makes PocketBase record ids, all different', () => {
    const ids = new Set(Array.from({ length: 10_000 }, newRecordId));
    expect(ids.size).toBe(10_000);
    for (const id of ids) expect(isDefaultRecordId(id)).toBe(true);
  });

  it('draws every character of the alphabet about equally often (no modulo bias)', () => {
    // 36 characters from bytes: without redrawing, the first 4 (256 % 36) would come 8/7 as often.
    const counts = new Map<string, number>();
    for (const c of randomString(360_000)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(36);
    for (const n of counts.values()) expect(Math.abs(n - 10_000)).toBeLessThan(600);
  });

  it.each([
    ['[a-z0-9]{15}', /^[a-z0-9]{15}$/],
    ['INV-\\d{4,6}', /^INV-\d{4,6}$/],
    ['[A-F]{2}_\\w{3}', /^[A-F]{2}_\w{3}$/],
    ['[\\u0000-\\uffff]{3}'.replace('\\u0000', '\u0000').replace('\\uffff', '\uffff'), /^[\s\S]{3}$/],
  ])('generates values matching %s', (pattern, re) => {
    for (let i = 0; i < 200; i++) expect(randomFromPattern(pattern)).toMatch(re);
  });

  it('uses every count of a {n,m} quantifier', () => {
    const lengths = new Set(Array.from({ length: 500 }, () => randomFromPattern('x{1,4}').length));
    expect([...lengths].sort()).toEqual([1, 2, 3, 4]);
  });
});

describe('timeOrderedIds', () => {
  it("has a record id's shape and sorts by its time", () => {
    let now = 1_700_000_000_000;
    const next = timeOrderedIds(() => now);
    const a = next();
    now += 1;
    const b = next();
    now = Date.UTC(5000, 0, 1);
    const c = next();
    for (const id of [a, b, c]) expect(isDefaultRecordId(id)).toBe(true);
    expect([c, b, a].sort()).toEqual([a, b, c]);
    expect(a.slice(0, 9)).toBe((1_700_000_000_000).toString(36).padStart(9, '0'));
  });

  it('never repeats within a millisecond and keeps increasing when the clock steps back', () => {
    let now = 1_700_000_000_000;
    const next = timeOrderedIds(() => now);
    const ids = Array.from({ length: 100_000 }, next);
    now -= 5_000;
    ids.push(...Array.from({ length: 1000 }, next));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(isDefaultRecordId(id)).toBe(true);
  });

  it('starts each millisecond at a random place', () => {
    const starts = new Set(Array.from({ length: 50 }, () => timeOrderedIds(() => 1)()));
    expect(starts.size).toBe(50);
  });
});
