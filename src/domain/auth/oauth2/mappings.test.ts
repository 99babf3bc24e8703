import type { IncomingMessage } from 'node:http';
import type { MutableResponse } from 'oauth2-mock-server';
import { describe, expect, it } from 'vitest';
import { accountRefusal, answerUserInfo, mockEntry, onIdTokenClaims, onTokenResponse, signIn, useMockProvider } from './test-support.ts';
import type { OAuth2User } from './types.ts';

const mock = useMockProvider();
/** GitHub's API has `/user` and `/user/emails`: the mock answers both at its userinfo endpoint. */
const githubAPI = useMockProvider({ userinfo: '/user{/emails}' });

/** The account fields of a user, for comparing mappings. */
const account = ({ id, name, username, email, avatarURL }: OAuth2User) => ({ id, name, username, email, avatarURL });

describe('google', () => {
  const user = { sub: '10769150350006150715113082367', name: 'Ann', picture: 'https://lh3/ann', email: 'ann@gmail.com' };

  it.each([
    [true, 'ann@gmail.com'],
    [false, ''],
    ['true', ''], // Google sends a boolean; PocketBase reads nothing else as verified
    [undefined, ''],
  ])('maps sub, name and picture; the email only when email_verified is %j', async (verified, email) => {
    const document = { ...user, email_verified: verified };
    answerUserInfo(mock, document);
    const signedIn = await signIn(mockEntry(mock, 'google'));
    expect(account(signedIn)).toEqual({ id: user.sub, name: 'Ann', username: '', email, avatarURL: 'https://lh3/ann' });
    expect(signedIn.rawUser).toEqual(JSON.parse(JSON.stringify(document)));
  });
});

describe('github', () => {
  const user = { id: 583231, login: 'octocat', name: 'The Octocat', avatar_url: 'https://avatars/583231', email: 'public@example.com' };
  const githubEntry = () => mockEntry(githubAPI, 'github', { userInfoURL: githubAPI.url('/user') });

  /** `/user` answers `user`; `/user/emails` answers `emails` with `status`. */
  function answerGithub(emails: unknown, status = 200): IncomingMessage[] {
    const requests: IncomingMessage[] = [];
    githubAPI.server.service.on('beforeUserinfo', (response: MutableResponse, request: IncomingMessage) => {
      requests.push(request);
      const isEmails = request.url?.startsWith('/user/emails');
      Object.assign(response, { body: isEmails ? emails : user, statusCode: isEmails ? status : 200 });
    });
    return requests;
  }

  it('maps the numeric id as text, login, name and avatar, and the verified primary email from /user/emails', async () => {
    const requests = answerGithub([
      { email: 'primary-unverified@example.com', primary: true, verified: false },
      { email: 'other@example.com', primary: false, verified: true },
      { email: 'octo@example.com', primary: true, verified: true },
    ]);
    const signedIn = await signIn(githubEntry());
    expect(account(signedIn)).toEqual({ id: '583231', name: 'The Octocat', username: 'octocat', email: 'octo@example.com', avatarURL: 'https://avatars/583231' });
    expect(signedIn.rawUser).toEqual(user);
    expect(requests.map((r) => [r.url, r.headers.authorization?.startsWith('Bearer '), r.headers['user-agent']])).toEqual([
      ['/user', true, 'Baton'],
      ['/user/emails', true, 'Baton'],
    ]);
  });

  it('takes no email that is not both primary and verified (not even the profile’s)', async () => {
    answerGithub([
      { email: 'a@example.com', primary: true, verified: false },
      { email: 'b@example.com', primary: false, verified: true },
    ]);
    expect((await signIn(githubEntry())).email).toBe('');
  });

  it.each([401, 403, 404])('signs in without an email when /user/emails answers %i (scope not granted)', async (status) => {
    answerGithub({ message: 'Not Found' }, status);
    const signedIn = await signIn(githubEntry());
    expect([signedIn.id, signedIn.email]).toEqual(['583231', '']);
  });

  it('fails when /user/emails fails otherwise', async () => {
    answerGithub({ message: 'Server Error' }, 500);
    expect(await accountRefusal(signIn(githubEntry()))).toBe('OAuth2 provider github: user emails: HTTP 500 (Server Error)');
  });

  it('asks the token endpoint for JSON', async () => {
    const accepts: unknown[] = [];
    onTokenResponse(githubAPI, (_response, request) => accepts.push(request.headers.accept));
    answerGithub([]);
    await signIn(githubEntry());
    expect(accepts).toEqual(['application/json']);
  });
});

