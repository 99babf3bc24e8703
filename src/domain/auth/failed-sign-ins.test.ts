import { describe, expect, it } from 'vitest';
import { FAILURE_WINDOW_MS, FailedSignIns, MAX_FAILURES } from './failed-sign-ins.ts';

describe('FailedSignIns', () => {
  it('holds an identity back from its MAX_FAILURES-th failure until the window ends, per collection, case-insensitively', async () => {
    let now = 1_000_000;
    const failures = new FailedSignIns({ now: () => now });
    for (let i = 0; i < MAX_FAILURES - 1; i++) {
      failures.assertAllowed('c1', 'Ann@x.io');
      await failures.failed('c1', 'Ann@x.io');
    }
    failures.assertAllowed('c1', 'ann@x.io');
    await failures.failed('c1', 'ann@x.io');
    expect(() => failures.assertAllowed('c1', 'ANN@X.IO')).toThrow(expect.objectContaining({ status: 429 }));
    // Another collection's identity of the same name is another account.
    expect(() => failures.assertAllowed('c2', 'ann@x.io')).not.toThrow();
    now += FAILURE_WINDOW_MS - 1;
    expect(() => failures.assertAllowed('c1', 'ann@x.io')).toThrow();
    now += 1;
    expect(() => failures.assertAllowed('c1', 'ann@x.io')).not.toThrow();
    // A new window: a single failure does not hold it back again.
    await failures.failed('c1', 'ann@x.io');
    expect(() => failures.assertAllowed('c1', 'ann@x.io')).not.toThrow();
  });
});
