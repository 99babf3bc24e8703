import { describe, expect, it } from 'vitest';
import { createOAuth2Provider, isKnownOAuth2Provider, oauth2ProviderCatalogue } from './providers.ts';
import {
  ANN,
  answerUserInfo,
  authorize,
  CLIENT_ID,
  CLIENT_SECRET,
  closedPort,
  countingFetch,
  exchangeOptions,
  mockEntry,
  onTokenResponse,
  pkcePair,
  providerEntry,
  providerError,
  REDIRECT_URL,
  useMockProvider,
} from './test-support.ts';

const mock = useMockProvider();

const GOOGLE_USER = { sub: '1234', ...ANN };

const queryOf = (url: string) => Object.fromEntries(new URL(url).searchParams);

describe('oauth2ProviderCatalogue', () => {
  it("lists Baton's providers in PocketBase's order, without logos", () => {
    expect(oauth2ProviderCatalogue()).toEqual([
      { name: 'apple', displayName: 'Apple', logo: '' },
      { name: 'google', displayName: 'Google', logo: '' },
      { name: 'microsoft', displayName: 'Microsoft', logo: '' },
      { name: 'github', displayName: 'GitHub', logo: '' },
      { name: 'gitlab', displayName: 'GitLab', logo: '' },
      { name: 'discord', displayName: 'Discord', logo: '' },
      { name: 'oidc', displayName: 'OIDC', logo: '' },
      { name: 'oidc2', displayName: 'OIDC', logo: '' },
      { name: 'oidc3', displayName: 'OIDC', logo: '' },
    ]);
  });

  it('knows exactly those names', () => {
    for (const { name } of oauth2ProviderCatalogue()) expect(isKnownOAuth2Provider(name)).toBe(true);
    for (const name of ['', 'facebook', 'OIDC', 'oidc4', '__proto__', 'constructor']) expect(isKnownOAuth2Provider(name)).toBe(false);
  });
});

describe('createOAuth2Provider', () => {
  it('refuses a name the catalogue does not know', () => {
    expect(() => createOAuth2Provider(providerEntry('facebook'))).toThrow(/unknown OAuth2 provider "facebook"/);
  });

  it("takes the provider's defaults, and the entry's display name and PKCE choice over them", () => {
    const plain = createOAuth2Provider(providerEntry('gitlab'));
    expect({ name: plain.name, displayName: plain.displayName, logo: plain.logo, pkce: plain.pkce }).toEqual({
      name: 'gitlab',
      displayName: 'GitLab',
      logo: '',
      pkce: true,
    });
    const custom = createOAuth2Provider(providerEntry('oidc2', { displayName: 'Company SSO', pkce: false }));
    expect({ name: custom.name, displayName: custom.displayName, pkce: custom.pkce }).toEqual({ name: 'oidc2', displayName: 'Company SSO', pkce: false });
  });
});

