/**
 * Wrong passwords per identity: the per-IP rate limits (settings.rateLimits, off by default as in
 * PocketBase) do not stop a guesser who rotates addresses against one account. After MAX_FAILURES
 * failed password sign-ins for an identity of a collection within the window, that identity's
 * password sign-ins answer 429 until the window ends, whoever sends them. Unknown identities are
 * counted alike, so the 429 tells nothing about which accounts exist. Successful sign-ins are not
 * counted: a script that signs in often is never stopped. (Beyond PocketBase, which has no such
 * bound. The trade-off: someone who knows an identity can hold its password sign-ins back for
 * the window; OTP and OAuth2 still sign it in.)
 */
import { ApiError } from '../../kernel/errors.ts';
import { MemoryExpiringKeys, type ExpiringKeys } from '../../infra/expiring-keys.ts';
import { MemoryRateLimiter, type RateLimiter } from '../../infra/rate-limit.ts';

export const MAX_FAILURES = 10;
export const FAILURE_WINDOW_MS = 5 * 60_000;

export interface FailedSignInsOptions {
  /** Counts failures (a memory store of its own unless given; several nodes share one). */
  counter?: RateLimiter;
  /** Identities held back, until their window ends. */
  blocked?: ExpiringKeys;
  now?: () => number;
}

export class FailedSignIns {
  private readonly counter: RateLimiter;
  private readonly blocked: ExpiringKeys;

  constructor(options: FailedSignInsOptions = {}) {
    this.counter = options.counter ?? new MemoryRateLimiter({ now: options.now });
    this.blocked = options.blocked ?? new MemoryExpiringKeys(options.now);
  }

  /** Refuses (429) an identity held back by its failures. */
  assertAllowed(collectionId: string, identity: string): void {
    if (this.blocked.has(key(collectionId, identity))) {
      throw new ApiError(429, 'Too many failed sign-in attempts, please try again later.');
    }
  }

  /** Counts a failed sign-in; past MAX_FAILURES the identity is held back for the rest of the window. */
  async failed(collectionId: string, identity: string): Promise<void> {
    const k = key(collectionId, identity);
    // The limiter allows its maximum and refuses the next: the MAX_FAILURES-th failure is refused.
    const hit = await this.counter.hit(k, MAX_FAILURES - 1, FAILURE_WINDOW_MS);
    if (!hit.allowed) this.blocked.set(k, Math.max(1, hit.retryAfterMs));
  }
}

/** Identities compared without case: `Ann@x.io` and `ann@x.io` share one count. */
const key = (collectionId: string, identity: string) => `${collectionId}\n${identity.toLowerCase()}`;
