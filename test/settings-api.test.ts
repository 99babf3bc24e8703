/**
 * The settings API end to end (PocketBase's apis/settings.go): superusers only, the masked view,
 * PATCH merge semantics, every validation rule (refused with its code, nothing saved), a
 * PocketBase data directory's settings read as-is, the official SDK, and the S3 test against a
 * real S3 protocol server.
 */
import PocketBase, { ClientResponseError } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowShape } from '../src/db/dialect.ts';
import { sql } from '../src/db/sql.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createUser, scenarios, type Scenario } from './support/builders.ts';
import { describeFixture } from './support/fixture.ts';
import { startS3Server, type TestS3Server } from './support/s3-server.ts';

const SAVE_FAILED = 'An error occurred while saving the new settings.';
const LOAD_FAILED = 'An error occurred while loading the submitted data.';
const S3_FAILED = 'Failed to test the S3 filesystem.';

const S3_VIEW = { enabled: false, bucket: '', region: '', endpoint: '', accessKey: '', forcePathStyle: false };
/** A new installation's settings as GET /api/settings shows them (PocketBase's defaults, secrets left out). */
const DEFAULT_VIEW = {
  superuserIPs: [],
  smtp: { enabled: false, port: 587, host: 'smtp.example.com', username: '', authMethod: '', tls: false, localName: '' },
  backups: { cron: '', cronMaxKeep: 3, s3: S3_VIEW },
  s3: S3_VIEW,
  meta: {
    accentColor: '#1055c9',
    appName: 'Acme',
    appURL: 'http://localhost:8090',
    senderName: 'Support',
    senderAddress: 'support@example.com',
    hideControls: false,
  },
  rateLimits: {
    rules: [
      { label: '*:auth', audience: '', duration: 3, maxRequests: 2 },
      { label: '*:create', audience: '', duration: 5, maxRequests: 20 },
      { label: '/api/batch', audience: '', duration: 1, maxRequests: 3 },
      { label: '/api/', audience: '', duration: 10, maxRequests: 300 },
    ],
    excludedIPs: [],
    enabled: false,
  },
  trustedProxy: { headers: [], useLeftmostIP: false },
  batch: { enabled: false, maxRequests: 50, timeout: 3, maxBodySize: 0 },
  logs: { maxDays: 5, minLevel: 0, logIP: true, logAuthId: false },
};

const PARAMS_SHAPE: RowShape = Object.freeze({ value: 'json' });

/** The `_params` row's JSON as stored, on any database. */
async function stored(server: TestServer): Promise<any> {
  const row = await server.baton.services.db.get<{ value: any }>(sql`SELECT value FROM _params WHERE id = 'settings'`, PARAMS_SHAPE);
  return row!.value;
}

const required = { code: 'validation_required', message: 'Cannot be blank.' };
const minimum = (threshold: number) => ({
  code: 'validation_min_greater_equal_than_required',
  message: `Must be no less than ${threshold}.`,
  params: { threshold },
});
const badIp = { code: 'validation_invlaid_ip_or_subnet', message: 'Invalid IP or CIDR subnet.' };
const notInList = { code: 'validation_in_invalid', message: 'Must be a valid value.' };
const badUrl = { code: 'validation_is_url', message: 'Must be a valid URL.' };
const badHost = { code: 'validation_is_host', message: 'Must be a valid IP address or DNS name.' };
const badCron = (message: string) => ({ code: 'validation_invalid_cron', message });
const rule = (label: string, extra: object = {}) => ({ label, audience: '', duration: 10, maxRequests: 10, ...extra });

