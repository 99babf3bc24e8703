// One-time passwords end to end: request-otp mails a code through a real SMTP server on loopback,
// auth-with-otp signs in with it (the official SDK's requestOTP / authWithOTP), codes are
// single-use and expire, guesses are bounded, unknown emails look the same, and a password plus
// an OTP complete MFA.
import PocketBase, { ClientResponseError } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ident, sql } from '../src/db/sql.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord, text } from './support/builders.ts';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from './support/smtp.ts';
import { run } from './support/cli.ts';
import { TEST_DIALECT } from './support/databases.ts';
import { onlyIf } from './support/only-if.ts';

const PASSWORD = 'otp-user-password';
let server: TestServer;
let smtp: TestSmtpServer;

const post = (path: string, body: unknown) => api(server, 'POST', path, { body });
const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });
const codeOf = (mail: ReceivedMail): string => {
  const m = /code:\s*(\d+)/.exec(mail.text);
  if (!m) throw new Error(`no code in ${mail.text}`);
  return m[1];
};

async function authCollection(name: string, options: Record<string, unknown>, email: string) {
  await createCollection(server, {
    name,
    type: 'auth',
    fields: [text('nick')],
    otp: { enabled: true, duration: 180, length: 6, emailTemplate: { subject: 'Your {APP_NAME} code', body: '<p>code: {OTP}</p><p>id: {OTP_ID}</p>' } },
    ...options,
  });
  return createRecord(server, name, { email, password: PASSWORD, passwordConfirm: PASSWORD });
}

beforeAll(async () => {
  [server, smtp] = await Promise.all([startServer(), startSmtpServer()]);
  const settings = await su('PATCH', '/api/settings', {
    meta: { appName: 'OtpTest', appURL: 'http://app.test', senderName: 'Baton', senderAddress: 'noreply@baton.test' },
    smtp: { enabled: true, host: smtp.host, port: smtp.port, tls: false },
  });
  expect(settings.status, JSON.stringify(settings.body)).toBe(200);
});
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

