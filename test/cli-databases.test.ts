// `--db` through the CLI, and the guard that keeps two servers off one SQLite directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DIALECT } from './support/databases.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin/baton.js');
const dirs: string[] = [];
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'baton-clidb-'));
  dirs.push(d);
  return d;
};

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, BATON_LOG_LEVEL: 'warn', BATON_DB: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** `baton serve` until it prints its banner; resolves with the output so far and the process. */
async function serve(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string; exited: Promise<number | null> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', `--http=127.0.0.1:${port}`, ...args], { cwd: ROOT, env: { ...process.env, BATON_LOG_LEVEL: 'warn' } });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 20_000);
    child.stdout!.on('data', () => {
      if (out.includes('Database:')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}:\n${out}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => out, exited };
}

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
  }
});
