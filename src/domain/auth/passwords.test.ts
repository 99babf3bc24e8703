import bcrypt from 'bcryptjs';
import { hash as argon2Hash } from '@node-rs/argon2';
import { verifySync as bcryptVerifySync } from '@node-rs/bcrypt';
import { describe, expect, test } from 'vitest';
import type { FieldDef } from '../../db/schema.ts';
import {
  ARGON2_PARAMS,
  collectionPasswordHashing,
  DEFAULT_PASSWORD_HASHING,
  hashPassword,
  needsRehash,
  passwordHashing,
  verifyPassword,
  type DummyCost,
  type PasswordHashing,
} from './passwords.ts';

const bcryptAt = (cost: number): PasswordHashing => ({ algorithm: 'bcrypt', cost });
const ARGON2ID: PasswordHashing = { algorithm: 'argon2id', cost: 10 };
const passwordFieldDef = (cost?: number): FieldDef =>
  ({ id: 'p', name: 'password', type: 'password', system: true, hidden: true, presentable: false, ...(cost === undefined ? {} : { cost }) }) as FieldDef;

describe('hashPassword', () => {
  test('defaults to bcrypt at cost 10 in the $2a$ form Go (PocketBase) writes, readable by bcryptjs', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
    expect(bcrypt.compareSync('correct horse', hash)).toBe(true);
    expect(bcrypt.compareSync('correct horsE', hash)).toBe(false);
  });

  test('follows the cost it is given', async () => {
    const hash = await hashPassword('x', bcryptAt(5));
    expect(hash.slice(0, 7)).toBe('$2a$05$');
    expect(bcrypt.getRounds(hash)).toBe(5);
  });

  test('argon2id, when opted in, makes a PHC string with the documented parameters', async () => {
    const hash = await hashPassword('correct horse', ARGON2ID);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  });

  test.each([DEFAULT_PASSWORD_HASHING, ARGON2ID])('salts every hash (%j)', async (hashing) => {
    const [a, b] = await Promise.all([hashPassword('same', hashing), hashPassword('same', hashing)]);
    expect(a).not.toBe(b);
  });
});

describe('passwordHashing', () => {
  test("takes the field's cost; 0 or none means bcrypt's default 10", () => {
    expect(passwordHashing(passwordFieldDef(12))).toEqual({ algorithm: 'bcrypt', cost: 12 });
    expect(passwordHashing(passwordFieldDef(0))).toEqual({ algorithm: 'bcrypt', cost: 10 });
    expect(passwordHashing(passwordFieldDef())).toEqual({ algorithm: 'bcrypt', cost: 10 });
    expect(passwordHashing(undefined, 'argon2id')).toEqual({ algorithm: 'argon2id', cost: 10 });
  });

  test("a collection's is its password field's", () => {
    const fields = [{ ...passwordFieldDef(), name: 'title', type: 'text' } as FieldDef, passwordFieldDef(7)];
    expect(collectionPasswordHashing({ fields }, 'argon2id')).toEqual({ algorithm: 'argon2id', cost: 7 });
  });
});

describe('verifyPassword with argon2id', () => {
  test('accepts the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse', ARGON2ID);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horsE', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  test('handles non-ASCII passwords', async () => {
    const hash = await hashPassword('пароль-密码-🔑', ARGON2ID);
    expect(await verifyPassword('пароль-密码-🔑', hash)).toBe(true);
    expect(await verifyPassword('пароль-密码-🔐', hash)).toBe(false);
  });
});

describe('verifyPassword with bcrypt (PocketBase hashes)', () => {
  test.each(['2a', '2b', '2y'])('verifies a $%s$ hash', async (revision) => {
    const made = await bcrypt.hash('1234567890', 4); // $2b$; revisions differ only in the prefix
    const hash = `$${revision}$${made.slice(4)}`;
    expect(await verifyPassword('1234567890', hash)).toBe(true);
    expect(await verifyPassword('1234567891', hash)).toBe(false);
  });

  test('counts only the first 72 bytes, like Go bcrypt and so PocketBase', async () => {
    const long = 'a'.repeat(72);
    const hash = await bcrypt.hash(long, 4);
    expect(await verifyPassword(long + 'anything', hash)).toBe(true);
    expect(await verifyPassword(long.slice(1), hash)).toBe(false);
  });

  test('verifies its own hashes, non-ASCII included', async () => {
    const hash = await hashPassword('пароль-密码-🔑', bcryptAt(4));
    expect(await verifyPassword('пароль-密码-🔑', hash)).toBe(true);
    expect(await verifyPassword('пароль-密码-🔐', hash)).toBe(false);
  });
});