describe('gitlab', () => {
  const user = { id: 42, username: 'ann', name: 'Ann', avatar_url: 'https://gitlab/ann.png', email: 'ann@example.com' };

  it.each([
    ['2012-05-23T09:05:22Z', 'ann@example.com'],
    ['2012-05-23T09:05:22.123+02:00', 'ann@example.com'],
    [null, ''],
    ['', ''],
    ['yesterday', ''],
    ['0001-01-01T00:00:00Z', ''],
  ])('maps id, username, name and avatar; the email only when confirmed_at (%j) is a date', async (confirmedAt, email) => {
    answerUserInfo(mock, { ...user, confirmed_at: confirmedAt });
    expect(account(await signIn(mockEntry(mock, 'gitlab')))).toEqual({ id: '42', name: 'Ann', username: 'ann', email, avatarURL: 'https://gitlab/ann.png' });
  });
});

describe('discord', () => {
  const user = { id: '80351110224678912', username: 'nelly', discriminator: '0', global_name: 'Nelly', avatar: '8342729096ea3675442027381ff50dfe', email: 'nelly@example.com', verified: true };
  const avatarURL = 'https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png';

  it.each([
    ['the global name', {}, 'Nelly'],
    ['the username when there is no global name', { global_name: null }, 'nelly'],
    ['username#discriminator for a legacy account', { global_name: '', discriminator: '1337' }, 'nelly#1337'],
    ['no #0 for a migrated account', { global_name: null, discriminator: '0' }, 'nelly'],
  ])('names the account by %s', async (_case, change, name) => {
    answerUserInfo(mock, { ...user, ...change });
    expect(account(await signIn(mockEntry(mock, 'discord')))).toEqual({ id: user.id, name, username: 'nelly', email: 'nelly@example.com', avatarURL });
  });

  it('gives no avatar without an avatar hash, and no email unless verified', async () => {
    answerUserInfo(mock, { ...user, avatar: null, verified: false });
    const signedIn = await signIn(mockEntry(mock, 'discord'));
    expect([signedIn.avatarURL, signedIn.email]).toEqual(['', '']);
  });
});

