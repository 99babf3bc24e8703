/**
 * A real OAuth2/OIDC server on loopback for the provider tests (oauth2-mock-server: discovery,
 * JWKS, authorize with PKCE, token, userinfo), with builders for entries and hooks that shape its
 * answers per test. Used by the *.test.ts files only.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { type MutableResponse, type MutableToken, OAuth2Server, type OAuth2EndpointsInput, type TokenRequestIncomingMessage } from 'oauth2-mock-server';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createOAuth2Provider } from './providers.ts';
import { OAuth2ProviderError, type OAuth2ProviderConfig, type OAuth2User } from './types.ts';

export const CLIENT_ID = 'baton-client';
export const CLIENT_SECRET = 'baton secret:&=%';
export const REDIRECT_URL = 'http://127.0.0.1:9/callback';

/** An account's OIDC standard claims (all but `sub`), with a verified email. */
export const ANN = { name: 'Ann Example', preferred_username: 'ann', picture: 'https://pic/ann', email: 'ann@example.com', email_verified: true };

export interface MockProvider {
  readonly server: OAuth2Server;
  /** The server's issuer, `http://127.0.0.1:<port>`: discovery, tokens and keys all name it. */
  readonly issuer: string;
  /** `issuer` + path. */
  url(path: string): string;
}

/**
 * Starts a mock provider for the test file on a free port, with one RS256 key; each test's hooks
 * are dropped after it. The returned object is filled in by `beforeAll`.
 */
export function useMockProvider(endpoints?: OAuth2EndpointsInput): MockProvider {
  const mock = {
    server: new OAuth2Server(undefined, undefined, { endpoints }),
    issuer: '',
    url: (path: string) => `${mock.issuer}${path}`,
  };
  beforeAll(async () => {
    await mock.server.issuer.keys.generate('RS256');
    await mock.server.start(0, '127.0.0.1');
    // The server names itself "localhost", which may resolve to ::1 where it does not listen.
    mock.issuer = `http://127.0.0.1:${mock.server.address().port}`;
    mock.server.issuer.url = mock.issuer;
  });
  afterEach(() => {
    mock.server.service.removeAllListeners();
  });
  afterAll(() => mock.server.stop());
  return mock;
}

/** A collection's provider entry pointing nowhere but what `overrides` sets. */
export const providerEntry = (name: string, overrides: Partial<OAuth2ProviderConfig> = {}): OAuth2ProviderConfig => ({
  name,
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  authURL: '',
  tokenURL: '',
  userInfoURL: '',
  displayName: '',
  pkce: null,
  extra: null,
  ...overrides,
});

/** An entry whose endpoints are all the mock's (as an admin points a self-hosted provider). */
export const mockEntry = (mock: MockProvider, name: string, overrides: Partial<OAuth2ProviderConfig> = {}): OAuth2ProviderConfig =>
  providerEntry(name, {
    authURL: mock.url('/authorize'),
    tokenURL: mock.url('/token'),
    userInfoURL: mock.url('/userinfo'),
    ...overrides,
  });

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Follows an authorization URL as a browser would, to the mock's redirect: the code it issued. */
export async function authorize(authURL: string): Promise<string> {
  const response = await fetch(authURL + encodeURIComponent(REDIRECT_URL), { redirect: 'manual' });
  const location = response.headers.get('location');
  const code = location ? new URL(location).searchParams.get('code') : null;
  if (!code) throw new Error(`the mock issued no code (HTTP ${response.status}: ${await response.text()})`);
  return code;
}

export const exchangeOptions = (code = 'a-code', codeVerifier = '') => ({
  code,
  codeVerifier,
  redirectURL: REDIRECT_URL,
  signal: AbortSignal.timeout(15_000),
});

/**
 * The whole round: the authorization URL, the mock's redirect with a code, the exchange with the
 * PKCE verifier. A fetch of its own by default, so no cache of an earlier test is used.
 */
export async function signIn(entry: OAuth2ProviderConfig, fetchImpl: typeof fetch = countingFetch().fetch): Promise<OAuth2User> {
  const provider = createOAuth2Provider(entry, { fetch: fetchImpl });
  const { verifier, challenge } = pkcePair();
  const code = await authorize(await provider.authURL({ state: 'st', codeChallenge: challenge }));
  return provider.exchange(exchangeOptions(code, verifier));
}

/** What `promise` rejects with, which must be an OAuth2ProviderError. */
export async function providerError(promise: Promise<unknown>): Promise<OAuth2ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OAuth2ProviderError);
  return error as OAuth2ProviderError;
}

/** The message of a sign-in refused while reading the account (PocketBase's "Failed to fetch OAuth2 user."). */
export async function accountRefusal(promise: Promise<unknown>): Promise<string> {
  const error = await providerError(promise);
  expect(error.stage).toBe('user');
  return error.message;
}

/** Changes the claims of the ID tokens the mock signs (its access tokens carry `scope`, ID tokens do not). */
export function onIdTokenClaims(mock: MockProvider, change: (claims: Record<string, unknown>) => void): void {
  mock.server.service.on('beforeTokenSigning', (token: MutableToken) => {
    if (!('scope' in token.payload)) change(token.payload);
  });
}

/** Changes the mock's token endpoint answers; `request` is what the client sent. */
export function onTokenResponse(mock: MockProvider, change: (response: MutableResponse, request: TokenRequestIncomingMessage) => void): void {
  mock.server.service.on('beforeResponse', change);
}

/** Answers the mock's userinfo endpoint with `body` (and `status`); `requests` collects what came. */
export function answerUserInfo(mock: MockProvider, body: unknown, status = 200, requests: IncomingMessage[] = []): IncomingMessage[] {
  mock.server.service.on('beforeUserinfo', (response: MutableResponse, request: IncomingMessage) => {
    requests.push(request);
    response.body = body as MutableResponse['body'];
    response.statusCode = status;
  });
  return requests;
}

/** A fetch of its own (so caches start empty) that counts requests per path. */
export function countingFetch(): { fetch: typeof fetch; count(path: string): number } {
  const counts = new Map<string, number>();
  return {
    fetch: (input, init) => {
      const path = new URL(input instanceof Request ? input.url : input).pathname;
      counts.set(path, (counts.get(path) ?? 0) + 1);
      return fetch(input, init);
    },
    count: (path) => counts.get(path) ?? 0,
  };
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
