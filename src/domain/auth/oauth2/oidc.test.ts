import { decodeProtectedHeader, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createOAuth2Provider } from './providers.ts';
import {
  accountRefusal,
  ANN,
  answerUserInfo,
  authorize,
  CLIENT_ID,
  closedPort,
  countingFetch,
  exchangeOptions,
  mockEntry,
  type MockProvider,
  onIdTokenClaims,
  onTokenResponse,
  pkcePair,
  providerEntry,
  providerError,
  signIn,
  useMockProvider,
} from './test-support.ts';
import type { OAuth2ProviderConfig } from './types.ts';

const mock = useMockProvider();

/** Generic OIDC as PocketBase configures it: endpoints, the keys and the issuers, no user info URL. */
const idTokenEntry = (extra: Record<string, unknown> = {}): OAuth2ProviderConfig =>
  mockEntry(mock, 'oidc', { userInfoURL: '', extra: { jwksURL: mock.url('/jwks'), issuers: [mock.issuer], ...extra } });

/** Generic OIDC configured with nothing but its issuer. */
const discoveryEntry = (extra: Record<string, unknown> = {}): OAuth2ProviderConfig => providerEntry('oidc', { extra: { issuers: [mock.issuer], ...extra } });

const now = () => Math.floor(Date.now() / 1000);

describe('generic OIDC through discovery', () => {
  it('reads the endpoints and keys from the issuer, once, and takes the account from the verified ID token', async () => {
    const counter = countingFetch();
    onIdTokenClaims(mock, (claims) => Object.assign(claims, ANN));
    const provider = createOAuth2Provider(discoveryEntry(), { fetch: counter.fetch });
    const { verifier, challenge } = pkcePair();

    const authURL = await provider.authURL({ state: 'st', codeChallenge: challenge });
    expect(authURL.startsWith(`${mock.url('/authorize')}?`)).toBe(true);
    expect(new URL(authURL).searchParams.get('scope')).toBe('openid email profile');
    const user = await provider.exchange(exchangeOptions(await authorize(authURL), verifier));
    await signIn(discoveryEntry(), counter.fetch);

    expect(user).toMatchObject({ id: 'johndoe', name: 'Ann Example', username: 'ann', email: 'ann@example.com', avatarURL: 'https://pic/ann' });
    expect(user.rawUser).toMatchObject({ sub: 'johndoe', iss: mock.issuer, aud: CLIENT_ID });
    expect(counter.count('/.well-known/openid-configuration')).toBe(1);
    expect(counter.count('/jwks')).toBe(1);
    expect(counter.count('/userinfo')).toBe(0);
  });

  it('reads the document from extra.discoveryURL, which must be under the issuer', async () => {
    const discoveryURL = mock.url('/.well-known/openid-configuration');
    expect((await signIn(providerEntry('oidc', { extra: { discoveryURL } }))).id).toBe('johndoe');
    expect((await providerError(signIn(providerEntry('oidc', { extra: { discoveryURL: mock.url('/config.json') } })))).message).toMatch(
      /discoveryURL must end with \/\.well-known\/openid-configuration/,
    );
  });

  it('accepts only the issuer the document names when the entry lists none', async () => {
    const discoveryURL = mock.url('/.well-known/openid-configuration');
    onIdTokenClaims(mock, (claims) => Object.assign(claims, { iss: 'https://elsewhere.example' }));
    expect(await accountRefusal(signIn(providerEntry('oidc', { extra: { discoveryURL } })))).toMatch(/issuer "https:\/\/elsewhere.example" is not accepted/);
  });

  it("accepts the document's spelling of the issuer (a configured trailing slash is the same issuer)", async () => {
    const user = await signIn(providerEntry('oidc', { extra: { issuers: [`${mock.issuer}/`] } }));
    expect(user.rawUser.iss).toBe(mock.issuer);
  });

  it('remembers for a while that the document could not be read, instead of waiting on every sign-in page', async () => {
    const counter = countingFetch();
    const entry = providerEntry('oidc', { extra: { issuers: [`http://127.0.0.1:${await closedPort()}`] } });
    for (let i = 0; i < 2; i++) {
      const { message } = await providerError(createOAuth2Provider(entry, { fetch: counter.fetch }).authURL({ state: 's' }));
      expect(message).toMatch(/^OAuth2 provider oidc: discovery: /);
    }
    expect(counter.count('/.well-known/openid-configuration')).toBe(1);
  });

  it('refuses a document that names another issuer', async () => {
    mock.server.issuer.url = mock.issuer.replace('127.0.0.1', 'localhost');
    try {
      const { message } = await providerError(signIn(discoveryEntry()));
      expect(message).toMatch(/discovery: .*"issuer" property does not match the expected value/);
    } finally {
      mock.server.issuer.url = mock.issuer;
    }
  });

  it("falls back to the discovered user info endpoint when the token response has no ID token", async () => {
    onTokenResponse(mock, (response) => {
      delete (response.body as Record<string, unknown>).id_token;
    });
    answerUserInfo(mock, { sub: 'from-userinfo', ...ANN });
    const user = await signIn(discoveryEntry());
    expect(user.id).toBe('from-userinfo');
    expect(user.rawUser).toEqual({ sub: 'from-userinfo', ...ANN });
  });

  it('keeps what the entry sets and discovers the rest', async () => {
    const counter = countingFetch();
    answerUserInfo(mock, { sub: 'from-configured-userinfo' });
    const entry = discoveryEntry();
    const user = await signIn({ ...entry, userInfoURL: mock.url('/userinfo') }, counter.fetch);
    expect(user.id).toBe('from-configured-userinfo');
    expect(counter.count('/.well-known/openid-configuration')).toBe(1);
    expect(counter.count('/jwks')).toBe(0);
  });
});

