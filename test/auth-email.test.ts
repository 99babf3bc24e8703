// The email flows (verification, password reset, email change) end to end: Baton sends through a
// real SMTP server on loopback, the tests read the mails and complete each flow with the official SDK.
import { decodeJwt } from 'jose';
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ident, sql } from '../src/db/sql.ts';
import type { Logger } from '../src/kernel/logger.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { clientError } from './support/sdk.ts';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from './support/smtp.ts';

const PASSWORD = 'first-password-1';
const SMTP_LOGIN = { username: 'baton-mailer', password: 'smtp-secret' };
const META = { appName: 'Baton <Test>', appURL: 'http://app.test', senderName: 'Baton Mail', senderAddress: 'noreply@baton.test' };

let server: TestServer;
let smtp: TestSmtpServer;

const sdk = (s: Pick<TestServer, 'url'> = server) => {
  const pb = new PocketBase(s.url);
  pb.autoCancellation(false);
  return pb;
};

async function createUser(email: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await api(server, 'POST', '/api/collections/users/records', {
    token: server.superuserToken,
    body: { email, password: PASSWORD, passwordConfirm: PASSWORD, ...extra },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.id;
}

const viewUser = async (id: string) =>
  (await api(server, 'GET', `/api/collections/users/records/${id}`, { token: server.superuserToken })).body;

/** The token at the end of the mail's link to `path`. */
function linkToken(mail: ReceivedMail, path: string): string {
  const m = new RegExp(`${path.replace(/[/#]/g, '\\$&')}/([\\w.-]+)`).exec(mail.html);
  if (!m) throw new Error(`no ${path} link in ${mail.html}`);
  return m[1];
}

const post = (path: string, body: unknown, token?: string) => api(server, 'POST', path, { body, token });

async function storedPassword(collection: string, id: string): Promise<unknown> {
  const row = await server.baton.services.db.get<{ password: string }>(sql`SELECT ${ident('password')} FROM ${ident(collection)} WHERE id = ${id}`);
  return row?.password;
}

beforeAll(async () => {
  [server, smtp] = await Promise.all([startServer(), startSmtpServer({ credentials: SMTP_LOGIN })]);
  const settings = await api(server, 'PATCH', '/api/settings', {
    token: server.superuserToken,
    body: {
      meta: META,
      smtp: { enabled: true, host: smtp.host, port: smtp.port, ...SMTP_LOGIN, authMethod: 'LOGIN', tls: false, localName: 'baton.local' },
    },
  });
  expect(settings.status, JSON.stringify(settings.body)).toBe(200);
  const templated = await api(server, 'PATCH', '/api/collections/users', {
    token: server.superuserToken,
    body: {
      verificationTemplate: {
        subject: 'Verify {RECORD:email} for {APP_NAME}',
        body: '<p>Hello {RECORD:name}, verified={RECORD:verified}</p><p><a href="{APP_URL}/verify/{TOKEN}">Verify</a></p>',
      },
    },
  });
  expect(templated.status, JSON.stringify(templated.body)).toBe(200);
});

afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

describe('verification', () => {
  it('mails a verification link through SMTP, and the token verifies the record', async () => {
    const id = await createUser('alice@example.com', { name: 'Alice <b>&"' });
    expect(await sdk().collection('users').requestVerification('alice@example.com')).toBe(true);

    const mail = await smtp.take('alice@example.com');
    expect(mail).toMatchObject({
      from: '"Baton Mail" <noreply@baton.test>',
      to: ['alice@example.com'],
      subject: 'Verify alice@example.com for Baton <Test>',
      auth: { method: 'LOGIN', username: SMTP_LOGIN.username },
      clientName: 'baton.local',
    });
    // {RECORD:field} values are HTML-escaped, except bool, number and dates; the body sits in PocketBase's layout.
    expect(mail.html).toContain('<p>Hello Alice &lt;b&gt;&amp;&#34;, verified=false</p>');
    expect(mail.html).toContain('<!DOCTYPE html');
    const token = linkToken(mail, 'http://app.test/verify');
    expect(decodeJwt(token)).toMatchObject({ id, type: 'verification', collectionId: '_pb_users_auth_', email: 'alice@example.com' });
    // The plain-text part is derived from the HTML, links as [label](href).
    expect(mail.text).toContain(`[Verify](http://app.test/verify/${token})`);

    expect(await sdk().collection('users').confirmVerification(token)).toBe(true);
    expect((await viewUser(id)).verified).toBe(true);
    // Verified: a new request answers the same and sends nothing.
    expect(await sdk().collection('users').requestVerification('alice@example.com')).toBe(true);
    expect(await smtp.settle()).toEqual([]);
  });

  it('keeps tokens to their collection; without password auth, verifying also voids the password', async () => {
    const created = await api(server, 'POST', '/api/collections', {
      token: server.superuserToken,
      body: { name: 'guests', type: 'auth', passwordAuth: { enabled: false } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const guest = await api(server, 'POST', '/api/collections/guests/records', {
      token: server.superuserToken,
      body: { email: 'guest@example.com', password: PASSWORD, passwordConfirm: PASSWORD },
    });
    const hashBefore = await storedPassword('guests', guest.body.id);
    expect(await sdk().collection('guests').requestVerification('guest@example.com')).toBe(true);
    const token = linkToken(await smtp.take('guest@example.com'), 'http://app.test/_/#/auth/confirm-verification');
    const mismatch = await clientError(() => sdk().collection('users').confirmVerification(token));
    expect(mismatch.response.data.token).toEqual({
      code: 'validation_token_collection_mismatch',
      message: 'The provided token is for different auth collection.',
    });
    expect(await sdk().collection('guests').confirmVerification(token)).toBe(true);
    expect(await storedPassword('guests', guest.body.id)).not.toBe(hashBefore);
  });

  it('holds a second mail back for 2 minutes, and answers the same', async () => {
    await createUser('bob@example.com');
    expect(await sdk().collection('users').requestVerification('bob@example.com')).toBe(true);
    await smtp.take('bob@example.com');
    expect(await sdk().collection('users').requestVerification('bob@example.com')).toBe(true);
    expect(await smtp.settle()).toEqual([]);
  });

  it('answers 204 for an unknown email and sends nothing', async () => {
    const res = await post('/api/collections/users/request-verification', { email: 'nobody@example.com' });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect(await smtp.settle()).toEqual([]);
  });

  it('validates the body and refuses _superusers', async () => {
    expect(await post('/api/collections/users/request-verification', { email: 'not-an-email' })).toMatchObject({
      status: 400,
      body: { message: 'An error occurred while validating the submitted data.', data: { email: { code: 'validation_is_email' } } },
    });
    expect((await post('/api/collections/users/request-verification', {})).body.data.email.code).toBe('validation_required');
    expect((await post('/api/collections/users/request-verification', { email: 42 })).body).toMatchObject({
      status: 400,
      message: 'An error occurred while loading the submitted data.',
    });
    for (const action of ['request-verification', 'confirm-verification']) {
      expect((await post(`/api/collections/_superusers/${action}`, { email: 'root@example.com', token: 'x' })).body).toEqual({
        status: 400,
        message: 'All superusers are verified by default.',
        data: {},
      });
    }
    expect((await post('/api/collections/users/confirm-verification', { token: 'not-a-jwt' })).body.data.token).toEqual({
      code: 'validation_invalid_token_claims',
      message: 'Missing email token claim.',
    });
  });
});

describe('collections', () => {
  it.each(['request-verification', 'confirm-verification', 'request-password-reset', 'confirm-password-reset', 'request-email-change', 'confirm-email-change'])(
    '%s: 404 for an unknown or a non-auth collection',
    async (action) => {
      expect((await post(`/api/collections/missing/${action}`, {})).body).toMatchObject({ status: 404, message: 'Missing or invalid collection context.' });
      const base = await api(server, 'POST', '/api/collections', { token: server.superuserToken, body: { name: `posts_${action.replace(/-/g, '_')}`, type: 'base' } });
      const res = await post(`/api/collections/${base.body.name}/${action}`, {}, action === 'request-email-change' ? server.superuserToken : undefined);
      expect(res.body).toMatchObject(
        action === 'request-email-change'
          ? { status: 403, message: 'The request requires auth record from _superusers collection.' }
          : { status: 404, message: 'Missing or invalid auth collection context.' },
      );
    },
  );
});

describe('password reset', () => {
  it('resets the password with the mailed token, logs out everywhere and verifies the address', async () => {
    const id = await createUser('carol@example.com');
    const pb = sdk();
    await pb.collection('users').authWithPassword('carol@example.com', PASSWORD);
    const oldToken = pb.authStore.token;

    expect(await sdk().collection('users').requestPasswordReset('carol@example.com')).toBe(true);
    const mail = await smtp.take('carol@example.com');
    expect(mail.subject).toBe('Reset your Baton <Test> password');
    const token = linkToken(mail, 'http://app.test/_/#/auth/confirm-password-reset');
    expect(decodeJwt(token)).toMatchObject({ id, type: 'passwordReset', email: 'carol@example.com' });

    const mismatch = await clientError(() => sdk().collection('users').confirmPasswordReset(token, 'new-password-2', 'other-password'));
    expect(mismatch.response.data).toEqual({ passwordConfirm: { code: 'validation_values_mismatch', message: "Values don't match." } });
    const short = await clientError(() => sdk().collection('users').confirmPasswordReset(token, 'short', 'short'));
    expect(short.response.data.password).toEqual({
      code: 'validation_length_out_of_range',
      message: 'The length must be between 8 and 255.',
      params: { min: 8, max: 255 },
    });

    expect(await sdk().collection('users').confirmPasswordReset(token, 'new-password-2', 'new-password-2')).toBe(true);
    // The tokenKey changed: the old session and the reset token are dead.
    expect((await post('/api/collections/users/auth-refresh', {}, oldToken)).status).toBe(401);
    const reused = await clientError(() => sdk().collection('users').confirmPasswordReset(token, 'new-password-3', 'new-password-3'));
    expect(reused.response.data.token.code).toBe('validation_invalid_token');
    await clientError(() => sdk().collection('users').authWithPassword('carol@example.com', PASSWORD));
    await sdk().collection('users').authWithPassword('carol@example.com', 'new-password-2');
    expect((await viewUser(id)).verified).toBe(true);
    // The reset lifted the resend lock: another request is mailed at once.
    expect(await sdk().collection('users').requestPasswordReset('carol@example.com')).toBe(true);
    await smtp.take('carol@example.com');
  });

  it('sends one mail for requests that race each other', async () => {
    await createUser('racer@example.com');
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('/api/collections/users/request-password-reset', { email: 'racer@example.com' })));
    expect(answers.map((a) => a.status)).toEqual([204, 204, 204, 204, 204]);
    await smtp.take('racer@example.com');
    expect(await smtp.settle()).toEqual([]);
  });

  it('answers 204 for an unknown email and sends nothing; refuses a collection without password auth', async () => {
    expect(await sdk().collection('users').requestPasswordReset('ghost@example.com')).toBe(true);
    expect(await smtp.settle()).toEqual([]);
    const created = await api(server, 'POST', '/api/collections', {
      token: server.superuserToken,
      body: { name: 'members', type: 'auth', passwordAuth: { enabled: false } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect((await post('/api/collections/members/request-password-reset', { email: 'a@example.com' })).body).toEqual({
      status: 400,
      message: 'The collection is not configured to allow password authentication.',
      data: {},
    });
  });
});

describe('email change', () => {
  it('mails the new address, and the token moves the email after the password is given', async () => {
    const id = await createUser('dave@example.com');
    await createUser('taken@example.com');
    const pb = sdk();
    await pb.collection('users').authWithPassword('dave@example.com', PASSWORD);
    const oldToken = pb.authStore.token;

    const taken = await clientError(() => pb.collection('users').requestEmailChange('taken@example.com'));
    expect(taken.response.data.newEmail).toEqual({ code: 'validation_invalid_new_email', message: 'Invalid new email address.' });
    const same = await clientError(() => pb.collection('users').requestEmailChange('dave@example.com'));
    expect(same.response.data.newEmail.code).toBe('validation_not_in_invalid');

    expect(await pb.collection('users').requestEmailChange('dave.new@example.com')).toBe(true);
    const mail = await smtp.take('dave.new@example.com');
    expect(mail.subject).toBe('Confirm your new Baton <Test> email address');
    const token = linkToken(mail, 'http://app.test/_/#/auth/confirm-email-change');
    expect(decodeJwt(token)).toMatchObject({ id, type: 'emailChange', email: 'dave@example.com', newEmail: 'dave.new@example.com' });

    const wrong = await clientError(() => sdk().collection('users').confirmEmailChange(token, 'wrong-password'));
    expect(wrong.response.data).toEqual({ password: { code: 'validation_invalid_password', message: 'Missing or invalid auth record password.' } });
    expect(await pb.collection('users').confirmEmailChange(token, PASSWORD)).toBe(true);
    // The SDK drops its auth when the token was its own record's; the server made it invalid anyway.
    expect(pb.authStore.token).toBe('');
    expect((await post('/api/collections/users/auth-refresh', {}, oldToken)).status).toBe(401);
    await sdk().collection('users').authWithPassword('dave.new@example.com', PASSWORD);
    expect(await viewUser(id)).toMatchObject({ email: 'dave.new@example.com', verified: true });
  });

  it('needs the record\'s own auth token; superusers change their email directly', async () => {
    expect((await post('/api/collections/users/request-email-change', { newEmail: 'x@example.com' })).body).toEqual({
      status: 401,
      message: 'The request requires valid record authorization token.',
      data: {},
    });
    expect((await post('/api/collections/users/request-email-change', { newEmail: 'x@example.com' }, server.superuserToken)).body).toEqual({
      status: 403,
      message: 'The request requires auth record from _superusers collection.',
      data: {},
    });
    expect((await post('/api/collections/_superusers/request-email-change', { newEmail: 'x@example.com' }, server.superuserToken)).body).toEqual({
      status: 400,
      message: 'All superusers can change their emails directly.',
      data: {},
    });
  });
});

describe('token types', () => {
  it('refuses each token where another type is expected', async () => {
    const id = await createUser('erin@example.com');
    const pb = sdk();
    await pb.collection('users').authWithPassword('erin@example.com', PASSWORD);
    await sdk().collection('users').requestVerification('erin@example.com');
    const verification = linkToken(await smtp.take('erin@example.com'), 'http://app.test/verify');
    await sdk().collection('users').requestPasswordReset('erin@example.com');
    const reset = linkToken(await smtp.take('erin@example.com'), 'http://app.test/_/#/auth/confirm-password-reset');
    await pb.collection('users').requestEmailChange('erin.new@example.com');
    const change = linkToken(await smtp.take('erin.new@example.com'), 'http://app.test/_/#/auth/confirm-email-change');
    const auth = pb.authStore.token;

    const tokenError = async (action: string, token: string, extra: Record<string, unknown> = {}) =>
      (await post(`/api/collections/users/${action}`, { token, ...extra })).body.data.token?.code;
    const pw = { password: 'new-password-9', passwordConfirm: 'new-password-9' };
    expect(await tokenError('confirm-verification', reset)).toBe('validation_invalid_token');
    expect(await tokenError('confirm-verification', change)).toBe('validation_invalid_token');
    expect(await tokenError('confirm-verification', auth)).toBe('validation_invalid_token_claims');
    expect(await tokenError('confirm-password-reset', verification, pw)).toBe('validation_invalid_token');
    expect(await tokenError('confirm-password-reset', change, pw)).toBe('validation_invalid_token');
    expect(await tokenError('confirm-password-reset', auth, pw)).toBe('validation_invalid_token');
    expect(await tokenError('confirm-email-change', verification, { password: PASSWORD })).toBe('validation_invalid_token_payload');
    expect(await tokenError('confirm-email-change', reset, { password: PASSWORD })).toBe('validation_invalid_token_payload');
    // An email token is no login token either.
    expect((await post('/api/collections/users/auth-refresh', {}, verification)).status).toBe(401);
    expect((await viewUser(id)).verified).toBe(false);
  });
});

describe('without SMTP', () => {
  let quiet: TestServer;
  const lines: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
  const logger: Logger = {
    info: (obj, msg) => void lines.push({ obj: typeof obj === 'string' ? { msg: obj } : (obj as Record<string, unknown>), msg }),
    warn: () => undefined,
    error: () => undefined,
    debug: () => undefined,
    child: () => logger,
  };

  beforeAll(async () => {
    quiet = await startServer({ logger });
  });
  afterAll(async () => {
    await quiet?.close();
  });

  it('writes the mail, with its link and token, to the log', async () => {
    const created = await api(quiet, 'POST', '/api/collections/users/records', {
      token: quiet.superuserToken,
      body: { email: 'frank@example.com', password: PASSWORD, passwordConfirm: PASSWORD },
    });
    expect(created.status).toBe(200);
    expect(await sdk(quiet).collection('users').requestPasswordReset('frank@example.com')).toBe(true);
    await quiet.baton.services.emailFlows.idle();
    const line = lines.find((l) => Array.isArray(l.obj.to) && (l.obj.to as string[]).includes('<frank@example.com>'));
    expect(line?.obj).toMatchObject({ from: '"Support" <support@example.com>', subject: 'Reset your Acme password' });
    const token = /confirm-password-reset\/([\w.-]+)\)/.exec(String(line?.obj.text))?.[1] ?? '';
    expect(decodeJwt(token)).toMatchObject({ type: 'passwordReset', email: 'frank@example.com' });
    expect(await sdk(quiet).collection('users').confirmPasswordReset(token, 'from-the-log-1', 'from-the-log-1')).toBe(true);
  });

  it('reports a failed send on request-email-change', async () => {
    const dead = await startSmtpServer();
    const port = dead.port;
    await dead.close(); // nothing listens there any more
    const patched = await api(quiet, 'PATCH', '/api/settings', {
      token: quiet.superuserToken,
      body: { smtp: { enabled: true, host: '127.0.0.1', port } },
    });
    expect(patched.status).toBe(200);
    const created = await api(quiet, 'POST', '/api/collections/users/records', {
      token: quiet.superuserToken,
      body: { email: 'gina@example.com', password: PASSWORD, passwordConfirm: PASSWORD },
    });
    expect(created.status).toBe(200);
    const pb = sdk(quiet);
    await pb.collection('users').authWithPassword('gina@example.com', PASSWORD);
    const failed = await clientError(() => pb.collection('users').requestEmailChange('gina.new@example.com'));
    expect(failed.response).toEqual({ status: 400, message: 'Failed to request email change.', data: {} });
  });
});