describe('on a new data directory', () => {
  let server: TestServer;
  let userToken: string;
  const env = { server: () => server, tokens: () => ({ user: userToken }) };
  const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });

  beforeAll(async () => {
    server = await startServer();
    userToken = (await createUser(server, 'user@example.com')).token;
  });
  afterAll(() => server?.close());

  describe('superusers only', () => {
    const guest = { status: 401, message: 'The request requires valid record authorization token.', data: {} };
    const user = { status: 403, message: 'The authorized record is not allowed to perform this action.', data: {} };
    const endpoints: Array<[string, string, unknown?]> = [
      ['GET', '/api/settings'],
      ['PATCH', '/api/settings', { meta: { appName: 'sneaky' } }],
      ['POST', '/api/settings/test/s3', { filesystem: 'storage' }],
    ];
    scenarios(
      env,
      endpoints.flatMap(([method, url, body]): Scenario[] => [
        { name: `guest ${method} ${url} -> 401`, method, url, body, status: 401, expect: guest },
        { name: `user ${method} ${url} -> 403`, method, url, body, auth: 'user', status: 403, expect: user },
      ]),
    );
    it('left nothing changed', async () => {
      expect((await su('GET', '/api/settings')).body.meta.appName).toBe('Acme');
    });
  });

  describe('GET /api/settings', () => {
    it("answers PocketBase's defaults, in its key order, without secrets", async () => {
      const res = await su('GET', '/api/settings');
      expect(res.status).toBe(200);
      expect(res.body).toEqual(DEFAULT_VIEW);
      expect(JSON.stringify(res.body)).toBe(JSON.stringify(DEFAULT_VIEW));
    });

    it('stores the defaults as PocketBase does: secrets present (smtp.password), empty S3 secrets left out', async () => {
      const value = await stored(server);
      expect(value.smtp.password).toBe('');
      expect(value.s3).not.toHaveProperty('secret');
      expect(value.backups.s3).not.toHaveProperty('secret');
      expect({ ...value, smtp: { ...value.smtp, password: undefined } }).toEqual({ ...DEFAULT_VIEW, smtp: { ...DEFAULT_VIEW.smtp, password: undefined } });
    });

    it('honours ?fields', async () => {
      const res = await su('GET', '/api/settings?fields=meta.appName,batch');
      expect(res.body).toEqual({ meta: { appName: 'Acme' }, batch: DEFAULT_VIEW.batch });
    });
  });

  describe('PATCH /api/settings', () => {
    it('saves secrets without ever returning them, and keeps them when later patches leave them out', async () => {
      const res = await su('PATCH', '/api/settings', {
        meta: { appName: 'update_test' },
        smtp: { password: 'new_smtp_password' },
        s3: { secret: 'new_s3_secret' },
        backups: { s3: { secret: 'new_backups_s3_secret' } },
      });
      expect(res.status).toBe(200);
      expect(res.body.meta.appName).toBe('update_test');
      expect(JSON.stringify(res.body)).not.toMatch(/secret|password/);
      expect((await su('GET', '/api/settings')).body).toEqual(res.body);
      expect(server.baton.services.settings.get()).toMatchObject({
        smtp: { password: 'new_smtp_password' },
        s3: { secret: 'new_s3_secret' },
        backups: { s3: { secret: 'new_backups_s3_secret' } },
      });

      const next = await su('PATCH', '/api/settings', { meta: { senderName: 'Team' }, smtp: { username: 'mailer' } });
      expect(next.status).toBe(200);
      expect(next.body.meta).toMatchObject({ appName: 'update_test', senderName: 'Team', senderAddress: 'support@example.com' });
      expect(next.body.smtp).toMatchObject({ username: 'mailer', host: 'smtp.example.com', port: 587 });
      const value = await stored(server);
      expect(value.smtp).toMatchObject({ username: 'mailer', password: 'new_smtp_password' });
      expect(value.s3.secret).toBe('new_s3_secret');
      expect(value.backups.s3.secret).toBe('new_backups_s3_secret');
      expect(value.meta).toMatchObject({ appName: 'update_test', senderName: 'Team' });
    });

    it('an empty body or `{}` saves the settings unchanged', async () => {
      const before = (await su('GET', '/api/settings')).body;
      expect((await su('PATCH', '/api/settings', {})).body).toEqual(before);
      const empty = await api(server, 'PATCH', '/api/settings', { token: server.superuserToken });
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual(before);
    });

    it('replaces lists; `null` empties a list and leaves anything else as it is', async () => {
      let res = await su('PATCH', '/api/settings', { rateLimits: { excludedIPs: ['10.0.0.1', '10.0.0.0/8', '::1', 'fe80::/10'] } });
      expect(res.body.rateLimits.excludedIPs).toEqual(['10.0.0.1', '10.0.0.0/8', '::1', 'fe80::/10']);
      res = await su('PATCH', '/api/settings', { rateLimits: { excludedIPs: ['192.168.0.0/16'] }, trustedProxy: { headers: ['X-Real-IP'] } });
      expect(res.body.rateLimits.excludedIPs).toEqual(['192.168.0.0/16']);
      expect(res.body.trustedProxy).toEqual({ headers: ['X-Real-IP'], useLeftmostIP: false });
      res = await su('PATCH', '/api/settings', { rateLimits: { excludedIPs: null }, meta: null, trustedProxy: { headers: [] } });
      expect(res.status).toBe(200);
      expect(res.body.rateLimits.excludedIPs).toEqual([]);
      expect(res.body.trustedProxy.headers).toEqual([]);
      expect(res.body.meta.appName).toBe('update_test');
    });

    it('decodes list items onto the current ones, as Go does: a rule sent without some keys keeps the old values at its index', async () => {
      const res = await su('PATCH', '/api/settings', { rateLimits: { rules: [{ label: 'users:list' }, rule('/api/x', { audience: '@guest' })] } });
      expect(res.status).toBe(200);
      expect(res.body.rateLimits.rules).toEqual([
        { label: 'users:list', audience: '', duration: 3, maxRequests: 2 },
        { label: '/api/x', audience: '@guest', duration: 10, maxRequests: 10 },
      ]);
      const restored = await su('PATCH', '/api/settings', { rateLimits: { rules: DEFAULT_VIEW.rateLimits.rules } });
      expect(restored.body.rateLimits.rules).toEqual(DEFAULT_VIEW.rateLimits.rules);
    });

    it('matches keys case-insensitively when no key matches exactly (Go)', async () => {
      const res = await su('PATCH', '/api/settings', { META: { AppName: 'folded' } });
      expect(res.body.meta.appName).toBe('folded');
      await su('PATCH', '/api/settings', { meta: { appName: 'update_test' } });
    });

    it('accepts every valid form: IPs and subnets, rule labels, cron macros and steps', async () => {
      const res = await su('PATCH', '/api/settings', {
        superuserIPs: ['0.0.0.0/0', '::/0'],
        rateLimits: {
          enabled: true,
          rules: [rule('test'), rule('users:create'), rule('*:auth'), rule('/'), rule('/api/a-b/'), rule('POST /api/x'), rule('GET /')],
        },
        backups: { cron: '*/15 0-6/2,23 1-31 * 1-5', cronMaxKeep: 2 },
        smtp: { enabled: true, host: 'mail.example.com', port: 465, authMethod: 'LOGIN', localName: '127.0.0.1' },
        batch: { enabled: true, maxRequests: 10, timeout: 1, maxBodySize: 1024 },
        logs: { maxDays: 0, minLevel: -4 },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      for (const cron of ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly', '0 0 * * 0']) {
        const r = await su('PATCH', '/api/settings', { backups: { cron } });
        expect(r.status, cron).toBe(200);
      }
      // Back to a state the other tests expect.
      const reset = await su('PATCH', '/api/settings', {
        superuserIPs: [],
        rateLimits: { enabled: false, rules: DEFAULT_VIEW.rateLimits.rules },
        backups: { cron: '', cronMaxKeep: 3 },
        smtp: DEFAULT_VIEW.smtp,
        batch: DEFAULT_VIEW.batch,
        logs: DEFAULT_VIEW.logs,
      });
      expect(reset.status).toBe(200);
    });

    it('reads JSON only: a form is refused, an empty one saves the settings unchanged', async () => {
      const form = (rawBody: string) =>
        api(server, 'PATCH', '/api/settings', { token: server.superuserToken, rawBody, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect((await form('meta.appName=formed')).body).toEqual({ status: 400, message: LOAD_FAILED, data: {} });
      expect((await form('')).status).toBe(200);
      const multipart = new FormData();
      multipart.set('meta.appName', 'formed');
      const res = await fetch(`${server.url}/api/settings`, { method: 'PATCH', headers: { authorization: server.superuserToken }, body: multipart });
      expect(await res.json()).toEqual({ status: 400, message: LOAD_FAILED, data: {} });
      expect((await su('GET', '/api/settings')).body.meta.appName).toBe('update_test');
    });

    it('services see the new settings at once: get() is current and frozen, subscribers are told', async () => {
      const { settings } = server.baton.services;
      const seen: string[] = [];
      const unsubscribe = settings.subscribe((s) => seen.push(s.meta.senderName));
      await su('PATCH', '/api/settings', { meta: { senderName: 'Told' } });
      unsubscribe();
      await su('PATCH', '/api/settings', { meta: { senderName: 'Team' } });
      expect(seen).toEqual(['Told']);
      expect(settings.get().meta.senderName).toBe('Team');
      expect(Object.isFrozen(settings.get().meta)).toBe(true);
      expect(Object.isFrozen(settings.get().rateLimits.rules[0])).toBe(true);
    });

    describe('refuses what cannot be decoded with "An error occurred while loading the submitted data."', () => {
      const cases: Array<[string, unknown]> = [
        ['a string for a number', { smtp: { port: '25' } }],
        ['a fraction for an integer', { batch: { timeout: 1.5 } }],
        ['a number for a string', { meta: { appName: 5 } }],
        ['a string for a boolean', { s3: { enabled: 'true' } }],
        ['an object for a list', { superuserIPs: { 0: '1.2.3.4' } }],
        ['a number in a list of strings', { rateLimits: { excludedIPs: [1] } }],
        ['a list for an object', { meta: [] }],
        ['a list as the body', [{ meta: { appName: 'x' } }]],
      ];
      for (const [name, body] of cases) {
        it(name, async () => {
          const before = await stored(server);
          const res = await su('PATCH', '/api/settings', body);
          expect(res.status).toBe(400);
          expect(res.body).toEqual({ status: 400, message: LOAD_FAILED, data: {} });
          expect(await stored(server)).toEqual(before);
        });
      }
    });

    describe('validates as PocketBase does, refuses with the field errors, and saves nothing', () => {
      const long = 'a'.repeat(256);
      const cases: Array<[string, unknown, object]> = [
        ['meta.appName required', { meta: { appName: '' } }, { meta: { appName: required } }],
        [
          'meta.appName at most 255 bytes',
          { meta: { appName: long } },
          { meta: { appName: { code: 'validation_length_out_of_range', message: 'The length must be between 1 and 255.', params: { min: 1, max: 255 } } } },
        ],
        ['meta.appURL a URL', { meta: { appURL: 'not a url' } }, { meta: { appURL: badUrl } }],
        ['meta.appURL required', { meta: { appURL: '' } }, { meta: { appURL: required } }],
        ['meta.senderName required', { meta: { senderName: '' } }, { meta: { senderName: required } }],
        [
          'meta.senderAddress an email',
          { meta: { senderAddress: 'nope' } },
          { meta: { senderAddress: { code: 'validation_is_email', message: 'Must be a valid email address.' } } },
        ],
        [
          'meta.accentColor 7 characters',
          { meta: { accentColor: '#fff' } },
          { meta: { accentColor: { code: 'validation_length_invalid', message: 'The length must be exactly 7.', params: { min: 7, max: 7 } } } },
        ],
        [
          'meta.accentColor a hex color',
          { meta: { accentColor: '#gggggg' } },
          { meta: { accentColor: { code: 'validation_is_hex_color', message: 'Must be a valid hex color code.' } } },
        ],
        ['smtp host and port required when enabled', { smtp: { enabled: true, host: '', port: 0 } }, { smtp: { host: required, port: required } }],
        [
          'smtp host, port, authMethod and localName forms',
          { smtp: { host: 'bad host!', port: -1, authMethod: 'CRAM-MD5', localName: 'x y' } },
          { smtp: { host: badHost, port: minimum(0), authMethod: notInList, localName: badHost } },
        ],
        [
          's3 settings required when enabled (the secret too, once cleared)',
          { s3: { enabled: true, secret: '' } },
          { s3: { endpoint: required, bucket: required, region: required, accessKey: required, secret: required } },
        ],
        ['s3.endpoint a URL even when disabled', { s3: { endpoint: 'not a url' } }, { s3: { endpoint: badUrl } }],
        ['backups.s3 validated like s3', { backups: { s3: { enabled: true, bucket: 'b', region: 'r', endpoint: 'http://x.example.com', accessKey: 'a', secret: '' } } }, { backups: { s3: { secret: required } } }],
        [
          'backups.cron five segments or a macro',
          { backups: { cron: 'invalid' } },
          { backups: { cron: badCron('Invalid cron expression - must be a valid macro or to have exactly 5 space separated segments.') } },
        ],
        [
          'backups.cron step boundaries',
          { backups: { cron: '*/0 * * * *' } },
          { backups: { cron: badCron('Invalid segment step boundary - the step must be between 1 and the 59.') } },
        ],
        [
          'backups.cron numbers',
          { backups: { cron: 'x * * * *' } },
          { backups: { cron: badCron('Strconv.Atoi: parsing "x": invalid syntax.') } },
        ],
        [
          'backups.cron ranges',
          { backups: { cron: '0 0 0 * *' } },
          { backups: { cron: badCron('Invalid segment value - must be between the min and max of the segment.') } },
        ],
        ['backups.cronMaxKeep required with a cron', { backups: { cron: '@daily', cronMaxKeep: 0 } }, { backups: { cronMaxKeep: required } }],
        ['backups.cronMaxKeep at least 1', { backups: { cronMaxKeep: -1 } }, { backups: { cronMaxKeep: minimum(1) } }],
        ['batch limits required when enabled', { batch: { enabled: true, maxRequests: 0, timeout: 0 } }, { batch: { maxRequests: required, timeout: required } }],
        ['batch sizes not negative', { batch: { maxRequests: -1, timeout: -1, maxBodySize: -1 } }, { batch: { maxRequests: minimum(0), timeout: minimum(0), maxBodySize: minimum(0) } }],
        ['logs.maxDays not negative', { logs: { maxDays: -1 } }, { logs: { maxDays: minimum(0) } }],
        ['rateLimits.rules required when enabled', { rateLimits: { enabled: true, rules: [] } }, { rateLimits: { rules: required } }],
        [
          'rate limit labels',
          { rateLimits: { rules: [rule('bad label!'), rule('*'), rule('api/x'), rule('')] } },
          {
            rateLimits: {
              rules: {
                0: { label: { code: 'validation_match_invalid', message: 'Must be in a valid format.' } },
                1: { label: { code: 'validation_match_invalid', message: 'Must be in a valid format.' } },
                2: { label: { code: 'validation_match_invalid', message: 'Must be in a valid format.' } },
                3: { label: required },
              },
            },
          },
        ],
        [
          'rate limit maxRequests and duration at least 1, audience known',
          { rateLimits: { rules: [rule('a', { maxRequests: 0, duration: -1 }), rule('b', { maxRequests: -2, audience: '@nobody' })] } },
          {
            rateLimits: {
              rules: { 0: { maxRequests: required, duration: minimum(1) }, 1: { maxRequests: minimum(1), audience: notInList } },
            },
          },
        ],
        [
          'conflicting rate limit rules (validation_conflicting_rate_limit_rule)',
          { rateLimits: { rules: [rule('test'), rule('other'), rule('test', { audience: '@guest' })] } },
          {
            rateLimits: {
              rules: {
                2: {
                  label: {
                    code: 'validation_conflicting_rate_limit_rule',
                    message: 'Rate limit rule configuration with label test already exists or conflicts with another rule.',
                    params: { label: 'test' },
                  },
                },
              },
            },
          },
        ],
        [
          'excludedIPs are IPs or subnets',
          { rateLimits: { excludedIPs: ['nope', '', '1.2.3.4/33', '10.0.0.1'] } },
          { rateLimits: { excludedIPs: { 0: badIp, 1: required, 2: badIp } } },
        ],
        ['superuserIPs are IPs or subnets', { superuserIPs: ['::1', '300.1.1.1', 'fe80::/129'] }, { superuserIPs: { 1: badIp, 2: badIp } }],
        [
          'several sections at once',
          { meta: { appName: '' }, logs: { maxDays: -1 }, rateLimits: { excludedIPs: ['x'] } },
          { meta: { appName: required }, logs: { maxDays: minimum(0) }, rateLimits: { excludedIPs: { 0: badIp } } },
        ],
      ];
      for (const [name, body, data] of cases) {
        it(name, async () => {
          const before = await stored(server);
          const view = (await su('GET', '/api/settings')).body;
          const res = await su('PATCH', '/api/settings', body);
          expect(res.status, JSON.stringify(res.body)).toBe(400);
          expect(res.body).toEqual({ status: 400, message: SAVE_FAILED, data });
          expect(await stored(server)).toEqual(before);
          expect((await su('GET', '/api/settings')).body).toEqual(view);
        });
      }
    });
  });

  describe('POST /api/settings/test/s3', () => {
    let s3: TestS3Server;
    const BUCKET = 'baton-settings-test';
    const s3Settings = (extra: object = {}) => ({
      enabled: true,
      bucket: BUCKET,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secret: s3.secret,
      forcePathStyle: true,
      ...extra,
    });
    const rawError = (detail: string) => `${S3_FAILED} Raw error: \n${detail}`;

    beforeAll(async () => {
      s3 = await startS3Server([BUCKET]);
    });
    afterAll(() => s3?.close());

    it('wants a filesystem, "storage" or "backups"', async () => {
      const missing = await su('POST', '/api/settings/test/s3');
      expect(missing.body).toEqual({ status: 400, message: S3_FAILED, data: { filesystem: required } });
      const other = await su('POST', '/api/settings/test/s3', { filesystem: 'invalid' });
      expect(other.body).toEqual({ status: 400, message: S3_FAILED, data: { filesystem: notInList } });
      const wrongType = await su('POST', '/api/settings/test/s3', { filesystem: 1 });
      expect(wrongType.body).toEqual({ status: 400, message: LOAD_FAILED, data: {} });
    });

    it('refuses a filesystem whose S3 is not enabled', async () => {
      const res = await su('POST', '/api/settings/test/s3', { filesystem: 'storage' });
      expect(res.body).toEqual({ status: 400, message: rawError('S3 storage filesystem is not enabled.'), data: {} });
    });

    it('writes, lists and deletes a test file with the stored settings: 204, bucket left empty', async () => {
      expect((await su('PATCH', '/api/settings', { s3: s3Settings() })).status).toBe(200);
      const res = await su('POST', '/api/settings/test/s3', { filesystem: 'storage' });
      expect(res.status, JSON.stringify(res.body)).toBe(204);
      expect(s3.bucketEntries(BUCKET).filter((e) => e.includes('test.txt'))).toEqual([]);
    });

    it('the backups filesystem uses backups.s3: a missing bucket fails with the raw S3 error', async () => {
      expect((await su('PATCH', '/api/settings', { backups: { s3: s3Settings({ bucket: 'no-such-bucket' }) } })).status).toBe(200);
      const res = await su('POST', '/api/settings/test/s3', { filesystem: 'backups' });
      expect(res.status).toBe(400);
      expect(res.body.data).toEqual({});
      expect(res.body.message).toMatch(/^Failed to test the S3 filesystem\. Raw error: \nfailed to upload a test file: 404 NoSuchBucket: /);
    });

    it('wrong credentials fail with the raw S3 error', async () => {
      expect((await su('PATCH', '/api/settings', { backups: { s3: s3Settings({ accessKey: 'WRONG' }) } })).status).toBe(200);
      const res = await su('POST', '/api/settings/test/s3', { filesystem: 'backups' });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^Failed to test the S3 filesystem\. Raw error: \nfailed to upload a test file: 403 InvalidAccessKeyId: /);
    });

    it('an unreachable endpoint fails with the connection error', async () => {
      expect((await su('PATCH', '/api/settings', { backups: { s3: s3Settings({ endpoint: 'http://127.0.0.1:9' }) } })).status).toBe(200);
      const res = await su('POST', '/api/settings/test/s3', { filesystem: 'backups' });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^Failed to test the S3 filesystem\. Raw error: \nfailed to upload a test file: /);
    });
  });
});

