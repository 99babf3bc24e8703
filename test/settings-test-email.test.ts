// POST /api/settings/test/email: a collection's template, filled in for PocketBase's made-up record,
// mailed through a real SMTP server on loopback; and PocketBase's 400s around it.
import { decodeJwt } from 'jose';
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createUser, scenarios, type Scenario } from './support/builders.ts';
import { clientError } from './support/sdk.ts';
import { startSmtpServer, type TestSmtpServer } from './support/smtp.ts';

const META = { appName: 'Baton Test', appURL: 'http://app.test', senderName: 'Baton Mail', senderAddress: 'noreply@baton.test' };
const SEND_FAILED = 'Failed to send the test email.';

let server: TestServer;
let smtp: TestSmtpServer;
let userToken: string;

const su = (body: unknown) => api(server, 'POST', '/api/settings/test/email', { token: server.superuserToken, body });

async function superuserSdk(): Promise<PocketBase> {
  const pb = new PocketBase(server.url);
  pb.autoCancellation(false);
  pb.authStore.save(server.superuserToken);
  return pb;
}

beforeAll(async () => {
  [server, smtp] = await Promise.all([startServer(), startSmtpServer()]);
  userToken = (await createUser(server, 'user@example.com')).token;
  const settings = await api(server, 'PATCH', '/api/settings', {
    token: server.superuserToken,
    body: { meta: META, smtp: { enabled: true, host: smtp.host, port: smtp.port, tls: false } },
  });
  expect(settings.status, JSON.stringify(settings.body)).toBe(200);
  const collection = await api(server, 'POST', '/api/collections', {
    token: server.superuserToken,
    body: {
      name: 'members',
      type: 'auth',
      fields: [
        { name: 'nickname', type: 'text' },
        { name: 'age', type: 'number' },
        { name: 'secretNote', type: 'text', hidden: true },
      ],
      verificationTemplate: {
        subject: 'Verify {RECORD:email} at {APP_NAME}',
        body: '<p>id={RECORD:id} nick={RECORD:nickname} age={RECORD:age} verified={RECORD:verified} note={RECORD:secretNote}</p><a href="{APP_URL}/v/{TOKEN}">go</a>',
      },
      confirmEmailChangeTemplate: { subject: 'Change for {RECORD:email}', body: '<a href="{APP_URL}/c/{TOKEN}">go</a>' },
      otp: { emailTemplate: { subject: 'Code {OTP}', body: '<p>otp={OTP} id={OTP_ID}</p>' } },
      authAlert: { emailTemplate: { subject: 'Alert', body: '<p>info={ALERT_INFO}</p>' } },
    },
  });
  expect(collection.status, JSON.stringify(collection.body)).toBe(200);
});

afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

describe('sending', () => {
  it("fills a collection's template in for the made-up record and mails the given address", async () => {
    const res = await su({ email: 'tester@example.com', template: 'verification', collection: 'members' });
    expect(res.status, JSON.stringify(res.body)).toBe(204);
    const mail = await smtp.take('tester@example.com');
    expect(mail).toMatchObject({ from: '"Baton Mail" <noreply@baton.test>', to: ['tester@example.com'], subject: 'Verify tester@example.com at Baton Test' });
    // Visible fields hold __pb_test_<field>__ as their type reads it; hidden fields stay placeholders.
    expect(mail.html).toContain('id=__pb_test_id__ nick=__pb_test_nickname__ age=0 verified=false note={RECORD:secretNote}');
    const token = /http:\/\/app\.test\/v\/([\w.-]+)/.exec(mail.html)?.[1] ?? '';
    expect(decodeJwt(token)).toMatchObject({ id: '__pb_test_id__', type: 'verification', email: 'tester@example.com' });
  });

  it('email-change: the test address is the new email too', async () => {
    expect((await su({ email: 'new@example.com', template: 'email-change', collection: 'members' })).status).toBe(204);
    const mail = await smtp.take('new@example.com');
    expect(mail.subject).toBe('Change for new@example.com');
    const token = /\/c\/([\w.-]+)/.exec(mail.html)?.[1] ?? '';
    expect(decodeJwt(token)).toMatchObject({ type: 'emailChange', email: 'new@example.com', newEmail: 'new@example.com' });
  });

  it("otp and login-alert: PocketBase's made-up code, id and sign-in", async () => {
    expect((await su({ email: 'otp@example.com', template: 'otp', collection: 'members' })).status).toBe(204);
    const otp = await smtp.take('otp@example.com');
    expect(otp.subject).toBe('Code 123456');
    expect(otp.html).toContain('otp=123456 id=_PB_TEST_OTP_ID_');
    expect((await su({ email: 'alert@example.com', template: 'login-alert', collection: 'members' })).status).toBe(204);
    expect((await smtp.take('alert@example.com')).html).toMatch(/info=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z - TEST_IP TEST_USER_AGENT/);
  });

  it("defaults to _superusers' templates; the collection may be named by id", async () => {
    expect((await su({ email: 'root-test@example.com', template: 'password-reset' })).status).toBe(204);
    const mail = await smtp.take('root-test@example.com');
    expect(mail.subject).toBe('Reset your Baton Test password');
    const token = /confirm-password-reset\/([\w.-]+)/.exec(mail.html)?.[1] ?? '';
    expect(decodeJwt(token)).toMatchObject({ type: 'passwordReset', collectionId: server.baton.services.schema.find('_superusers')!.id });
    const users = server.baton.services.schema.find('users')!;
    expect((await su({ email: 'by-id@example.com', template: 'otp', collection: users.id })).status).toBe(204);
    expect((await smtp.take('by-id@example.com')).subject).toBe('Your Baton Test one-time password');
  });

  it('works from the SDK (pb.settings.testEmail)', async () => {
    const pb = await superuserSdk();
    expect(await pb.settings.testEmail('users', 'sdk@example.com', 'verification')).toBe(true);
    expect((await smtp.take('sdk@example.com')).subject).toBe('Confirm your Baton Test email address');
  });
});

