// `baton migrate copy`: PocketBase's fixture from its SQLite directory to a server database and back,
// with the same API answers (PocketBase's own tokens and passwords included) and identical checksums.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CopyError } from '../src/cli/migrate-copy-tables.ts';
import { copyBaton, type CopyReport } from '../src/cli/migrate-copy.ts';
import { openBaton, type Baton } from '../src/cli/wire.ts';
import { openDatabases } from '../src/db/open.ts';
import { sql } from '../src/db/sql.ts';
import { buildServer } from '../src/http/server.ts';
import { systemContext, type RequestContext } from '../src/domain/context.ts';
import { silentLogger } from '../src/kernel/logger.ts';
import { api } from './support/baton.ts';
import { ROOT, run, tempDirs } from './support/cli.ts';
import { createTestDatabase, TEST_DIALECT, TEST_SERVER_URLS, type TestDatabase } from './support/databases.ts';
import { describeFixture, fixtureDir } from './support/fixture.ts';
import { onlyIf } from './support/only-if.ts';
import { auxiliaryLogs, BATON_LOGS_INDEXES, pendingPocketBaseMigrations, POCKETBASE_LOGS_TABLE } from './support/pocketbase-migrations.ts';

// PocketBase's own long-lived tokens for the fixture (see test/fixture.test.ts): valid only if the
// tokenKeys and collection secrets survive the copy.
const SUPERUSER_TOKEN =
  'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6InN5d2JoZWNuaDQ2cmhtMCIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoicGJjXzMxNDI2MzU4MjMiLCJleHAiOjI1MjQ2MDQ0NjEsInJlZnJlc2hhYmxlIjp0cnVlfQ.UXgO3j-0BumcugrFjbd7j0M4MQvbrLggLlcu_YNGjoY';
const USER_TOKEN =
  'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjRxMXhsY2xtZmxva3UzMyIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoiX3BiX3VzZXJzX2F1dGhfIiwiZXhwIjoyNTI0NjA0NDYxLCJyZWZyZXNoYWJsZSI6dHJ1ZX0.ZT3F0Z3iM-xbGgSG3LEKiEzHrPHr8t8IuHLZGGNuxLo';

/** Settings as PocketBase stores them when started with an encryption key: not JSON. */
const ENCRYPTED = 'q2FbQ0VZkO8mP6dWwZb4pQ==.aGVsbG8gZW5jcnlwdGVkIHNldHRpbmdz';

const NUMERIC_ID_FILTER = `/api/collections/numeric_id_view/records?filter=${encodeURIComponent("id != '' && id = '2'")}`;

const REQUESTS: Array<{ path: string; token?: string }> = [
  { path: '/api/collections?sort=name&perPage=100', token: SUPERUSER_TOKEN },
  { path: '/api/collections/demo1/records?sort=id', token: SUPERUSER_TOKEN },
  { path: '/api/collections/demo1/records/84nmscqy84lsi1t?expand=rel_one,rel_many', token: SUPERUSER_TOKEN },
  { path: '/api/collections/demo1/records?filter=' + encodeURIComponent('text ~ "test" && bool = true') + '&sort=-created,id', token: SUPERUSER_TOKEN },
  { path: '/api/collections/demo2/records?sort=-title' },
  // Unsorted: in insertion order (demo2's and demo3's are not their ids' order), which the copy keeps.
  { path: '/api/collections/demo2/records' },
  { path: '/api/collections/demo3/records', token: SUPERUSER_TOKEN },
  { path: '/api/collections/users/records?sort=id', token: SUPERUSER_TOKEN },
  { path: '/api/collections/users/records/4q1xlclmfloku33', token: USER_TOKEN },
  { path: '/api/collections/view1/records?sort=id', token: SUPERUSER_TOKEN },
  { path: '/api/collections/view2/records?sort=id', token: SUPERUSER_TOKEN },
  { path: '/api/collections/numeric_id_view/records?sort=email', token: SUPERUSER_TOKEN },
  // Its id is ROW_NUMBER(): a view casts it to text, as PocketBase's does.
  { path: '/api/collections/numeric_id_view/records/1', token: SUPERUSER_TOKEN },
  { path: NUMERIC_ID_FILTER, token: SUPERUSER_TOKEN },
  { path: '/api/settings', token: SUPERUSER_TOKEN },
];

