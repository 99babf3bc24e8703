// Request logs as PocketBase keeps them: written to `_logs` in batches, read through /api/logs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openBaton } from '../src/cli/wire.ts';
import { buildServer } from '../src/http/server.ts';
import { silentLogger } from '../src/kernel/logger.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createTestDatabase } from './support/databases.ts';
import { clientError } from './support/sdk.ts';

let server: TestServer;
let su: string;
let userToken = '';
let userId = '';

const flush = () => server.baton.services.requestLogs.flush();

async function setLogs(logs: Record<string, unknown>): Promise<void> {
  const res = await api(server, 'PATCH', '/api/settings', { token: su, body: { logs } });
  expect(res.status).toBe(200);
}

/** Every entry (as a superuser sees them), oldest first. */
async function entries(filter = ''): Promise<Array<{ id: string; level: number; message: string; created: string; data: Record<string, any> }>> {
  await flush();
  const q = new URLSearchParams({ perPage: '1000', sort: 'created', ...(filter ? { filter } : {}) });
  const res = await api(server, 'GET', `/api/logs?${q}`, { token: su });
  expect(res.status).toBe(200);
  return res.body.items;
}

async function clearLogs(): Promise<void> {
  await flush();
  // maxDays 0 deletes everything on the settings change; then logging is switched back on.
  await setLogs({ maxDays: 0 });
  await server.baton.services.requestLogs.deleteOld();
  await setLogs({ maxDays: 5, minLevel: 0, logIP: true, logAuthId: false });
  await flush();
  await server.baton.services.requestLogs.deleteOld(true);
}

beforeAll(async () => {
  server = await startServer();
  su = server.superuserToken;
  const created = await api(server, 'POST', '/api/collections/users/records', {
    body: { email: 'u@example.com', password: 'secret-password-1', passwordConfirm: 'secret-password-1' },
  });
  expect(created.status).toBe(200);
  userId = created.body.id;
  const login = await api(server, 'POST', '/api/collections/users/auth-with-password', {
    body: { identity: 'u@example.com', password: 'secret-password-1' },
  });
  userToken = login.body.token;
});

afterAll(async () => {
  await server?.close();
});

