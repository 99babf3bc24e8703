/**
 * ID token verification, with jose. Baton is stricter than PocketBase here: PocketBase checks a
 * generic OIDC provider's signature only when `jwksURL` is configured, and Microsoft's not at all
 * (the token came straight from the token endpoint over TLS). Baton trusts no ID token whose
 * signature it has not checked against the provider's published keys: that also covers an
 * endpoint configured with http, a proxy in the path, and a provider answering with someone
 * else's token. Time claims get PocketBase's 5 minute leeway.
 */
import { createRemoteJWKSet, customFetch, errors, jwtVerify } from 'jose';
import { abortable, cappedFetch, type Fetch, httpURL, USER_AGENT } from './http.ts';
import { OAuth2ProviderError } from './types.ts';

/** PocketBase's default leeway for `exp`, `nbf` and `iat` (PB_ID_TOKEN_LEEWAY). */
export const ID_TOKEN_LEEWAY_SECONDS = 300;

/** Public-key algorithms only: a JWKS never holds a shared secret, and `none` is never a signature. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

export interface IdTokenCheck {
  /** Where the provider publishes its signing keys. */
  readonly jwksURL: string;
  /** The token must name this client in `aud`. */
  readonly clientId: string;
  /**
   * Accepted `iss` values; `{tid}` in one stands for the token's own `tid` claim (Microsoft's
   * multi-tenant issuer). Empty: any issuer, as PocketBase's OIDC without `issuers`.
   */
  readonly issuers: readonly string[];
}

export type IdTokenClaims = Record<string, unknown>;

type KeySet = ReturnType<typeof createRemoteJWKSet>;

/**
 * One key set per JWKS URL (per fetch implementation, so an injected fetch gets its own): jose
 * keeps the keys 10 minutes and refetches on an unknown `kid`, which is how rotation is followed.
 */
const keySets = new WeakMap<Fetch, Map<string, KeySet>>();
const MAX_KEY_SETS = 64;
const JWKS_TIMEOUT_MS = 10_000;

export async function verifyIdToken(fetchImpl: Fetch, idToken: string, check: IdTokenCheck, signal: AbortSignal): Promise<IdTokenClaims> {
  if (!idToken) throw new OAuth2ProviderError('the token response has no id_token');
  if (!check.jwksURL) throw new OAuth2ProviderError('no JWKS to verify the id_token with (set extra.jwksURL, or an issuer to discover it)');
  const keys = keySetFor(fetchImpl, check.jwksURL);
  let claims: IdTokenClaims;
  try {
    const verified = jwtVerify(idToken, keys, {
      algorithms: ALGORITHMS,
      audience: check.clientId,
      clockTolerance: ID_TOKEN_LEEWAY_SECONDS,
      // OIDC Core requires both; a token without `exp` would never expire.
      requiredClaims: ['exp', 'sub'],
    });
    claims = (await abortable(verified, signal)).payload;
  } catch (error) {
    if (error instanceof errors.JOSEError) throw new OAuth2ProviderError(`the id_token was refused: ${error.message}`);
    throw error;
  }
  checkIssuedAt(claims);
  checkIssuer(claims, check.issuers);
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new OAuth2ProviderError('the id_token was refused: no subject');
  return claims;
}

function keySetFor(fetchImpl: Fetch, jwksURL: string): KeySet {
  let sets = keySets.get(fetchImpl);
  if (!sets) keySets.set(fetchImpl, (sets = new Map()));
  let keys = sets.get(jwksURL);
  if (!keys) {
    if (sets.size >= MAX_KEY_SETS) sets.delete(sets.keys().next().value as string);
    keys = createRemoteJWKSet(httpURL(jwksURL, 'jwksURL'), {
      timeoutDuration: JWKS_TIMEOUT_MS,
      headers: { 'user-agent': USER_AGENT },
      [customFetch]: cappedFetch(fetchImpl),
    });
    sets.set(jwksURL, keys);
  }
  return keys;
}

/** jose checks `iat` only against a maximum age; PocketBase (and we) refuse one from the future. */
function checkIssuedAt(claims: IdTokenClaims): void {
  const iat = claims.iat;
  if (iat === undefined) return;
  if (typeof iat !== 'number' || iat > Date.now() / 1000 + ID_TOKEN_LEEWAY_SECONDS) {
    throw new OAuth2ProviderError('the id_token was refused: it is issued in the future');
  }
}

function checkIssuer(claims: IdTokenClaims, issuers: readonly string[]): void {
  if (issuers.length === 0) return;
  const tenant = typeof claims.tid === 'string' ? claims.tid : '';
  const accepted = issuers.some((issuer) =>
    issuer.includes('{tid}') ? tenant !== '' && issuer.replaceAll('{tid}', tenant) === claims.iss : issuer === claims.iss,
  );
  if (!accepted) throw new OAuth2ProviderError(`the id_token was refused: issuer ${JSON.stringify(claims.iss)?.slice(0, 120)} is not accepted`);
}