describe('refusals', () => {
  const required = { code: 'validation_required', message: 'Cannot be blank.' };
  const badCollection = { code: 'validation_invalid_auth_collection', message: 'Must be a valid auth collection id or name.' };

  it('validates every field at once, with nothing sent', async () => {
    expect((await su({})).body).toEqual({ status: 400, message: SEND_FAILED, data: { email: required, template: required } });
    expect((await su({ email: 'x', template: 'welcome', collection: 'missing' })).body).toEqual({
      status: 400,
      message: SEND_FAILED,
      data: {
        collection: badCollection,
        email: { code: 'validation_is_email', message: 'Must be a valid email address.' },
        template: { code: 'validation_in_invalid', message: 'Must be a valid value.' },
      },
    });
    await api(server, 'POST', '/api/collections', { token: server.superuserToken, body: { name: 'posts', type: 'base' } });
    expect((await su({ email: 'a@example.com', template: 'otp', collection: 'posts' })).body.data).toEqual({ collection: badCollection });
    expect((await su({ email: 'a@example.com', template: 'otp', collection: 'x'.repeat(256) })).body.data.collection.code).toBe(
      'validation_length_out_of_range',
    );
    expect(await smtp.settle()).toEqual([]);
  });

  it('refuses a body it cannot read', async () => {
    const loadFailed = { status: 400, message: 'An error occurred while loading the submitted data.', data: {} };
    expect((await su({ email: 1, template: 'otp' })).body).toEqual(loadFailed);
    expect((await su([])).body).toEqual(loadFailed);
  });

  it('the SDK sees the same 400', async () => {
    const pb = await superuserSdk();
    const e = await clientError(() => pb.settings.testEmail('missing', 'a@example.com', 'otp'));
    expect(e.response).toMatchObject({ status: 400, message: SEND_FAILED, data: { collection: badCollection } });
  });

  const stranger = { method: 'POST', url: '/api/settings/test/email', body: { email: 'intruder@example.com', template: 'otp' } };
  scenarios({ server: () => server, tokens: () => ({ user: userToken }) }, [
    { ...stranger, name: 'a guest gets 401', status: 401, expect: { status: 401, message: 'The request requires valid record authorization token.', data: {} } },
    {
      ...stranger,
      name: 'a user gets 403',
      auth: 'user',
      status: 403,
      expect: { status: 403, message: 'The authorized record is not allowed to perform this action.', data: {} },
    },
  ] satisfies Scenario[]);
  it('sent nothing for them', async () => {
    expect(smtp.mails.filter((m) => m.to.includes('intruder@example.com'))).toEqual([]);
  });

  it('a failed send is a 400 with the raw error', async () => {
    const dead = await startSmtpServer();
    const port = dead.port;
    await dead.close(); // nothing listens there any more
    const patched = await api(server, 'PATCH', '/api/settings', { token: server.superuserToken, body: { smtp: { port } } });
    expect(patched.status).toBe(200);
    try {
      const res = await su({ email: 'nobody@example.com', template: 'verification' });
      expect(res.status).toBe(400);
      expect(res.body.data).toEqual({});
      expect(res.body.message).toMatch(/^Failed to send the test email\. Raw error: \n.*ECONNREFUSED/s);
    } finally {
      await api(server, 'PATCH', '/api/settings', { token: server.superuserToken, body: { smtp: { port: smtp.port } } });
    }
  });
});
