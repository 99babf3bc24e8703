/**
 * Password sign-in on any auth collection, as PocketBase has it: identity fields (a UNIQUE index
 * required, NOCASE compared case-insensitively), authRule with the request as it came
 * (`@request.context` = "password", `@request.auth` = whoever sent it), MFA's first factor (401
 * with the session id, `_mfas` rows, their expiry), auth-methods, and the 404s of the auth routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import PocketBase, { ClientResponseError } from 'pocketbase';
import { sql, ident } from '../src/db/sql.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord, text } from './support/builders.ts';

let server: TestServer;
const PASSWORD = 'member-password-1';

const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });
const signIn = (collection: string, body: Record<string, unknown>, query = '', token?: string) =>
  api(server, 'POST', `/api/collections/${collection}/auth-with-password${query}`, { body, token });

/** An auth collection with `options` (PocketBase's flattened auth options) and one record. */
async function authCollection(name: string, options: Record<string, unknown>, record: Record<string, unknown> = {}) {
  await createCollection(server, {
    name,
    type: 'auth',
    fields: [text('username'), text('nick')],
    indexes: [`CREATE UNIQUE INDEX idx_${name}_username ON ${name} (username COLLATE NOCASE)`],
    ...options,
  });
  return createRecord(server, name, { email: `ann@${name}.io`, username: 'Ann_1', password: PASSWORD, passwordConfirm: PASSWORD, ...record });
}

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

