import { describe, expect, it } from 'vitest';
import { MemoryExpiringKeys } from './expiring-keys.ts';

describe('MemoryExpiringKeys', () => {
  it('holds a key until its time is up, and can drop it early', () => {
    let now = 1_000;
    const keys = new MemoryExpiringKeys(() => now);
    keys.set('a', 100);
    keys.set('b', 100);
    expect(keys.has('a')).toBe(true);
    keys.delete('b');
    expect(keys.has('b')).toBe(false);
    now += 99;
    expect(keys.has('a')).toBe(true);
    now += 1;
    expect(keys.has('a')).toBe(false);
    expect(keys.has('never')).toBe(false);
  });

  it('setting again extends the expiry', () => {
    let now = 0;
    const keys = new MemoryExpiringKeys(() => now);
    keys.set('a', 100);
    now = 80;
    keys.set('a', 100);
    now = 150;
    expect(keys.has('a')).toBe(true);
  });
});
