// `node bin/baton.js …` as child processes: serve, graceful shutdown, superuser management, flags.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run, serve as serveCli, type Served, tempDirs } from './support/cli.ts';
import { batonCommand } from '../src/cli/invocation.ts';

const tempDir = tempDirs('baton-cli-');

/** Starts `baton serve` on `dir` and resolves once it prints that it listens. */
const serve = (dir: string): Promise<Served> => serveCli([`--dir=${dir}`], 'REST API');

/**
 * A POST whose body is sent in two halves, 300 ms apart with `during` run in between, so the
 * request is demonstrably in flight (headers read, body pending) while `during` runs.
 */
function slowPost(
  url: string,
  agent: http.Agent,
  body: unknown,
  during: () => Promise<void>,
): Promise<{ status: number; body: any; connection?: string }> {
  const payload = Buffer.from(JSON.stringify(body));
  const half = Math.floor(payload.length / 2);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      agent,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': payload.length },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.write(payload.subarray(0, half));
    setTimeout(() => {
      during().then(() => req.end(payload.subarray(half)), reject);
    }, 300);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function login(url: string, email: string, password: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/collections/_superusers/auth-with-password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ identity: email, password }),
  });
  return { status: res.status, body: await res.json() };
}

describe('cli: flags', () => {
  it('--help prints the usage and exits 0', async () => {
    const res = await run(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Usage:');
    expect(res.stdout).toContain('baton serve');
    expect(res.stdout).toContain('superuser');
  });

  it.each(['nope', '127.0.0.1:99999', '127.0.0.1:', 'localhost:80:80'])('--http=%s exits 2 with a message', async (value) => {
    const res = await run(['serve', `--http=${value}`, `--dir=${tempDir()}`]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/invalid/i);
    expect(res.stdout).not.toContain('Server started');
  });

  it('BATON_* variables are validated like their flags, and a refusal names the variable', async () => {
    const [http, timeout, level] = await Promise.all([
      run(['serve', `--dir=${tempDir()}`], { BATON_HTTP: 'nope' }),
      run(['serve', `--dir=${tempDir()}`], { BATON_QUERY_TIMEOUT: 'abc' }),
      run(['superuser', 'otp', 'a@b.io', `--dir=${tempDir()}`], { BATON_LOG_LEVEL: 'loud' }),
    ]);
    expect(http).toMatchObject({ code: 2, stderr: 'config error: invalid BATON_HTTP "nope", expected host:port\n' });
    expect(timeout).toMatchObject({ code: 2, stderr: 'config error: invalid BATON_QUERY_TIMEOUT "abc", expected seconds (0 < s <= 86400)\n' });
    expect(level).toMatchObject({
      code: 2,
      stderr: 'config error: invalid BATON_LOG_LEVEL "loud", expected one of fatal, error, warn, info, debug, trace, silent\n',
    });
  });

  it('an unusable data directory exits 1 with one line', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a-file');
    writeFileSync(file, '');
    mkdirSync(path.join(dir, 'not-sqlite'));
    writeFileSync(path.join(dir, 'not-sqlite', 'data.db'), 'this is not a database file, just text');
    const [notDir, notDb] = await Promise.all([
      run(['serve', '--http=127.0.0.1:0', `--dir=${file}`]),
      run(['serve', '--http=127.0.0.1:0', `--dir=${path.join(dir, 'not-sqlite')}`]),
    ]);
    expect(notDir).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: ENOTDIR: .*\n$/) });
    expect(notDb).toMatchObject({ code: 1, stderr: 'error: file is not a database\n' });
    expect(notDb.stdout).not.toContain('Server started');
  });

  it('a data directory the user may not write exits 1 naming the file, and asks to check its permissions', async (ctx) => {
    // Root writes whatever the permissions say: as root, the commands run without the capabilities
    // that allow it (setpriv, util-linux: in Debian's base system).
    const root = process.getuid?.() === 0;
    if (root && spawnSync('setpriv', ['--version']).error) {
      console.log('skipped: setpriv (util-linux) is missing, which runs the CLI as root without overriding file permissions');
      ctx.skip('setpriv is missing');
    }
    const parent = tempDir();
    const dir = path.join(parent, 'data');
    expect(await run(['superuser', 'upsert', 'a@b.io', 'password123', `--dir=${dir}`])).toMatchObject({ code: 0 });
    chmodSync(parent, 0o755);
    for (const name of readdirSync(dir)) if (statSync(path.join(dir, name)).isFile()) chmodSync(path.join(dir, name), 0o444);
    chmodSync(dir, 0o555);
    onTestFinished(() => chmodSync(dir, 0o755));
    const [upsert, served] = await Promise.all([
      run(['superuser', 'upsert', 'a@b.io', 'password1234', `--dir=${dir}`], {}, undefined, root),
      run(['serve', '--http=127.0.0.1:0', `--dir=${dir}`], {}, undefined, root),
    ]);
    const message = `error: cannot write ${path.join(dir, 'data.db')} (EACCES); check its owner and permissions: the user running Baton must be able to write it\n`;
    expect(upsert).toMatchObject({ code: 1, stderr: message });
    expect(served).toMatchObject({ code: 1, stderr: message });
  });

  it('--version prints the package version; each command has its own --help with its flags and defaults', async () => {
    const version = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')).version;
    const [v, serveHelp, superuserHelp, migrateHelp] = await Promise.all([
      run(['--version']), run(['serve', '--help']), run(['superuser', '-h']), run(['migrate', '--help']),
    ]);
    expect(v).toMatchObject({ code: 0, stdout: `baton ${version}\n` });
    expect(serveHelp.code).toBe(0);
    expect(serveHelp.stdout).toMatch(/--http\s+host:port to listen on \(default 127\.0\.0\.1:8090/);
    expect(serveHelp.stdout).toContain('--max-connections');
    expect(superuserHelp.stdout).toContain('baton superuser otp EMAIL');
    expect(superuserHelp.stdout).not.toContain('--max-connections');
    expect(migrateHelp.stdout).toContain('baton migrate copy --from=DIR|URL --to=DIR|URL');
  });

  it('a flag the command does not take, or an extra argument, exits 2 naming it, with that command\'s usage', async () => {
    const [foreign, extra, extraSu] = await Promise.all([
      run(['serve', '--from=somewhere']),
      run(['serve', 'now']),
      run(['superuser', 'delete', 'a@b.io', 'oops']),
    ]);
    expect(foreign).toMatchObject({ code: 2, stderr: expect.stringContaining('baton serve takes no --from flag') });
    expect(foreign.stderr).toContain('Usage: baton serve');
    expect(extra).toMatchObject({ code: 2, stderr: expect.stringContaining('baton serve: unexpected argument "now"') });
    expect(extraSu).toMatchObject({ code: 2, stderr: expect.stringContaining('unexpected argument "oops"') });
    expect(extraSu.stderr).toContain('baton superuser delete EMAIL');
  });

  it('superuser update, delete and otp on a data directory that does not exist create none', async () => {
    const missing = path.join(tempDir(), 'typo');
    const results = await Promise.all([
      run(['superuser', 'delete', 'a@b.io', `--dir=${missing}`]),
      run(['superuser', 'update', 'a@b.io', 'password123', `--dir=${missing}`]),
      run(['superuser', 'otp', 'a@b.io', `--dir=${missing}`]),
    ]);
    for (const r of results) expect(r).toMatchObject({ code: 1, stderr: `error: no Baton data directory at ${missing} (data.db is missing); check --dir\n` });
    expect(existsSync(missing)).toBe(false);
  });

  it('superuser otp errors read as the other commands\' do: `error: …`, a missing superuser worded as update words it', async () => {
    const dir = tempDir();
    expect((await run(['superuser', 'upsert', 'ops@b.io', 'password123', `--dir=${dir}`])).code).toBe(0);
    const [otp, update, notEnabled, notEmail] = await Promise.all([
      run(['superuser', 'otp', 'x@b.io', `--dir=${dir}`]),
      run(['superuser', 'update', 'x@b.io', 'password123', `--dir=${dir}`]),
      run(['superuser', 'otp', 'ops@b.io', `--dir=${dir}`]),
      run(['superuser', 'otp', 'notanemail', `--dir=${dir}`]),
    ]);
    expect(otp).toEqual({ code: 1, stdout: '', stderr: 'error: No superuser with email x@b.io.\n' });
    expect(update).toEqual(otp);
    expect(notEnabled).toEqual({ code: 1, stdout: '', stderr: 'error: OTP auth is not enabled for the _superusers collection\n' });
    expect(notEmail).toMatchObject({ code: 2, stdout: '' });
    expect(notEmail.stderr).toMatch(/^error: invalid or missing email address\nusage: baton superuser /);
  });

  it('superuser upsert and create that fail remove the data directory they made, and only that', async () => {
    const parent = tempDir();
    const existing = path.join(parent, 'existing');
    mkdirSync(existing);
    const [short, notEmail, inExisting] = await Promise.all([
      run(['superuser', 'upsert', 'a@b.co', 'short', `--dir=${path.join(parent, 'd1')}`]),
      // Every directory of the path that the command made goes, not only the last.
      run(['superuser', 'create', 'notanemail', 'pass123456789', `--dir=${path.join(parent, 'new', 'd5')}`]),
      run(['superuser', 'create', 'notanemail', 'pass123456789', `--dir=${existing}`]),
    ]);
    expect(short).toMatchObject({ code: 1, stderr: expect.stringContaining('password: Must be at least 8 character(s)') });
    for (const r of [notEmail, inExisting]) expect(r).toMatchObject({ code: 1, stderr: expect.stringContaining('email: Must be a valid email address') });
    expect(existsSync(path.join(parent, 'd1'))).toBe(false);
    expect(existsSync(path.join(parent, 'new'))).toBe(false);
    expect(existsSync(existing)).toBe(true);
  });

  it('migrate copy that fails before writing removes the target directory it made, and only that', async () => {
    const parent = tempDir();
    // A SQLite file, but no Baton in it: refused once both ends are open.
    const source = path.join(parent, 'not-baton');
    mkdirSync(source);
    new Sqlite(path.join(source, 'data.db')).close();
    const existing = path.join(parent, 'existing');
    mkdirSync(existing);
    // One after the other: a copy locks its SQLite source, and a second one at once is refused for that.
    const made = await run(['migrate', 'copy', `--from=${source}`, `--to=${path.join(parent, 'new', 'm1')}`]);
    const into = await run(['migrate', 'copy', `--from=${source}`, `--to=${existing}`]);
    for (const r of [made, into]) expect(r).toMatchObject({ code: 1, stderr: `error: ${source} holds no Baton (no _collections table)\n` });
    expect(existsSync(path.join(parent, 'new'))).toBe(false);
    expect(existsSync(existing)).toBe(true);
  });

  it('an unknown command or flag exits 2', async () => {
    const [command, flag] = await Promise.all([run(['frobnicate']), run(['serve', '--nope'])]);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--nope');
  });

  it('a flag without its value, or a switch given one, exits 2 naming the flag, with the command\'s usage', async () => {
    const [bare, beforeFlag, migrate, dev] = await Promise.all([
      run(['serve', '--http']),
      run(['serve', '--dir', '--http=127.0.0.1:18603']),
      run(['migrate', 'copy', '--from', '--to=x']),
      run(['serve', '--dev=yes']),
    ]);
    const expected = [
      ['--http needs a value (--http=<value>)', 'Usage: baton serve'],
      ['--dir needs a value (--dir=<value>)', 'Usage: baton serve'],
      ['--from needs a value (--from=<value>)', 'baton migrate copy'],
      ['--dev takes no value', 'Usage: baton serve'],
    ];
    [bare, beforeFlag, migrate, dev].forEach((res, i) => {
      expect(res, `case ${i}`).toMatchObject({ code: 2, stdout: '' });
      expect(res.stderr.startsWith(`${expected[i][0]}\n\n`), res.stderr).toBe(true);
      expect(res.stderr, `case ${i}`).toContain(expected[i][1]);
      expect(res.stderr, `case ${i}`).not.toContain('unknown flag');
    });
  });
});

