/**
 * Record tokens, byte-compatible with PocketBase v0.39: HS256 JWTs whose signing key is the
 * record's `tokenKey` followed by the collection's per-type secret (`options.authToken.secret`,
 * `options.fileToken.secret` …). Rotating either one revokes every token made with it, which is
 * how "log out everywhere" and password changes work, so there is no token store.
 *
 * Tokens made here and tokens made by PocketBase are interchangeable in both directions.
 */
import { compactVerify, decodeJwt, SignJWT } from 'jose';
import type { Collection } from '../../db/schema.ts';

/** The token types PocketBase issues; the value is the `type` claim. */
export const TokenType = Object.freeze({
  auth: 'auth',
  file: 'file',
  verification: 'verification',
  passwordReset: 'passwordReset',
  emailChange: 'emailChange',
} as const);
export type TokenType = (typeof TokenType)[keyof typeof TokenType];

/** Where each token type keeps its secret and duration in `_collections.options`. */
export const TOKEN_OPTIONS_KEY: Readonly<Record<TokenType, string>> = Object.freeze({
  auth: 'authToken',
  file: 'fileToken',
  verification: 'verificationToken',
  passwordReset: 'passwordResetToken',
  emailChange: 'emailChangeToken',
});

/** Claim names PocketBase uses. */
export const TokenClaim = Object.freeze({
  id: 'id',
  type: 'type',
  collectionId: 'collectionId',
  email: 'email',
  newEmail: 'newEmail',
  refreshable: 'refreshable',
} as const);

/** A token's payload. The three identifying claims are always non-empty strings. */
export interface TokenClaims {
  readonly id: string;
  readonly type: string;
  readonly collectionId: string;
  readonly exp?: number;
  readonly [claim: string]: unknown;
}

/** What a token needs from a record: its id and its hidden `tokenKey`. Raw record rows fit. */
export interface TokenSubject {
  readonly id?: unknown;
  readonly tokenKey?: unknown;
}

export type TokenCollection = Pick<Collection, 'id' | 'type' | 'options'>;

/** One `options.<type>Token` entry: secret, and lifetime in seconds. */
export interface TokenConfig {
  readonly secret: string;
  readonly duration: number;
}

export interface SignOptions {
  /** Lifetime in seconds. Zero, negative or absent: the collection's configured duration (as in PocketBase). */
  readonly duration?: number;
  /** The issuing clock; tests use it to build expired tokens. */
  readonly now?: Date;
}

export interface AuthSignOptions extends SignOptions {
  /**
   * Whether `auth-refresh` may swap this token for a new one. True for login tokens; false for
   * "static" tokens such as impersonation, which live exactly `duration` seconds.
   */
  readonly refreshable?: boolean;
}

export interface VerifyOptions {
  readonly now?: Date;
}

/**
 * Our tokens are ~300 characters. The cap stops a hostile header from costing base64 and JSON work
 * before it is rejected anyway.
 */
export const MAX_TOKEN_LENGTH = 8192;

const encoder = new TextEncoder();

/** The collection's secret and duration for a token type, or undefined when not an auth collection or malformed. */
export function tokenConfig(collection: TokenCollection, type: TokenType): TokenConfig | undefined {
  if (collection.type !== 'auth') return undefined;
  const raw = collection.options?.[TOKEN_OPTIONS_KEY[type]];
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { secret, duration } = raw as Record<string, unknown>;
  if (typeof secret !== 'string') return undefined;
  return { secret, duration: typeof duration === 'number' && Number.isFinite(duration) ? duration : 0 };
}

/**
 * Signs a token of any type for an auth record. `claims` adds type-specific claims (`email`,
 * `newEmail`, `refreshable`); `id`, `type` and `collectionId` always come from the arguments.
 *
 * Throws a plain Error when the collection is not an auth collection or has no usable secret or
 * duration: that is a broken schema, not a user mistake, and should surface as a logged 500.
 */
