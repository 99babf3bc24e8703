/**
 * Random secrets for auth records and collections, drawn from a CSPRNG.
 */
import { randomString } from '../../kernel/ids.ts';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The `autogeneratePattern` PocketBase v0.39 gives the `tokenKey` field of new auth collections.
 * (Collections migrated from v0.22 carry `[a-zA-Z0-9_]{50}`; both accept what `newTokenKey` makes.)
 */
export const TOKEN_KEY_AUTOGENERATE_PATTERN = '[a-zA-Z0-9]{50}';

/** A fresh per-record `tokenKey`: 50 characters of [a-zA-Z0-9] (~297 bits). Changing it revokes every token of the record. */
export const newTokenKey = (): string => randomString(50, ALPHANUMERIC);

/** A fresh collection token secret (`options.authToken.secret` and friends): 50 characters of [a-zA-Z0-9]. */
export const newAuthSecret = (): string => randomString(50, ALPHANUMERIC);
