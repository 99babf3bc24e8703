// Benchmark: Baton vs. a bare node:http baseline on the same database and driver, measured in the
// same run on the same seeded data, on SQLite, PostgreSQL and MySQL/MariaDB one after the other.
// Usage: npm run bench [-- --duration=10 --connections=10 --rounds=3 --db=sqlite,postgres,mysql --write]
// (bench/run.ts dispatches here unless --pinned is given)
//   --db        the databases to measure (default: SQLite plus every server below that answers;
//               a server that does not answer is reported in one line and skipped)
//   --postgres  the PostgreSQL server (env BATON_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432/test)
//   --mysql     the MySQL/MariaDB server (env BATON_BENCH_MYSQL, default mysql://root@127.0.0.1:3306/test)
// On a server, the run creates a database of its own (baton_bench_<random>) next to the one named
// in the URL, and drops it at the end, also when the run fails or is interrupted.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { parseArgs } from 'node:util';
import { cleanupAll, freePorts, isInterrupted, median, onCleanup, root, seed, SEED, sqliteVersion, stop, versionOf } from './support.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string' },
    connections: { type: 'string' },
    rounds: { type: 'string' },
    write: { type: 'boolean' },
    db: { type: 'string' },
    postgres: { type: 'string' },
    mysql: { type: 'string' },
  },
});
const DURATION = Number(values.duration ?? 10);
const CONNECTIONS = Number(values.connections ?? 10);
const ROUNDS = Number(values.rounds ?? 3);
const WARMUP = 2;

type Kind = 'sqlite' | 'postgres' | 'mysql';
const KINDS: readonly Kind[] = ['sqlite', 'postgres', 'mysql'];
const SERVER_URLS: Record<Exclude<Kind, 'sqlite'>, string> = {
  postgres: values.postgres ?? process.env.BATON_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: values.mysql ?? process.env.BATON_BENCH_MYSQL ?? 'mysql://root@127.0.0.1:3306/test',
};

/** A URL fit for printing: no password. */
const redact = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:…@');

// ---- database servers ---------------------------------------------------------------------------

/** A database server that answered. */
interface Server {
  kind: Exclude<Kind, 'sqlite'>;
  /** e.g. "PostgreSQL 15.20", "MariaDB 10.11.19". */
  version: string;
  /** Creates database `name`; returns the URL Baton and the baseline connect to. */
  create(name: string): Promise<string>;
  /** Refreshes the planner's statistics after seeding, so every run plans the same way. */
  analyze(name: string): Promise<void>;
  /** Drops database `name` if it exists. */
  drop(name: string): Promise<void>;
}

function benchUrl(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.href;
}

