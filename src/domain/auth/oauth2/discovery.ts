/**
 * OpenID Connect discovery (OIDC Discovery 1.0 §4), which PocketBase does not do: a generic OIDC
 * provider configured with only its issuer learns its endpoints and keys from
 * `<issuer>/.well-known/openid-configuration`. oauth4webapi reads the document and checks that
 * the `issuer` it names is the one it was read for, so a document cannot claim another issuer.
 *
 * Documents are cached per issuer for an hour (a provider moving its endpoints is followed within
 * that); a failed read is remembered for 30 seconds, so an unreachable provider costs one wait per
 * half minute instead of one per sign-in page.
 */
import * as oauth from 'oauth4webapi';
import { abortable, cappedFetch, type Fetch, httpURL, USER_AGENT } from './http.ts';
import { OAuth2ProviderError } from './types.ts';

export interface OidcMetadata {
  readonly issuer: string;
  /** Each '' when the document has none (or not an http(s) URL; not https under an https issuer). */
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly userInfoEndpoint: string;
  readonly jwksURI: string;
}

export const WELL_KNOWN_PATH = '/.well-known/openid-configuration';

const FRESH_MS = 60 * 60 * 1000;
const FAILED_MS = 30 * 1000;
const READ_TIMEOUT_MS = 10_000;
const MAX_ISSUERS = 100;

interface Entry {
  readonly metadata: Promise<OidcMetadata>;
  expiresAt: number;
}

/** Per fetch implementation, so an injected fetch (a test, a proxy) sees only its own reads. */
const caches = new WeakMap<Fetch, Map<string, Entry>>();

/**
 * The issuer a discovery source names: `extra.discoveryURL` must be `<issuer>` followed by the
 * well-known path (the spec puts the document nowhere else, and the issuer check needs the issuer).
 */
export function issuerOfDiscoveryURL(discoveryURL: string): string {
  if (!discoveryURL.endsWith(WELL_KNOWN_PATH)) {
    throw new OAuth2ProviderError(`extra.discoveryURL must end with ${WELL_KNOWN_PATH}`);
  }
  return discoveryURL.slice(0, -WELL_KNOWN_PATH.length);
}

/** The issuer's metadata, read once and shared; `signal` stops this caller's wait only. */
export function discoverOidc(fetchImpl: Fetch, issuer: string, signal?: AbortSignal): Promise<OidcMetadata> {
  let cache = caches.get(fetchImpl);
  if (!cache) caches.set(fetchImpl, (cache = new Map()));
  const now = Date.now();
  let entry = cache.get(issuer);
  if (!entry || entry.expiresAt <= now) {
    const fresh: Entry = { metadata: readMetadata(fetchImpl, issuer), expiresAt: now + FRESH_MS };
    fresh.metadata.catch(() => {
      fresh.expiresAt = Math.min(fresh.expiresAt, Date.now() + FAILED_MS);
    });
    cache.delete(issuer);
    if (cache.size >= MAX_ISSUERS) cache.delete(cache.keys().next().value as string);
    cache.set(issuer, (entry = fresh));
  }
  return abortable(entry.metadata, signal);
}

async function readMetadata(fetchImpl: Fetch, issuer: string): Promise<OidcMetadata> {
  const url = httpURL(issuer, 'the OIDC issuer');
  const response = await oauth.discoveryRequest(url, {
    algorithm: 'oidc',
    signal: AbortSignal.timeout(READ_TIMEOUT_MS),
    headers: { 'user-agent': USER_AGENT },
    [oauth.customFetch]: cappedFetch(fetchImpl),
    [oauth.allowInsecureRequests]: url.protocol === 'http:',
  });
  const document = await oauth.processDiscoveryResponse(url, response);
  // An https issuer's endpoints must be https too: an http jwks_uri would let anyone on the path
  // swap the keys and forge ID tokens. (An http issuer is the operator's own choice.)
  const secure = url.protocol === 'https:';
  return {
    issuer: document.issuer,
    authorizationEndpoint: endpoint(document.authorization_endpoint, secure),
    tokenEndpoint: endpoint(document.token_endpoint, secure),
    userInfoEndpoint: endpoint(document.userinfo_endpoint, secure),
    jwksURI: endpoint(document.jwks_uri, secure),
  };
}

/** An endpoint of the document: an http(s) URL, https only when `secure`; '' otherwise. */
function endpoint(value: unknown, secure: boolean): string {
  if (typeof value !== 'string' || !URL.canParse(value)) return '';
  const { protocol } = new URL(value);
  return protocol === 'https:' || (!secure && protocol === 'http:') ? value : '';
}