describeFixture("PocketBase's test data directory", () => {
  let server: TestServer;
  let pb: PocketBase;

  beforeAll(async () => {
    server = await startServer({ fixture: true });
    pb = new PocketBase(server.url);
    pb.autoCancellation(false);
    pb.authStore.save(server.superuserToken);
  });
  afterAll(() => server?.close());

  it('reads the stored settings as they are (pb.settings.getAll)', async () => {
    const settings = await pb.settings.getAll();
    expect(settings.meta).toMatchObject({ appName: 'acme_test', appURL: 'http://localhost:8090' });
    expect(settings.batch).toEqual({ enabled: true, maxRequests: 50, timeout: 5, maxBodySize: 0 });
    expect(settings.logs.logIP).toBe(false);
    // Stored as 0 (no cron): kept, not replaced by the default 3.
    expect(settings.backups.cronMaxKeep).toBe(0);
    expect(settings.rateLimits).toEqual(DEFAULT_VIEW.rateLimits);
    expect(settings.smtp).not.toHaveProperty('password');
    expect(Object.keys(settings)).toEqual(Object.keys(DEFAULT_VIEW));
  });

  it('updates through pb.settings.update and keeps what the patch leaves out', async () => {
    const updated = await pb.settings.update({ meta: { appName: 'sdk_test' }, smtp: { password: 'p4ss' } });
    expect(updated.meta).toMatchObject({ appName: 'sdk_test', senderName: 'Support' });
    expect(updated.batch.enabled).toBe(true);
    expect(updated.smtp).not.toHaveProperty('password');
    const value = await stored(server);
    expect(value.meta.appName).toBe('sdk_test');
    expect(value.smtp.password).toBe('p4ss');
    expect(value.batch.timeout).toBe(5);
    expect((await pb.settings.getAll()).meta.appName).toBe('sdk_test');
  });

  it('reports validation errors through ClientResponseError', async () => {
    const err = await pb.settings.update({ meta: { appName: '' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientResponseError);
    expect((err as ClientResponseError).status).toBe(400);
    expect((err as ClientResponseError).response).toEqual({ status: 400, message: SAVE_FAILED, data: { meta: { appName: required } } });
  });

  it('pb.settings.testS3 reaches the endpoint (refused: S3 not enabled in the fixture)', async () => {
    const err = await pb.settings.testS3('storage').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientResponseError);
    expect((err as ClientResponseError).response.message).toBe(`${S3_FAILED} Raw error: \nS3 storage filesystem is not enabled.`);
  });
});