const tempDir = tempDirs('baton-migrate-');
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const db of databases) await db.drop().catch(() => undefined);
});

/** A writable copy of the fixture: the shared one must never change. */
function fixtureCopy(): string {
  const dir = tempDir();
  cpSync(fixtureDir(), dir, { recursive: true });
  return dir;
}

async function testDatabase(kind: 'postgres' | 'mysql'): Promise<string> {
  const db = await createTestDatabase(kind);
  databases.push(db);
  return db.url!;
}

/** A new data directory, set up by `fn` as a superuser would through the API. */
async function batonDir(fn: (services: Baton['services'], ctx: RequestContext) => Promise<void>): Promise<string> {
  const dir = tempDir();
  const baton = await openBaton({ dataDir: dir, logger: silentLogger });
  try {
    const superusers = baton.services.schema.find('_superusers')!;
    await fn(baton.services, systemContext(silentLogger, { kind: 'superuser', collection: superusers, record: {} }));
  } finally {
    await baton.close();
  }
  return dir;
}

/**
 * A directory whose rows hold what SQLite keeps but a typed column does not: text that is not JSON
 * in a JSON column, '' in a number one, 'yes' in a boolean one, and PocketBase's encrypted
 * settings (text, not JSON) in `_params`.
 */
async function looselyTypedDir(): Promise<string> {
  const dir = await batonDir(async (services, ctx) => {
    await services.collections.create(ctx, {
      name: 'loose',
      type: 'base',
      fields: [{ type: 'json', name: 'data' }, { type: 'number', name: 'n' }, { type: 'bool', name: 'b' }],
    });
    for (const id of ['loose0000000001', 'loose0000000002', 'loose0000000003']) await services.records.create(ctx, 'loose', { body: { id, data: { a: 1 } }, source: 'json' });
  });
  const db = await openDatabases({ dataDir: dir });
  try {
    await db.data.run(sql`UPDATE loose SET data = ${'not json'}, n = ${''}, b = ${'yes'} WHERE id = ${'loose0000000002'}`);
    await db.data.run(sql`UPDATE loose SET data = ${''} WHERE id = ${'loose0000000003'}`);
    await db.data.run(sql`INSERT INTO _params (id, value, created, updated) VALUES (${'encrypted'}, ${ENCRYPTED}, ${''}, ${''})`);
  } finally {
    await db.close();
  }
  return dir;
}

/** Rows as SQLite stores them (no normalisation). */
async function storedRows(dir: string): Promise<unknown[]> {
  const db = await openDatabases({ dataDir: dir });
  try {
    return [
      ...(await db.data.all(sql`SELECT id, data, n, b FROM loose ORDER BY id`)),
      ...(await db.data.all(sql`SELECT id, value FROM _params WHERE id = ${'encrypted'}`)),
    ];
  } finally {
    await db.close();
  }
}

