/**
 * Request counters for rate limits: a fixed window per key, as PocketBase counts (apis/
 * middlewares_rate_limit.go). The memory store serves one process; several nodes would share a
 * store with the same interface (Redis `INCR` + `PEXPIRE`), which is why `hit` may return a promise.
 */
export interface RateLimitHit {
  allowed: boolean;
  /** Until the key's window ends (0 when allowed and the window is new). */
  retryAfterMs: number;
}

export interface RateLimiter {
  /**
   * Counts one request for `key`: allowed while the window started by the key's first request
   * has seen at most `maxRequests`; the window lasts `durationMs` and then starts again.
   * A local store answers synchronously, so a request pays no promise for it.
   */
  hit(key: string, maxRequests: number, durationMs: number): RateLimitHit | Promise<RateLimitHit>;
  /** Forgets every counter (the rules changed). */
  reset(): void | Promise<void>;
}

export interface MemoryRateLimiterOptions {
  /**
   * Most keys kept (default 100 000, some 10 MB): past it, the oldest window is forgotten, so a
   * flood of new clients costs bounded memory. The trade-off: a client whose counter is dropped
   * starts a fresh window; only a flood from that many addresses can cause it.
   */
  maxKeys?: number;
  /** How often ended windows are swept at most (default 60 s; lazily, on a hit: no timer). */
  sweepIntervalMs?: number;
  now?: () => number;
}

interface Window {
  start: number;
  durationMs: number;
  count: number;
}

export class MemoryRateLimiter implements RateLimiter {
  /** In order of window start (a key whose window restarts moves to the end). */
  private readonly windows = new Map<string, Window>();
  private readonly maxKeys: number;
  private readonly sweepIntervalMs: number;
  private readonly now: () => number;
  private lastSweep: number;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.maxKeys = Math.max(1, options.maxKeys ?? 100_000);
    this.sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.lastSweep = this.now();
  }

  hit(key: string, maxRequests: number, durationMs: number): RateLimitHit {
    const now = this.now();
    if (now - this.lastSweep >= this.sweepIntervalMs) this.sweep(now);
    let window = this.windows.get(key);
    if (window && now - window.start >= window.durationMs) {
      this.windows.delete(key);
      window = undefined;
    }
    if (!window) {
      if (this.windows.size >= this.maxKeys) this.evictOldest(now);
      window = { start: now, durationMs, count: 0 };
      this.windows.set(key, window);
    }
    if (window.count < maxRequests) {
      window.count++;
      return { allowed: true, retryAfterMs: 0 };
    }
    return { allowed: false, retryAfterMs: window.start + window.durationMs - now };
  }

  reset(): void {
    this.windows.clear();
  }

  /** How many keys are held (for tests of the bounds). */
  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, window] of this.windows) if (now - window.start >= window.durationMs) this.windows.delete(key);
  }

  /** Sweeps when a sweep is due, else drops the oldest window (the first in the map). */
  private evictOldest(now: number): void {
    if (now - this.lastSweep >= 1000) this.sweep(now);
    if (this.windows.size < this.maxKeys) return;
    const oldest = this.windows.keys().next();
    if (!oldest.done) this.windows.delete(oldest.value);
  }
}
