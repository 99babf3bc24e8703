/**
 * Keys that disappear after a while, such as PocketBase's resend locks ("a verification mail went
 * to this record less than 2 minutes ago"). The memory implementation serves one process; several
 * nodes would share a store with the same interface (Redis `SET … PX`).
 */
export interface ExpiringKeys {
  has(key: string): boolean;
  /** Sets the key for `ttlMs` milliseconds, replacing an earlier expiry. */
  set(key: string, ttlMs: number): void;
  delete(key: string): void;
}

/** Expiry is checked on read, so no timers keep the process alive; expired keys are swept on write. */
export class MemoryExpiringKeys implements ExpiringKeys {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  has(key: string): boolean {
    const expiry = this.expiries.get(key);
    if (expiry === undefined) return false;
    if (expiry > this.now()) return true;
    this.expiries.delete(key);
    return false;
  }

  set(key: string, ttlMs: number): void {
    this.sweep();
    this.expiries.set(key, this.now() + ttlMs);
  }

  delete(key: string): void {
    this.expiries.delete(key);
  }

  /** Drops what has expired, so keys nobody reads again do not pile up. */
  private sweep(): void {
    const now = this.now();
    for (const [key, expiry] of this.expiries) if (expiry <= now) this.expiries.delete(key);
  }
}