async function postgresServer(url: string): Promise<Server> {
  const { default: postgres } = await import('postgres');
  const connect = (u: string) => postgres(u, { max: 1, connect_timeout: 5, onnotice: () => undefined });
  const admin = connect(url);
  try {
    const [{ server_version }] = await admin`SHOW server_version`;
    const run = async (u: string, statement: string) => {
      const sql = connect(u);
      try {
        await sql.unsafe(statement);
      } finally {
        await sql.end({ timeout: 5 });
      }
    };
    return {
      kind: 'postgres',
      version: `PostgreSQL ${String(server_version).split(' ')[0]}`,
      async create(name) {
        await run(url, `CREATE DATABASE ${name}`);
        return benchUrl(url, name);
      },
      analyze: (name) => run(benchUrl(url, name), 'ANALYZE'),
      drop: (name) => run(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  } finally {
    await admin.end({ timeout: 5 });
  }
}

async function mysqlServer(url: string): Promise<Server> {
  const mysql = await import('mysql2/promise');
  const connect = (u: string) => mysql.createConnection({ uri: u.replace(/^mariadb:/i, 'mysql:'), connectTimeout: 5000 });
  const admin = await connect(url);
  try {
    const [[{ v }]] = (await admin.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
    const version = String(v);
    const run = async (u: string, statement: string) => {
      const c = await connect(u);
      try {
        await c.query(statement);
      } finally {
        await c.end();
      }
    };
    return {
      kind: 'mysql',
      version: /mariadb/i.test(version) ? `MariaDB ${version.split('-')[0]}` : `MySQL ${version}`,
      async create(name) {
        await run(url, `CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin`);
        return benchUrl(url, name);
      },
      analyze: (name) => run(benchUrl(url, name), 'ANALYZE TABLE posts'),
      drop: (name) => run(url, `DROP DATABASE IF EXISTS ${name}`),
    };
  } finally {
    await admin.end();
  }
}

/** The server of `kind`, or why it cannot be used (it does not answer …). */
async function probe(kind: Exclude<Kind, 'sqlite'>): Promise<Server | string> {
  const url = SERVER_URLS[kind];
  try {
    return kind === 'postgres' ? await postgresServer(url) : await mysqlServer(url);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    const reason = err.message && err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : (err.message ?? err.code ?? String(e));
    return `no answer at ${redact(url)} (${reason})`;
  }
}

// ---- processes ----------------------------------------------------------------------------------

/** Starts a server process; resolves once it prints `readyText`, and registers its stop. */
function start(cmd: string, args: string[], readyText: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    // BATON_DB would send the SQLite run's Baton to a server database.
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BATON_DB: '' } });
    onCleanup(() => stop(child));
    const timer = setTimeout(() => reject(new Error(`${args.slice(0, 3).join(' ')}: not ready after 60 s`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes(readyText)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} exited with ${code}`));
    });
  });
}

// ---- measuring ----------------------------------------------------------------------------------

interface Figures {
  rps: number;
  p99: number;
}

interface Row {
  name: string;
  baton: Figures;
  base: Figures;
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

const ratio = (r: Row) => `${((r.baton.rps / r.base.rps) * 100).toFixed(0)}%`;

/** Baton and the baseline on `ids`, scenario after scenario: warm-up, then alternating rounds. */
async function measure(batonPort: number, basePort: number, ids: string[]): Promise<Row[]> {
  const pick = () => ids[Math.floor(Math.random() * ids.length)];
  const B = `http://127.0.0.1:${batonPort}`;
  const R = `http://127.0.0.1:${basePort}`;
  const filter = encodeURIComponent('views > 500 && published = true');
  const body = JSON.stringify({ title: 'new', views: 7, published: true });
  const scenarios: Array<[string, (d?: number) => Promise<Figures>, (d?: number) => Promise<Figures>]> = [
    ['list (30/page, filter + sort + total)', (d) => load(`${B}/api/collections/posts/records?filter=${filter}&sort=-created&perPage=30`, {}, d), (d) => load(`${R}/list?min=500`, {}, d)],
    ['view by id', (d) => load(B, { pathFn: () => `/api/collections/posts/records/${pick()}` }, d), (d) => load(R, { pathFn: () => `/view/${pick()}` }, d)],
    ['create', (d) => load(`${B}/api/collections/posts/records`, { method: 'POST', body }, d), (d) => load(`${R}/create`, { method: 'POST', body }, d)],
  ];
  const rows: Row[] = [];
  for (const [name, runBaton, runBase] of scenarios) {
    // Warm both up (JIT, statement caches, pools), then alternate them ROUNDS times and keep the
    // medians: this machine is shared and noisy, so one pair of runs proves little.
    console.log(`  running: ${name}`);
    await runBaton(WARMUP);
    await runBase(WARMUP);
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
    const row = {
      name,
      baton: { rps: median(b.map((x) => x.rps)), p99: median(b.map((x) => x.p99)) },
      base: { rps: median(r.map((x) => x.rps)), p99: median(r.map((x) => x.p99)) },
    };
    rows.push(row);
    console.log(`    baton ${row.baton.rps.toFixed(0)} req/s p99 ${row.baton.p99} ms | baseline ${row.base.rps.toFixed(0)} req/s p99 ${row.base.p99} ms | ratio ${ratio(row)}`);
  }
  return rows;
}

// ---- one database -------------------------------------------------------------------------------

interface Result {
  kind: Kind;
  /** What was measured: the database and the baseline's driver, for the table's heading. */
  title: string;
  rows: Row[];
}

async function benchDatabase(kind: Kind, server: Server | undefined): Promise<Result> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-'));
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  let title: string;
  let dbUrl: string | undefined;
  let baseline: string[];
  const name = `baton_bench_${randomBytes(4).toString('hex')}`;
  if (kind === 'sqlite') {
    title = `SQLite ${await sqliteVersion()} (baseline \`bench/baseline.ts\`: better-sqlite3 ${versionOf('better-sqlite3')})`;
  } else {
    // Registered first: a run interrupted while the database is being created still drops it.
    onCleanup(() => server!.drop(name));
    dbUrl = await server!.create(name);
    title =
      kind === 'postgres'
        ? `${server!.version} (baseline \`bench/baseline-postgres.ts\`: postgres ${versionOf('postgres')}, prepared statements, pool of 10, as Baton)`
        : `${server!.version} (baseline \`bench/baseline-mysql.ts\`: mysql2 ${versionOf('mysql2')}, prepared statements, pool of 10, as Baton)`;
    console.log(`  database ${redact(dbUrl)}`);
  }
  console.log(`  seeding ${SEED} records…`);
  const seedStart = performance.now();
  const { ids } = await seed(dir, dbUrl);
  if (server) await server.analyze(name);
  console.log(`  seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
  if (kind === 'sqlite') {
    const baseDir = mkdtempSync(path.join(tmpdir(), 'baton-bench-base-'));
    onCleanup(async () => rmSync(baseDir, { recursive: true, force: true }));
    cpSync(path.join(dir, 'data.db'), path.join(baseDir, 'data.db'));
    baseline = ['bench/baseline.ts', path.join(baseDir, 'data.db')];
  } else {
    baseline = [kind === 'postgres' ? 'bench/baseline-postgres.ts' : 'bench/baseline-mysql.ts', dbUrl!];
  }
  const [batonPort, basePort] = await freePorts(2);
  const batonArgs = ['bin/baton.js', 'serve', `--http=127.0.0.1:${batonPort}`, `--dir=${dir}`, '--log-level=warn', ...(dbUrl ? [`--db=${dbUrl}`] : [])];
  const baton = await start('node', batonArgs, 'Server started');
  const base = await start('node', ['--import', 'tsx', ...baseline, String(basePort)], 'ready');
  try {
    return { kind, title, rows: await measure(batonPort, basePort, ids) };
  } finally {
    // The next database starts its own pair: wait until both processes are gone.
    await Promise.all([stop(baton), stop(base)]);
  }
}

// ---- main ---------------------------------------------------------------------------------------

function table(rows: Row[]): string {
  return [
    '| request | Baton req/s | Baton p99 ms | baseline req/s | baseline p99 ms | Baton / baseline |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.baton.rps.toFixed(0)} | ${r.baton.p99} | ${r.base.rps.toFixed(0)} | ${r.base.p99} | ${ratio(r)} |`),
  ].join('\n');
}

