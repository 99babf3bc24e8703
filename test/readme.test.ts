// Every command README.md shows, run as it is written: the quick start's serve line on a temp
// directory and a free port (substituted for `./baton_data` and `127.0.0.1:8090`), the first
// collection's shell blocks and SDK snippet against it, the PostgreSQL and MySQL lines on a
// database of their own (in those databases' projects), and the lines a test cannot re-run
// (`npm ci`, `npm test`) checked against `.ci/run` and package.json. A renamed flag, a wrong curl
// body or a rule that lets a guest see a draft fails here.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort, ROOT, run, tempDirs } from './support/cli.ts';
import { createTestDatabase, TEST_DIALECT } from './support/databases.ts';
import { fixtureDir, testFixture } from './support/fixture.ts';
import { onlyIf } from './support/only-if.ts';

const tempDir = tempDirs('baton-readme-');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The address and directory the README uses, replaced by the test's own. */
const README_HOST = '127.0.0.1:8090';
const README_DIR = './baton_data';
/** The intro's command for an existing PocketBase directory. */
const POCKETBASE_SERVE = 'baton serve --dir=<a PocketBase data directory>';

interface Block {
  lang: string;
  body: string;
  /** The `##`/`###` heading it sits under. */
  section: string;
}

/** README's fenced code blocks, in order, with the heading each is under. */
function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let section = '';
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{2,3} (.*)$/.exec(lines[i]!);
    if (heading) section = heading[1]!;
    const open = /^```(\w*)$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    blocks.push({ lang: open[1]!, body: lines.slice(i + 1, end).join('\n'), section });
    i = end;
  }
  return blocks;
}

/** Inline code spans outside the fenced blocks. */
function inlineSpans(markdown: string): string[] {
  const prose = markdown.replace(/^```\w*\n[\s\S]*?^```$/gm, '');
  return [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
}

const BLOCKS = fencedBlocks(README);
const shellBlocks = (section: string) => BLOCKS.filter((b) => ['sh', 'bash', 'shell'].includes(b.lang) && b.section === section);

interface Context {
  port: number;
  dir: string;
  /** Database URLs replacing the README's, by scheme. */
  urls?: { postgres?: string; mysql?: string };
}

/** The README's text with the test's address, directory and databases in place of its own. */
function substitute(text: string, { port, dir, urls = {} }: Context): string {
  let out = text.replaceAll(README_HOST, `127.0.0.1:${port}`).replaceAll(README_DIR, dir);
  if (urls.postgres) out = out.replace(/postgres:\/\/\S+/g, urls.postgres);
  if (urls.mysql) out = out.replace(/mysql:\/\/\S+/g, urls.mysql);
  return out;
}

/** What every command runs with: the test's address and directory, and no outer `BATON_DB`. */
const environment = ({ port, dir }: Context) => ({
  ...process.env,
  BATON_HTTP: `127.0.0.1:${port}`,
  BATON_DIR: dir,
  BATON_DB: '',
  BATON_LOG_LEVEL: 'warn',
});

/**
 * Runs shell text with bash from the repository root, as a reader would paste it. `curl` is
 * wrapped to end each body with a newline and write its status to stderr (`HTTP 200`), so the test
 * can read every response.
 */
function bash(script: string, ctx: Context): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const prelude = `set -euo pipefail\ncurl() { command curl --write-out '%{stderr}HTTP %{http_code}\\n' "$@"; echo; }\n`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', prelude + script], { cwd: ROOT, env: environment(ctx) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Serving {
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts a README line that serves (`… serve …`) and resolves once it prints its banner. */
async function serveLine(line: string, ctx: Context): Promise<Serving> {
  const child = spawn('bash', ['-c', `exec ${line}`], { cwd: ROOT, env: environment(ctx) });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`\`${line}\` did not start:\n${out}`)), 20_000);
    child.stdout.on('data', () => {
      if (out.includes('Database:')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`\`${line}\` exited early with ${code}:\n${out}`)));
  });
  return {
    output: () => out,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The JSON bodies a script's curl calls printed (one a line, thanks to the wrapper), in order. */
const bodies = (stdout: string): any[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));

const statuses = (stderr: string): number[] => [...stderr.matchAll(/^HTTP (\d+)$/gm)].map((m) => Number(m[1]));