describe('authURL', () => {
  it("builds PocketBase's URL: sorted, Go-escaped parameters and an empty redirect_uri at the end", async () => {
    const url = await createOAuth2Provider(providerEntry('google', { clientId: 'id 1' })).authURL({ state: 'st', codeChallenge: 'ch' });
    expect(url).toBe(
      'https://accounts.google.com/o/oauth2/v2/auth?client_id=id+1&code_challenge=ch&code_challenge_method=S256&response_type=code' +
        '&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.profile+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.email' +
        '&state=st&redirect_uri=',
    );
  });

  it.each([
    ['apple', 'https://appleid.apple.com/auth/authorize', 'name email'],
    ['google', 'https://accounts.google.com/o/oauth2/v2/auth', 'https://www.googleapis.com/auth/userinfo.profile https://www.googleapis.com/auth/userinfo.email'],
    ['microsoft', 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize', 'User.Read openid'],
    ['github', 'https://github.com/login/oauth/authorize', 'read:user user:email'],
    ['gitlab', 'https://gitlab.com/oauth/authorize', 'read_user'],
    ['discord', 'https://discord.com/api/oauth2/authorize', 'identify email'],
  ])('%s: its endpoint and scopes, the state and the S256 challenge', async (name, endpoint, scope) => {
    const url = await createOAuth2Provider(providerEntry(name)).authURL({ state: 'the-state', codeChallenge: 'the-challenge' });
    expect(url.startsWith(`${endpoint}?`)).toBe(true);
    expect(url.endsWith('&redirect_uri=')).toBe(true);
    const query = queryOf(url);
    expect(query).toMatchObject({
      client_id: CLIENT_ID,
      response_type: 'code',
      scope,
      state: 'the-state',
      code_challenge: 'the-challenge',
      code_challenge_method: 'S256',
      redirect_uri: '',
    });
    expect(query.response_mode).toBe(name === 'apple' ? 'form_post' : undefined);
    expect(query.access_type).toBeUndefined();
  });

  it('leaves the challenge out when the entry turns PKCE off', async () => {
    const url = await createOAuth2Provider(providerEntry('github', { pkce: false })).authURL({ state: 's', codeChallenge: 'c' });
    expect(queryOf(url)).not.toHaveProperty('code_challenge');
    expect(queryOf(url)).not.toHaveProperty('code_challenge_method');
  });

  it("uses the entry's endpoint, appending to a query it already has", async () => {
    const url = await createOAuth2Provider(providerEntry('gitlab', { authURL: 'https://git.example.com/oauth/authorize?tenant=a' })).authURL({ state: 's' });
    expect(url).toBe('https://git.example.com/oauth/authorize?tenant=a&client_id=baton-client&response_type=code&scope=read_user&state=s&redirect_uri=');
  });

  it('always asks Microsoft for an ID token (openid): the email comes from its claims', async () => {
    const plain = await createOAuth2Provider(providerEntry('microsoft')).authURL({ state: 's' });
    expect(queryOf(plain).scope).toBe('User.Read openid');
  });

  it('refuses a generic OIDC entry with neither an authorization endpoint nor an issuer', async () => {
    const error = await providerError(createOAuth2Provider(providerEntry('oidc')).authURL({ state: 's' }));
    expect(error.message).toMatch(/oidc: no authorization endpoint/);
  });
});

describe('exchange: the code for tokens', () => {
  it('sends the PKCE verifier, the redirect URL and the client credentials (HTTP Basic); the mock checks the S256 challenge', async () => {
    const { verifier, challenge } = pkcePair();
    const provider = createOAuth2Provider(mockEntry(mock, 'google'));
    const code = await authorize(await provider.authURL({ state: 'st', codeChallenge: challenge }));
    const seen: Array<{ authorization?: string; body: Record<string, unknown> }> = [];
    onTokenResponse(mock, (_response, request) => seen.push({ authorization: request.headers.authorization, body: { ...request.body } }));
    answerUserInfo(mock, GOOGLE_USER);

    const user = await provider.exchange(exchangeOptions(code, verifier));

    expect(user).toMatchObject({ id: '1234', name: 'Ann Example', email: 'ann@example.com', avatarURL: 'https://pic/ann' });
    expect(seen).toHaveLength(1);
    expect(seen[0].body).toEqual({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URL, code_verifier: verifier });
    const [id, secret] = Buffer.from(seen[0].authorization!.replace(/^Basic /, ''), 'base64').toString().split(':');
    const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    expect([formDecode(id), formDecode(secret)]).toEqual([CLIENT_ID, CLIENT_SECRET]);
  });

  it('fails when the verifier does not match the challenge', async () => {
    const provider = createOAuth2Provider(mockEntry(mock, 'google'));
    const code = await authorize(await provider.authURL({ state: 'st', codeChallenge: pkcePair().challenge }));
    const error = await providerError(provider.exchange(exchangeOptions(code, pkcePair().verifier)));
    expect(error.stage).toBe('token');
    expect(error.message).toMatch(/^OAuth2 provider google: token request: the token endpoint refused the code \(invalid_request/);
  });

  it('sends no verifier when the entry turns PKCE off', async () => {
    const bodies: Array<Record<string, unknown>> = [];
    onTokenResponse(mock, (_response, request) => bodies.push({ ...request.body }));
    answerUserInfo(mock, GOOGLE_USER);
    await createOAuth2Provider(mockEntry(mock, 'google', { pkce: false })).exchange(exchangeOptions('a-code', 'a-verifier'));
    expect(bodies[0]).not.toHaveProperty('code_verifier');
  });

  it('asks again with the credentials in the body when the server refuses HTTP Basic, and remembers that', async () => {
    const requests: Array<{ basic: boolean; body: Record<string, unknown> }> = [];
    onTokenResponse(mock, (response, request) => {
      const basic = request.headers.authorization !== undefined;
      requests.push({ basic, body: { ...request.body } });
      if (basic) Object.assign(response, { statusCode: 401, body: { error: 'invalid_client' } });
    });
    answerUserInfo(mock, GOOGLE_USER);
    const entry = mockEntry(mock, 'google', { clientId: 'body-auth-client', pkce: false });

    await createOAuth2Provider(entry).exchange(exchangeOptions());
    await createOAuth2Provider(entry).exchange(exchangeOptions());

    expect(requests.map((r) => r.basic)).toEqual([true, false, false]);
    expect(requests[1].body).toMatchObject({ client_id: 'body-auth-client', client_secret: CLIENT_SECRET, code: 'a-code' });
  });

  it("does not retry a refused code, and logs the provider's words without the code or the secret", async () => {
    let calls = 0;
    onTokenResponse(mock, (response) => {
      calls++;
      Object.assign(response, { statusCode: 400, body: { error: 'invalid_grant', error_description: 'The code\nhas expired' } });
    });
    const error = await providerError(createOAuth2Provider(mockEntry(mock, 'google', { pkce: false })).exchange(exchangeOptions('secret-code-123')));
    expect(calls).toBe(1);
    expect(error.message).toBe('OAuth2 provider google: token request: the token endpoint refused the code (invalid_grant: The code has expired)');
    expect(error.message).not.toContain('secret-code-123');
    expect(error.message).not.toContain(CLIENT_SECRET);
  });

  it.each([
    ['an error member with HTTP 200 (GitHub)', 200, { error: 'bad_verification_code' }, /refused the code \(bad_verification_code\)/],
    ['no access_token', 200, { token_type: 'bearer' }, /without an access_token/],
    ['an HTTP error without a body', 502, '', /answered HTTP 502/],
  ])('refuses a token response with %s', async (_case, statusCode, body, message) => {
    onTokenResponse(mock, (response) => Object.assign(response, { statusCode, body }));
    const error = await providerError(createOAuth2Provider(mockEntry(mock, 'google', { pkce: false })).exchange(exchangeOptions()));
    expect(error.message).toMatch(message);
    expect(error.stage).toBe('token');
  });

  it.each([
    ['3600', 3600],
    ['a numeric string', '120'],
  ])('gives the access token, refresh token and expiry (expires_in as %s)', async (_case, expiresIn) => {
    let issued: Record<string, unknown> = {};
    onTokenResponse(mock, (response) => {
      issued = Object.assign(response.body as Record<string, unknown>, { expires_in: expiresIn });
    });
    const userinfo = answerUserInfo(mock, GOOGLE_USER);
    const before = Date.now();
    const user = await createOAuth2Provider(mockEntry(mock, 'google', { pkce: false })).exchange(exchangeOptions());
    expect(user.accessToken).toBe(issued.access_token);
    expect(user.refreshToken).toBe(issued.refresh_token);
    expect(userinfo[0].headers.authorization).toBe(`Bearer ${String(issued.access_token)}`);
    expect(user.expiry).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const expiresAt = Date.parse(user.expiry.replace(' ', 'T'));
    expect(expiresAt).toBeGreaterThanOrEqual(before + Number(expiresIn) * 1000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + Number(expiresIn) * 1000);
  });

  it("gives no expiry when the provider does not say, and no refresh token when it sends none", async () => {
    onTokenResponse(mock, (response) => {
      const body = response.body as Record<string, unknown>;
      delete body.expires_in;
      delete body.refresh_token;
    });
    answerUserInfo(mock, GOOGLE_USER);
    const user = await createOAuth2Provider(mockEntry(mock, 'google', { pkce: false })).exchange(exchangeOptions());
    expect([user.expiry, user.refreshToken]).toEqual(['', '']);
  });
});

describe('exchange: bounds and failures', () => {
  const google = () => createOAuth2Provider(mockEntry(mock, 'google', { pkce: false }));

  it('fails at the user stage when the user info endpoint refuses the token', async () => {
    answerUserInfo(mock, { error: 'invalid_token' }, 401);
    const error = await providerError(google().exchange(exchangeOptions()));
    expect(error.stage).toBe('user');
    expect(error.message).toBe('OAuth2 provider google: user info: HTTP 401 (invalid_token)');
  });

  it('refuses a user document that is not a JSON object', async () => {
    answerUserInfo(mock, ['not', 'an', 'object']);
    expect((await providerError(google().exchange(exchangeOptions()))).message).toMatch(/not a JSON object/);
  });

  it('refuses an account without an id', async () => {
    answerUserInfo(mock, { ...GOOGLE_USER, sub: '' });
    expect((await providerError(google().exchange(exchangeOptions()))).message).toMatch(/account without an id/);
  });

  it('reads no more than 1 MiB of a response (whatever length it declares)', async () => {
    answerUserInfo(mock, { ...GOOGLE_USER, padding: 'x'.repeat(1024 * 1024) });
    const streamed: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const headers = new Headers(response.headers);
      headers.delete('content-length');
      return new Response(response.body, { status: response.status, headers });
    };
    const error = await providerError(createOAuth2Provider(mockEntry(mock, 'google', { pkce: false }), { fetch: streamed }).exchange(exchangeOptions()));
    expect(error.message).toMatch(/user info: the response is larger than 1048576 bytes/);
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    onTokenResponse(mock, () => controller.abort());
    const error = await providerError(google().exchange({ ...exchangeOptions(), signal: controller.signal }));
    expect(error.message).toBe('OAuth2 provider google: token request: aborted');
  });

  it('says when the provider is unreachable', async () => {
    const port = await closedPort();
    const entry = providerEntry('google', { tokenURL: `http://127.0.0.1:${port}/token` });
    const error = await providerError(createOAuth2Provider(entry).exchange(exchangeOptions()));
    expect(error.message).toBe('OAuth2 provider google: token request: unreachable (ECONNREFUSED)');
  });

  it('uses the fetch it is given for every request', async () => {
    const counter = countingFetch();
    answerUserInfo(mock, GOOGLE_USER);
    await createOAuth2Provider(mockEntry(mock, 'google', { pkce: false }), { fetch: counter.fetch }).exchange(exchangeOptions());
    expect([counter.count('/token'), counter.count('/userinfo')]).toEqual([1, 1]);
  });
});