describe('verifyPassword never throws on garbage', () => {
  const garbage = [
    '',
    'garbage',
    'plain text password',
    '$argon2id$',
    '$argon2id$v=19$m=19456,t=2,p=1$bm90YmFzZTY0$!!!',
    '$argon2id$v=19$m=abc,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA',
    '$2a$10$short',
    `$2q$10$${'a'.repeat(53)}`,
    `$2a$99$${'a'.repeat(53)}`,
    `$2a$10$${'\u00e9'.repeat(53)}`,
    '$pbkdf2-sha256$29000$N2bsXYvRWoux$abc',
  ];
  test.each(garbage)('%j -> false', async (hash) => {
    await expect(verifyPassword('1234567890', hash, { hashing: bcryptAt(4) })).resolves.toBe(false);
  });

  test('non-string input -> false', async () => {
    const dummy = { hashing: bcryptAt(4) };
    await expect(verifyPassword(undefined as unknown as string, 'x', dummy)).resolves.toBe(false);
    await expect(verifyPassword('x', null as unknown as string, dummy)).resolves.toBe(false);
    await expect(verifyPassword({} as unknown as string, await hashPassword('x', bcryptAt(4)), dummy)).resolves.toBe(false);
  });

  test('a dummy that cannot be made or used still answers false', async () => {
    await expect(verifyPassword('x', '', { hashing: bcryptAt(99) })).resolves.toBe(false);
    await expect(verifyPassword('x', '', { like: 'garbage', hashing: bcryptAt(4) })).resolves.toBe(false);
  });

  test('an unknown identity checked against a real hash of the collection is still refused, even with its password', async () => {
    const like = await hashPassword('1234567890', bcryptAt(4));
    await expect(verifyPassword('1234567890', '', { like })).resolves.toBe(false);
  });
});

describe('needsRehash', () => {
  test('under bcrypt (the default), bcrypt hashes at or above the field cost are kept: never upgraded to argon2id', async () => {
    expect(needsRehash(await bcrypt.hash('x', 10))).toBe(false);
    expect(needsRehash(await bcrypt.hash('x', 6), bcryptAt(6))).toBe(false);
    // PocketBase's test data: cost 13 hashes under cost-10 fields stay as they are.
    expect(needsRehash(await bcrypt.hash('x', 7), bcryptAt(6))).toBe(false);
  });

  test('under bcrypt, a hash below the field cost is rehashed (still bcrypt)', async () => {
    expect(needsRehash(await bcrypt.hash('x', 4), bcryptAt(6))).toBe(true);
  });

  test('under bcrypt, argon2 hashes go back to bcrypt, so PocketBase can read them', async () => {
    expect(needsRehash(await hashPassword('x', ARGON2ID))).toBe(true);
    expect(needsRehash(await hashPassword('x', ARGON2ID), bcryptAt(4))).toBe(true);
  });

  test('with argon2id opted in, bcrypt hashes are upgraded and a fresh argon2id hash is kept', async () => {
    expect(needsRehash(await bcrypt.hash('x', 4), ARGON2ID)).toBe(true);
    expect(needsRehash(await hashPassword('x', ARGON2ID), ARGON2ID)).toBe(false);
  });

  test('with argon2id opted in, other argon2 variants and weaker argon2id parameters are upgraded', async () => {
    expect(needsRehash(await argon2Hash('x', { ...ARGON2_PARAMS, algorithm: 1 as typeof ARGON2_PARAMS.algorithm }), ARGON2ID)).toBe(true);
    expect(needsRehash(await argon2Hash('x', { ...ARGON2_PARAMS, memoryCost: 4096 }), ARGON2ID)).toBe(true);
    expect(needsRehash(await argon2Hash('x', { ...ARGON2_PARAMS, timeCost: 1 }), ARGON2ID)).toBe(true);
  });

  test('garbage does not (there is nothing to upgrade)', () => {
    for (const hashing of [DEFAULT_PASSWORD_HASHING, ARGON2ID]) {
      for (const hash of ['', 'garbage', '$argon2id$broken', undefined as unknown as string]) expect(needsRehash(hash, hashing)).toBe(false);
    }
  });
});

// ---- timing ----------------------------------------------------------------------------------

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};

/** Milliseconds one check takes; it must refuse. */
async function timeRefusal(plain: string, hash: string, dummy: DummyCost): Promise<number> {
  const t = performance.now();
  expect(await verifyPassword(plain, hash, dummy)).toBe(false);
  return performance.now() - t;
}

/**
 * How much longer an unknown identity (hash '') takes than a wrong password for an existing
 * account: the median, over many rounds, of the ratio of the two times measured back to back (in
 * turn first), so that load on the machine hits both alike. A ratio of times, never absolute
 * times: the machine's speed cancels out.
 */
async function unknownOverWrong(accountHash: string, dummy: DummyCost, rounds = 21): Promise<number> {
  const ratios: number[] = [];
  await verifyPassword('warm-up', '', dummy); // the dummy hash is made on first use
  for (let i = 0; i < rounds; i++) {
    const plain = `wrong-${i}`;
    if (i % 2 === 0) {
      const wrong = await timeRefusal(plain, accountHash, dummy);
      ratios.push((await timeRefusal(plain, '', dummy)) / wrong);
    } else {
      const unknown = await timeRefusal(plain, '', dummy);
      ratios.push(unknown / (await timeRefusal(plain, accountHash, dummy)));
    }
  }
  return median(ratios);
}