export async function signRecordToken(
  record: TokenSubject,
  collection: TokenCollection,
  type: TokenType,
  claims: Readonly<Record<string, unknown>> = {},
  options: SignOptions = {},
): Promise<string> {
  const config = tokenConfig(collection, type);
  if (!config) throw new Error(`collection ${collection.id} has no ${TOKEN_OPTIONS_KEY[type]} options (not an auth collection?)`);
  if (typeof record.id !== 'string' || record.id === '') throw new Error('cannot sign a token for a record without id');
  const key = signingKey(record, config);
  if (!key) throw new Error(`missing signing key for ${type} token of collection ${collection.id}`);

  const requested = options.duration ?? 0;
  const duration = Number.isFinite(requested) && requested > 0 ? Math.floor(requested) : config.duration;
  if (!(duration > 0)) throw new Error(`collection ${collection.id} has no valid ${TOKEN_OPTIONS_KEY[type]}.duration`);

  const nowMs = (options.now ?? new Date()).getTime();
  const payload: Record<string, unknown> = {
    ...claims,
    [TokenClaim.id]: record.id,
    [TokenClaim.type]: type,
    [TokenClaim.collectionId]: collection.id,
    exp: Math.floor(nowMs / 1000) + Math.floor(duration),
  };
  // PocketBase serializes header and claims with sorted keys; the same layout here makes a token
  // from either side decode to the same JSON text, which keeps cross-checks in tests simple.
  return new SignJWT(sortKeys(payload)).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
}

/** A login token: `{collectionId, exp, id, refreshable, type: 'auth'}`. `refreshable` defaults to true. */
export function signAuthToken(record: TokenSubject, collection: TokenCollection, options: AuthSignOptions = {}): Promise<string> {
  const { refreshable = true, ...rest } = options;
  return signRecordToken(record, collection, TokenType.auth, { [TokenClaim.refreshable]: refreshable }, rest);
}

/** What the email tokens read of a record besides its id and tokenKey: the email they were sent to. */
export interface EmailTokenSubject extends TokenSubject {
  readonly email?: unknown;
}

const emailOf = (record: EmailTokenSubject): string => (typeof record.email === 'string' ? record.email : '');

/** A verification token (confirm-verification): `{collectionId, email, exp, id, type: 'verification'}`. */
export function signVerificationToken(record: EmailTokenSubject, collection: TokenCollection, options: SignOptions = {}): Promise<string> {
  return signRecordToken(record, collection, TokenType.verification, { [TokenClaim.email]: emailOf(record) }, options);
}

/** A password reset token (confirm-password-reset): `{collectionId, email, exp, id, type: 'passwordReset'}`. */
export function signPasswordResetToken(record: EmailTokenSubject, collection: TokenCollection, options: SignOptions = {}): Promise<string> {
  return signRecordToken(record, collection, TokenType.passwordReset, { [TokenClaim.email]: emailOf(record) }, options);
}

/**
 * An email change token (confirm-email-change): `{collectionId, email, exp, id, newEmail, type:
 * 'emailChange'}`, `email` being the current address.
 */
export function signEmailChangeToken(
  record: EmailTokenSubject,
  collection: TokenCollection,
  newEmail: string,
  options: SignOptions = {},
): Promise<string> {
  return signRecordToken(
    record,
    collection,
    TokenType.emailChange,
    { [TokenClaim.email]: emailOf(record), [TokenClaim.newEmail]: newEmail },
    options,
  );
}

/**
 * Reads a token's claims WITHOUT checking its signature, to learn which record and collection to
 * load before verifying. Undefined for anything that is not a JWT with non-empty string `id`,
 * `collectionId` and `type`, and (as PocketBase's unverified parse does) for tokens whose `exp` has
 * passed or whose `nbf`/`iat` lie in the future, so expired tokens cost no database lookup.
 * Never trust the result for authorization: use `verifyRecordToken`.
 */
export function parseTokenClaims(token: string, options: VerifyOptions = {}): TokenClaims | undefined {
  if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) return undefined;
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch {
    return undefined;
  }
  for (const name of [TokenClaim.id, TokenClaim.collectionId, TokenClaim.type]) {
    const v = claims[name];
    if (typeof v !== 'string' || v === '') return undefined;
  }
  if (!timeClaimsValid(claims, nowSeconds(options.now))) return undefined;
  return Object.freeze(claims) as TokenClaims;
}