describe('OTP sign-in', () => {
  it('mails a code that signs the record in once, through the SDK', async () => {
    const user = await authCollection('otpusers', {}, 'olga@otp.io');
    const pb = new PocketBase(server.url);
    const { otpId } = await pb.collection('otpusers').requestOTP('olga@otp.io');
    expect(otpId).toMatch(/^[a-z0-9]{15}$/);
    const mail = await smtp.take('olga@otp.io');
    expect(mail.subject).toBe('Your OtpTest code');
    expect(mail.text).toContain(`id: ${otpId}`);
    const code = codeOf(mail);
    expect(code).toMatch(/^\d{6}$/);
    // Stored hashed, and, once the mail is out, where it was sent.
    const stored = () =>
      server.baton.services.db.get<{ password: string; sentTo: string }>(
        sql`SELECT ${ident('password')}, ${ident('sentTo')} FROM ${ident('_otps')} WHERE ${ident('id')} = ${otpId}`,
      );
    let row = await stored();
    for (let i = 0; i < 50 && row?.sentTo === ''; i++) {
      await new Promise((r) => setTimeout(r, 20));
      row = await stored();
    }
    expect(row?.password).toMatch(/^\$2[aby]\$08\$/);
    expect(row?.sentTo).toBe('olga@otp.io');

    const auth = await pb.collection('otpusers').authWithOTP(otpId, code);
    expect(auth.record.id).toBe(user.id);
    expect(pb.authStore.isValid).toBe(true);
    // The code went to the record's own address: it is verified now.
    expect((await su('GET', `/api/collections/otpusers/records/${user.id}`)).body.verified).toBe(true);
    // Single use.
    const again = await post('/api/collections/otpusers/auth-with-otp', { otpId, password: code });
    expect(again).toMatchObject({ status: 400, body: { message: 'Invalid or expired OTP.' } });
  });

  it('an unknown email gets an id all the same, and no mail', async () => {
    await authCollection('otpquiet', {}, 'quinn@otp.io');
    const res = await post('/api/collections/otpquiet/request-otp', { email: 'nobody@otp.io' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ otpId: expect.stringMatching(/^[a-z0-9]{15}$/) });
    expect(await smtp.settle(300)).toEqual([]);
    const use = await post('/api/collections/otpquiet/auth-with-otp', { otpId: res.body.otpId, password: '123456' });
    expect(use).toMatchObject({ status: 400, body: { message: 'Invalid or expired OTP.' } });
  });

  it('refuses a wrong code, deletes the code after 5 wrong ones, limits a record to 5 attempts in 3 minutes, and refuses an expired one', async () => {
    await authCollection('otpguess', {}, 'gus@otp.io');
    const first = await post('/api/collections/otpguess/request-otp', { email: 'gus@otp.io' });
    const code = codeOf(await smtp.take('gus@otp.io'));
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const res = await post('/api/collections/otpguess/auth-with-otp', { otpId: first.body.otpId, password: wrong });
      expect(res).toMatchObject({ status: 400, body: { message: 'Invalid or expired OTP.' } });
    }
    // The row is gone after its fifth wrong code (Baton's bound per code) …
    const row = await server.baton.services.db.get(sql`SELECT 1 AS found FROM ${ident('_otps')} WHERE ${ident('id')} = ${first.body.otpId}`);
    expect(row).toBeUndefined();
    // … and the record has had its 5 attempts in 3 minutes (PocketBase's bound per record): even a
    // fresh code is refused for now.
    const fresh = await post('/api/collections/otpguess/request-otp', { email: 'gus@otp.io' });
    const freshCode = codeOf(await smtp.take('gus@otp.io'));
    const limited = await post('/api/collections/otpguess/auth-with-otp', { otpId: fresh.body.otpId, password: freshCode });
    expect(limited).toMatchObject({ status: 429, body: { message: 'Too many attempts, please try again later with a new OTP.' } });

    const second = await post('/api/collections/otpguess/request-otp', { email: 'gus@otp.io' });
    const code2 = codeOf(await smtp.take('gus@otp.io'));
    await server.baton.services.db.run(sql`UPDATE ${ident('_otps')} SET ${ident('created')} = ${'2020-01-01 00:00:00.000Z'} WHERE ${ident('id')} = ${second.body.otpId}`);
    expect((await post('/api/collections/otpguess/auth-with-otp', { otpId: second.body.otpId, password: code2 })).status).toBe(400);
  });

  it('refuses a code of another collection, and answers 403 where OTP is off', async () => {
    await authCollection('otpone', {}, 'ona@otp.io');
    await authCollection('otptwo', {}, 'ona@otp2.io');
    const res = await post('/api/collections/otpone/request-otp', { email: 'ona@otp.io' });
    const code = codeOf(await smtp.take('ona@otp.io'));
    expect((await post('/api/collections/otptwo/auth-with-otp', { otpId: res.body.otpId, password: code })).status).toBe(400);
    const off = await post('/api/collections/users/request-otp', { email: 'x@y.io' });
    expect(off).toMatchObject({ status: 403, body: { message: 'The collection is not configured to allow OTP authentication.' } });
    const bad = await post('/api/collections/otpone/request-otp', { email: 'not-an-email' });
    expect(bad).toMatchObject({ status: 400, body: { data: { email: { code: 'validation_is_email' } } } });
    // A value of another JSON type does not load into PocketBase's string fields.
    const loading = { status: 400, message: 'An error occurred while loading the submitted data.', data: {} };
    expect((await post('/api/collections/otpone/request-otp', { email: 123 })).body).toEqual(loading);
    expect((await post('/api/collections/otpone/auth-with-otp', { otpId: 123, password: code })).body).toEqual(loading);
    expect((await post('/api/collections/otpone/auth-with-otp', { otpId: res.body.otpId, password: 123456 })).body).toEqual(loading);
  });

  it('a new password or email ends the codes already sent (a new tokenKey), as PocketBase', async () => {
    const user = await authCollection('otpchange', {}, 'cid@otp.io');
    const request = async (email: string) => {
      const res = await post('/api/collections/otpchange/request-otp', { email });
      return { otpId: res.body.otpId as string, code: codeOf(await smtp.take(email)) };
    };
    const signIn = ({ otpId, code }: { otpId: string; code: string }) => post('/api/collections/otpchange/auth-with-otp', { otpId, password: code });
    const beforePassword = await request('cid@otp.io');
    const kept = await request('cid@otp.io');
    // A change that leaves the tokenKey alone keeps the codes.
    expect((await su('PATCH', `/api/collections/otpchange/records/${user.id}`, { nick: 'n' })).status).toBe(200);
    expect((await signIn(kept)).status).toBe(200);
    const changed = await su('PATCH', `/api/collections/otpchange/records/${user.id}`, { password: 'a-new-password', passwordConfirm: 'a-new-password' });
    expect(changed.status).toBe(200);
    expect(await signIn(beforePassword)).toMatchObject({ status: 400, body: { message: 'Invalid or expired OTP.' } });
    const beforeEmail = await request('cid@otp.io');
    expect((await su('PATCH', `/api/collections/otpchange/records/${user.id}`, { email: 'cid2@otp.io' })).status).toBe(200);
    expect(await signIn(beforeEmail)).toMatchObject({ status: 400, body: { message: 'Invalid or expired OTP.' } });
  });

  it('deleting the record, or its collection, deletes its codes, MFA sessions, OAuth2 links and sign-in origins', async () => {
    const owned = async (collectionId: string, recordId?: string) => {
      const counts: Record<string, number> = {};
      for (const table of ['_otps', '_mfas', '_externalAuths', '_authOrigins']) {
        const record = recordId === undefined ? sql`` : sql` AND ${ident('recordRef')} = ${recordId}`;
        const row = await server.baton.services.db.get<{ n: number }>(
          sql`SELECT COUNT(*) AS n FROM ${ident(table)} WHERE ${ident('collectionRef')} = ${collectionId}${record}`,
        );
        counts[table] = Number(row?.n);
      }
      return counts;
    };
    const seed = async (collection: string) => {
      const user = await authCollection(collection, {}, `${collection}@otp.io`);
      const { body: c } = await su('GET', `/api/collections/${collection}`);
      await post(`/api/collections/${collection}/request-otp`, { email: `${collection}@otp.io` });
      await smtp.take(`${collection}@otp.io`);
      for (const [table, extra] of [
        ['_mfas', { method: 'password' }],
        ['_externalAuths', { provider: 'github', providerId: `${collection}-acct` }],
        ['_authOrigins', { fingerprint: `${collection}-device` }],
      ] as const) {
        const made = await su('POST', `/api/collections/${table}/records`, { collectionRef: c.id, recordRef: user.id, ...extra });
        expect(made.status, JSON.stringify(made.body)).toBe(200);
      }
      const other = await createRecord(server, collection, { email: `${collection}-2@otp.io`, password: PASSWORD, passwordConfirm: PASSWORD });
      await su('POST', '/api/collections/_authOrigins/records', { collectionRef: c.id, recordRef: other.id, fingerprint: 'kept' });
      return { user, other, collectionId: c.id as string };
    };
    const one = await seed('otpgone');
    expect(await owned(one.collectionId, one.user.id)).toEqual({ _otps: 1, _mfas: 1, _externalAuths: 1, _authOrigins: 1 });
    expect((await su('DELETE', `/api/collections/otpgone/records/${one.user.id}`)).status).toBe(204);
    expect(await owned(one.collectionId, one.user.id)).toEqual({ _otps: 0, _mfas: 0, _externalAuths: 0, _authOrigins: 0 });
    // Another record's rows stay.
    expect((await owned(one.collectionId, one.other.id))._authOrigins).toBe(1);
    // A record that reuses the id starts with nothing of the old one's.
    await createRecord(server, 'otpgone', { id: one.user.id, email: 'reuse@otp.io', password: PASSWORD, passwordConfirm: PASSWORD });
    expect(await owned(one.collectionId, one.user.id)).toEqual({ _otps: 0, _mfas: 0, _externalAuths: 0, _authOrigins: 0 });

    const two = await seed('otpdropped');
    expect((await su('DELETE', '/api/collections/otpdropped')).status).toBe(204);
    expect(await owned(two.collectionId)).toEqual({ _otps: 0, _mfas: 0, _externalAuths: 0, _authOrigins: 0 });
    const three = await seed('otpemptied');
    expect((await su('DELETE', '/api/collections/otpemptied/truncate')).status).toBe(204);
    expect(await owned(three.collectionId)).toEqual({ _otps: 0, _mfas: 0, _externalAuths: 0, _authOrigins: 0 });
  });

  it('auth-methods lists OTP', async () => {
    await authCollection('otpmethods', {}, 'm@otp.io');
    const methods = await new PocketBase(server.url).collection('otpmethods').listAuthMethods();
    expect(methods.otp).toEqual({ enabled: true, duration: 180 });
  });
});