const SAME = [0.7, 1.4] as const;

// Costs are chosen so that a dummy of the wrong kind would stand out: argon2id takes ~15-45 ms
// here, bcrypt ~8 ms at cost 6 and ~65 ms at 10 (the default), so a bcrypt cost-6 account checked
// against an argon2id dummy, or against the default cost, fails the bounds; and the reverse.
describe('an unknown identity costs what a wrong password costs (no account enumeration by timing)', () => {
  test('bcrypt: a dummy at the field cost matches accounts hashed at that cost', async () => {
    const account = await hashPassword('the password', bcryptAt(6));
    const ratio = await unknownOverWrong(account, { hashing: bcryptAt(6) });
    expect(ratio).toBeGreaterThan(SAME[0]);
    expect(ratio).toBeLessThan(SAME[1]);
  });

  test('argon2id opted in: the dummy is argon2id too, whatever bcrypt cost the field names', async () => {
    const hashing: PasswordHashing = { algorithm: 'argon2id', cost: 4 };
    const account = await hashPassword('the password', hashing);
    const ratio = await unknownOverWrong(account, { hashing }, 31);
    expect(ratio).toBeGreaterThan(SAME[0]);
    expect(ratio).toBeLessThan(SAME[1]);
  });

  test('a stored hash of the collection (`like`) wins over the field cost: accounts older than a cost change match', async () => {
    // PocketBase's own test data: cost-13 hashes under cost-10 fields. Here cost 8 under a field of 4.
    const account = await hashPassword('the password', bcryptAt(8));
    const other = await hashPassword('another account', bcryptAt(8));
    const ratio = await unknownOverWrong(account, { like: other, hashing: bcryptAt(4) });
    expect(ratio).toBeGreaterThan(SAME[0]);
    expect(ratio).toBeLessThan(SAME[1]);
  });

  // The measurement tells a wrong dummy apart: these are the ratios the tests above would see if
  // verifyPassword used another cost or algorithm than the one it is given.
  test('control: a dummy two bcrypt costs cheaper, or at the default cost 10 for a cost-6 field, is detected', async () => {
    const account = await hashPassword('the password', bcryptAt(9));
    expect(await unknownOverWrong(account, { hashing: bcryptAt(7) }, 11)).toBeLessThan(SAME[0]);
    const cheap = await hashPassword('the password', bcryptAt(6));
    expect(await unknownOverWrong(cheap, { hashing: DEFAULT_PASSWORD_HASHING }, 7)).toBeGreaterThan(SAME[1]);
  });

  test('control: a bcrypt dummy for argon2id accounts, and an argon2id dummy for bcrypt ones, are detected', async () => {
    const argonAccount = await hashPassword('the password', ARGON2ID);
    expect(await unknownOverWrong(argonAccount, { hashing: bcryptAt(4) }, 11)).toBeLessThan(SAME[0]);
    const bcryptAccount = await hashPassword('the password', bcryptAt(6));
    expect(await unknownOverWrong(bcryptAccount, { hashing: ARGON2ID }, 11)).toBeGreaterThan(SAME[1]);
  });
});

describe('hashing runs off the event loop', () => {
  /** Runs `work` while a 5 ms timer ticks; returns the longest gap between ticks. */
  async function longestTimerGap(work: () => Promise<unknown>): Promise<number> {
    let last = performance.now();
    let gap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      gap = Math.max(gap, now - last);
      last = now;
    }, 5);
    try {
      await work();
      const now = performance.now();
      return Math.max(gap, now - last);
    } finally {
      clearInterval(timer);
    }
  }

  test('the loop keeps ticking while several cost-12 hashes and checks run', async () => {
    const hash = await hashPassword('the password', bcryptAt(12));
    const durations: number[] = [];
    const timed = async (op: () => Promise<unknown>) => {
      const t = performance.now();
      await op();
      durations.push(performance.now() - t);
    };
    const gap = await longestTimerGap(() =>
      Promise.all([
        timed(() => hashPassword('a', bcryptAt(12))),
        timed(() => hashPassword('b', bcryptAt(12))),
        timed(() => verifyPassword('the password', hash)),
        timed(() => verifyPassword('wrong', hash)),
        timed(() => verifyPassword('unknown identity', '', { hashing: bcryptAt(12) })),
      ]),
    );
    // A check on the loop would stop the timer for all of it (see the control below); off the
    // loop, the timer only waits for a core, which on a busy machine can take a while too.
    const shortest = Math.min(...durations);
    expect(gap, `longest timer gap ${gap.toFixed(0)} ms; checks took ${durations.map((d) => d.toFixed(0)).join(', ')} ms`).toBeLessThan(shortest / 2);

    // Control: the same check on the loop stops the timer for as long as it runs.
    let onLoop = 0;
    const blocked = await longestTimerGap(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const t = performance.now();
      bcryptVerifySync('wrong', hash);
      onLoop = performance.now() - t;
    });
    expect(blocked).toBeGreaterThanOrEqual(onLoop);
  });
});
