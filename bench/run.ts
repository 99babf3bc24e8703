// Benchmark: Baton vs. a bare node:http + better-sqlite3 baseline, measured in the same run on
// the same seeded data. Usage: npm run bench [-- --duration=10 --connections=10 --rounds=3 --write]
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { parseArgs } from 'node:util';
import { openBaton } from '../src/cli/wire.ts';
import { systemContext } from '../src/domain/context.ts';
import { silentLogger } from '../src/kernel/logger.ts';

const { values } = parseArgs({ options: { duration: { type: 'string' }, connections: { type: 'string' }, rounds: { type: 'string' }, write: { type: 'boolean' } } });
const DURATION = Number(values.duration ?? 10);
const CONNECTIONS = Number(values.connections ?? 10);
const ROUNDS = Number(values.rounds ?? 3);
const SEED = 10_000;
const root = path.resolve(import.meta.dirname, '..');

async function seed(dir: string): Promise<{ token: string; ids: string[] }> {
  const baton = await openBaton({ dataDir: dir, logger: silentLogger });
  const { records, collections, schema, auth } = baton.services;
  const su = schema.find('_superusers')!;
  const ctx = systemContext(silentLogger, { kind: 'superuser', collection: su, record: {} });
  await records.create(ctx, '_superusers', { body: { email: 'bench@example.com', password: 'bench-password', passwordConfirm: 'bench-password' }, source: 'json' });
  await collections.create(ctx, {
    name: 'posts',
    listRule: '',
    viewRule: '',
    createRule: '',
    fields: [
      { name: 'title', type: 'text' },
      { name: 'views', type: 'number' },
      { name: 'published', type: 'bool' },
      { name: 'created', type: 'autodate', onCreate: true },
      { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
    ],
    indexes: ['CREATE INDEX idx_posts_created ON posts (created)'],
  });
  const ids: string[] = [];
  for (let i = 0; i < SEED; i++) {
    const r = await records.create(ctx, 'posts', { body: { title: `post ${i}`, views: i % 1000, published: i % 3 !== 0 }, source: 'json' });
    ids.push(String(r.id));
  }
  const login = await auth.authWithPassword(ctx, '_superusers', { identity: 'bench@example.com', password: 'bench-password' });
  await baton.close();
  return { token: login.token, ids };
}

function start(cmd: string, args: string[], readyText: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes(readyText)) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`${cmd} exited with ${code}`)));
  });
}

interface Figures {
  rps: number;
  p99: number;
}

async function load(url: string, opts: { method?: string; body?: string; pathFn?: () => string }, duration = DURATION): Promise<Figures> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    method: (opts.method ?? 'GET') as 'GET',
    headers: { 'content-type': 'application/json' },
    body: opts.body,
    requests: opts.pathFn ? [{ setupRequest: (req) => ({ ...req, path: opts.pathFn!() }) }] : undefined,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p99: result.latency.p99 };
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-'));
  const baseDir = mkdtempSync(path.join(tmpdir(), 'baton-bench-base-'));
  console.log(`seeding ${SEED} records…`);
  const { ids } = await seed(dir);
  cpSync(path.join(dir, 'data.db'), path.join(baseDir, 'data.db'));
  const pick = () => ids[Math.floor(Math.random() * ids.length)];

  const batonPort = 18090;
  const basePort = 18091;
  const baton = await start('node', ['bin/baton.js', 'serve', `--http=127.0.0.1:${batonPort}`, `--dir=${dir}`, '--log-level=warn'], 'Server started');
  const base = await start('node', ['--import', 'tsx', 'bench/baseline.ts', path.join(baseDir, 'data.db'), String(basePort)], 'ready');
  const B = `http://127.0.0.1:${batonPort}`;
  const R = `http://127.0.0.1:${basePort}`;
  const filter = encodeURIComponent('views > 500 && published = true');
  const rows: Array<{ name: string; baton: Figures; base: Figures }> = [];
  try {
    const body = JSON.stringify({ title: 'new', views: 7, published: true });
    const scenarios: Array<[string, (d?: number) => Promise<Figures>, (d?: number) => Promise<Figures>]> = [
      ['list (30/page, filter + sort + total)', (d) => load(`${B}/api/collections/posts/records?filter=${filter}&sort=-created&perPage=30`, {}, d), (d) => load(`${R}/list?min=500`, {}, d)],
      ['view by id', (d) => load(B, { pathFn: () => `/api/collections/posts/records/${pick()}` }, d), (d) => load(R, { pathFn: () => `/view/${pick()}` }, d)],
      ['create', (d) => load(`${B}/api/collections/posts/records`, { method: 'POST', body }, d), (d) => load(`${R}/create`, { method: 'POST', body }, d)],
    ];
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    for (const [name, runBaton, runBase] of scenarios) {
      // Warm both up (JIT, statement caches), then alternate them ROUNDS times and keep the
      // medians: this machine is shared and noisy, so one pair of runs proves little.
      console.log(`running: ${name}`);
      await runBaton(2);
      await runBase(2);
      const b: Figures[] = [];
      const r: Figures[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        if (round % 2 === 0) {
          b.push(await runBaton());
          r.push(await runBase());
        } else {
          r.push(await runBase());
          b.push(await runBaton());
        }
      }
      const baton = { rps: median(b.map((x) => x.rps)), p99: median(b.map((x) => x.p99)) };
      const base = { rps: median(r.map((x) => x.rps)), p99: median(r.map((x) => x.p99)) };
      rows.push({ name, baton, base });
      console.log(`  baton ${baton.rps.toFixed(0)} req/s p99 ${baton.p99} ms | baseline ${base.rps.toFixed(0)} req/s p99 ${base.p99} ms | ratio ${((baton.rps / base.rps) * 100).toFixed(0)}%`);
    }
  } finally {
    baton.kill('SIGTERM');
    base.kill('SIGTERM');
  }
  const table = [
    '| request | Baton req/s | Baton p99 ms | baseline req/s | baseline p99 ms | Baton / baseline |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.baton.rps.toFixed(0)} | ${r.baton.p99} | ${r.base.rps.toFixed(0)} | ${r.base.p99} | ${((r.baton.rps / r.base.rps) * 100).toFixed(0)}% |`),
  ].join('\n');
  console.log(`\n${table}`);
  if (values.write) {
    const file = path.join(root, 'docs/performance.md');
    const doc = readFileSync(file, 'utf8');
    const marker = '<!-- bench:results -->';
    const stamp = `Run ${new Date().toISOString().slice(0, 10)}: \`npm run bench -- --duration=${DURATION} --connections=${CONNECTIONS} --rounds=${ROUNDS} --write\`, ${SEED} seeded records, Node ${process.version}; medians of ${ROUNDS} alternating rounds after a 2 s warm-up.\n\n${table}`;
    writeFileSync(file, doc.includes(marker) ? doc.replace(new RegExp(`${marker}[\\s\\S]*?${marker}`), `${marker}\n${stamp}\n${marker}`) : `${doc}\n${marker}\n${stamp}\n${marker}\n`);
  }
  rmSync(dir, { recursive: true, force: true });
  rmSync(baseDir, { recursive: true, force: true });
}

await main();
