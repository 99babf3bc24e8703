/**
 * Rate limits and the IP settings, as PocketBase applies them: rules matched by label
 * (`<collection>:<tag>`, `*:<tag>`, `METHOD /path`, `/path`, prefixes ending in `/`) and audience,
 * counted per client IP in fixed windows; skipped for superusers and excludedIPs; the client IP
 * read from a trusted proxy header only when one is configured; and superuserIPs, which refuses a
 * superuser's token and sign-in from anywhere else.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, SUPERUSER, type TestServer } from './support/baton.ts';
import { createCollection, createUser, PUBLIC_RULES, text } from './support/builders.ts';

let server: TestServer;
let userToken: string;
const TOO_MANY = { status: 429, body: { status: 429, message: 'Too Many Requests.', data: {} } };

const su = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  api(server, method, path, { token: server.superuserToken, body, headers });
const settings = async (patch: Record<string, unknown>, headers?: Record<string, string>) => {
  const res = await su('PATCH', '/api/settings', patch, headers);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};
const rule = (label: string, maxRequests: number, audience = '', duration = 60) => ({ label, audience, duration, maxRequests });
const limits = (rules: unknown[], extra: Record<string, unknown> = {}) => settings({ rateLimits: { enabled: true, rules, ...extra } });
let guesses = 0;
/** A wrong password for a new identity each time: the per-identity bound (failed-sign-ins.ts) stays out of these tests. */
const wrongPassword = (collection = 'users', headers?: Record<string, string>) =>
  api(server, 'POST', `/api/collections/${collection}/auth-with-password`, {
    body: { identity: `nobody${++guesses}@example.com`, password: 'wrong-password' },
    headers,
  });
/** Statuses of `n` sequential requests. */
async function statuses(n: number, send: () => Promise<{ status: number }>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send()).status);
  return out;
}

beforeAll(async () => {
  server = await startServer();
  userToken = (await createUser(server, 'member@example.com')).token;
  await createCollection(server, { name: 'notes', fields: [text('title')], ...PUBLIC_RULES });
  await createCollection(server, {
    name: 'members',
    type: 'auth',
    fields: [],
    passwordAuth: { enabled: true, identityFields: ['email'] },
  });
});
afterAll(async () => {
  await server?.close();
});
afterEach(async () => {
  await settings({
    rateLimits: { enabled: false, excludedIPs: [] },
    trustedProxy: { headers: [], useLeftmostIP: false },
    superuserIPs: [],
  });
});

describe('rate limits', () => {
  it('are off by default, and PocketBase default rules stop a password guesser once enabled', async () => {
    expect(await statuses(5, () => wrongPassword())).toEqual([400, 400, 400, 400, 400]);
    // Only `enabled`: the default rules (`*:auth` 2 per 3 s …) are already in the settings.
    await settings({ rateLimits: { enabled: true } });
    const answers = await statuses(200, () => wrongPassword());
    expect(answers.slice(0, 2)).toEqual([400, 400]);
    expect(new Set(answers.slice(2))).toEqual(new Set([429]));
    expect(await wrongPassword()).toMatchObject(TOO_MANY);
  });

  it('match the collection label before `*:<tag>`', async () => {
    await limits([rule('*:auth', 1), rule('users:auth', 3)]);
    expect(await statuses(4, () => wrongPassword('users'))).toEqual([400, 400, 400, 429]);
    expect(await statuses(2, () => wrongPassword('members'))).toEqual([400, 429]);
  });

  it('tag each auth route and record action as PocketBase does', async () => {
    await limits([
      rule('users:requestPasswordReset', 1),
      rule('*:listAuthMethods', 1),
      rule('notes:view', 1),
      rule('notes:list', 2),
    ]);
    const reset = () => api(server, 'POST', '/api/collections/users/request-password-reset', { body: { email: 'nobody@example.com' } });
    expect(await statuses(2, reset)).toEqual([204, 429]);
    expect(await statuses(2, () => api(server, 'GET', '/api/collections/members/auth-methods'))).toEqual([200, 429]);
    expect(await statuses(2, () => api(server, 'GET', '/api/collections/notes/records/nothere12345678'))).toEqual([404, 429]);
    expect(await statuses(3, () => api(server, 'GET', '/api/collections/notes/records'))).toEqual([200, 200, 429]);
    // An unknown collection is the route's 404, never counted.
    expect(await statuses(3, () => api(server, 'GET', '/api/collections/nope/auth-methods'))).toEqual([404, 404, 404]);
  });

  it('apply a rule only to its audience', async () => {
    const path = '/api/collections/notes/records';
    await limits([rule(`GET ${path}`, 1, '@guest'), rule(`GET ${path}`, 3, '@auth')]);
    expect(await statuses(2, () => api(server, 'GET', path))).toEqual([200, 429]);
    expect(await statuses(4, () => api(server, 'GET', path, { token: userToken }))).toEqual([200, 200, 200, 429]);
  });

  it('leave excludedIPs alone', async () => {
    await limits([rule('*:auth', 1)], { excludedIPs: ['127.0.0.0/8'] });
    expect(await statuses(4, () => wrongPassword())).toEqual([400, 400, 400, 400]);
    await limits([rule('*:auth', 1)], { excludedIPs: ['10.0.0.0/8'] });
    expect(await statuses(2, () => wrongPassword())).toEqual([400, 429]);
  });

  it('never limit a superuser', async () => {
    await limits([rule('/api/', 1)]);
    expect(await statuses(10, () => su('GET', '/api/settings'))).toEqual(Array(10).fill(200));
    expect(await statuses(2, () => api(server, 'GET', '/api/health'))).toEqual([200, 429]);
  });

  it('count in windows that end, and start afresh when the settings change', async () => {
    await limits([rule('*:auth', 1, '', 1)]);
    expect(await statuses(2, () => wrongPassword())).toEqual([400, 429]);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await statuses(2, () => wrongPassword())).toEqual([400, 429]);
    await settings({ meta: { appName: 'Renamed' } });
    expect(await statuses(2, () => wrongPassword())).toEqual([400, 429]);
  });

  it('refuse before anything changes', async () => {
    await limits([rule('notes:create', 1)]);
    const create = () => api(server, 'POST', '/api/collections/notes/records', { body: { title: 'limited' } });
    expect(await statuses(3, create)).toEqual([200, 429, 429]);
    const list = await su('GET', `/api/collections/notes/records?filter=${encodeURIComponent("title='limited'")}`);
    expect(list.body.totalItems).toBe(1);
  });
});

