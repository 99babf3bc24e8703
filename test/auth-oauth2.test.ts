// OAuth2 sign-in end to end against a real OAuth2/OpenID Connect server on loopback
// (oauth2-mock-server): the SDK lists the providers, the test's "browser" follows the
// authorization URL to the provider and back with a code, and the SDK's authWithOAuth2Code signs
// in. Covers sign-up with createData, links, the email match and its guards against accounts
// registered before their owner, rules, MFA, the options' secrets and checks, and the endpoints
// around it.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { importSPKI, jwtVerify } from 'jose';
import type { OAuth2Server } from 'oauth2-mock-server';
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ident, sql } from '../src/db/sql.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord, text } from './support/builders.ts';
import { clientError } from './support/sdk.ts';
import { startOAuth2Provider } from './support/oauth2.ts';
import { describeFixture } from './support/fixture.ts';

const REDIRECT = 'http://app.test/oauth2-callback';
let server: TestServer;
let provider: OAuth2Server;
/** What the provider's userinfo endpoint answers next (each test sets its account). */
let account: Record<string, unknown> = {};

const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });

/** The provider entry of the `oidc` provider, pointed at the loopback server. */
const oidc = (extra: Record<string, unknown> = {}) => ({
  name: 'oidc',
  clientId: 'baton-client',
  clientSecret: 'baton-secret',
  authURL: `${provider.issuer.url}/authorize`,
  tokenURL: `${provider.issuer.url}/token`,
  userInfoURL: `${provider.issuer.url}/userinfo`,
  displayName: 'Loopback',
  ...extra,
});

async function oauthCollection(name: string, options: Record<string, unknown> = {}) {
  return createCollection(server, {
    name,
    type: 'auth',
    fields: [text('name'), text('nick', { max: 20 })],
    oauth2: { enabled: true, providers: [oidc()], mappedFields: { id: '', name: 'name', username: 'nick', avatarURL: '' } },
    createRule: '',
    ...options,
  });
}

/** The browser's part: the provider's authorization page answers at once with a code for the redirect. */
async function authorize(authURL: string, redirect = REDIRECT): Promise<{ code: string; state: string }> {
  const res = await fetch(authURL + encodeURIComponent(redirect), { redirect: 'manual' });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location')!);
  expect(back.origin + back.pathname).toBe(redirect);
  return { code: back.searchParams.get('code')!, state: back.searchParams.get('state')! };
}

/** auth-methods, then the provider, then auth-with-oauth2 through the SDK. */
async function signIn(pb: PocketBase, collection: string, createData?: Record<string, unknown>, name = 'oidc') {
  const methods = await pb.collection(collection).listAuthMethods();
  const p = methods.oauth2.providers.find((x) => x.name === name)!;
  const { code, state } = await authorize(p.authURL);
  expect(state).toBe(p.state);
  return pb.collection(collection).authWithOAuth2Code(name, code, p.codeVerifier, REDIRECT, createData);
}

async function links(recordId: string): Promise<Array<{ provider: string; providerId: string }>> {
  return server.baton.services.db.all(
    sql`SELECT ${ident('provider')}, ${ident('providerId')} FROM ${ident('_externalAuths')} WHERE ${ident('recordRef')} = ${recordId} ORDER BY ${ident('provider')}`,
  );
}

beforeAll(async () => {
  provider = await startOAuth2Provider(() => account);
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
  await provider?.stop();
});
beforeEach(() => {
  account = {};
});

