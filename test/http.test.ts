import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('health', () => {
  it('answers guests with PocketBase\'s body', async () => {
    const res = await api(server, 'GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'API is healthy.', code: 200, data: {} });
  });

  it('tells superusers a little more', async () => {
    const res = await api(server, 'GET', '/api/health', { token: server.superuserToken });
    expect(res.body.data).toEqual({ canBackup: true, realIP: '127.0.0.1', possibleProxyHeader: '' });
  });

  it('accepts the token with a Bearer prefix too', async () => {
    const res = await api(server, 'GET', '/api/health', { token: `Bearer ${server.superuserToken}` });
    expect(res.body.data.canBackup).toBe(true);
  });

  it('treats a bad token as a guest', async () => {
    const res = await api(server, 'GET', '/api/health', { token: 'not-a-token' });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({});
  });

  it('answers HEAD', async () => {
    const res = await fetch(`${server.url}/api/health`, { method: 'HEAD' });
    expect(res.status).toBe(200);
  });
});

describe('every response', () => {
  it('unknown routes are a 404 in the error shape', async () => {
    const res = await api(server, 'GET', '/api/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ data: {}, message: "The requested resource wasn't found.", status: 404 });
  });

  it('carries PocketBase\'s security headers', async () => {
    const res = await api(server, 'GET', '/api/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-xss-protection')).toBe('1; mode=block');
  });

  it('answers CORS preflights for any origin and route', async () => {
    const res = await fetch(`${server.url}/api/collections/users/records/abc`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    expect(res.headers.get('access-control-max-age')).toBe('86400');
  });

  it('marks cross-origin responses, errors included, as readable by any origin', async () => {
    const ok = await fetch(`${server.url}/api/health`, { headers: { origin: 'https://app.example.com' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    const missing = await fetch(`${server.url}/api/collections/nope/records`, { headers: { origin: 'https://app.example.com' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('same-origin requests (no Origin header) carry no CORS header', async () => {
    const res = await fetch(`${server.url}/api/health`);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a body that is not JSON is a 400 in the error shape', async () => {
    const res = await api(server, 'POST', '/api/collections/_superusers/auth-with-password', {
      rawBody: '{"identity":',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 400, data: {} });
    expect(typeof res.body.message).toBe('string');
  });
});

describe('superuser auth', () => {
  it('logs in, refreshes, and refuses wrong credentials', async () => {
    const login = await api(server, 'POST', '/api/collections/_superusers/auth-with-password', {
      body: { identity: 'root@example.com', password: 'correct-horse-battery' },
    });
    expect(login.status).toBe(200);
    expect(login.body.record).toMatchObject({ collectionName: '_superusers', email: 'root@example.com', verified: true });
    expect(login.body.record).not.toHaveProperty('password');
    expect(login.body.record).not.toHaveProperty('tokenKey');
    const claims = JSON.parse(Buffer.from(login.body.token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ type: 'auth', collectionId: 'pbc_3142635823', refreshable: true });

    const refresh = await api(server, 'POST', '/api/collections/_superusers/auth-refresh', { token: login.body.token });
    expect(refresh.status).toBe(200);
    expect(refresh.body.record.id).toBe(login.body.record.id);

    const wrong = await api(server, 'POST', '/api/collections/_superusers/auth-with-password', {
      body: { identity: 'root@example.com', password: 'nope-nope-nope' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({ data: {}, message: 'Failed to authenticate.', status: 400 });

    const guestRefresh = await api(server, 'POST', '/api/collections/_superusers/auth-refresh');
    expect(guestRefresh.status).toBe(401);
  });

  it('stores new passwords as PocketBase does: bcrypt, at cost 10 for a field whose cost is 0', async () => {
    const rows = await server.baton.services.db.all<{ password: string }>(
      (await import('../src/db/sql.ts')).sql`SELECT password FROM _superusers`,
    );
    expect(rows[0].password.startsWith('$2a$10$')).toBe(true);
  });
});
