import { describe, expect, it } from 'vitest';
import { approxBytes } from './size.ts';

describe('approxBytes', () => {
  it('grows with the text a value holds, nested included', () => {
    const small = approxBytes({ id: 'abc', title: 'x' });
    const big = approxBytes({ id: 'abc', title: 'x'.repeat(1_000_000) });
    expect(big - small).toBeGreaterThanOrEqual(2 * 999_999);
    expect(approxBytes({ data: { list: ['a'.repeat(5000), { deep: 'b'.repeat(5000) }] } })).toBeGreaterThan(20_000);
  });

  it('stops counting past its limit', () => {
    const value = { items: Array.from({ length: 100_000 }, (_, i) => `item ${i}`) };
    const bounded = approxBytes(value, 10_000);
    expect(bounded).toBeGreaterThan(10_000);
    expect(bounded).toBeLessThan(approxBytes(value));
  });
});
