import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from './rate-limit.ts';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('MemoryRateLimiter (fixed window)', () => {
  it('allows maxRequests per window, then refuses until the window ends', () => {
    const c = clock();
    const limiter = new MemoryRateLimiter({ now: c.now });
    expect(limiter.hit('k', 2, 3000)).toEqual({ allowed: true, retryAfterMs: 0 });
    expect(limiter.hit('k', 2, 3000).allowed).toBe(true);
    c.advance(1000);
    expect(limiter.hit('k', 2, 3000)).toEqual({ allowed: false, retryAfterMs: 2000 });
    // Another key has its own counter.
    expect(limiter.hit('other', 2, 3000).allowed).toBe(true);
    c.advance(2000);
    expect(limiter.hit('k', 2, 3000).allowed).toBe(true);
  });

  it('forgets every counter on reset', () => {
    const limiter = new MemoryRateLimiter();
    limiter.hit('k', 1, 60_000);
    expect(limiter.hit('k', 1, 60_000).allowed).toBe(false);
    limiter.reset();
    expect(limiter.hit('k', 1, 60_000).allowed).toBe(true);
  });

  it('sweeps ended windows and keeps at most maxKeys', () => {
    const c = clock();
    const limiter = new MemoryRateLimiter({ now: c.now, maxKeys: 3, sweepIntervalMs: 10_000 });
    for (const k of ['a', 'b', 'c']) limiter.hit(k, 1, 1000);
    expect(limiter.size).toBe(3);
    // Full: the oldest window goes.
    limiter.hit('d', 1, 60_000);
    expect(limiter.size).toBe(3);
    expect(limiter.hit('a', 1, 1000).allowed).toBe(true);
    // Past the sweep interval, ended windows are dropped on the next hit.
    c.advance(20_000);
    limiter.hit('e', 1, 1000);
    expect(limiter.size).toBe(2);
  });
});