describe('auth-methods', () => {
  it('lists each provider with a fresh state and an S256 PKCE pair, and the authorization URL to append the redirect to', async () => {
    await oauthCollection('om_list');
    const pb = new PocketBase(server.url);
    const first = await pb.collection('om_list').listAuthMethods();
    const second = await pb.collection('om_list').listAuthMethods();
    expect(first.oauth2.enabled).toBe(true);
    const [p] = first.oauth2.providers;
    expect(p).toMatchObject({ name: 'oidc', displayName: 'Loopback', codeChallengeMethod: 'S256' });
    expect(p.state).toMatch(/^[A-Za-z0-9]{30}$/);
    expect(p.codeVerifier).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(p.codeChallenge).toBe(createHash('sha256').update(p.codeVerifier).digest('base64url'));
    expect(second.oauth2.providers[0].state).not.toBe(p.state);
    expect(second.oauth2.providers[0].codeVerifier).not.toBe(p.codeVerifier);
    expect(p.authURL.endsWith('&redirect_uri=')).toBe(true);
    const url = new URL(p.authURL);
    expect(url.origin + url.pathname).toBe(`${provider.issuer.url}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: 'baton-client',
      response_type: 'code',
      state: p.state,
      code_challenge: p.codeChallenge,
      code_challenge_method: 'S256',
    });
    // Older SDKs read the pre-0.23 keys.
    const raw = (await api(server, 'GET', '/api/collections/om_list/auth-methods')).body;
    expect(raw.authProviders[0]).toMatchObject({ name: 'oidc', logo: '' });
    expect(raw.authProviders[0].authUrl).toBe(raw.authProviders[0].authURL);
  });

  it('offers no provider while OAuth2 is off', async () => {
    await oauthCollection('om_off', { oauth2: { enabled: false, providers: [oidc()] } });
    const body = (await api(server, 'GET', '/api/collections/om_off/auth-methods')).body;
    expect(body.oauth2).toEqual({ providers: [], enabled: false });
    expect(body.authProviders).toBeNull();
  });
});

describe('auth-with-oauth2', () => {
  it('signs up a new record from the provider\'s account and createData, then signs the same record in', async () => {
    await oauthCollection('om_new');
    account = { sub: 'acct-1', name: 'Ada Lovelace', preferred_username: 'ada', email: 'ada@oauth.test', email_verified: true, picture: 'http://img.test/ada.png' };
    const pb = new PocketBase(server.url);
    const auth = await signIn(pb, 'om_new', { emailVisibility: true });
    expect(auth.record).toMatchObject({ email: 'ada@oauth.test', verified: true, name: 'Ada Lovelace', nick: 'ada', emailVisibility: true });
    expect(auth.meta).toMatchObject({ id: 'acct-1', name: 'Ada Lovelace', username: 'ada', email: 'ada@oauth.test', isNew: true, avatarURL: 'http://img.test/ada.png' });
    expect(auth.meta?.rawUser).toEqual(account);
    expect(typeof auth.meta?.accessToken).toBe('string');
    expect(pb.authStore.isValid).toBe(true);
    expect(await links(auth.record.id)).toEqual([{ provider: 'oidc', providerId: 'acct-1' }]);
    // Nobody knows the random password it was given.
    const stored = await server.baton.services.db.get<{ password: string }>(sql`SELECT ${ident('password')} FROM ${ident('om_new')} WHERE ${ident('id')} = ${auth.record.id}`);
    expect(stored?.password).toMatch(/^\$2a\$/);

    const again = await signIn(new PocketBase(server.url), 'om_new');
    expect(again.record.id).toBe(auth.record.id);
    expect(again.meta?.isNew).toBe(false);
    expect(await links(auth.record.id)).toHaveLength(1);
  });

  it('signs up with createData under the createRule, which sees @request.context "oauth2"; a refused or invalid sign-up leaves nothing', async () => {
    await oauthCollection('om_rule', { createRule: '@request.context = "oauth2" && @request.body.nick != "blocked"' });
    account = { sub: 'acct-rule', email: 'rule@oauth.test', email_verified: true };
    const refused = await clientError(() => signIn(new PocketBase(server.url), 'om_rule', { nick: 'blocked' }));
    expect(refused.status).toBe(400);
    expect(refused.response.message).toBe('Failed to create record.');
    const invalid = await clientError(() => signIn(new PocketBase(server.url), 'om_rule', { nick: 'x'.repeat(21) }));
    expect(invalid.status).toBe(400);
    expect(invalid.response.data.nick.code).toBe('validation_max_text_constraint');
    expect((await su('GET', '/api/collections/om_rule/records')).body.totalItems).toBe(0);
    expect((await su('GET', '/api/collections/_externalAuths/records?filter=' + encodeURIComponent('providerId = "acct-rule"'))).body.totalItems).toBe(0);

    const ok = await signIn(new PocketBase(server.url), 'om_rule', { nick: 'ruled' });
    expect(ok.record.nick).toBe('ruled');
    // A plain create is not an OAuth2 one.
    expect((await api(server, 'POST', '/api/collections/om_rule/records', { body: { email: 'plain@x.io', password: 'pass12345', passwordConfirm: 'pass12345' } })).status).toBe(400);
  });

  it('an account without a verified email signs up without one only when createData gives one', async () => {
    await oauthCollection('om_noemail');
    account = { sub: 'acct-unverified', email: 'someone@oauth.test', email_verified: false };
    const failed = await clientError(() => signIn(new PocketBase(server.url), 'om_noemail'));
    expect(failed.status).toBe(400);
    expect(failed.response.data.email.code).toBe('validation_required');
    expect((await su('GET', '/api/collections/om_noemail/records')).body.totalItems).toBe(0);
    const auth = await signIn(new PocketBase(server.url), 'om_noemail', { email: 'mine@app.test' });
    // Not the provider's (verified) address: not verified.
    expect(auth.record).toMatchObject({ email: 'mine@app.test', verified: false });
  });

  it('joins a verified record with the same email, keeping its password', async () => {
    await oauthCollection('om_join');
    const existing = await createRecord(server, 'om_join', { email: 'joe@oauth.test', password: 'joe-password-1', passwordConfirm: 'joe-password-1' });
    await su('PATCH', `/api/collections/om_join/records/${existing.id}`, { verified: true });
    account = { sub: 'acct-joe', email: 'JOE@oauth.test', email_verified: true };
    // Email lookups follow the index: the auth collection's email index is not NOCASE here.
    const other = await signIn(new PocketBase(server.url), 'om_join');
    expect(other.record.id).not.toBe(existing.id);
    account = { sub: 'acct-joe2', email: 'joe@oauth.test', email_verified: true };
    const joined = await signIn(new PocketBase(server.url), 'om_join');
    expect(joined.record.id).toBe(existing.id);
    expect(joined.meta?.isNew).toBe(false);
    expect(await links(existing.id)).toEqual([{ provider: 'oidc', providerId: 'acct-joe2' }]);
    const password = await new PocketBase(server.url).collection('om_join').authWithPassword('joe@oauth.test', 'joe-password-1');
    expect(password.record.id).toBe(existing.id);
  });

  it('an unverified record with the provider\'s email loses its password and other links, and becomes verified', async () => {
    await oauthCollection('om_claim');
    // Someone registered the address first, without owning it, and linked another account.
    const squatter = await createRecord(server, 'om_claim', { email: 'owner@oauth.test', password: 'squatter-pass', passwordConfirm: 'squatter-pass' });
    await su('POST', '/api/collections/_externalAuths/records', { collectionRef: squatter.collectionId, recordRef: squatter.id, provider: 'google', providerId: 'squatter-google' });
    account = { sub: 'acct-owner', email: 'owner@oauth.test', email_verified: true };
    const auth = await signIn(new PocketBase(server.url), 'om_claim');
    expect(auth.record.id).toBe(squatter.id);
    expect(auth.record.verified).toBe(true);
    expect(await links(squatter.id)).toEqual([{ provider: 'oidc', providerId: 'acct-owner' }]);
    const old = await clientError(() => new PocketBase(server.url).collection('om_claim').authWithPassword('owner@oauth.test', 'squatter-pass'));
    expect(old.status).toBe(400);
  });

  it('gives sign-ups and claimed records a random password the field\'s own pattern does not apply to, as PocketBase', async () => {
    // A pattern no random password meets: the sign-up and the claim must not trip on it.
    await oauthCollection('om_strict', {
      fields: [text('name'), text('nick', { max: 20 }), { name: 'password', type: 'password', required: true, min: 8, max: 71, pattern: '^.*[!@#].*$', hidden: true, cost: 10 }],
    });
    account = { sub: 'acct-strict', email: 'strict@oauth.test', email_verified: true };
    const signedUp = await signIn(new PocketBase(server.url), 'om_strict');
    expect(signedUp.meta?.isNew).toBe(true);
    const squatter = await createRecord(server, 'om_strict', { email: 'taken@oauth.test', password: 'squat!pass', passwordConfirm: 'squat!pass' });
    account = { sub: 'acct-taken', email: 'taken@oauth.test', email_verified: true };
    const claimed = await signIn(new PocketBase(server.url), 'om_strict');
    expect(claimed.record.id).toBe(squatter.id);
    expect((await clientError(() => new PocketBase(server.url).collection('om_strict').authWithPassword('taken@oauth.test', 'squat!pass'))).status).toBe(400);
  });

  it('links the signed-in requester\'s own record, keeping its password', async () => {
    await oauthCollection('om_own');
    const me = await createRecord(server, 'om_own', { email: 'me@app.test', password: 'my-password-1', passwordConfirm: 'my-password-1' });
    const pb = new PocketBase(server.url);
    await pb.collection('om_own').authWithPassword('me@app.test', 'my-password-1');
    account = { sub: 'acct-me', email: 'elsewhere@oauth.test', email_verified: true };
    const auth = await signIn(pb, 'om_own');
    expect(auth.record.id).toBe(me.id);
    expect(await links(me.id)).toEqual([{ provider: 'oidc', providerId: 'acct-me' }]);
    // Unverified, but its own: the password stays; the email differs from the provider's: still unverified.
    expect(auth.record.verified).toBe(false);
    expect((await new PocketBase(server.url).collection('om_own').authWithPassword('me@app.test', 'my-password-1')).record.id).toBe(me.id);
  });

  it('refuses bad input, unknown providers, bad codes and a wrong PKCE verifier, with PocketBase\'s errors', async () => {
    await oauthCollection('om_bad');
    await oauthCollection('om_disabled', { oauth2: { enabled: false, providers: [oidc()] } });
    const post = (collection: string, body: unknown) => api(server, 'POST', `/api/collections/${collection}/auth-with-oauth2`, { body });
    const blank = await post('om_bad', {});
    expect(blank.status).toBe(400);
    expect(blank.body.data).toEqual({
      provider: { code: 'validation_required', message: 'Cannot be blank.' },
      code: { code: 'validation_required', message: 'Cannot be blank.' },
    });
    const unknown = await post('om_bad', { provider: 'github', code: 'x' });
    expect(unknown.body.data.provider.code).toBe('validation_invalid_provider');
    expect((await post('om_bad', { provider: 'oidc', code: 'x', createData: 'nope' })).status).toBe(400);
    expect((await post('om_disabled', { provider: 'oidc', code: 'x' })).status).toBe(403);

    const methods = (await api(server, 'GET', '/api/collections/om_bad/auth-methods')).body;
    const p = methods.oauth2.providers[0];
    const { code } = await authorize(p.authURL);
    const wrongVerifier = await post('om_bad', { provider: 'oidc', code, codeVerifier: 'A'.repeat(43), redirectURL: REDIRECT });
    expect(wrongVerifier.status).toBe(400);
    expect(wrongVerifier.body.message).toBe('Failed to fetch OAuth2 token.');
    const unknownCode = await post('om_bad', { provider: 'oidc', code: 'not-a-code', codeVerifier: p.codeVerifier, redirectURL: REDIRECT });
    expect(unknownCode.status).toBe(400);
    expect((await su('GET', '/api/collections/om_bad/records')).body.totalItems).toBe(0);
  });

  it('an authRule sees @request.context "oauth2"', async () => {
    await oauthCollection('om_authrule', { authRule: '@request.context != "oauth2"' });
    account = { sub: 'acct-ar', email: 'ar@oauth.test', email_verified: true };
    const refused = await clientError(() => signIn(new PocketBase(server.url), 'om_authrule'));
    expect(refused.status).toBe(403);
  });

  it('is one factor of MFA: the first answers 401 with an mfaId, a password completes it', async () => {
    await oauthCollection('om_mfa', { mfa: { enabled: true, duration: 600, rule: '' }, passwordAuth: { enabled: true, identityFields: ['email'] } });
    const user = await createRecord(server, 'om_mfa', { email: 'mfa@oauth.test', password: 'mfa-password-1', passwordConfirm: 'mfa-password-1' });
    await su('PATCH', `/api/collections/om_mfa/records/${user.id}`, { verified: true });
    account = { sub: 'acct-mfa', email: 'mfa@oauth.test', email_verified: true };
    const first = await clientError(() => signIn(new PocketBase(server.url), 'om_mfa'));
    expect(first.status).toBe(401);
    const mfaId = first.response.mfaId as string;
    expect(mfaId).toMatch(/^[a-z0-9]{15}$/);
    const done = await new PocketBase(server.url).collection('om_mfa').authWithPassword('mfa@oauth.test', 'mfa-password-1', { mfaId });
    expect(done.record.id).toBe(user.id);
  });
});

describe('the oauth2 options', () => {
  it('hide each provider\'s clientSecret, keep it when a provider is sent back without one, and check names and URLs', async () => {
    const c = await oauthCollection('om_opts');
    const view = (await su('GET', `/api/collections/${c.id}`)).body;
    expect(view.oauth2.providers[0].clientSecret).toBeUndefined();
    expect(view.oauth2.providers[0].clientId).toBe('baton-client');
    const patched = await su('PATCH', `/api/collections/${c.id}`, { oauth2: { ...view.oauth2, providers: [{ ...view.oauth2.providers[0], displayName: 'Renamed' }] } });
    expect(patched.status).toBe(200);
    // Still signs in: the secret was kept.
    account = { sub: 'acct-opts', email: 'opts@oauth.test', email_verified: true };
    expect((await signIn(new PocketBase(server.url), 'om_opts')).meta?.id).toBe('acct-opts');

    // Pointed at another token endpoint, the entry does not take the old secret along.
    const moved = await su('PATCH', `/api/collections/${c.id}`, {
      oauth2: { ...view.oauth2, providers: [{ ...view.oauth2.providers[0], tokenURL: 'https://elsewhere.test/token' }] },
    });
    expect(moved.status).toBe(400);
    expect(moved.body.data.oauth2.providers['0'].clientSecret.code).toBe('validation_required');

    const bad = await su('PATCH', `/api/collections/${c.id}`, {
      oauth2: { enabled: true, providers: [{ ...oidc(), name: 'myspace' }, { ...oidc(), name: 'oidc2', tokenURL: 'not a url' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.data.oauth2.providers['0'].name.code).toBe('validation_missing_provider');
    expect(bad.body.data.oauth2.providers['1'].tokenURL.code).toBe('validation_is_url');

    // A provider PocketBase has and Baton lacks keeps a PocketBase collection valid; it is not offered.
    const pocketbaseOnly = await su('PATCH', `/api/collections/${c.id}`, {
      oauth2: { enabled: true, providers: [oidc(), { ...oidc(), name: 'facebook' }] },
    });
    expect(pocketbaseOnly.status).toBe(200);
    const methods = (await api(server, 'GET', '/api/collections/om_opts/auth-methods')).body;
    expect(methods.oauth2.providers.map((p: { name: string }) => p.name)).toEqual(['oidc']);
  });
});

describe('endpoints around OAuth2', () => {
  it('GET /api/collections/meta/oauth2-providers lists the known providers, to superusers only', async () => {
    expect((await api(server, 'GET', '/api/collections/meta/oauth2-providers')).status).toBe(401);
    const list = await su('GET', '/api/collections/meta/oauth2-providers');
    expect(list.status).toBe(200);
    const names = list.body.map((p: { name: string }) => p.name);
    for (const name of ['apple', 'google', 'microsoft', 'github', 'gitlab', 'discord', 'oidc', 'oidc2', 'oidc3']) expect(names).toContain(name);
    expect(names.indexOf('apple')).toBeLessThan(names.indexOf('github'));
    expect(list.body.find((p: { name: string }) => p.name === 'github')).toMatchObject({ displayName: 'GitHub' });
  });

  it('/api/oauth2-redirect answers the failure page while no realtime client waits for it (GET and POST)', async () => {
    for (const method of ['GET', 'POST']) {
      const res = await fetch(`${server.url}/api/oauth2-redirect?state=abc&code=def`, { method });
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^Failed to authenticate\./);
    }
  });

  it('POST /api/settings/apple/generate-client-secret signs an ES256 client secret Apple can check', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const res = await su('POST', '/api/settings/apple/generate-client-secret', {
      clientId: 'com.baton.app', teamId: 'TEAM123456', keyId: 'KEY1234567', privateKey: pem, duration: 3600,
    });
    expect(res.status).toBe(200);
    const key = await importSPKI(publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'ES256');
    const { payload, protectedHeader } = await jwtVerify(res.body.secret, key, { audience: 'https://appleid.apple.com', issuer: 'TEAM123456', subject: 'com.baton.app' });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'KEY1234567' });
    expect(payload.exp! - payload.iat!).toBe(3600);

    const bad = await su('POST', '/api/settings/apple/generate-client-secret', { clientId: '', teamId: 'short', keyId: 'KEY1234567', privateKey: 'nope', duration: 99_999_999 });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.data).sort()).toEqual(['clientId', 'duration', 'privateKey', 'teamId']);
    expect((await api(server, 'POST', '/api/settings/apple/generate-client-secret', { body: {} })).status).toBe(401);
  });
});

describeFixture('OAuth2 on PocketBase\'s test data', () => {
  let fixture: TestServer;
  beforeAll(async () => {
    fixture = await startServer({ fixture: true });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('a linked but unverified account signs in through its provider, keeps only that link and loses its password', async () => {
    const fsu = (method: string, path: string, body?: unknown) => api(fixture, method, path, { token: fixture.superuserToken, body });
    // users' google entry pointed at the loopback provider (a new token endpoint takes a secret
    // of its own); the gitlab entry is sent back as the API showed it, and keeps its secret.
    const users = (await fsu('GET', '/api/collections/users')).body;
    const loopback = { authURL: `${provider.issuer.url}/authorize`, tokenURL: `${provider.issuer.url}/token`, userInfoURL: `${provider.issuer.url}/userinfo` };
    const providers = users.oauth2.providers.map((p: Record<string, unknown>) => (p.name === 'google' ? { ...p, ...loopback, clientSecret: 'loopback-secret' } : p));
    expect((await fsu('PATCH', '/api/collections/users', { oauth2: { ...users.oauth2, providers } })).status).toBe(200);
    const hash = async () =>
      (await fixture.baton.services.db.get<{ password: string }>(sql`SELECT ${ident('password')} FROM ${ident('users')} WHERE ${ident('id')} = ${'4q1xlclmfloku33'}`))!.password;
    const before = await hash();

    // users has MFA on for everyone: OAuth2 is the first factor, the answer an mfaId.
    account = { sub: 'test123', name: 'Google Test', email: 'test@example.com', email_verified: false };
    const pb = new PocketBase(fixture.url);
    const methods = await pb.collection('users').listAuthMethods();
    const google = methods.oauth2.providers.find((p) => p.name === 'google')!;
    const { code } = await authorize(google.authURL);
    const first = await clientError(() => pb.collection('users').authWithOAuth2Code('google', code, google.codeVerifier, REDIRECT));
    expect(first.status).toBe(401);
    const mfa = await fixture.baton.services.db.get<{ recordRef: string; method: string }>(
      sql`SELECT ${ident('recordRef')}, ${ident('method')} FROM ${ident('_mfas')} WHERE ${ident('id')} = ${first.response.mfaId as string}`,
    );
    expect(mfa).toEqual({ recordRef: '4q1xlclmfloku33', method: 'oauth2' });
    // Unverified: the gitlab link someone may have made goes, google's is made again, and the
    // password set before the address was proven is replaced.
    const rows = await fixture.baton.services.db.all(
      sql`SELECT ${ident('provider')}, ${ident('providerId')} FROM ${ident('_externalAuths')} WHERE ${ident('recordRef')} = ${'4q1xlclmfloku33'}`,
    );
    expect(rows).toEqual([{ provider: 'google', providerId: 'test123' }]);
    expect(await hash()).not.toBe(before);
  });
});