describe('cli: serve', () => {
  it('prints its URLs, answers /api/health and lays out a fresh directory', async () => {
    const dir = path.join(tempDir(), 'fresh');
    const s = await serve(dir);
    expect(s.output()).toContain(`Server started at ${s.url}\n`);
    expect(s.output()).toContain(`REST API: ${s.url}/api/`);
    expect(s.output()).toContain(`Dashboard: ${s.url}/_/`);
    expect((await fetch(`${s.url}/_/`)).status).toBe(200);
    const health = await fetch(`${s.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ message: 'API is healthy.', code: 200, data: {} });
    expect(existsSync(path.join(dir, 'data.db'))).toBe(true);
    expect(existsSync(path.join(dir, 'auxiliary.db'))).toBe(true);
    expect(statSync(path.join(dir, 'storage')).isDirectory()).toBe(true);
    // No superuser yet: the banner says how to make one.
    // As it was run (the tests run `node bin/baton.js` in the checkout): a command that works as printed.
    expect(s.output()).toContain(`No superuser yet. Create one to manage collections and settings:\n  node bin/baton.js superuser upsert EMAIL PASSWORD --dir=${JSON.stringify(dir)}\n`);
    // A second server on the same port fails with one line, not a stack trace, and leaves no
    // data directory behind.
    const unused = path.join(tempDir(), 'never-made');
    const taken = await run(['serve', `--http=127.0.0.1:${new URL(s.url).port}`, `--dir=${unused}`]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^error: listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+\n$/);
    expect(existsSync(unused)).toBe(false);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('--dev prints readable log lines (pino-pretty), a line per request, and no JSON', async () => {
    const s = await serveCli([`--dir=${tempDir()}`, '--dev', '--log-level=debug'], 'REST API');
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
    for (let i = 0; i < 100 && !s.output().includes('url: "/api/health"'); i++) await sleep(50);
    expect(s.output()).toMatch(/\] DEBUG: request\n(\s+\w+: .*\n)*\s+url: "\/api\/health"/);
    expect(s.output()).not.toContain('{"level":');
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('%s lets in-flight requests finish, then exits 0 with the database closed', async (signal) => {
    const dir = tempDir();
    const s = await serve(dir);
    const email = `${signal.toLowerCase()}@example.com`;
    // Unknown keys are ignored; the padding just makes a body worth splitting.
    const body = { email, password: 'password123', passwordConfirm: 'password123', padding: 'x'.repeat(4000) };
    // A keep-alive agent, as browsers and SDKs use: the connection outlives the response.
    const agent = new http.Agent({ keepAlive: true, timeout: 60_000 });
    onTestFinished(() => agent.destroy());
    const created = await slowPost(`${s.url}/api/collections/users/records`, agent, body, async () => {
      s.child.kill(signal);
      await sleep(300);
      // Still running: it waits for the request whose body has not fully arrived yet.
      expect(s.child.exitCode).toBe(null);
    });
    const answeredAt = Date.now();
    expect(created.status).toBe(200);
    expect(created.connection).toBe('close');
    expect(created.body).toMatchObject({ collectionName: 'users', id: expect.stringMatching(/^[a-z0-9]{15}$/) });
    expect(await s.exited).toBe(0);
    // Node's default agent keeps connections alive; the server must not wait for it to hang up.
    expect(Date.now() - answeredAt).toBeLessThan(2500);

    // Checkpointed and closed: no WAL content left, and the row is in the main file.
    const wal = path.join(dir, 'data.db-wal');
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    const db = new Sqlite(path.join(dir, 'data.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT id FROM users WHERE email = ?').pluck().get(email)).toBe(created.body.id);
    } finally {
      db.close();
    }
  });
});

describe('cli: the command printed to run next', () => {
  it('is the command as it was run: the installed bin by its name, a script through node relative to the working directory', () => {
    expect(batonCommand(['/usr/bin/node', '/usr/local/bin/baton'], '/home/me')).toBe('baton');
    expect(batonCommand(['/usr/bin/node', '/srv/baton/bin/baton.js'], '/srv/baton')).toBe('node bin/baton.js');
    expect(batonCommand(['/usr/bin/node', '/srv/baton/bin/baton.js'], '/home/me')).toBe('node /srv/baton/bin/baton.js');
    expect(batonCommand(['/usr/bin/node', '/srv/my baton/bin/baton.js'], '/tmp')).toBe("node '/srv/my baton/bin/baton.js'");
  });
});

describe('cli: superuser', () => {
  it('create, update, upsert and delete; the accounts log in over HTTP', async () => {
    const dir = tempDir();
    const su = (...args: string[]) => run(['superuser', ...args, `--dir=${dir}`]);
    // The first run initializes the directory; later runs share it, so independent ones go in parallel.
    const created = await su('create', 'admin@example.com', 'first-password');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toContain('admin@example.com');

    const [again, unknown, invalid, missingArgs, upsertNew] = await Promise.all([
      su('create', 'admin@example.com', 'other-password'),
      su('update', 'nobody@example.com', 'whatever123'),
      su('create', 'not-an-email', 'short'),
      su('create', 'x@example.com'),
      su('upsert', 'ops@example.com', 'ops-password-1'),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('nobody@example.com');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/email: Must be a valid email address/);
    expect(invalid.stderr).toMatch(/password: Must be at least 8/);
    expect(missingArgs.code).toBe(2);
    expect(missingArgs.stderr).toContain('usage');
    expect(upsertNew.code).toBe(0);

    // A request log entry older than the retention (settings.logs.maxDays, 5): a one-shot
    // command changes nothing but what it was asked to, so it runs no retention (serve does).
    const aux = new Sqlite(path.join(dir, 'auxiliary.db'));
    aux.prepare("INSERT INTO _logs (id, level, message, data, created) VALUES ('oldlogentry0001', 0, 'GET /old', '{}', '2000-01-01 00:00:00.000Z')").run();
    aux.close();
    const [upsertExisting, updated] = await Promise.all([
      su('upsert', 'ops@example.com', 'ops-password-2'),
      su('update', 'admin@example.com', 'second-password'),
    ]);
    expect([upsertExisting.code, updated.code]).toEqual([0, 0]);
    const kept = new Sqlite(path.join(dir, 'auxiliary.db'), { readonly: true });
    expect(kept.prepare("SELECT COUNT(*) AS n FROM _logs WHERE id = 'oldlogentry0001'").get()).toEqual({ n: 1 });
    kept.close();

    const s = await serve(dir);
    try {
      const [oldAdmin, admin, oldOps, ops] = await Promise.all([
        login(s.url, 'admin@example.com', 'first-password'),
        login(s.url, 'admin@example.com', 'second-password'),
        login(s.url, 'ops@example.com', 'ops-password-1'),
        login(s.url, 'ops@example.com', 'ops-password-2'),
      ]);
      expect([oldAdmin.status, admin.status, oldOps.status, ops.status]).toEqual([400, 200, 400, 200]);
      expect(admin.body.record).toMatchObject({ email: 'admin@example.com', collectionName: '_superusers' });
      const list = await fetch(`${s.url}/api/collections/_superusers/records?sort=email`, { headers: { authorization: admin.body.token } });
      const emails = ((await list.json()) as { items: Array<{ email: string }> }).items.map((r) => r.email);
      expect(emails).toEqual(['admin@example.com', 'ops@example.com']);
    } finally {
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
    }

    const deleted = await su('delete', 'ops@example.com');
    expect(deleted.code).toBe(0);
    // As PocketBase: deleting a missing superuser is a no-op with a note.
    const deletedAgain = await su('delete', 'ops@example.com');
    expect(deletedAgain.code).toBe(0);
    expect(deletedAgain.stdout).toContain('ops@example.com');
    const db = new Sqlite(path.join(dir, 'data.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT email FROM _superusers ORDER BY email').pluck().all()).toEqual(['admin@example.com']);
    } finally {
      db.close();
    }
  });
});