/** Serves a Baton, answers the requests (and a password login), and stops it again. */
async function answers(dataDir: string, db?: string): Promise<Record<string, { status: number; body: unknown }>> {
  const baton = await openBaton({ dataDir, db, logger: silentLogger });
  const server = await buildServer(baton.services, { maxBodySize: 32 << 20, logger: pino({ level: 'silent' }) });
  try {
    await server.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(server.addresses()[0] as AddressInfo).port}`;
    const out: Record<string, { status: number; body: unknown }> = {};
    for (const r of REQUESTS) {
      const res = await api({ url }, 'GET', r.path, { token: r.token });
      out[r.path] = { status: res.status, body: res.body };
    }
    // clients: the fixture's users has MFA on, and its first factor would add a _mfas row. The
    // sign-in does record its origin (_authOrigins), as in PocketBase.
    const login = await api({ url }, 'POST', '/api/collections/clients/auth-with-password', {
      body: { identity: 'test@example.com', password: '1234567890' },
    });
    // The token is signed at login time; the record is what must not change.
    out.login = { status: login.status, body: login.body?.record };
    return out;
  } finally {
    await server.close();
    await baton.close();
  }
}

const checksums = (report: CopyReport, end: 'source' | 'target') =>
  Object.fromEntries(report.tables.filter((t) => t.kind !== 'view').map((t) => [t.label, end === 'source' ? t.sourceChecksum : t.targetChecksum]));

/** Why a server database cannot be used here, or undefined when it answers. */
async function unavailable(kind: 'postgres' | 'mysql'): Promise<string | undefined> {
  if (kind === 'mysql' && !existsSync(path.join(ROOT, 'src/db/dialects/mysql-database.ts'))) return 'the MySQL dialect is not there yet';
  try {
    const db = await createTestDatabase(kind);
    await db.drop();
    return undefined;
  } catch (e) {
    return `${TEST_SERVER_URLS[kind]} does not answer (${(e as Error).message})`;
  }
}

// The SQLite run covers every server database; a dialect's own run covers only that one.
const SERVER_KINDS = (['postgres', 'mysql'] as const).filter((k) => TEST_DIALECT === 'sqlite' || TEST_DIALECT === k);
const skipReasons = new Map<string, string | undefined>();
for (const kind of SERVER_KINDS) {
  const reason = await unavailable(kind);
  skipReasons.set(kind, reason);
  if (reason) console.log(`skipped: migrate copy to ${kind}: ${reason}`);
}

// Directory to directory involves no server database: it runs once, in the SQLite project.
onlyIf(TEST_DIALECT === 'sqlite', describeFixture)('migrate copy between data directories', () => {
  it('copies a directory to a directory with storage/, in small batches, and refuses to overwrite it', async () => {
    const source = fixtureCopy();
    const target = path.join(tempDir(), 'copy');
    const lines: string[] = [];
    const report = await copyBaton({ from: { dir: source }, to: { dir: target }, log: (l) => lines.push(l), batchSize: 2 });
    expect(report.ok).toBe(true);
    expect(report.transactional).toBe(true);
    expect(report.storage.copied).toBe(true);
    expect(readdirSync(path.join(target, 'storage')).sort()).toEqual(readdirSync(path.join(source, 'storage')).sort());
    expect(report.tables.map((t) => t.label)).toEqual(expect.arrayContaining(['_collections', '_params', '_migrations', 'demo1', '_logs', '_migrations (auxiliary.db)', 'view1 (view)']));
    expect(lines).toContain('copied demo1: 3/3 rows');
    expect(await answers(target)).toEqual(await answers(source));

    await expect(copyBaton({ from: { dir: source }, to: { dir: target }, log: () => undefined })).rejects.toThrow(/not empty.*--force/);
    await expect(copyBaton({ from: { dir: source }, to: { dir: source }, log: () => undefined })).rejects.toThrow(CopyError);
  });

  it('copies values as stored: text that is not JSON in a JSON column, encrypted settings, text in number and boolean columns', async () => {
    const source = await looselyTypedDir();
    const target = path.join(tempDir(), 'copy');
    const report = await copyBaton({ from: { dir: source }, to: { dir: target }, log: () => undefined });
    expect(report.ok).toBe(true);
    const stored = await storedRows(source);
    expect(stored).toContainEqual({ id: 'loose0000000002', data: 'not json', n: '', b: 'yes' });
    expect(stored).toContainEqual({ id: 'encrypted', value: ENCRYPTED });
    expect(await storedRows(target)).toEqual(stored);
  });

  it('runs as `baton migrate copy` with plain progress lines and a verification table', async () => {
    const source = fixtureCopy();
    const target = path.join(tempDir(), 'copy');
    const first = await run(['migrate', 'copy', `--from=${source}`, `--to=${target}`]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).not.toContain('\r');
    expect(first.stdout).toContain('copied demo1: 3/3 rows');
    expect(first.stdout).toMatch(/^table +source rows +target rows +checksum +result$/m);
    expect(first.stdout).toMatch(/^demo1 +3 +3 +[0-9a-f]{16} +ok$/m);
    expect(first.stdout).toContain('copy verified');

    const refused = await run(['migrate', 'copy', `--from=${source}`, `--to=${target}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: the target .* is not empty.*--force/);
    const forced = await run(['migrate', 'copy', `--from=${source}`, `--to=${target}`, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("dropped the target's Baton");

    const usage = await run(['migrate', 'copy', `--from=${source}`]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('needs --from and --to');
  });
});