describe('auth-with-password on any auth collection', () => {
  it('finds the record by email or by a field with a UNIQUE index, NOCASE case-insensitively', async () => {
    const ann = await authCollection('members', { passwordAuth: { enabled: true, identityFields: ['email', 'username'] } }, { nick: 'annie' });
    const byEmail = await signIn('members', { identity: 'ann@members.io', password: PASSWORD });
    expect(byEmail.status).toBe(200);
    expect(byEmail.body.record.id).toBe(ann.id);
    // The username index is NOCASE: any case finds it.
    const byName = await signIn('members', { identity: 'ANN_1', password: PASSWORD });
    expect(byName.status).toBe(200);
    expect(byName.body.record.id).toBe(ann.id);
    // nick is not an identity field: it identifies nobody, and the answer is the plain failure.
    const byNick = await signIn('members', { identity: 'annie', password: PASSWORD });
    expect(byNick).toMatchObject({ status: 400, body: { message: 'Failed to authenticate.', data: {} } });
    // identityField narrows the search to that field.
    const onlyEmail = await signIn('members', { identity: 'Ann_1', password: PASSWORD, identityField: 'email' });
    expect(onlyEmail.status).toBe(400);
    const onlyName = await signIn('members', { identity: 'ann_1', password: PASSWORD, identityField: 'username' });
    expect(onlyName.status).toBe(200);
    const notListed = await signIn('members', { identity: 'ann_1', password: PASSWORD, identityField: 'id' });
    expect(notListed).toMatchObject({ status: 400, body: { data: { identityField: { code: 'validation_in_invalid' } } } });
    // An unknown identity and a wrong password answer alike.
    const unknown = await signIn('members', { identity: 'nobody@members.io', password: PASSWORD });
    const wrong = await signIn('members', { identity: 'ann@members.io', password: 'not-the-password' });
    expect(unknown).toMatchObject({ status: 400, body: { message: 'Failed to authenticate.', data: {} } });
    expect(wrong.body).toEqual(unknown.body);
  });

  it('an unknown identity takes as long as a wrong password (medians of sign-in requests)', async () => {
    // Cost 10, PocketBase's default: a check takes tens of ms, an unanswered lookup well under one.
    await authCollection('timing', {});
    const time = async (identity: string) => {
      const started = performance.now();
      const res = await signIn('timing', { identity, password: 'wrong-password-1' });
      expect(res.status).toBe(400);
      return performance.now() - started;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 9; i++) {
      wrong.push(await time('ann@timing.io'));
      unknown.push(await time(`nobody${i}@timing.io`));
    }
    const ratio = median(unknown) / median(wrong);
    // Without the dummy check an unknown identity answered in a small fraction of the time.
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it('holds an identity\'s password sign-ins back after 10 failures, whoever sends them; other identities go on', async () => {
    await authCollection('lockout', {});
    await createRecord(server, 'lockout', { email: 'bob@lockout.io', password: PASSWORD, passwordConfirm: PASSWORD });
    for (let i = 0; i < 10; i++) {
      // From many addresses: the per-IP limits (off by default) would not see one guesser.
      const res = await api(server, 'POST', '/api/collections/lockout/auth-with-password', {
        body: { identity: i % 2 ? 'ann@lockout.io' : 'ANN@lockout.io', password: `guess-${i}` },
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
      });
      expect(res.status).toBe(400);
    }
    const held = await signIn('lockout', { identity: 'ann@lockout.io', password: PASSWORD });
    expect(held).toMatchObject({ status: 429, body: { status: 429, message: 'Too many failed sign-in attempts, please try again later.', data: {} } });
    expect((await signIn('lockout', { identity: 'bob@lockout.io', password: PASSWORD })).status).toBe(200);
    // Unknown identities are counted alike: the 429 tells nothing about who has an account.
    for (let i = 0; i < 10; i++) await signIn('lockout', { identity: 'ghost@lockout.io', password: `guess-${i}` });
    expect((await signIn('lockout', { identity: 'ghost@lockout.io', password: PASSWORD })).status).toBe(429);
  });

  it('checks authRule with the request as it came: @request.context is "password", @request.auth the sender', async () => {
    await authCollection('nopassword', { authRule: '@request.context != "password"' });
    const refused = await signIn('nopassword', { identity: 'ann@nopassword.io', password: PASSWORD });
    expect(refused).toMatchObject({ status: 403, body: { message: "The request doesn't satisfy the collection requirements to authenticate." } });

    await authCollection('signedin', { authRule: '@request.auth.id != ""' });
    // A guest sends it: @request.auth is empty, whoever signs in.
    expect((await signIn('signedin', { identity: 'ann@signedin.io', password: PASSWORD })).status).toBe(403);
    // A superuser's request passes any rule.
    expect((await signIn('signedin', { identity: 'ann@signedin.io', password: PASSWORD }, '', server.superuserToken)).status).toBe(200);

    await authCollection('verifiedonly', { authRule: 'verified = true' });
    expect((await signIn('verifiedonly', { identity: 'ann@verifiedonly.io', password: PASSWORD })).status).toBe(403);
    await authCollection('superonly', { authRule: null }, { email: 'ann@superonly.io' });
    expect((await signIn('superonly', { identity: 'ann@superonly.io', password: PASSWORD })).status).toBe(403);
  });

  it('answers 404 for an unknown collection and for one that is not an auth collection', async () => {
    await createCollection(server, { name: 'plainbase', fields: [text('title')] });
    const unknown = await signIn('nosuchcollection', { identity: 'a@b.io', password: PASSWORD });
    expect(unknown).toMatchObject({ status: 404, body: { message: 'Missing or invalid collection context.' } });
    const base = await signIn('plainbase', { identity: 'a@b.io', password: PASSWORD });
    expect(base).toMatchObject({ status: 404, body: { message: 'Missing or invalid auth collection context.' } });
    const disabled = await authCollection('nologins', { passwordAuth: { enabled: false, identityFields: ['email'] } });
    expect(disabled.id).toBeTruthy();
    const off = await signIn('nologins', { identity: 'ann@nologins.io', password: PASSWORD });
    expect(off).toMatchObject({ status: 403, body: { message: 'The collection is not configured to allow password authentication.' } });
  });
});

describe('auth options are validated as PocketBase validates them', () => {
  const create = (name: string, options: Record<string, unknown>) =>
    su('POST', '/api/collections', { name, type: 'auth', fields: [text('nick')], ...options });
  const refused = async (options: Record<string, unknown>, data: Record<string, unknown>) => {
    const res = await create('badoptions', options);
    expect(res).toMatchObject({ status: 400, body: { data } });
    expect((await su('GET', '/api/collections/badoptions')).status).toBe(404);
  };

  it('refuses each invalid option with its code, and saves nothing', async () => {
    await refused({ passwordAuth: { enabled: true, identityFields: ['nick'] } }, {
      passwordAuth: { identityFields: { code: 'validation_missing_unique_constraint', message: "The field nick doesn't have a UNIQUE constraint." } },
    });
    await refused({ passwordAuth: { enabled: true, identityFields: ['nosuch'] } }, {
      passwordAuth: { identityFields: { code: 'validation_missing_field' } },
    });
    await refused({ passwordAuth: { enabled: true, identityFields: [] } }, { passwordAuth: { identityFields: { code: 'validation_required' } } });
    await refused({ authToken: { duration: 5 } }, { authToken: { duration: { code: 'validation_min_greater_equal_than_required' } } });
    await refused({ fileToken: { duration: 94_670_857 } }, { fileToken: { duration: { code: 'validation_max_less_equal_than_required' } } });
    await refused({ authToken: { secret: 'short' } }, { authToken: { secret: { code: 'validation_length_out_of_range' } } });
    await refused({ otp: { enabled: true, length: 3 } }, { otp: { length: { code: 'validation_min_greater_equal_than_required' } } });
    await refused({ otp: { enabled: true, duration: 86_401 } }, { otp: { duration: { code: 'validation_max_less_equal_than_required' } } });
    await refused({ mfa: { enabled: true, duration: 600, rule: '' } }, { mfa: { enabled: { code: 'validation_mfa_not_enough_auths' } } });
    await refused({ mfa: { enabled: true, duration: 600, rule: 'nosuchfield = 1' }, otp: { enabled: true } }, { mfa: { rule: { code: 'validation_invalid_rule' } } });
    await refused({ verificationTemplate: { subject: '', body: 'x {TOKEN}' } }, { verificationTemplate: { subject: { code: 'validation_required' } } });
    await refused({ resetPasswordTemplate: { subject: 'Reset', body: 'no link here' } }, {
      resetPasswordTemplate: { body: { code: 'validation_missing_placeholder', message: 'The template must use the {TOKEN} placeholder.' } },
    });
    await refused({ otp: { enabled: true, emailTemplate: { subject: 'Code', body: 'no code' } } }, { otp: { emailTemplate: { body: { code: 'validation_missing_placeholder' } } } });
    await refused({ oauth2: { enabled: true, providers: [{ name: 'google', clientId: 'a', clientSecret: 'b' }, { name: 'google', clientId: 'a', clientSecret: 'b' }] } }, {
      oauth2: { providers: { 1: { name: { code: 'validation_duplicated_provider' } } } },
    });
  });

  it('accepts valid options (an identity field with a UNIQUE index, MFA with two methods)', async () => {
    const res = await create('goodoptions', {
      indexes: ['CREATE UNIQUE INDEX idx_goodoptions_nick ON goodoptions (nick)'],
      passwordAuth: { enabled: true, identityFields: ['email', 'nick'] },
      mfa: { enabled: true, duration: 600, rule: 'nick != ""' },
      otp: { enabled: true, duration: 300, length: 6 },
      authToken: { duration: 3600 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ passwordAuth: { identityFields: ['email', 'nick'] }, mfa: { enabled: true }, authToken: { duration: 3600 } });
  });
});

describe('auth record ids', () => {
  it('an id taken in another auth collection is refused (validation_invalid_auth_id), and nothing is saved', async () => {
    const admins = await su('GET', '/api/collections/_superusers/records');
    const taken = admins.body.items[0].id as string;
    const res = await su('POST', '/api/collections/users/records', { id: taken, email: 'clash@x.io', password: PASSWORD, passwordConfirm: PASSWORD });
    expect(res).toMatchObject({
      status: 400,
      body: { message: 'Failed to create record.', data: { id: { code: 'validation_invalid_auth_id', message: 'Invalid or duplicated auth record id.' } } },
    });
    expect((await su('GET', `/api/collections/users/records/${taken}`)).status).toBe(404);
    // A base collection may reuse it.
    await createCollection(server, { name: 'notes', fields: [text('title')] });
    expect((await su('POST', '/api/collections/notes/records', { id: taken, title: 'x' })).status).toBe(200);
  });
});

describe('MFA', () => {
  it('a password alone is a first factor: 401 with the session id, a _mfas row, no token', async () => {
    const ann = await authCollection('guarded', { mfa: { enabled: true, duration: 600, rule: '' }, otp: { enabled: true } });
    const first = await signIn('guarded', { identity: 'ann@guarded.io', password: PASSWORD });
    expect(first.status).toBe(401);
    expect(first.body).toEqual({ mfaId: expect.stringMatching(/^[a-z0-9]{15}$/) });
    const row = await su('GET', `/api/collections/_mfas/records/${first.body.mfaId}`);
    expect(row.body).toMatchObject({ collectionRef: (await su('GET', '/api/collections/guarded')).body.id, recordRef: ann.id, method: 'password' });

    // The SDK sees a 401 and stores nothing.
    const pb = new PocketBase(server.url);
    const sdk = await pb.collection('guarded').authWithPassword('ann@guarded.io', PASSWORD).catch((e: unknown) => e);
    expect(sdk).toBeInstanceOf(ClientResponseError);
    expect((sdk as ClientResponseError).status).toBe(401);
    expect((sdk as ClientResponseError).response).toEqual({ mfaId: expect.any(String) });
    expect(pb.authStore.isValid).toBe(false);

    // The second factor must be another method; the id may come in the body too.
    const same = await signIn('guarded', { identity: 'ann@guarded.io', password: PASSWORD, mfaId: first.body.mfaId });
    expect(same).toMatchObject({ status: 400, body: { message: 'A different authentication method is required.' } });
    // A wrong password never reaches MFA.
    const wrong = await signIn('guarded', { identity: 'ann@guarded.io', password: 'nope-nope-nope' }, `?mfaId=${first.body.mfaId}`);
    expect(wrong).toMatchObject({ status: 400, body: { message: 'Failed to authenticate.' } });
  });

  it('refuses a session of another record, and an expired one (which is deleted)', async () => {
    await authCollection('twofactor', { mfa: { enabled: true, duration: 60, rule: '' }, otp: { enabled: true } });
    await createRecord(server, 'twofactor', { email: 'bob@twofactor.io', username: 'bob', password: PASSWORD, passwordConfirm: PASSWORD });
    const ann = await signIn('twofactor', { identity: 'ann@twofactor.io', password: PASSWORD });
    const bob = await signIn('twofactor', { identity: 'bob@twofactor.io', password: PASSWORD }, `?mfaId=${ann.body.mfaId}`);
    expect(bob).toMatchObject({ status: 400, body: { message: 'Invalid MFA session.' } });
    const unknown = await signIn('twofactor', { identity: 'bob@twofactor.io', password: PASSWORD }, '?mfaId=nosuchsession00');
    expect(unknown).toMatchObject({ status: 400, body: { message: 'Invalid or expired MFA session.' } });

    // Age ann's session past the collection's 60 s.
    await server.baton.services.db.run(sql`UPDATE ${ident('_mfas')} SET ${ident('created')} = ${'2020-01-01 00:00:00.000Z'} WHERE ${ident('id')} = ${ann.body.mfaId}`);
    const expired = await signIn('twofactor', { identity: 'ann@twofactor.io', password: PASSWORD }, `?mfaId=${ann.body.mfaId}`);
    expect(expired).toMatchObject({ status: 400, body: { message: 'Invalid or expired MFA session.' } });
    expect((await su('GET', `/api/collections/_mfas/records/${ann.body.mfaId}`)).status).toBe(404);
  });

  it('a new first factor drops the collection\'s expired sessions', async () => {
    await authCollection('cleanup', { mfa: { enabled: true, duration: 60, rule: '' }, otp: { enabled: true } });
    const old = await signIn('cleanup', { identity: 'ann@cleanup.io', password: PASSWORD });
    await server.baton.services.db.run(sql`UPDATE ${ident('_mfas')} SET ${ident('created')} = ${'2020-01-01 00:00:00.000Z'} WHERE ${ident('id')} = ${old.body.mfaId}`);
    const fresh = await signIn('cleanup', { identity: 'ann@cleanup.io', password: PASSWORD });
    expect(fresh.status).toBe(401);
    expect((await su('GET', `/api/collections/_mfas/records/${old.body.mfaId}`)).status).toBe(404);
    expect((await su('GET', `/api/collections/_mfas/records/${fresh.body.mfaId}`)).status).toBe(200);
  });

  it('the periodic clean-up drops expired sessions of every collection, and keeps the others', async () => {
    await authCollection('sweep', { mfa: { enabled: true, duration: 60, rule: '' }, otp: { enabled: true } });
    const old = await signIn('sweep', { identity: 'ann@sweep.io', password: PASSWORD });
    const fresh = await signIn('sweep', { identity: 'ann@sweep.io', password: PASSWORD });
    await server.baton.services.db.run(sql`UPDATE ${ident('_mfas')} SET ${ident('created')} = ${'2020-01-01 00:00:00.000Z'} WHERE ${ident('id')} = ${old.body.mfaId}`);
    // As `baton serve` runs it (hourly there), on a short timer.
    const { auth } = server.baton.services;
    auth.startCleanup(20);
    try {
      // Polled for up to 10 s: on a loaded machine the sweeps come late.
      const until = Date.now() + 10_000;
      while (Date.now() < until && (await su('GET', `/api/collections/_mfas/records/${old.body.mfaId}`)).status !== 404) {
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      auth.stop();
    }
    expect((await su('GET', `/api/collections/_mfas/records/${old.body.mfaId}`)).status).toBe(404);
    expect((await su('GET', `/api/collections/_mfas/records/${fresh.body.mfaId}`)).status).toBe(200);
  });

  it('mfa.rule picks who is asked; the others sign in with a password alone', async () => {
    await authCollection('someguarded', { mfa: { enabled: true, duration: 600, rule: 'nick = "boss"' }, otp: { enabled: true } }, { nick: 'boss' });
    await createRecord(server, 'someguarded', { email: 'eve@someguarded.io', username: 'eve', nick: 'staff', password: PASSWORD, passwordConfirm: PASSWORD });
    expect((await signIn('someguarded', { identity: 'ann@someguarded.io', password: PASSWORD })).status).toBe(401);
    const eve = await signIn('someguarded', { identity: 'eve@someguarded.io', password: PASSWORD });
    expect(eve.status).toBe(200);
    expect(typeof eve.body.token).toBe('string');
  });
});

describe('auth-methods', () => {
  it('lists the sign-in methods in PocketBase\'s shape, through the SDK too', async () => {
    await authCollection('methods', { passwordAuth: { enabled: true, identityFields: ['email', 'username'] }, mfa: { enabled: true, duration: 900, rule: '' }, otp: { enabled: true } });
    const res = await api(server, 'GET', '/api/collections/methods/auth-methods');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      password: { identityFields: ['email', 'username'], enabled: true },
      oauth2: { providers: [], enabled: false },
      mfa: { enabled: true, duration: 900 },
      otp: { enabled: true, duration: 180 },
      authProviders: null,
      usernamePassword: true,
      emailPassword: true,
    });
    const sdk = await new PocketBase(server.url).collection('methods').listAuthMethods();
    expect(sdk.password).toEqual({ identityFields: ['email', 'username'], enabled: true });
    expect(sdk.mfa).toEqual({ enabled: true, duration: 900 });
    const fields = await api(server, 'GET', '/api/collections/methods/auth-methods?fields=password');
    expect(fields.body).toEqual({ password: { identityFields: ['email', 'username'], enabled: true } });
    expect((await api(server, 'GET', '/api/collections/nosuchcollection/auth-methods')).status).toBe(404);
  });
});

const LOADING_ERROR = { status: 400, message: 'An error occurred while loading the submitted data.', data: {} };

describe('impersonation and token types', () => {
  it('a superuser gets a token of the record that auth-refresh does not renew; others are refused', async () => {
    const ann = await authCollection('actors', {});
    const res = await su('POST', `/api/collections/actors/impersonate/${ann.id}`, { duration: 120 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.record.id).toBe(ann.id);
    const claims = JSON.parse(Buffer.from(res.body.token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ id: ann.id, type: 'auth', refreshable: false });
    expect(claims.exp - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(120);
    const refreshed = await api(server, 'POST', '/api/collections/actors/auth-refresh', { token: res.body.token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.token).toBe(res.body.token);

    const asGuest = await api(server, 'POST', `/api/collections/actors/impersonate/${ann.id}`, { body: {} });
    expect(asGuest.status).toBe(401);
    const asUser = await api(server, 'POST', `/api/collections/actors/impersonate/${ann.id}`, { body: {}, token: res.body.token });
    expect(asUser).toMatchObject({ status: 403, body: { message: 'The authorized record is not allowed to perform this action.' } });
    expect((await su('POST', '/api/collections/actors/impersonate/nosuchrecord00', {})).status).toBe(404);
    expect((await su('POST', `/api/collections/actors/impersonate/${ann.id}`, { duration: -1 })).body).toMatchObject({
      status: 400,
      data: { duration: { code: 'validation_min_greater_equal_than_required' } },
    });
    // As PocketBase: the record is looked up before the body is read, which a wrong type fails to load.
    expect((await su('POST', '/api/collections/actors/impersonate/nosuchrecord00', { duration: '5' })).status).toBe(404);
    for (const duration of ['5', 1.5, true]) {
      expect((await su('POST', `/api/collections/actors/impersonate/${ann.id}`, { duration })).body).toEqual(LOADING_ERROR);
    }
  });

  it('a body value of the wrong JSON type is a loading error, as PocketBase binds it to a string', async () => {
    await authCollection('wrongtypes', {});
    const post = (path: string, body: unknown) => api(server, 'POST', `/api/collections/wrongtypes/${path}`, { body });
    for (const body of [{ identity: 123, password: 'x' }, { identity: 'a@b.co', password: ['x'] }, { identity: 'a@b.co', password: 'x', identityField: {} }]) {
      expect((await post('auth-with-password', body)).body, JSON.stringify(body)).toEqual(LOADING_ERROR);
    }
    // null reads as empty, as Go's zero value.
    expect((await post('auth-with-password', { identity: null, password: 'x' })).body.data).toHaveProperty('identity.code', 'validation_required');
  });

  it('a token of another type, alg none, a forged or an expired token is no auth token', async () => {
    const ann = await authCollection('tokentypes', {});
    const collection = server.baton.services.schema.find('tokentypes')!;
    const stored = await server.baton.services.db.get<Record<string, unknown>>(sql`SELECT * FROM ${ident('tokentypes')} WHERE ${ident('id')} = ${ann.id}`);
    const record = { id: ann.id, tokenKey: stored!.tokenKey, email: stored!.email };
    const { signAuthToken, signPasswordResetToken, signVerificationToken, signRecordToken, TokenType } = await import('../src/domain/auth/tokens.ts');
    const whoAmI = async (token: string) => (await api(server, 'GET', `/api/collections/tokentypes/records/${ann.id}`, { token })).status;
    // The collection's rules: only the record itself may view it, so a 200 means the token counted.
    await su('PATCH', '/api/collections/tokentypes', { viewRule: 'id = @request.auth.id' });
    expect(await whoAmI(await signAuthToken(record, collection))).toBe(200);
    expect(await whoAmI(await signPasswordResetToken(record, collection))).toBe(404);
    expect(await whoAmI(await signVerificationToken(record, collection))).toBe(404);
    expect(await whoAmI(await signRecordToken(record, collection, TokenType.file, {}))).toBe(404);
    expect(await whoAmI(await signAuthToken(record, collection, { now: new Date(Date.now() - 10 * 86_400_000), duration: 60 }))).toBe(404);
    const good = await signAuthToken(record, collection);
    const [, payload] = good.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    expect(await whoAmI(none)).toBe(404);
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${Buffer.from('forged-signature').toString('base64url')}`;
    expect(await whoAmI(forged)).toBe(404);
    // A token of another auth collection with the same id does not count either.
    const other = server.baton.services.schema.find('users')!;
    expect(await whoAmI(await signAuthToken(record, other))).toBe(404);
  });
});