describe('sign-in origins and the new-device alert', () => {
  const signIn = (collection: string, email: string, agent: string) =>
    api(server, 'POST', `/api/collections/${collection}/auth-with-password`, {
      body: { identity: email, password: PASSWORD },
      headers: { 'user-agent': agent },
    });
  const origins = async (collection: string, id: string) =>
    (await su('GET', `/api/collections/_authOrigins/records?filter=${encodeURIComponent(`recordRef = "${id}"`)}&perPage=100`)).body.items as Array<Record<string, unknown>>;

  it('records where an account signs in from, and mails an alert for a new device (not the first)', async () => {
    const user = await authCollection('alerted', {}, 'al@alert.io');
    expect((await signIn('alerted', 'al@alert.io', 'agent-one')).status).toBe(200);
    expect(await origins('alerted', user.id)).toHaveLength(1);
    expect(await smtp.settle(300)).toEqual([]);

    expect((await signIn('alerted', 'al@alert.io', 'agent-one')).status).toBe(200);
    expect(await origins('alerted', user.id)).toHaveLength(1);
    expect(await smtp.settle(300)).toEqual([]);

    expect((await signIn('alerted', 'al@alert.io', 'agent-<two>')).status).toBe(200);
    const alert = await smtp.take('al@alert.io');
    expect(alert.html).toContain('agent-&lt;two&gt;');
    expect(await origins('alerted', user.id)).toHaveLength(2);

    // Five at most: the oldest go.
    for (const agent of ['a3', 'a4', 'a5', 'a6']) await signIn('alerted', 'al@alert.io', agent);
    expect(await origins('alerted', user.id)).toHaveLength(5);

    // A new password forgets them all.
    const changed = await su('PATCH', `/api/collections/alerted/records/${user.id}`, { password: 'a-new-password-2', passwordConfirm: 'a-new-password-2' });
    expect(changed.status).toBe(200);
    expect(await origins('alerted', user.id)).toHaveLength(0);
  });

  it('keeps nothing when the collection\'s alert is off', async () => {
    const user = await authCollection('unalerted', { authAlert: { enabled: false } }, 'un@alert.io');
    await signIn('unalerted', 'un@alert.io', 'agent-one');
    await signIn('unalerted', 'un@alert.io', 'agent-two');
    expect(await origins('unalerted', user.id)).toHaveLength(0);
    expect(await smtp.settle(300)).toEqual([]);
  });
});