/** A directory with a collection `bulk` of `rows` records: a copy long enough to interrupt. */
async function bulkDir(rows: number): Promise<string> {
  const dir = await batonDir(async (services, ctx) => {
    await services.collections.create(ctx, { name: 'bulk', type: 'base', fields: [{ type: 'text', name: 'title' }] });
  });
  const db = await openDatabases({ dataDir: dir });
  try {
    await db.data.run(sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
      INSERT INTO bulk (id, title) SELECT printf('bulk%011d', i), printf('title %d', i) FROM n`);
  } finally {
    await db.close();
  }
  return dir;
}

/** `baton migrate copy …args`, sent `signal` once it has printed its first progress line. */
function interruptedCopy(args: string[], signal: NodeJS.Signals): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/baton.js'), 'migrate', 'copy', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (/^copied /m.test(stdout) && child.signalCode === null && !child.killed) child.kill(signal);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

onlyIf(TEST_DIALECT === 'sqlite', describe)('migrate copy interrupted', () => {
  it.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('%s into a new directory removes it; into an existing Baton (--force) leaves it as it was', async (signal, code) => {
    const source = await bulkDir(200_000);
    const target = path.join(tempDir(), 'new', 'copy');
    const stopped = await interruptedCopy([`--from=${source}`, `--to=${target}`], signal);
    expect(stopped.stdout).toMatch(/^copied _collections: /m);
    // The 6 default collections and bulk; with _collections, _params, _migrations, _logs and auxiliary.db's _migrations.
    expect(stopped.stdout).toContain(": 7 collections and 0 views (12 tables with Baton's system tables)\n");
    expect(stopped.stderr).toMatch(new RegExp(`^\\n${signal}: stopping the copy.*\\nerror: interrupted \\(${signal}\\)\\n$`));
    expect(stopped.code).toBe(code);
    expect(existsSync(path.dirname(target))).toBe(false);

    const existing = await looselyTypedDir();
    const before = await storedRows(existing);
    const again = await interruptedCopy([`--from=${source}`, `--to=${existing}`, '--force'], signal);
    expect(again.code).toBe(code);
    expect(await storedRows(existing)).toEqual(before);
  });
});

for (const kind of SERVER_KINDS) {
  describeFixture(`migrate copy through ${kind}`, () => {
    const skip = skipReasons.get(kind) !== undefined;

    it.skipIf(skip)('round-trips the fixture: directory -> server -> directory, same answers and checksums', async () => {
      const dir = fixtureCopy();
      const before = await answers(dir);
      expect(before['/api/collections/numeric_id_view/records/1']).toMatchObject({ status: 200, body: { id: '1', email: 'test@example.com' } });
      expect(before[NUMERIC_ID_FILTER]).toMatchObject({ status: 200, body: { totalItems: 1, items: [{ id: '2', email: 'test2@example.com' }] } });
      const url = await testDatabase(kind);

      const there = await copyBaton({ from: { dir }, to: { url }, log: () => undefined });
      expect(there.failedViews).toEqual([]);
      expect(there.tables.filter((t) => !t.ok)).toEqual([]);
      expect(there.ok).toBe(true);
      expect(there.transactional).toBe(kind === 'postgres');
      expect(there.storage.copied).toBe(false);
      // Served from the database, with the files from the directory: PocketBase's tokens still work.
      expect(await answers(dir, url)).toEqual(before);

      const back = path.join(tempDir(), 'back');
      // Small batches: the server's row order (PostgreSQL's ctid, MySQL's hidden row id) is paged through.
      const returned = await copyBaton({ from: { url }, to: { dir: back }, log: () => undefined, batchSize: 2 });
      expect(returned.ok).toBe(true);
      expect(checksums(returned, 'target')).toEqual(checksums(returned, 'source'));
      // Full circle: the same data as the fixture, but for what the sign-in in `answers` wrote on
      // the server (its origin in _authOrigins, as PocketBase records one too) and the request
      // logs (`_logs`: the requests served, and the fixture's entries past maxDays deleted).
      const { _authOrigins: _a, _logs: _l1, ...roundTrip } = checksums(returned, 'target');
      const { _authOrigins: _b, _logs: _l2, ...original } = checksums(there, 'source');
      expect(roundTrip).toEqual(original);
      expect(await answers(back)).toEqual(before);
    });

    it.skipIf(skip)('refuses a non-empty target without --force; --force replaces only Baton tables', async () => {
      const dir = fixtureCopy();
      const url = await testDatabase(kind);
      await copyBaton({ from: { dir }, to: { url }, log: () => undefined });
      const target = await openDatabases({ url, dataDir: dir });
      try {
        await target.data.run(sql`CREATE TABLE keep_me (id INTEGER)`);
        await target.data.run(sql`INSERT INTO keep_me (id) VALUES (7)`);
      } finally {
        await target.close();
      }
      await expect(copyBaton({ from: { dir }, to: { url }, log: () => undefined })).rejects.toThrow(/is not empty.*--force/);

      // Replace it with a fresh Baton (system collections only), then with the fixture again.
      const fresh = tempDir();
      await (await openBaton({ dataDir: fresh, logger: silentLogger })).close();
      const lines: string[] = [];
      const replaced = await copyBaton({ from: { dir: fresh }, to: { url }, force: true, log: (l) => lines.push(l) });
      expect(replaced.ok).toBe(true);
      expect(lines.some((l) => l.startsWith("dropped the target's Baton"))).toBe(true);
      const check = await openDatabases({ url, dataDir: dir });
      try {
        const names = (await check.data.all<{ name: string }>(sql`SELECT name FROM _collections`)).map((r) => r.name);
        expect(names).not.toContain('demo1');
        expect(await check.data.all(check.data.dialect.tableColumns('demo1'))).toEqual([]);
        expect(await check.data.all(sql`SELECT id FROM keep_me`, { id: 'number' })).toEqual([{ id: 7 }]);
      } finally {
        await check.close();
      }
      const again = await copyBaton({ from: { dir }, to: { url }, force: true, log: () => undefined });
      expect(again.ok).toBe(true);
    });

    it.skipIf(skip)('refuses one database named two ways, even with --force, and changes nothing; copies between two databases of one server', async () => {
      const dir = fixtureCopy();
      const url = await testDatabase(kind);
      await copyBaton({ from: { dir }, to: { url }, log: () => undefined });
      // The same database through another host name and without the default port.
      const alias = new URL(url);
      alias.hostname = alias.hostname === 'localhost' ? '127.0.0.1' : alias.hostname === '127.0.0.1' ? 'localhost' : alias.hostname;
      if (alias.port === (kind === 'postgres' ? '5432' : '3306')) alias.port = '';
      expect(alias.toString()).not.toBe(url);
      await expect(copyBaton({ from: { url }, to: { url: alias.toString() }, force: true, log: () => undefined })).rejects.toThrow(/--from and --to are the same database/);
      const res = await run(['migrate', 'copy', `--from=${alias.toString()}`, `--to=${url}`, '--force']);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/^error: --from and --to are the same database/);
      const check = await openDatabases({ url, dataDir: dir });
      try {
        expect(await check.data.all(sql`SELECT id FROM demo1`)).toHaveLength(3);
        // The probe table is gone.
        expect(await check.data.all(sql`SELECT table_name AS name FROM information_schema.tables WHERE table_name LIKE ${'\\_baton\\_copy\\_probe%'}`)).toEqual([]);
      } finally {
        await check.close();
      }
      // Another database on the same server is another Baton.
      const other = await testDatabase(kind);
      const copied = await copyBaton({ from: { url }, to: { url: other }, log: () => undefined });
      expect(copied.ok).toBe(true);
      expect(checksums(copied, 'target')).toEqual(checksums(copied, 'source'));
    });

    it.skipIf(skip)('never writes beside a table it does not own', async () => {
      const dir = fixtureCopy();
      const url = await testDatabase(kind);
      const target = await openDatabases({ url, dataDir: dir });
      try {
        await target.data.run(sql`CREATE TABLE demo1 (id INTEGER)`);
      } finally {
        await target.close();
      }
      await expect(copyBaton({ from: { dir }, to: { url }, force: true, log: () => undefined })).rejects.toThrow(/already has a table or view named demo1/);
    });

    it.skipIf(skip)('reports a view the target refuses, copies the rest, and exits non-zero', async () => {
      // printf() is SQLite's: neither PostgreSQL nor MySQL knows it.
      const viewQuery = "SELECT id, printf('%05d', 7) AS code FROM users";
      const dir = await batonDir(async (services, ctx) => {
        await services.collections.create(ctx, { name: 'only_sqlite', type: 'view', viewQuery });
      });
      const url = await testDatabase(kind);
      const lines: string[] = [];
      const report = await copyBaton({ from: { dir }, to: { url }, log: (l) => lines.push(l) });
      expect(report.ok).toBe(false);
      expect(report.failedViews.map((v) => v.name)).toEqual(['only_sqlite']);
      expect(report.tables.filter((t) => !t.ok).map((t) => t.label)).toEqual(['only_sqlite (view)']);
      expect(lines.some((l) => /^view only_sqlite NOT created: .* refused its query/.test(l))).toBe(true);
      expect(lines.some((l) => l.startsWith('files: '))).toBe(true);
      // Everything else is there and served.
      const res = await run(['migrate', 'copy', `--from=${dir}`, `--to=${url}`, '--force']);
      expect(res.code).toBe(1);
      expect(res.stdout).toMatch(/^only_sqlite \(view\) +0 +missing +\(rows only\) +DIFFERS$/m);
    });

    it.skipIf(skip)('names a value the target cannot store; a failed copy leaves a transactional target empty', async () => {
      const dir = await batonDir(async (services, ctx) => {
        await services.collections.create(ctx, { name: 'notes', type: 'base', fields: [{ type: 'text', name: 'body' }] });
        await services.records.create(ctx, 'notes', { body: { id: 'nul000000000000', body: 'a\u0000b' }, source: 'json' });
      });
      const url = await testDatabase(kind);
      const copy = copyBaton({ from: { dir }, to: { url }, log: () => undefined });
      if (kind === 'mysql') {
        expect((await copy).ok).toBe(true); // MySQL's text holds U+0000
        return;
      }
      await expect(copy).rejects.toThrow('notes: body of row nul000000000000 holds the character U+0000');
      const target = await openDatabases({ url, dataDir: dir });
      try {
        expect(await target.data.all(target.data.dialect.tableColumns('_collections'))).toEqual([]);
      } finally {
        await target.close();
      }
    });

    // Only MySQL keeps what a failed copy wrote (SQLite and PostgreSQL roll the whole copy back): a test of MySQL targets only.
    if (kind === 'mysql') it.skipIf(skip)('marks a target a copy failed to finish, which serving then refuses; names the record refused', async () => {
      const dir = await batonDir(async (services, ctx) => {
        await services.collections.create(ctx, { name: 'notes', type: 'base', fields: [{ type: 'date', name: 'due' }] });
        for (const id of ['note00000000001', 'note00000000002', 'note00000000003']) {
          await services.records.create(ctx, 'notes', { body: { id }, source: 'json' });
        }
      });
      // SQLite stores any text in a date column; MySQL's holds 255 characters.
      const source = await openDatabases({ dataDir: dir });
      try {
        await source.data.run(sql`UPDATE notes SET due = ${'x'.repeat(300)} WHERE id = ${'note00000000002'}`);
      } finally {
        await source.close();
      }
      const url = await testDatabase(kind);
      const failed = await run(['migrate', 'copy', `--from=${dir}`, `--to=${url}`]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/^error: notes: record note00000000002: mysql refused it: .*Data too long/);
      expect(failed.stderr).toMatch(/partly written and marked as an unfinished copy.*run `node bin\/baton\.js migrate copy --from=.* --to=.* --force` again\n$/);
      await expect(openBaton({ dataDir: tempDir(), db: url, logger: silentLogger })).rejects.toThrow(
        /holds a copy that did not finish .*Run `baton migrate copy --from=… --to=… --force` again/,
      );
      const superuser = await run(['superuser', 'upsert', 'a@example.com', '1234567890', `--db=${url}`, `--dir=${tempDir()}`]);
      expect(superuser.code).not.toBe(0);
      expect(superuser.stderr).toContain('holds a copy that did not finish');
      await expect(copyBaton({ from: { url }, to: { dir: path.join(tempDir(), 'x') }, log: () => undefined })).rejects.toThrow(/holds a copy that did not finish/);

      // Fixed on the source and copied again: served.
      const fixed = await openDatabases({ dataDir: dir });
      try {
        await fixed.data.run(sql`UPDATE notes SET due = '' WHERE id = ${'note00000000002'}`);
      } finally {
        await fixed.close();
      }
      expect((await copyBaton({ from: { dir }, to: { url }, force: true, log: () => undefined })).ok).toBe(true);
      await (await openBaton({ dataDir: tempDir(), db: url, logger: silentLogger })).close();
    });

    it.skipIf(skip)('refuses text that is not JSON for a JSON column, naming it; the checksum tells a number or boolean the copy changed', async () => {
      const dir = await looselyTypedDir();
      const copy = (url: string) => copyBaton({ from: { dir }, to: { url }, log: () => undefined });
      await expect(copy(await testDatabase(kind))).rejects.toThrow(/^_params: value of row with id encrypted holds text that is not JSON \("q2FbQ0VZ/);
      const db = await openDatabases({ dataDir: dir });
      try {
        await db.data.run(sql`DELETE FROM _params WHERE id = ${'encrypted'}`);
      } finally {
        await db.close();
      }
      await expect(copy(await testDatabase(kind))).rejects.toThrow(/^loose: data of record loose0000000002 holds text that is not JSON \("not json"\)/);
      const fix = await openDatabases({ dataDir: dir });
      try {
        await fix.data.run(sql`UPDATE loose SET data = NULL WHERE id IN (${'loose0000000002'}, ${'loose0000000003'})`);
      } finally {
        await fix.close();
      }
      // '' and 'yes' become 0 and false there: copied, but not verified.
      const report = await copy(await testDatabase(kind));
      expect(report.ok).toBe(false);
      expect(report.tables.filter((t) => !t.ok).map((t) => t.label)).toEqual(['loose']);
    });

    it.skipIf(skip)('runs from the CLI: exit 0, a verification table, plain progress lines off a terminal', async () => {
      const dir = fixtureCopy();
      const url = await testDatabase(kind);
      const res = await run(['migrate', 'copy', `--from=${dir}`, `--to=${url}`]);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      expect(res.stdout).not.toContain('\r');
      expect(res.stdout).toContain('copied users: 3/3 rows');
      expect(res.stdout).toMatch(/^_superusers +4 +4 +[0-9a-f]{16} +ok$/m);
      expect(res.stdout).toContain(`\`node bin/baton.js serve --db=${url} --dir=${dir}\``);
    });
  });
}

// A directory written from a server database is one PocketBase opens as it is: no fixture needed.
for (const kind of SERVER_KINDS) {
  describe(`migrate copy from ${kind} to a directory`, () => {
    it.skipIf(skipReasons.get(kind) !== undefined)('writes what PocketBase checks before its migrations, so it runs none again', async () => {
      const url = await testDatabase(kind);
      await (await openBaton({ dataDir: tempDir(), db: url, logger: silentLogger })).close();
      const dir = path.join(tempDir(), 'copy');
      const report = await copyBaton({ from: { url }, to: { dir }, log: () => undefined });
      expect(report.ok).toBe(true);
      expect(pendingPocketBaseMigrations(dir)).toEqual([]);
      const logs = auxiliaryLogs(dir);
      expect(logs.columns).toEqual(expect.arrayContaining(POCKETBASE_LOGS_TABLE.columns));
      expect(logs.indexes).toEqual(BATON_LOGS_INDEXES);
    });
  });
}