async function main(): Promise<number> {
  const asked = values.db ? values.db.split(',').map((s) => s.trim().toLowerCase()) : [...KINDS];
  const unknown = asked.filter((k) => !(KINDS as readonly string[]).includes(k));
  if (unknown.length) {
    console.error(`unknown --db ${unknown.join(', ')} (expected a list of ${KINDS.join(', ')})`);
    return 2;
  }
  const kinds = KINDS.filter((k) => asked.includes(k));

  // Which servers answer, before anything long starts.
  const servers = new Map<Kind, Server>();
  const skipped: string[] = [];
  for (const kind of kinds) {
    if (kind === 'sqlite') continue;
    const server = await probe(kind);
    if (typeof server === 'string') {
      console.log(`${kind}: skipped, ${server}`);
      skipped.push(`${kind}: ${server}`);
    } else {
      servers.set(kind, server);
    }
  }

  const results: Result[] = [];
  const failed: string[] = [];
  for (const kind of kinds) {
    if (isInterrupted()) break;
    if (kind !== 'sqlite' && !servers.has(kind)) continue;
    console.log(`\n${kind === 'sqlite' ? 'SQLite' : servers.get(kind)!.version}`);
    try {
      results.push(await benchDatabase(kind, servers.get(kind)));
    } catch (e) {
      if (!isInterrupted()) console.error(`${kind}: failed: ${(e as Error).stack ?? e}`);
      failed.push(kind);
    } finally {
      // Servers stopped, bench database dropped, directories removed before the next database.
      await cleanupAll();
    }
  }

  const tables = results.map((r) => `**${r.title}**\n\n${table(r.rows)}`).join('\n\n');
  if (tables) console.log(`\n${tables}`);
  if (skipped.length) console.log(`\nnot measured: ${skipped.map((s) => s.split(':')[0]).join(', ')}`);
  if (failed.length) {
    console.error(`\nfailed: ${failed.join(', ')}${values.write ? ' (docs/performance.md left as it was)' : ''}`);
    return 1;
  }
  if (values.write && results.length) {
    const file = path.join(root, 'docs/performance.md');
    const doc = readFileSync(file, 'utf8');
    const marker = '<!-- bench:results -->';
    const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
    const notMeasured = skipped.length ? `\n\nNot measured in this run: ${skipped.map((s) => s.split(':')[0]).join(', ')} (no server answered).` : '';
    const stamp =
      `Run ${new Date().toISOString().slice(0, 10)}: \`${command}\`, ${SEED} seeded records per database, Node ${process.version}, ` +
      `${CONNECTIONS} connections; medians of ${ROUNDS} alternating rounds of ${DURATION} s after a ${WARMUP} s warm-up. ` +
      `On a server, Baton and its baseline share one database created for the run.\n\n${tables}${notMeasured}`;
    writeFileSync(file, doc.includes(marker) ? doc.replace(new RegExp(`${marker}[\\s\\S]*?${marker}`), () => `${marker}\n${stamp}\n${marker}`) : `${doc}\n${marker}\n${stamp}\n${marker}\n`);
    console.log(`\nwrote docs/performance.md`);
  }
  return 0;
}

try {
  process.exitCode = await main();
} finally {
  await cleanupAll();
}
