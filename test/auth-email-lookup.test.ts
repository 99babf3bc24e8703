// The email flows find a record by email as PocketBase's FindAuthRecordByEmail does: ignoring case
// when the email's UNIQUE index is COLLATE NOCASE, exactly otherwise.
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { clientError } from './support/sdk.ts';
import { startSmtpServer, type TestSmtpServer } from './support/smtp.ts';

const PASSWORD = 'lookup-password-1';

let server: TestServer;
let smtp: TestSmtpServer;

const sdk = () => {
  const pb = new PocketBase(server.url);
  pb.autoCancellation(false);
  return pb;
};

async function createRecord(collection: string, email: string): Promise<void> {
  const res = await api(server, 'POST', `/api/collections/${collection}/records`, {
    token: server.superuserToken,
    body: { email, password: PASSWORD, passwordConfirm: PASSWORD },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

beforeAll(async () => {
  [server, smtp] = await Promise.all([startServer(), startSmtpServer()]);
  const settings = await api(server, 'PATCH', '/api/settings', {
    token: server.superuserToken,
    body: { smtp: { enabled: true, host: smtp.host, port: smtp.port } },
  });
  expect(settings.status, JSON.stringify(settings.body)).toBe(200);
  // `people`: the email index folds case; `users` keeps the default, exact one.
  const people = await api(server, 'POST', '/api/collections', {
    token: server.superuserToken,
    body: { name: 'people', type: 'auth', indexes: ["CREATE UNIQUE INDEX idx_people_email ON people (email COLLATE NOCASE) WHERE email != ''"] },
  });
  expect(people.status, JSON.stringify(people.body)).toBe(200);
  await createRecord('people', 'Mixed.Case@example.com');
  await createRecord('people', 'other@example.com');
  await createRecord('users', 'Exact.Case@example.com');
});

afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

describe('lookups by email', () => {
  it('with a NOCASE email index, a differently-cased address gets the reset mail, at the stored address', async () => {
    expect(await sdk().collection('people').requestPasswordReset('mixed.CASE@example.COM')).toBe(true);
    const mail = await smtp.take('Mixed.Case@example.com');
    expect(mail.subject).toContain('Reset your');
  });

  it('with a NOCASE email index, verification and the new-email check fold case too', async () => {
    expect(await sdk().collection('people').requestVerification('OTHER@EXAMPLE.COM')).toBe(true);
    await smtp.take('other@example.com');
    const pb = sdk();
    await pb.collection('people').authWithPassword('other@example.com', PASSWORD);
    const taken = await clientError(() => pb.collection('people').requestEmailChange('MIXED.case@example.com'));
    expect(taken.response.data.newEmail).toEqual({ code: 'validation_invalid_new_email', message: 'Invalid new email address.' });
  });

  it('without NOCASE, only the exact address matches', async () => {
    expect(await sdk().collection('users').requestPasswordReset('exact.case@example.com')).toBe(true);
    await server.baton.services.emailFlows.idle();
    expect(await smtp.settle()).toEqual([]);
    expect(await sdk().collection('users').requestPasswordReset('Exact.Case@example.com')).toBe(true);
    await smtp.take('Exact.Case@example.com');
  });
});
