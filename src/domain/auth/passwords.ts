/**
 * Password hashing. New hashes are bcrypt at the password field's `cost`, as PocketBase makes them,
 * so a data directory Baton has written stays readable by PocketBase. argon2id is an opt-in for new
 * hashes (`--password-hash=argon2id`); bcrypt (`$2a$`, `$2b$`, `$2y$`) and argon2 hashes both verify
 * whatever the setting.
 *
 * Compatibility trade-off: PocketBase only understands bcrypt. With argon2id opted in, an account
 * whose password is stored as argon2id (set or rehashed since) cannot sign in on PocketBase until
 * its password is bcrypt again: set anew, or rehashed once Baton is back on bcrypt (`needsRehash`
 * says so for every argon2 hash under bcrypt).
 *
 * Both libraries run on libuv's thread pool (napi-rs async work), never on the event loop: a bcrypt
 * check at cost 13 takes ~0.5-1 s and must not stall other requests. Four run at once by default
 * (UV_THREADPOOL_SIZE), shared with file system work.
 */
import { hash as argon2Hash, verify as argon2Verify, parseOptions as argon2ParseOptions, type Algorithm, type Options as Argon2Options } from '@node-rs/argon2';
import { hash as bcryptHash, verify as bcryptVerify } from '@node-rs/bcrypt';
import { randomBytes } from 'node:crypto';
import type { FieldDef } from '../../db/schema.ts';
import { DEFAULT_PASSWORD_COST, passwordCost } from '../collections/fields/password.ts';

export type PasswordAlgorithm = 'bcrypt' | 'argon2id';

/** How new hashes are made: the configured algorithm and the password field's bcrypt cost. */
export interface PasswordHashing {
  readonly algorithm: PasswordAlgorithm;
  /** bcrypt's cost, 4..31 (`passwordCost(field)`). argon2id ignores it and uses ARGON2_PARAMS. */
  readonly cost: number;
}

/** PocketBase's: bcrypt at cost 10 (a password field whose `cost` is 0). */
export const DEFAULT_PASSWORD_HASHING: PasswordHashing = Object.freeze({ algorithm: 'bcrypt', cost: DEFAULT_PASSWORD_COST });

/** How new hashes of the password field `field` are made under the configured algorithm. */
export function passwordHashing(field: FieldDef | undefined, algorithm: PasswordAlgorithm = 'bcrypt'): PasswordHashing {
  return Object.freeze({ algorithm, cost: field ? passwordCost(field) : DEFAULT_PASSWORD_COST });
}

/** The same for a collection: its password field (auth collections have one, named `password`). */
export const collectionPasswordHashing = (collection: { readonly fields: readonly FieldDef[] }, algorithm: PasswordAlgorithm = 'bcrypt'): PasswordHashing =>
  passwordHashing(collection.fields.find((f) => f.type === 'password'), algorithm);

// `Algorithm` is a const enum in the typings but an empty object at runtime under esbuild/tsx,
// so the numeric member value is spelled out here. 2 = Argon2id.
const ARGON2ID = 2 as Algorithm;

/**
 * argon2id at OWASP's recommended baseline: 19 MiB, 2 passes, 1 lane. About 40-70 ms per hash here. The memory is per concurrent hash
 * and hashes run on libuv's thread pool (4 by default), so peak use stays near 80 MiB however
 * many logins arrive at once. 16-byte random salt and 32-byte output are the library defaults.
 */
export const ARGON2_PARAMS = Object.freeze({
  algorithm: ARGON2ID,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
} satisfies Argon2Options);

const BCRYPT_RE = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
const ARGON2_RE = /^\$argon2(id|i|d)\$/;

export const isBcryptHash = (hash: string): boolean => BCRYPT_RE.test(hash);
export const isArgon2Hash = (hash: string): boolean => ARGON2_RE.test(hash);

/** The cost written in a bcrypt hash (`$2a$13$…` -> 13). */
const bcryptCost = (hash: string): number => Number(hash.slice(4, 6));

/**
 * Hashes a password: bcrypt at `hashing.cost` as `$2a$<cost>$…` (what Go's bcrypt, and so
 * PocketBase, writes), or argon2id as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
 * bcrypt uses only the first 72 bytes of a password; a longer one is cut, not refused.
 */
export async function hashPassword(plain: string, hashing: PasswordHashing = DEFAULT_PASSWORD_HASHING): Promise<string> {
  if (hashing.algorithm === 'argon2id') return argon2Hash(plain, ARGON2_PARAMS);
  // The Rust implementation writes `$2b$`. For passwords cut at 72 bytes, as both cut them, 2a and 2b
  // compute the same digest (2b only fixed a length wrap-around past 255 bytes in OpenBSD's C code),
  // so the prefix is PocketBase's own.
  const hash = await bcryptHash(plain, hashing.cost);
  return `$2a$${hash.slice(4)}`;
}