describe('the client IP', () => {
  it('ignores X-Forwarded-For unless trustedProxy names it', async () => {
    await limits([rule('*:auth', 1)]);
    expect(await wrongPassword('users', { 'x-forwarded-for': '1.1.1.1' })).toMatchObject({ status: 400 });
    // A spoofed header does not make another client.
    expect(await wrongPassword('users', { 'x-forwarded-for': '2.2.2.2' })).toMatchObject(TOO_MANY);
  });

  it('reads the rightmost valid IP of a trusted header, or the leftmost when configured', async () => {
    await limits([rule('*:auth', 1)]);
    await settings({ trustedProxy: { headers: ['X-Forwarded-For'], useLeftmostIP: false } });
    const from = (xff: string) => wrongPassword('users', { 'x-forwarded-for': xff });
    expect((await from('3.3.3.3')).status).toBe(400);
    expect((await from('3.3.3.3')).status).toBe(429);
    expect((await from('4.4.4.4')).status).toBe(400);
    expect((await from('9.9.9.9, 5.5.5.5, garbage')).status).toBe(400);
    expect((await from('8.8.8.8, 5.5.5.5')).status).toBe(429);
    // Without the header, the socket's address.
    expect((await wrongPassword()).status).toBe(400);
    await settings({ trustedProxy: { headers: ['X-Forwarded-For'], useLeftmostIP: true } });
    expect((await from('6.6.6.6, 5.5.5.5')).status).toBe(400);
    expect((await from('6.6.6.6, 7.7.7.7')).status).toBe(429);
  });
});

describe('superuserIPs', () => {
  const proxy = { trustedProxy: { headers: ['X-Real-IP'], useLeftmostIP: false } };
  const at = (ip: string) => ({ 'x-real-ip': ip });
  const superuserSignIn = (ip: string, password = SUPERUSER.password) =>
    api(server, 'POST', '/api/collections/_superusers/auth-with-password', { body: { identity: SUPERUSER.email, password }, headers: at(ip) });

  it('refuses a superuser from another IP, on every request and at sign-in', async () => {
    await settings({ ...proxy, superuserIPs: ['10.1.2.0/24'] });
    const forbidden = { status: 403, body: { status: 403, message: 'You are not allowed to perform this request.', data: {} } };
    expect(await su('GET', '/api/settings', undefined, at('10.9.9.9'))).toMatchObject(forbidden);
    expect(await su('GET', '/api/collections/notes/records')).toMatchObject(forbidden);
    expect(await superuserSignIn('10.9.9.9')).toMatchObject(forbidden);
    // As in PocketBase, the address is checked once the password is: a wrong one is the usual 400.
    expect((await superuserSignIn('10.9.9.9', 'wrong-password')).status).toBe(400);

    // From a listed address, all is as usual; other accounts are not concerned.
    expect((await su('GET', '/api/settings', undefined, at('10.1.2.3'))).status).toBe(200);
    expect((await superuserSignIn('10.1.2.3')).status).toBe(200);
    expect((await api(server, 'GET', '/api/collections/notes/records', { token: userToken, headers: at('10.9.9.9') })).status).toBe(200);
    await settings({ superuserIPs: [] }, at('10.1.2.3'));
    expect((await su('GET', '/api/settings')).status).toBe(200);
  });
});