/** The quick start's serve line, without the `npm ci && ` a test cannot re-run. */
function quickStartServe(): string {
  const block = shellBlocks('Quick start').find((b) => b.body.includes(' serve '));
  expect(block, 'README: a Quick start block that serves').toBeDefined();
  const [install, serve, ...more] = block!.body.trim().split(' && ');
  expect([install, more]).toEqual(['npm ci', []]);
  return serve!;
}

onlyIf(TEST_DIALECT === 'sqlite', describe)('README, on SQLite', () => {
  it('the test command is the one .ci/run runs, verbatim; npm test builds dist/ and runs the whole suite', () => {
    const block = shellBlocks('Quick start').find((b) => b.body.includes('npm test'));
    expect(block?.body).toBe('npm ci && npm test');
    const ci = readFileSync(path.join(ROOT, '.ci/run'), 'utf8').trimEnd().split('\n');
    expect(ci.at(-1)).toBe(block!.body);
    // It builds dist/ first (what bin/baton.js runs, here as in the README) and ends with the whole suite.
    expect(PACKAGE.scripts.test).toMatch(/^node scripts\/build\.mjs && .* && vitest run$/);
  });

  it('the install line installs from the lockfile and builds dist/; its serve command is the package bin with flags serve takes', async () => {
    // `npm ci` installs from package-lock.json and its prepare script builds what bin/baton.js runs.
    expect(existsSync(path.join(ROOT, 'package-lock.json'))).toBe(true);
    expect(PACKAGE.scripts.prepare).toBe('node scripts/build.mjs');
    const serve = quickStartServe();
    const [node, bin, command, ...flags] = serve.split(' ');
    expect([node, bin, command]).toEqual(['node', 'bin/baton.js', 'serve']);
    expect(PACKAGE.bin.baton).toBe(bin);
    const help = await run(['serve', '--help']);
    for (const flag of flags) expect(help.stdout).toContain(`  ${flag.split('=')[0]} `);
  });

  it('every inline command runs or names what exists, and every flag and variable named is real', async () => {
    const [top, serveHelp, superuserHelp, migrateHelp] = await Promise.all([
      run(['--help']),
      run(['serve', '--help']),
      run(['superuser', '--help']),
      run(['migrate', '--help']),
    ]);
    const spans = inlineSpans(README);
    const commands = spans.filter((s) => /^(node |npm |baton |curl )/.test(s));
    for (const command of commands) {
      if (command === 'node bin/baton.js --help') {
        expect(top.code).toBe(0);
        // What the README says it lists.
        for (const listed of ['baton serve', 'baton superuser upsert|create|update', 'baton superuser delete', 'baton superuser otp', 'baton migrate copy']) {
          expect(top.stdout).toContain(listed);
        }
      } else if (command === 'node bin/baton.js serve --help') {
        expect(serveHelp.code).toBe(0);
      } else if (command === 'npm ci') {
        // Installs from the lockfile, and its prepare script builds dist/ (the first test above).
        expect(existsSync(path.join(ROOT, 'package-lock.json'))).toBe(true);
      } else if (command === 'npm run build') {
        expect(PACKAGE.scripts.build).toBe('node scripts/build.mjs');
      } else if (command === 'npm install pocketbase') {
        expect(PACKAGE.devDependencies.pocketbase).toBeDefined();
      } else if (command === 'node first.mjs') {
        // Run with the SDK snippet below.
      } else if (command === POCKETBASE_SERVE) {
        // Run on PocketBase's own test data below.
      } else {
        expect.fail(`README shows \`${command}\`, which this test does not run`);
      }
    }
    const helps = [top, serveHelp, superuserHelp, migrateHelp].map((h) => h.stdout).join('\n');
    const flags = new Set(spans.flatMap((s) => [...s.matchAll(/(?:^|\s)(--[a-z][a-z-]*)/g)].map((m) => m[1]!)));
    expect(flags.size).toBeGreaterThan(15);
    for (const flag of flags) expect(helps, `README names ${flag}`).toMatch(new RegExp(`\\s${flag}[\\s=]`));
    const sources = ['src/config/config.ts', 'vitest.config.ts', 'test/support/fixture.ts', '.ci/run']
      .map((f) => readFileSync(path.join(ROOT, f), 'utf8'))
      .join('\n');
    const variables = new Set([...README.matchAll(/\bBATON_[A-Z_]+\b/g)].map((m) => m[0]));
    for (const name of variables) {
      if (name === 'BATON_') continue; // `BATON_*`, the family
      expect(sources, `README names ${name}`).toContain(name);
    }
  });

  testFixture('`baton serve --dir=<a PocketBase data directory>` serves a copy of PocketBase\'s test data; its superuser signs in', async () => {
    expect(inlineSpans(README)).toContain(POCKETBASE_SERVE);
    const copy = path.join(tempDir(), 'pb_data');
    cpSync(fixtureDir(), copy, { recursive: true });
    const ctx: Context = { port: await freePort(), dir: copy };
    // `baton` is the package's bin (package.json), run here as `node bin/baton.js`.
    const line = POCKETBASE_SERVE.replace(/^baton /, `node ${PACKAGE.bin.baton} `).replace('<a PocketBase data directory>', copy);
    const server = await serveLine(line, ctx);
    expect(server.output()).toContain(`Database: SQLite in ${copy}`);
    const login = await fetch(`http://127.0.0.1:${ctx.port}/api/collections/_superusers/auth-with-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: 'test@example.com', password: '1234567890' }),
    });
    expect(login.status).toBe(200);
    expect(await server.stop()).toBe(0);
  });

  it('serve, then the first collection, its draft rule and the SDK snippet, as the README shows them', async () => {
    const ctx: Context = { port: await freePort(), dir: path.join(tempDir(), 'baton_data') };
    const server = await serveLine(substitute(quickStartServe(), ctx), ctx);
    expect(server.output()).toContain(`Database: SQLite in ${ctx.dir}`);
    const base = `http://127.0.0.1:${ctx.port}`;

    // The dashboard URL the README gives answers, and the first start prints the one-time link.
    const dashboard = /`(http:\/\/\S+\/_\/)`/.exec(README)?.[1];
    expect(dashboard, 'README: the dashboard URL').toBeDefined();
    const page = await fetch(substitute(dashboard!, ctx));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(server.output()).toMatch(new RegExp(`${base}/_/#/pbinstall/\\S+`));

    // The shell blocks, in one session as a reader would paste them (TOKEN carries over).
    const blocks = shellBlocks('A first collection');
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const shell = await bash(blocks.map((b) => substitute(b.body, ctx)).join('\n'), ctx);
    expect(shell.code, shell.stderr).toBe(0);
    expect(shell.stdout).toContain('superuser admin@example.com');
    const codes = statuses(shell.stderr);
    expect(codes.length).toBe((blocks.map((b) => b.body).join('\n').match(/^\s*(?:\w+=\$\()?curl /gm) ?? []).length);
    expect(codes.every((c) => c >= 200 && c < 300), shell.stderr).toBe(true);
    const responses = bodies(shell.stdout);
    expect(responses[0]).toMatchObject({ name: 'posts', type: 'base' });
    // The last is the guest's list: the published post, not the draft.
    expect(responses.at(-1).items.map((p: { title: string }) => p.title)).toEqual(['Hello']);

    // The SDK snippet as `first.mjs`, beside the repository's node_modules (which has `pocketbase`).
    const sdk = BLOCKS.find((b) => b.lang === 'js' && b.body.includes("from 'pocketbase'"));
    expect(sdk).toBeDefined();
    const work = tempDir();
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'));
    writeFileSync(path.join(work, 'first.mjs'), substitute(sdk!.body, ctx));
    const node = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['first.mjs'], { cwd: work });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(node.code, node.out).toBe(0);
    // It prints what the comment after its console.log says.
    const printed = /console\.log\(.*\); \/\/ (.*)$/m.exec(sdk!.body)?.[1];
    expect(node.out.trim()).toBe(printed);

    // The rule holds beyond what the README shows: no guest sees or reads a draft, another user
    // does not see Ada's, and a guest cannot write one.
    const signIn = async (email: string, password: string) => {
      const res = await fetch(`${base}/api/collections/users/auth-with-password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identity: email, password }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { token: string }).token;
    };
    const list = async (token?: string) => {
      const res = await fetch(`${base}/api/collections/posts/records?sort=title`, { headers: token ? { authorization: token } : {} });
      return ((await res.json()) as { items: Array<{ id: string; title: string }> }).items;
    };
    const ada = await signIn('ada@example.com', 'ada-password');
    expect((await list(ada)).map((p) => p.title)).toEqual(['Hello', 'My draft']);
    const bob = await fetch(`${base}/api/collections/users/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bob@example.com', password: 'bob-password', passwordConfirm: 'bob-password' }),
    });
    expect(bob.status).toBe(200);
    expect((await list(await signIn('bob@example.com', 'bob-password'))).map((p) => p.title)).toEqual(['Hello']);
    const drafts = (await list(ada)).filter((p) => p.title !== 'Hello');
    for (const draft of drafts) {
      expect((await fetch(`${base}/api/collections/posts/records/${draft.id}`)).status).toBe(404);
    }
    const guestWrite = await fetch(`${base}/api/collections/posts/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Guest', author: '' }),
    });
    expect(guestWrite.status).toBe(400);

    expect(await server.stop()).toBe(0);
  });

  it("the database lines' --db URLs are accepted: with no server at the address, the connection fails, not the flags", async () => {
    const ctx: Context = { port: await freePort(), dir: path.join(tempDir(), 'baton_data') };
    // A data directory for `migrate copy --from` to read.
    const made = await run(['superuser', 'upsert', 'admin@example.com', 'a-long-password', `--dir=${ctx.dir}`], { BATON_DB: '' });
    expect(made.code, made.stderr).toBe(0);
    const lines = shellBlocks('PostgreSQL or MySQL/MariaDB').flatMap((b) => b.body.split('\n')).filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) {
      // The README's URL with a port nothing listens on (the free one, before anything takes it).
      const closed = substitute(line, ctx).replace(/(postgres|mysql):\/\/(\w+)@127\.0\.0\.1:\d+/g, `$1://$2@127.0.0.1:${ctx.port}`);
      expect(closed).not.toBe(substitute(line, ctx));
      const res = await bash(closed, ctx);
      expect(res.code, `${line}\n${res.stderr}`).toBe(1);
      expect(res.stderr).toBe(`error: connect ECONNREFUSED 127.0.0.1:${ctx.port}\n`);
    }
  });
});

// The README's PostgreSQL or MySQL line on this project's server, in a database of its own.
onlyIf(TEST_DIALECT !== 'sqlite', describe)(`README, on ${TEST_DIALECT}`, () => {
  const scheme = TEST_DIALECT === 'postgres' ? 'postgres' : 'mysql';
  const lines = () => shellBlocks('PostgreSQL or MySQL/MariaDB').flatMap((b) => b.body.split('\n')).filter((l) => l.includes(`${scheme}://`));

  it(`serve --db=${scheme}://… sets up an empty database and serves it`, async () => {
    const db = await createTestDatabase();
    onTestFinished(() => db.drop());
    const ctx: Context = { port: await freePort(), dir: tempDir(), urls: { [scheme]: db.url } };
    const line = lines().find((l) => l.includes(' serve '));
    expect(line).toBeDefined();
    const server = await serveLine(substitute(line!, ctx), ctx);
    expect(server.output()).toContain(`Database: ${TEST_DIALECT === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB'} at`);
    const health = await fetch(`http://127.0.0.1:${ctx.port}/api/health`);
    expect(health.status).toBe(200);
    expect(await server.stop()).toBe(0);
  });

  // The README shows the copy for one server database only.
  const copyLine = lines().find((l) => l.includes(' migrate copy '));
  onlyIf(copyLine !== undefined, it)(`migrate copy --to=${scheme}://… copies a data directory; the copy serves its superuser`, async () => {
    const line = copyLine!;
    const db = await createTestDatabase();
    onTestFinished(() => db.drop());
    const dir = path.join(tempDir(), 'baton_data');
    mkdirSync(dir);
    const ctx: Context = { port: await freePort(), dir, urls: { [scheme]: db.url } };
    const made = await run(['superuser', 'upsert', 'admin@example.com', 'a-long-password', `--dir=${dir}`], { BATON_DB: '' });
    expect(made.code, made.stderr).toBe(0);
    const copy = await bash(substitute(line, ctx), ctx);
    expect(copy.code, copy.stderr).toBe(0);
    const serve = lines().find((l) => l.includes(' serve '))!;
    const server = await serveLine(substitute(serve, ctx), ctx);
    const login = await fetch(`http://127.0.0.1:${ctx.port}/api/collections/_superusers/auth-with-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: 'admin@example.com', password: 'a-long-password' }),
    });
    expect(login.status).toBe(200);
    expect(await server.stop()).toBe(0);
  });
});