/** What the check for an unknown identity should cost (see verifyPassword). */
export interface DummyCost {
  /**
   * A stored hash of the same collection, as PocketBase checks against any record's hash: the
   * check then costs exactly what that account's costs, whatever cost or algorithm made it.
   */
  readonly like?: string;
  /** Used when `like` is absent or unusable: what a new hash of the collection costs. Default DEFAULT_PASSWORD_HASHING. */
  readonly hashing?: PasswordHashing;
}

/**
 * True when `plain` matches `hash` (argon2 PHC or bcrypt). Never throws: unknown formats, empty or
 * corrupt hashes and non-string input all give false.
 *
 * Both libraries compare digests in constant time. For a hash it cannot use (no such account, an
 * empty password) it still spends one check costed by `dummy` and answers false, so a sign-in with
 * an unknown identity takes as long as a wrong password for an existing account and does not reveal
 * which accounts exist. That holds when the dummy matches the account's hash: pass `like` (a stored
 * hash of the collection) or at least `hashing` of the collection's password field; a dummy at
 * another algorithm or cost is told apart by timing (bcrypt cost 13 is ~8 times cost 10).
 */
export async function verifyPassword(plain: string, hash: string, dummy: DummyCost = {}): Promise<boolean> {
  if (typeof plain !== 'string' || typeof hash !== 'string') return dummyVerify(typeof plain === 'string' ? plain : '', dummy);
  try {
    if (isArgon2Hash(hash)) return await argon2Verify(hash, plain);
    if (isBcryptHash(hash)) return await bcryptVerify(plain, hash);
  } catch {
    return false;
  }
  return dummyVerify(plain, dummy);
}

/**
 * True when a hash that just verified should be replaced by `hashPassword(plain, hashing)`:
 * - under bcrypt (the default): argon2 hashes, so the account can sign in on PocketBase again, and
 *   bcrypt hashes below the field's cost. bcrypt is never upgraded to argon2id; a bcrypt hash above
 *   the field's cost is kept (PocketBase's test data holds cost 13 hashes under cost-10 fields).
 * - under argon2id (opted in): bcrypt hashes, argon2 variants other than argon2id, and argon2id
 *   hashes weaker than ARGON2_PARAMS.
 * Unparsable hashes give false: there is nothing sensible to upgrade.
 */
export function needsRehash(hash: string, hashing: PasswordHashing = DEFAULT_PASSWORD_HASHING): boolean {
  if (typeof hash !== 'string') return false;
  if (isBcryptHash(hash)) return hashing.algorithm === 'argon2id' || bcryptCost(hash) < hashing.cost;
  if (!isArgon2Hash(hash)) return false;
  try {
    const o = argon2ParseOptions(hash);
    return (
      hashing.algorithm === 'bcrypt' ||
      o.algorithm !== ARGON2_PARAMS.algorithm ||
      o.memoryCost < ARGON2_PARAMS.memoryCost ||
      o.timeCost < ARGON2_PARAMS.timeCost ||
      o.outputLen < ARGON2_PARAMS.outputLen
    );
  } catch {
    return false;
  }
}

/**
 * Dummy hashes of random passwords, one per algorithm and cost, made on first use. A pure value
 * cached per process (at most 29 entries: costs 4..31 and argon2id); a failed hash is not kept.
 */
const dummyHashes = new Map<string, Promise<string>>();

function dummyHashFor(hashing: PasswordHashing): Promise<string> {
  const key = hashing.algorithm === 'argon2id' ? 'argon2id' : `bcrypt:${hashing.cost}`;
  let made = dummyHashes.get(key);
  if (!made) {
    made = hashPassword(randomBytes(16).toString('hex'), hashing);
    dummyHashes.set(key, made);
    made.catch(() => dummyHashes.delete(key));
  }
  return made;
}

/**
 * Spends one check as costly as `dummy` describes and answers false. Against `like` the plain
 * password is checked as given (its result is dropped): the work is the account's own check.
 */
async function dummyVerify(plain: string, dummy: DummyCost): Promise<false> {
  try {
    const like = typeof dummy.like === 'string' && (isBcryptHash(dummy.like) || isArgon2Hash(dummy.like)) ? dummy.like : undefined;
    const hash = like ?? (await dummyHashFor(dummy.hashing ?? DEFAULT_PASSWORD_HASHING));
    if (isArgon2Hash(hash)) await argon2Verify(hash, plain);
    else await bcryptVerify(plain, hash);
  } catch {
    // Timing padding only; an error here changes nothing about the answer.
  }
  return false;
}
