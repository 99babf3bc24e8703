// `--db` through the CLI, and the guard that keeps two servers off one SQLite directory.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as runCli, serve as serveCli, type Served, tempDirs } from './support/cli.ts';
import { openDatabases } from '../src/db/open.ts';
import { createTestDatabase, TEST_DIALECT, TEST_SERVER_URLS } from './support/databases.ts';
import { routineNames, schemaSnapshot } from './support/introspect.ts';
import { sql } from '../src/db/sql.ts';

/** What the database at `url` holds: its tables, views and indexes, and its routines and types. */
async function databaseObjects(url: string): Promise<{ schema: unknown[]; routines: string[] }> {
  const dbs = await openDatabases({ url, dataDir: tempDir() });
  try {
    return { schema: await schemaSnapshot(dbs.data), routines: await routineNames(dbs.data) };
  } finally {
    await dbs.close();
  }
}

const tempDir = tempDirs('baton-clidb-');
const run = (args: string[]) => runCli(args, { BATON_DB: '' });
/** `baton serve` until it prints its banner. */
const serve = (args: string[]): Promise<Served> => serveCli(args, 'Database:');

describe('cli: choosing the database', () => {
  it('refuses a --db that is not a PostgreSQL or MySQL URL, creating nothing', async () => {
    const dir = path.join(tempDir(), 'never');
    const res = await run(['serve', `--dir=${dir}`, '--db=sqlite:///tmp/x.db']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^config error: invalid --db "sqlite:\/\/\/tmp\/x\.db", expected postgres:\/\/… or mysql:\/\/…\n$/);
  });

  it('a second `serve` on the same SQLite directory is refused while the first runs', async () => {
    const dir = tempDir();
    const first = await serve([`--dir=${dir}`]);
    expect(first.output()).toContain(`Database: SQLite in ${dir}`);
    const second = await run(['serve', '--http=127.0.0.1:0', `--dir=${dir}`]);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`error: another Baton process is serving ${dir}; stop it first (two servers on one SQLite directory would drift apart)\n`);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // Once the first has stopped, the directory is free again.
    const again = await serve([`--dir=${dir}`]);
    again.child.kill('SIGTERM');
    expect(await again.exited, again.output()).toBe(0);
  });

  // On the server databases' projects: the whole path, CLI to database, on that server. (Defined
  // only there: on the SQLite project the tests above are this path.)
  if (TEST_DIALECT !== 'sqlite') {
    it('superuser upsert and serve take --db; the account signs in over HTTP', async () => {
      const db = await createTestDatabase();
      try {
        const dir = tempDir();
        const up = await run(['superuser', 'upsert', 'ops@example.com', 'long-enough-password', `--dir=${dir}`, `--db=${db.url}`]);
        expect(up).toMatchObject({ code: 0, stdout: 'Created superuser ops@example.com.\n' });
        const s = await serve([`--dir=${dir}`, `--db=${db.url}`]);
        const u = new URL(db.url!);
        expect(s.output()).toContain(`Database: ${TEST_DIALECT === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB'} at ${u.host}${u.pathname}`);
        const login = await fetch(`${s.url}/api/collections/_superusers/auth-with-password`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ identity: 'ops@example.com', password: 'long-enough-password' }),
        });
        expect(login.status).toBe(200);
        expect(((await login.json()) as { record: { email: string } }).record.email).toBe('ops@example.com');
        s.child.kill('SIGTERM');
        expect(await s.exited).toBe(0);
      } finally {
        await db.drop();
      }
    });

    it('a serve that cannot listen leaves the empty database it was given empty; migrate copy then takes it', async () => {
      const db = await createTestDatabase();
      try {
        const first = await serve([`--dir=${tempDir()}`]);
        const unused = path.join(tempDir(), 'never-made');
        const taken = await run(['serve', `--http=127.0.0.1:${new URL(first.url).port}`, `--dir=${unused}`, `--db=${db.url}`]);
        expect(taken.code).toBe(1);
        expect(taken.stderr).toMatch(/^error: listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+\n$/);
        expect(existsSync(unused)).toBe(false);
        // No table, view or index left, nor PostgreSQL's functions and type.
        expect(await databaseObjects(db.url!)).toEqual({ schema: [], routines: [] });
        first.child.kill('SIGTERM');
        expect(await first.exited).toBe(0);
        const source = tempDir();
        expect((await run(['superuser', 'upsert', 'ops@example.com', 'long-enough-password', `--dir=${source}`])).code).toBe(0);
        const copy = await run(['migrate', 'copy', `--from=${source}`, `--to=${db.url}`]);
        expect(copy.stderr).toBe('');
        expect(copy.code).toBe(0);
        // The routines the undo dropped are made again where Baton is set up (PostgreSQL).
        const { routines } = await databaseObjects(db.url!);
        if (TEST_DIALECT === 'postgres') expect(routines).toEqual(expect.arrayContaining(['baton_datetime', 'baton_json_text', 'baton_text_number']));
      } finally {
        await db.drop();
      }
    });

    it('a serve that cannot listen leaves the tables it set up when another session is on the database (another node may serve it)', async () => {
      const db = await createTestDatabase();
      const other = await openDatabases({ url: db.url, dataDir: tempDir() });
      try {
        // A session of its own on the database, as another node's would be.
        await other.data.get(sql`SELECT 1 AS one`);
        const first = await serve([`--dir=${tempDir()}`]);
        const taken = await run(['serve', `--http=127.0.0.1:${new URL(first.url).port}`, `--dir=${tempDir()}`, `--db=${db.url}`]);
        first.child.kill('SIGTERM');
        expect(await first.exited).toBe(0);
        expect(taken.code).toBe(1);
        expect(taken.stdout).toContain('left the tables this serve set up in the database: another session is connected to it');
        expect((await schemaSnapshot(other.data)).map((o) => o.name)).toEqual(expect.arrayContaining(['_collections', '_params', 'users']));
      } finally {
        await other.close();
        await db.drop();
      }
    });

    it('migrate copy from a database that does not exist fails before making the target directory', async () => {
      const u = new URL(TEST_SERVER_URLS[TEST_DIALECT as 'postgres' | 'mysql']);
      u.pathname = `/baton_t_missing_${randomBytes(6).toString('hex')}`;
      const target = path.join(tempDir(), 'new', 'm1');
      const res = await run(['migrate', 'copy', `--from=${u}`, `--to=${target}`]);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/^error: .*(does not exist|Unknown database).*\n$/);
      expect(existsSync(path.dirname(target))).toBe(false);
    });

    it('superuser update, delete and otp on a database that is not Baton\'s refuse it and write nothing there', async () => {
      const db = await createTestDatabase();
      try {
        const dir = path.join(tempDir(), 'files');
        const results = await Promise.all([
          run(['superuser', 'delete', 'a@b.io', `--db=${db.url}`, `--dir=${dir}`]),
          run(['superuser', 'update', 'a@b.io', 'password123', `--db=${db.url}`, `--dir=${dir}`]),
          run(['superuser', 'otp', 'a@b.io', `--db=${db.url}`, `--dir=${dir}`]),
        ]);
        const u = new URL(db.url!);
        const refusal = `error: not a Baton database at ${u.host}${u.pathname} (no _collections or _params table); check --db\n`;
        for (const r of results) expect(r).toMatchObject({ code: 1, stdout: '', stderr: refusal });
        expect(await databaseObjects(db.url!)).toEqual({ schema: [], routines: [] });
      } finally {
        await db.drop();
      }
    });
  }
});