describe('MFA with a password and an OTP', () => {
  it('the password gives an MFA session, the OTP with its id completes the sign-in', async () => {
    const user = await authCollection('mfausers', { mfa: { enabled: true, duration: 600, rule: '' } }, 'mia@otp.io');
    const pb = new PocketBase(server.url);
    const first = await pb.collection('mfausers').authWithPassword('mia@otp.io', PASSWORD).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ClientResponseError);
    const mfaId = (first as ClientResponseError).response.mfaId as string;
    expect(mfaId).toMatch(/^[a-z0-9]{15}$/);

    const { otpId } = await pb.collection('mfausers').requestOTP('mia@otp.io');
    const code = codeOf(await smtp.take('mia@otp.io'));
    const auth = await pb.collection('mfausers').authWithOTP(otpId, code, { mfaId });
    expect(auth.record.id).toBe(user.id);
    expect(pb.authStore.isValid).toBe(true);
    // The session is used up.
    expect((await su('GET', `/api/collections/_mfas/records/${mfaId}`)).status).toBe(404);
  });

  it('an OTP alone is a first factor too', async () => {
    await authCollection('mfaotpfirst', { mfa: { enabled: true, duration: 600, rule: '' } }, 'ola@otp.io');
    const { body } = await post('/api/collections/mfaotpfirst/request-otp', { email: 'ola@otp.io' });
    const code = codeOf(await smtp.take('ola@otp.io'));
    const res = await post('/api/collections/mfaotpfirst/auth-with-otp', { otpId: body.otpId, password: code });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ mfaId: expect.any(String) });
    const done = await post(`/api/collections/mfaotpfirst/auth-with-password?mfaId=${res.body.mfaId}`, { identity: 'ola@otp.io', password: PASSWORD });
    expect(done.status).toBe(200);
    expect(typeof done.body.token).toBe('string');
  });
});

// The CLI opens the test server's SQLite directory; on the server databases it would need their URL.
onlyIf(TEST_DIALECT === 'sqlite', describe)('baton superuser otp', () => {
  it('prints a code for a superuser when _superusers allows OTP, which signs in', async () => {
    const enable = await su('PATCH', '/api/collections/_superusers', { otp: { enabled: true } });
    expect(enable.status, JSON.stringify(enable.body)).toBe(200);
    const admins = await su('GET', '/api/collections/_superusers/records');
    const email = admins.body.items[0].email as string;
    const out = await run(['superuser', 'otp', email, `--dir=${server.dataDir}`]);
    expect(out.code, out.stderr).toBe(0);
    const id = /id:\s+(\w+)/.exec(out.stdout)?.[1];
    const code = /code:\s+(\d+)/.exec(out.stdout)?.[1];
    expect(id && code).toBeTruthy();
    const res = await post('/api/collections/_superusers/auth-with-otp', { otpId: id, password: code });
    expect(res.status).toBe(200);
  });
});