/**
 * One claim of a token, read with no check at all (signature, time): PocketBase checks that an
 * email token carries its `email` / `newEmail` claim before verifying it, and reports a missing
 * claim as an error of its own. Never trust the value for anything else. Undefined when the token
 * is not a JWT.
 */
export function readUncheckedClaim(token: string, name: string): unknown {
  if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) return undefined;
  try {
    return decodeJwt(token)[name];
  } catch {
    return undefined;
  }
}

/**
 * Verifies a token of `type` for this record: HS256 signature with the record's key, time claims,
 * and that `id`, `collectionId` and `type` name this record, collection and type.
 *
 * Returns the claims, or undefined for every kind of invalid token; it never throws, since a bad
 * token is the normal case for a guest request. Stricter than PocketBase in one way: `exp` is
 * required (PocketBase always sets it, so no token it issued is refused).
 */
export async function verifyRecordToken(
  token: string,
  record: TokenSubject,
  collection: TokenCollection,
  type: TokenType,
  options: VerifyOptions = {},
): Promise<TokenClaims | undefined> {
  const claims = parseTokenClaims(token, options);
  if (!claims || typeof claims.exp !== 'number') return undefined;
  if (claims.type !== type || claims.id !== record.id || claims.collectionId !== collection.id) return undefined;
  const config = tokenConfig(collection, type);
  const key = config && signingKey(record, config);
  if (!key) return undefined;
  try {
    // Pinning the algorithm refuses `alg: none` and any attempt to switch to another algorithm.
    await compactVerify(token, key, { algorithms: ['HS256'] });
  } catch {
    return undefined;
  }
  return claims;
}

/** `verifyRecordToken` for login tokens (`type: 'auth'`). */
export function verifyAuthToken(
  token: string,
  record: TokenSubject,
  collection: TokenCollection,
  options: VerifyOptions = {},
): Promise<TokenClaims | undefined> {
  return verifyRecordToken(token, record, collection, TokenType.auth, options);
}

/** `verifyRecordToken` for the email flows' tokens; a token of any other type is refused. */
export function verifyEmailFlowToken(
  token: string,
  record: TokenSubject,
  collection: TokenCollection,
  type: typeof TokenType.verification | typeof TokenType.passwordReset | typeof TokenType.emailChange,
  options: VerifyOptions = {},
): Promise<TokenClaims | undefined> {
  return verifyRecordToken(token, record, collection, type, options);
}

/**
 * Whether `auth-refresh` should issue a new token for these claims. Read loosely, as PocketBase
 * does: true, "true"/"1"/"t", or a non-zero number.
 */
export function isRefreshable(claims: TokenClaims): boolean {
  const v = claims[TokenClaim.refreshable];
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string') return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);
  return false;
}

/**
 * The token in an `Authorization` header. PocketBase takes the raw value; a `Bearer ` prefix (any
 * case) is stripped only for HTTP clients that add it by default. '' when there is none.
 */
export function extractToken(authorization: string | null | undefined): string {
  if (typeof authorization !== 'string') return '';
  if (authorization.length > 7 && authorization.slice(0, 7).toLowerCase() === 'bearer ') return authorization.slice(7);
  return authorization;
}

function signingKey(record: TokenSubject, config: TokenConfig): Uint8Array | undefined {
  const tokenKey = typeof record.tokenKey === 'string' ? record.tokenKey : '';
  const key = tokenKey + config.secret;
  return key === '' ? undefined : encoder.encode(key);
}

const nowSeconds = (now: Date | undefined): number => (now ?? new Date()).getTime() / 1000;

/** exp, nbf and iat are optional here, but when present must be finite numbers and hold at `now`. */
function timeClaimsValid(claims: Record<string, unknown>, now: number): boolean {
  for (const name of ['exp', 'nbf', 'iat']) {
    const v = claims[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) return false;
  }
  const { exp, nbf, iat } = claims as { exp?: number; nbf?: number; iat?: number };
  if (exp !== undefined && now >= exp) return false;
  if (nbf !== undefined && now < nbf) return false;
  if (iat !== undefined && now < iat) return false;
  return true;
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}