describe('microsoft', () => {
  const graphUser = { id: '87d349ed-44d7-43e1-9a83-5f2406dee5bd', displayName: 'Megan Bowen', mail: 'megan@contoso.example' };
  const tenant = '9122040d-6c67-4c5b-b112-36a304b66dad';
  /** Microsoft's own keys and tenant issuers stand in for by the mock's keys, with Microsoft's issuer shape. */
  const entry = (idTokenEmailClaim?: string, extra: Record<string, unknown> = {}) =>
    mockEntry(mock, 'microsoft', { extra: { jwksURL: mock.url('/jwks'), ...(idTokenEmailClaim ? { idTokenEmailClaim } : {}), ...extra } });
  const tenantIdToken = (claims: Record<string, unknown>) =>
    onIdTokenClaims(mock, (c) => Object.assign(c, { tid: tenant, iss: `https://login.microsoftonline.com/${tenant}/v2.0` }, claims));

  it("maps Graph's id and displayName; by default the email is a verified one from the ID token, never Graph's mail", async () => {
    // Any tenant's admin can set `mail` to any address (PocketBase's default trusts it): a
    // sign-in linking accounts by that address could take over someone else's.
    answerUserInfo(mock, graphUser);
    tenantIdToken({ email: 'megan@contoso.example', xms_edov: false });
    expect(account(await signIn(entry()))).toEqual({ id: graphUser.id, name: 'Megan Bowen', username: '', email: '', avatarURL: '' });
    answerUserInfo(mock, graphUser);
    tenantIdToken({ verified_primary_email: 'megan@contoso.example' });
    expect(account(await signIn(entry())).email).toBe('megan@contoso.example');
  });

  it.each([
    ['verified_primary_email', { verified_primary_email: 'primary@contoso.example', email: 'e@contoso.example', xms_edov: true }, 'primary@contoso.example'],
    ['verified_primary_email', { email: 'e@contoso.example', xms_edov: true }, ''],
    ['email_and_xms_edov', { verified_primary_email: 'primary@contoso.example', email: 'e@contoso.example', xms_edov: true }, 'e@contoso.example'],
    ['email_and_xms_edov', { email: 'e@contoso.example', xms_edov: false }, ''],
    ['email_and_xms_edov', { email: 'e@contoso.example', xms_edov: '1' }, 'e@contoso.example'],
    ['any_verified', { verified_primary_email: 'primary@contoso.example', email: 'e@contoso.example', xms_edov: true }, 'primary@contoso.example'],
    ['any_verified', { email: 'e@contoso.example', xms_edov: true }, 'e@contoso.example'],
    ['any_verified', { email: 'e@contoso.example' }, ''],
    ['email', { email: 'e@contoso.example' }, 'e@contoso.example'],
    ['emial', { verified_primary_email: 'primary@contoso.example', email: 'e@contoso.example', xms_edov: true }, ''],
  ])('idTokenEmailClaim %s takes the email from the verified ID token (%j -> %j), never from Graph', async (mode, claims, email) => {
    answerUserInfo(mock, graphUser);
    tenantIdToken(claims);
    expect((await signIn(entry(mode))).email).toBe(email);
  });

  it('gives no email with idTokenEmailClaim when the token response has no ID token', async () => {
    answerUserInfo(mock, graphUser);
    onTokenResponse(mock, (response) => {
      delete (response.body as Record<string, unknown>).id_token;
    });
    expect((await signIn(entry('email'))).email).toBe('');
  });

  it.each([
    ['an issuer of another tenant than its tid', { tid: tenant, iss: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0' }, /issuer .* is not accepted/],
    ['a v1.0 issuer', { tid: tenant, iss: `https://sts.windows.net/${tenant}/` }, /issuer .* is not accepted/],
    ['no tid', { tid: undefined, iss: 'https://login.microsoftonline.com//v2.0' }, /issuer .* is not accepted/],
    ['a foreign audience', { tid: tenant, iss: `https://login.microsoftonline.com/${tenant}/v2.0`, aud: 'other-app' }, /"aud"/],
  ])('refuses an ID token with %s', async (_case, claims, message) => {
    answerUserInfo(mock, graphUser);
    onIdTokenClaims(mock, (c) => Object.assign(c, { email: 'e@contoso.example' }, claims));
    expect(await accountRefusal(signIn(entry('email')))).toMatch(message);
  });

  it('takes the issuers from the entry when it lists them (a single-tenant app)', async () => {
    answerUserInfo(mock, graphUser);
    onIdTokenClaims(mock, (c) => Object.assign(c, { email: 'e@contoso.example' }));
    expect((await signIn(entry('email', { issuers: [mock.issuer] }))).email).toBe('e@contoso.example');
  });
});

describe('apple', () => {
  /** Apple's keys and issuer are overridden to the mock's, as its tests must (no internet here). */
  const entry = (extra: Record<string, unknown> = { jwksURL: mock.url('/jwks'), issuers: [mock.issuer] }) => mockEntry(mock, 'apple', { userInfoURL: '', extra });

  it.each([
    ['true', 'ann@privaterelay.appleid.com'],
    [true, 'ann@privaterelay.appleid.com'],
    ['false', ''],
    [undefined, ''],
  ])('maps the ID token: sub as id, the email when email_verified is %j', async (verified, email) => {
    onIdTokenClaims(mock, (c) => Object.assign(c, { sub: '001234.abcd.0987', email: 'ann@privaterelay.appleid.com', email_verified: verified }));
    const signedIn = await signIn(entry());
    expect(account(signedIn)).toEqual({ id: '001234.abcd.0987', name: '', username: '', email, avatarURL: '' });
    expect(signedIn.rawUser).toMatchObject({ sub: '001234.abcd.0987', iss: mock.issuer });
  });

  it("expects Apple's issuer unless the entry names another", async () => {
    expect(await accountRefusal(signIn(entry({ jwksURL: mock.url('/jwks') })))).toMatch(/issuer .* is not accepted/);
    onIdTokenClaims(mock, (c) => Object.assign(c, { iss: 'https://appleid.apple.com' }));
    expect((await signIn(entry({ jwksURL: mock.url('/jwks') }))).id).toBe('johndoe');
  });

  it.each([
    ['no expiry', (c: Record<string, unknown>) => delete c.exp, /missing required "exp" claim/],
    ['a foreign audience', (c: Record<string, unknown>) => Object.assign(c, { aud: 'com.example.other' }), /"aud"/],
  ])('refuses an ID token with %s', async (_case, change, message) => {
    onIdTokenClaims(mock, change);
    expect(await accountRefusal(signIn(entry()))).toMatch(message);
  });

  it('refuses a token response without an ID token', async () => {
    onTokenResponse(mock, (response) => {
      delete (response.body as Record<string, unknown>).id_token;
    });
    expect(await accountRefusal(signIn(entry()))).toMatch(/the token response has no id_token/);
  });
});
