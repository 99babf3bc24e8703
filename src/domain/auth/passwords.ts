/**
 * Password hashing. New hashes are argon2id; PocketBase's bcrypt hashes (`$2a$`, `$2b$`, `$2y$`)
 * still verify, so an imported PocketBase data directory keeps every login working.
 *
 * Compatibility trade-off: PocketBase itself only understands bcrypt. Once a password is stored as
 * argon2id (new accounts, or a bcrypt hash upgraded after `needsRehash`), that database can no longer
 * be served by PocketBase for that account. Whoever wires rehash-on-login decides whether that is wanted.
 */
import { hash as argon2Hash, verify as argon2Verify, parseOptions as argon2ParseOptions, type Algorithm, type Options as Argon2Options } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';
import { randomBytes } from 'node:crypto';

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

/** Hashes a password as an argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`). */
export function hashPassword(plain: string): Promise<string> {
  return argon2Hash(plain, ARGON2_PARAMS);
}

/**
 * True when `plain` matches `hash` (argon2 PHC or bcrypt). Never throws: unknown formats, empty or
 * corrupt hashes and non-string input all give false.
 *
 * Both libraries compare digests in constant time. For a hash it cannot use (empty password, no such
 * account) it still runs one argon2id verification against a dummy hash, so callers that pass `''`
 * when the identity is unknown answer in about the same time as for a wrong password and do not
 * reveal which accounts exist. (A bcrypt hash at PocketBase's cost 13 is slower than argon2id, so
 * timing can still tell bcrypt accounts from others until they are rehashed.)
 */
export async function verifyPassword(plain: string, hash: string): Promise<boolean> {
  if (typeof plain !== 'string' || typeof hash !== 'string') return dummyVerify();
  try {
    if (isArgon2Hash(hash)) return await argon2Verify(hash, plain);
    // Like Go's bcrypt (and so PocketBase), only the first 72 bytes of the password count.
    // Off the main thread (libuv pool): a cost-13 check takes ~0.5 s and must not stall other requests.
    if (isBcryptHash(hash)) return await bcryptVerify(plain, hash);
  } catch {
    return false;
  }
  return dummyVerify();
}

/**
 * True when a hash that just verified should be replaced by `hashPassword(plain)`: bcrypt hashes,
 * argon2 variants other than argon2id, and argon2id hashes weaker than `ARGON2_PARAMS`.
 * Unparsable hashes give false: there is nothing sensible to upgrade.
 */
export function needsRehash(hash: string): boolean {
  if (typeof hash !== 'string') return false;
  if (isBcryptHash(hash)) return true;
  if (!isArgon2Hash(hash)) return false;
  try {
    const o = argon2ParseOptions(hash);
    return (
      o.algorithm !== ARGON2_PARAMS.algorithm ||
      o.memoryCost < ARGON2_PARAMS.memoryCost ||
      o.timeCost < ARGON2_PARAMS.timeCost ||
      o.outputLen < ARGON2_PARAMS.outputLen
    );
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/** Spends one argon2id verification and answers false. The dummy hash is made once, lazily. */
async function dummyVerify(): Promise<false> {
  try {
    dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
    await argon2Verify(await dummyHash, 'not the password');
  } catch {
    // Timing padding only; an error here changes nothing about the answer.
  }
  return false;
}