describe('generic OIDC: the ID token', () => {
  it('is mapped from its claims, the email only when email_verified says so', async () => {
    onIdTokenClaims(mock, (claims) => Object.assign(claims, ANN, { email_verified: 'true' }));
    expect((await signIn(idTokenEntry())).email).toBe('ann@example.com');
    mock.server.service.removeAllListeners();
    onIdTokenClaims(mock, (claims) => Object.assign(claims, ANN, { email_verified: false }));
    const user = await signIn(idTokenEntry());
    expect([user.id, user.name, user.email]).toEqual(['johndoe', 'Ann Example', '']);
  });

  it.each([
    ['a foreign audience', (c: Record<string, unknown>) => Object.assign(c, { aud: 'someone-else' }), /unexpected "aud" claim value/],
    ['an issuer not listed', (c: Record<string, unknown>) => Object.assign(c, { iss: 'https://evil.example' }), /issuer "https:\/\/evil.example" is not accepted/],
    ['an expiry past the leeway', (c: Record<string, unknown>) => Object.assign(c, { exp: now() - 400 }), /"exp" claim timestamp check failed/],
    ['no expiry', (c: Record<string, unknown>) => delete c.exp, /missing required "exp" claim/],
    ['an issue time in the future', (c: Record<string, unknown>) => Object.assign(c, { iat: now() + 900 }), /issued in the future/],
    ['no subject', (c: Record<string, unknown>) => delete c.sub, /missing required "sub" claim/],
    ['a subject that is not text', (c: Record<string, unknown>) => Object.assign(c, { sub: 42 }), /no subject/],
  ])('is refused with %s', async (_case, change, message) => {
    onIdTokenClaims(mock, change);
    expect(await accountRefusal(signIn(idTokenEntry()))).toMatch(message);
  });

  it("is accepted a little past its expiry (PocketBase's 5 minute leeway)", async () => {
    onIdTokenClaims(mock, (claims) => Object.assign(claims, { exp: now() - 100 }));
    expect((await signIn(idTokenEntry())).id).toBe('johndoe');
  });

  it('may come from any issuer when the entry lists none, as in PocketBase', async () => {
    onIdTokenClaims(mock, (claims) => Object.assign(claims, { iss: 'https://elsewhere.example' }));
    expect((await signIn(idTokenEntry({ issuers: [] }))).id).toBe('johndoe');
  });

  it('is refused when signed with a key that is not the provider’s', async () => {
    const forged = await forgeIdToken(mock);
    onTokenResponse(mock, (response) => Object.assign(response.body as Record<string, unknown>, { id_token: forged }));
    expect(await accountRefusal(signIn(idTokenEntry()))).toMatch(/signature verification failed/);
  });

  it('is refused unsigned (alg none)', async () => {
    const unsigned = new UnsecuredJWT({ sub: 'johndoe', aud: CLIENT_ID, iss: mock.issuer }).setIssuedAt().setExpirationTime('1h').encode();
    onTokenResponse(mock, (response) => Object.assign(response.body as Record<string, unknown>, { id_token: unsigned }));
    expect(await accountRefusal(signIn(idTokenEntry()))).toMatch(/id_token was refused/);
  });

  it('is verified with discovered keys when the entry has an issuer but no jwksURL', async () => {
    const counter = countingFetch();
    const user = await signIn(mockEntry(mock, 'oidc', { userInfoURL: '', extra: { issuers: [mock.issuer] } }), counter.fetch);
    expect(user.id).toBe('johndoe');
    expect([counter.count('/.well-known/openid-configuration'), counter.count('/jwks')]).toEqual([1, 1]);
  });

  it('is never taken unverified: with no keys, no issuer and no user info URL the sign-in is refused (PocketBase would trust it)', async () => {
    expect(await accountRefusal(signIn(mockEntry(mock, 'oidc', { userInfoURL: '' })))).toMatch(/cannot verify the id_token/);
  });

  it('is ignored when the entry has a user info URL: the account comes from there, as in PocketBase', async () => {
    onIdTokenClaims(mock, (claims) => Object.assign(claims, { aud: 'someone-else' }));
    answerUserInfo(mock, { sub: 'u-1', ...ANN });
    const user = await signIn(mockEntry(mock, 'oidc'));
    expect(user.rawUser).toEqual({ sub: 'u-1', ...ANN });
  });
});

/** An ID token with the claims and `kid` the mock would use, signed with another key. */
async function forgeIdToken(provider: MockProvider): Promise<string> {
  const genuine = await provider.server.issuer.buildToken();
  const { kid } = decodeProtectedHeader(genuine);
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT({ sub: 'johndoe', aud: CLIENT_ID, iss: provider.issuer })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
}
