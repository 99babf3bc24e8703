/**
 * What the password check for an unknown identity should cost, so that a sign-in with an unknown
 * identity takes as long as a wrong password for an existing account (no account enumeration by
 * timing). PocketBase checks against the hash of any record of the collection; so does this: the
 * stored hashes may be older than the field's cost (PocketBase's test data holds cost-13 hashes
 * under cost-10 fields), or made by another algorithm.
 */
import type { Executor } from '../../db/dialect.ts';
import type { Collection } from '../../db/schema.ts';
import { ident, sql } from '../../db/sql.ts';
import { collectionPasswordHashing, type DummyCost, type PasswordAlgorithm } from './passwords.ts';

/**
 * A stored password hash of `collection` (any account's), and, for a collection without accounts,
 * what a new hash of its password field costs under `algorithm`. Pass the result as
 * `verifyPassword(plain, '', dummy)`. One `LIMIT 1` read that stops at the first account with a
 * password: far below a password check's tens or hundreds of milliseconds.
 */
export async function unknownIdentityCost(db: Executor, collection: Collection, algorithm: PasswordAlgorithm = 'bcrypt'): Promise<DummyCost> {
  const hashing = collectionPasswordHashing(collection, algorithm);
  const field = collection.fields.find((f) => f.type === 'password');
  if (!field) return { hashing };
  const column = ident(field.name);
  const row = await db.get<{ hash: string }>(sql`SELECT ${column} AS hash FROM ${ident(collection.name)} WHERE ${column} <> '' LIMIT 1`, { hash: 'text' });
  return { like: row?.hash || undefined, hashing };
}