describe('writing request logs', () => {
  beforeEach(clearLogs);

  it('writes a request with PocketBase attributes at INFO', async () => {
    const res = await api(server, 'GET', '/api/health?x=a%20b', { headers: { referer: 'http://r.example/', 'user-agent': 'ua-test' } });
    expect(res.status).toBe(200);
    const [entry] = await entries('data.userAgent = "ua-test"');
    expect(entry).toMatchObject({
      level: 0,
      message: 'GET /api/health?x=a b',
      data: {
        type: 'request',
        url: '/api/health?x=a%20b',
        method: 'GET',
        status: 200,
        referer: 'http://r.example/',
        userAgent: 'ua-test',
        auth: '',
        userIP: '127.0.0.1',
        remoteIP: '127.0.0.1',
      },
    });
    expect(entry!.data.execTime).toBeTypeOf('number');
    // In Go's map order (sorted) on every database: PostgreSQL's JSONB stores its own.
    expect(Object.keys(entry!.data)).toEqual(['auth', 'execTime', 'method', 'referer', 'remoteIP', 'status', 'type', 'url', 'userAgent', 'userIP']);
    expect(Object.keys((await api(server, 'GET', `/api/logs/${entry!.id}`, { token: su })).body.data)).toEqual(Object.keys(entry!.data));
    expect(entry!.data).not.toHaveProperty('authId');
    expect(entry!.data).not.toHaveProperty('error');
    expect(entry!.created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('writes failures at ERROR with the error and its details', async () => {
    await api(server, 'GET', '/api/collections/users/records?filter=' + encodeURIComponent('nope = 1'), { headers: { 'user-agent': 'bad-filter' } });
    await api(server, 'GET', '/api/logs?filter=' + encodeURIComponent('nope = 1'), { token: su, headers: { 'user-agent': 'bad-logs-filter' } });
    await api(server, 'GET', '/api/no-such-route', { headers: { 'user-agent': 'missing' } });
    const [bad] = await entries('data.userAgent = "bad-filter"');
    expect(bad).toMatchObject({ level: 8, data: { status: 400, error: 'Something went wrong while processing your request.' } });
    // The client saw PocketBase's generic 400; the entry names the problem for superusers.
    expect(String(bad!.data.details)).toContain('nope');
    // A failed read of the logs is logged, and its entry names the problem.
    const [badLogs] = await entries('data.userAgent = "bad-logs-filter"');
    expect(badLogs).toMatchObject({ level: 8, data: { status: 400, auth: '_superusers', details: null } });
    expect(badLogs!.data.error).toContain('nope');
    const [missing] = await entries('data.userAgent = "missing"');
    // As PocketBase's errors made without data, a 404 has null details (not the client's empty data).
    expect(missing).toMatchObject({ level: 8, data: { status: 404, error: "The requested resource wasn't found.", details: null } });
  });

  it('keeps UTF-8 in headers and the URL as the bytes say (Node reads them as latin1)', async () => {
    // Header values go out as one byte per character: 'Ã©' is the UTF-8 of 'é'; a lone 'é' byte is not UTF-8.
    await api(server, 'GET', '/api/health?utf8=1', { headers: { 'user-agent': 'Agent-\u00c3\u00a9', referer: 'http://x/\u00e9' } });
    const [entry] = await entries('data.url = "/api/health?utf8=1"');
    expect(entry!.data).toMatchObject({ userAgent: 'Agent-\u00e9', referer: 'http://x/\ufffd' });
  });

  it('names the auth collection, and the auth id only with logAuthId', async () => {
    await api(server, 'GET', '/api/health', { token: userToken, headers: { 'user-agent': 'no-id' } });
    await setLogs({ logAuthId: true });
    await api(server, 'GET', '/api/health', { token: userToken, headers: { 'user-agent': 'with-id' } });
    const [noId] = await entries('data.userAgent = "no-id"');
    expect(noId!.data.auth).toBe('users');
    expect(noId!.data).not.toHaveProperty('authId');
    const [withId] = await entries('data.userAgent = "with-id"');
    expect(withId!.data).toMatchObject({ auth: 'users', authId: userId });
  });

  it('leaves out the IPs when logIP is off', async () => {
    await setLogs({ logIP: false });
    await api(server, 'GET', '/api/health', { headers: { 'user-agent': 'no-ip' } });
    const [entry] = await entries('data.userAgent = "no-ip"');
    expect(entry!.data).not.toHaveProperty('userIP');
    expect(entry!.data).not.toHaveProperty('remoteIP');
  });

  it('keeps only entries at minLevel or above', async () => {
    await setLogs({ minLevel: 8 });
    await api(server, 'GET', '/api/health', { headers: { 'user-agent': 'min-ok' } });
    await api(server, 'GET', '/api/nothing-here', { headers: { 'user-agent': 'min-fail' } });
    expect(await entries('data.userAgent = "min-ok"')).toHaveLength(0);
    expect(await entries('data.userAgent = "min-fail"')).toHaveLength(1);
  });

  it('writes nothing when maxDays is 0', async () => {
    await setLogs({ maxDays: 0 });
    await api(server, 'GET', '/api/health', { headers: { 'user-agent': 'off' } });
    await api(server, 'GET', '/api/nothing-here', { headers: { 'user-agent': 'off' } });
    await flush();
    await setLogs({ maxDays: 5 });
    expect(await entries('data.userAgent = "off"')).toHaveLength(0);
  });

  it('does not log successful reads of the logs, nor the oauth2 redirect', async () => {
    await api(server, 'GET', '/api/logs', { token: su });
    await api(server, 'GET', '/api/oauth2-redirect?state=s&code=secret-code');
    const all = await entries();
    expect(all.filter((e) => e.data.url.startsWith('/api/logs'))).toHaveLength(0);
    expect(all.filter((e) => e.data.url.startsWith('/api/oauth2-redirect'))).toHaveLength(0);
    // A failed one is.
    await api(server, 'GET', '/api/logs', { token: userToken });
    expect(await entries('data.status = 403')).toHaveLength(1);
  });

  it('deletes entries older than maxDays', async () => {
    const writer = server.baton.services.requestLogs;
    const day = 24 * 60 * 60_000;
    const old = { method: 'GET', url: '/old', status: 200, execTime: 1, referer: '', userAgent: 'aged', auth: '' };
    writer.add({ ...old, at: Date.now() - 10 * day });
    writer.add({ ...old, url: '/recent', at: Date.now() - day });
    expect(await entries('data.userAgent = "aged"')).toHaveLength(2);
    await writer.deleteOld();
    expect((await entries('data.userAgent = "aged"')).map((e) => e.data.url)).toEqual(['/recent']);
  });

  it('takes a maxDays reaching back before any date (PocketBase accepts any): keeps every entry by age, and the server goes on', async () => {
    await setLogs({ maxDays: 200_000_000 });
    const writer = server.baton.services.requestLogs;
    writer.add({ method: 'GET', url: '/ancient', status: 200, execTime: 1, referer: '', userAgent: 'ancient', auth: '', at: Date.now() - 30_000 * 24 * 60 * 60_000 });
    await writer.deleteOld();
    await writer.deleteOld(true);
    expect(await entries('data.userAgent = "ancient"')).toHaveLength(1);
    expect((await api(server, 'GET', '/api/health')).status).toBe(200);
    await setLogs({ maxDays: 5 });
  });
});

describe('reading request logs', () => {
  let pb: PocketBase;

  beforeAll(async () => {
    await clearLogs();
    for (let i = 0; i < 3; i++) await api(server, 'GET', '/api/health', { headers: { 'user-agent': 'sdk' } });
    await api(server, 'GET', '/api/missing', { headers: { 'user-agent': 'sdk' } });
    await flush();
    pb = new PocketBase(server.url);
    pb.authStore.save(su);
  });

  it('lists with a filter, paging and totals (SDK getList)', async () => {
    const page = await pb.logs.getList(1, 20, { filter: 'data.status >= 400' });
    expect(page.items.length).toBeGreaterThanOrEqual(1);
    expect(page.items.every((e) => e.data.status >= 400)).toBe(true);
    expect(page).toMatchObject({ page: 1, perPage: 20, totalItems: page.items.length, totalPages: 1 });
    expect(Object.keys(page.items[0]!).sort()).toEqual(['created', 'data', 'id', 'level', 'message']);
    const skipped = await pb.logs.getList(1, 2, { filter: 'data.userAgent = "sdk"', skipTotal: true, sort: '-created' });
    expect(skipped).toMatchObject({ totalItems: -1, totalPages: -1 });
    expect(skipped.items).toHaveLength(2);
    // `fields` narrows the items, not the page (as PocketBase).
    const picked = await pb.logs.getList(1, 1, { fields: 'id,message' });
    expect(picked).toMatchObject({ page: 1, perPage: 1 });
    expect(Object.keys(picked.items[0]!).sort()).toEqual(['id', 'message']);
  });

  it('views one entry (SDK getOne), 404 for an unknown id', async () => {
    const [first] = (await pb.logs.getList(1, 1, { filter: 'data.userAgent = "sdk"' })).items;
    expect(await pb.logs.getOne(first!.id)).toEqual(first);
    const err = await clientError(() => pb.logs.getOne('nope'));
    expect(err.status).toBe(404);
    expect(err.response).toEqual({ status: 404, message: "The requested resource wasn't found.", data: {} });
  });

  it('counts entries per hour (SDK getStats)', async () => {
    const stats = await pb.logs.getStats({ filter: 'data.userAgent = "sdk"' });
    expect(stats.reduce((n, s) => n + s.total, 0)).toBe(4);
    for (const s of stats) expect(s.date).toMatch(/^\d{4}-\d\d-\d\d \d\d:00:00\.000Z$/);
    // PocketBase's LogsStatsItem: date, then total.
    expect(Object.keys(stats[0]!)).toEqual(['date', 'total']);
    const errors = await pb.logs.getStats({ filter: 'data.userAgent = "sdk" && level = 8' });
    expect(errors.reduce((n, s) => n + s.total, 0)).toBe(1);
  });

  it('is for superusers only', async () => {
    for (const p of ['/api/logs', '/api/logs/stats', '/api/logs/x']) {
      expect((await api(server, 'GET', p)).status).toBe(401);
      expect((await api(server, 'GET', p, { token: userToken })).status).toBe(403);
    }
  });

  it('answers a bad filter or sort with a 400 in PocketBase shape', async () => {
    for (const q of ['filter=' + encodeURIComponent('unknown = 1'), 'filter=' + encodeURIComponent('data.status >='), 'sort=updated']) {
      const res = await api(server, 'GET', `/api/logs?${q}`, { token: su });
      expect(res.status).toBe(400);
      expect(Object.keys(res.body).sort()).toEqual(['data', 'message', 'status']);
      expect(res.body.status).toBe(400);
    }
    const stats = await api(server, 'GET', '/api/logs/stats?filter=' + encodeURIComponent('nope = 1'), { token: su });
    expect(stats.status).toBe(400);
    expect(stats.body).toMatchObject({ status: 400, data: {} });
  });
});

describe('the flush interval', () => {
  it('writes buffered entries on its own after the interval', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'baton-logs-'));
    const database = await createTestDatabase();
    const baton = await openBaton({ dataDir, db: database.url, logger: silentLogger, requestLogs: { flushIntervalMs: 20 } });
    const app = await buildServer(baton.services, { maxBodySize: 1 << 20, logger: pino({ level: 'silent' }) });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.addresses()[0] as AddressInfo;
      await fetch(`http://127.0.0.1:${port}/api/health`);
      let total = 0;
      for (let i = 0; i < 100 && total === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        total = (await baton.services.logs.list({ filter: 'data.url = "/api/health"' })).totalItems;
      }
      expect(total).toBe(1);
    } finally {
      await app.close();
      await baton.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

// `--request-log-rate`: past it successful requests are counted, one entry a second; failures
// are each logged. Asserted on counts, whatever seconds the requests fall in.
describe('the request log rate', () => {
  let limited: TestServer;
  afterAll(() => limited?.close());

  it('logs at most the rate of successful requests a second, counts the rest, and logs every failure', async () => {
    const RATE = 2;
    limited = await startServer({ requestLogs: { maxPerSecond: RATE } });
    type Entry = { created: string; data: Record<string, any> };
    const read = async (): Promise<Entry[]> => {
      await limited.baton.services.requestLogs.flush();
      return (await api(limited, 'GET', '/api/logs?perPage=1000&sort=created', { token: limited.superuserToken })).body.items;
    };
    /** Successful requests, each logged or counted (the logs' reads are not logged). */
    const successes = (items: Entry[]) =>
      items.filter((e) => e.data.type === 'request' && e.data.status < 400).length +
      items.filter((e) => e.data.type === 'requestsNotLogged').reduce((n, e) => n + e.data.count, 0);
    const before = successes(await read());

    const ok = Array.from({ length: 12 }, () => api(limited, 'GET', '/api/health', { headers: { 'user-agent': 'rate-ok' } }));
    const missing = Array.from({ length: 6 }, () => api(limited, 'GET', '/api/no-such-route', { headers: { 'user-agent': 'rate-missing' } }));
    // A 426 is answered without an error thrown: a failure all the same, logged past the rate.
    const upgrade = Array.from({ length: 6 }, () => api(limited, 'GET', '/api/realtime/ws', { headers: { 'user-agent': 'rate-426' } }));
    expect((await Promise.all(ok)).map((r) => r.status)).toEqual(Array(12).fill(200));
    expect((await Promise.all(missing)).map((r) => r.status)).toEqual(Array(6).fill(404));
    expect((await Promise.all(upgrade)).map((r) => r.status)).toEqual(Array(6).fill(426));
    const items = await read();

    const perSecond = new Map<string, number>();
    for (const e of items.filter((i) => i.data.type === 'request' && i.data.status < 400)) {
      const second = e.created.slice(0, 19);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(RATE);
    expect(items.filter((e) => e.data.type === 'requestsNotLogged').length).toBeGreaterThan(0);
    expect(successes(items)).toBe(before + 12);
    expect(items.filter((e) => e.data.userAgent === 'rate-missing')).toHaveLength(6);
    expect(items.filter((e) => e.data.userAgent === 'rate-426')).toHaveLength(6);
  });
});
