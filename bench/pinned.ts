// Benchmark, pinned mode: Baton as users run it against a hand-written server, under the
// conditions of issue 6 item 8. Both servers run at once, each pinned to core 0 (`taskset -c 0`);
// the load generator (autocannon, bench/load-worker.ts) runs in its own process pinned to core 1;
// 32 connections; 10,000 seeded records; SQLite only. Baton is `node bin/baton.js serve` with the
// environment's BATON_* variables removed and no --log-level: logs as shipped (info: lifecycle and
// errors; request lines are debug), its stdout written to a file. The baseline is
// bench/baseline-fastify.ts (Fastify + better-sqlite3 on Baton's own URLs) or, with
// --baseline=http, bench/baseline.ts (node:http). Per scenario (list, view, create, in that order:
// creates grow the tables) both get a warm-up, then the rounds alternate which server goes first;
// each round gives a ratio Baton/baseline, and the medians are reported. Each run also reports the
// CPU the server used, how busy its core was (above the server's share: other work on the machine
// took part of the core) and the load generator's CPU (near 100%: the load, not the server, may
// have been the limit); such runs are flagged.
// Usage: npm run bench -- --pinned [--duration=5 --rounds=5 --connections=32 --warmup=2 --write]
//   --baseline=fastify|http   the hand-written server (default fastify)
//   --scenarios=list,view,create   which requests to measure (default all three)
//   --log-level=LEVEL   passed to Baton (default none: as shipped)
//   --request-logs=off  settings.logs.maxDays 0: no request logs in _logs (default: on, as shipped)
//   --baton-log=PATH    where Baton's stdout goes (default a file in the run's temporary directory;
//                       /dev/null works)
//   --profile=DIR       runs both servers under `node --cpu-prof` into DIR and prints, per
//                       scenario, where each spent its time during its measured rounds
//                       (bench/profile-summary.ts); throughput is lower under the profiler
//   --no-pin            runs unpinned (also what happens, with a message, without taskset or a
//                       second core)
import type { ChildProcess } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadRequest, LoadResult } from './load-worker.ts';
import { answering, busyShare, coreTicks, cpuSeconds, LOAD_CORE, Loader, pinning, SERVER_CORE, spawnNode } from './pinned-processes.ts';
import { formatComparison, formatSummary, mergeSummaries, summarize, type CpuProfile, type ProfileWindow } from './profile-summary.ts';
import { cleanupAll, freePorts, isInterrupted, median, onCleanup, root, seed, SEED, sqliteVersion, stop, versionOf } from './support.ts';

const { values } = parseArgs({
  options: {
    pinned: { type: 'boolean' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string' },
    warmup: { type: 'string' },
    baseline: { type: 'string' },
    scenarios: { type: 'string' },
    'log-level': { type: 'string' },
    'request-logs': { type: 'string' },
    'baton-log': { type: 'string' },
    profile: { type: 'string' },
    'no-pin': { type: 'boolean' },
    write: { type: 'boolean' },
  },
});
const DURATION = Number(values.duration ?? 5);
const ROUNDS = Number(values.rounds ?? 5);
const CONNECTIONS = Number(values.connections ?? 32);
const WARMUP = Number(values.warmup ?? 2);
const BASELINE = values.baseline ?? 'fastify';
const PROFILE_DIR = values.profile && path.resolve(values.profile);

type ScenarioName = 'list' | 'view' | 'create';
const SCENARIOS: readonly ScenarioName[] = ['list', 'view', 'create'];
const LABELS: Record<ScenarioName, string> = {
  list: 'list (30/page, filter + sort + total)',
  view: 'view by id',
  create: 'create',
};

// ---- measuring ----------------------------------------------------------------------------------

interface Target {
  name: 'Baton' | 'baseline';
  child: ChildProcess;
  /** Pinned by taskset: each run also reads how busy both cores were. */
  pinned: boolean;
  /** The three requests on this server. */
  requests: Record<ScenarioName, Omit<LoadRequest, 'connections' | 'duration'>>;
  /** [start, end] of each measured run, per scenario, for the profile (µs, process.hrtime's clock). */
  windows: ProfileWindow[];
}

interface Run extends LoadResult {
  /** The server's CPU time over the run's wall time (1 = its core busy throughout). */
  serverCpu: number;
  /**
   * The server's CPU time per answered request, µs. Less sensitive than req/s to other work
   * sharing the core (which takes time, not work, from the server), though not immune (caches).
   */
  cpuPerRequest: number;
  /** The same for the main thread alone (the rest went to worker threads: reader, appender, V8's). */
  mainCpuPerRequest: number;
  /**
   * How busy the servers' core was, whoever used it (NaN unpinned). Above serverCpu: other work
   * on the machine (and the kernel's loopback processing, charged to no process) shared the core.
   */
  coreBusy: number;
  /** How busy the load generator's core was, whoever used it (NaN unpinned). */
  loadCoreBusy: number;
}

interface ScenarioResult {
  name: ScenarioName;
  rounds: Array<{ baton: Run; base: Run }>;
}

const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

async function runOnce(loader: Loader, target: Target, scenario: ScenarioName, duration: number, measured: boolean): Promise<Run> {
  const ticks = (core: string) => (target.pinned ? coreTicks(core) : undefined);
  const core0 = ticks(SERVER_CORE);
  const loadCore0 = ticks(LOAD_CORE);
  const cpu0 = cpuSeconds(target.child.pid);
  const main0 = cpuSeconds(target.child.pid, 'main');
  const t0 = performance.now();
  const start = nowMicros();
  const result = await loader.run({ ...target.requests[scenario], connections: CONNECTIONS, duration });
  if (measured) target.windows.push({ name: `${target.name}: ${scenario}`, start, end: nowMicros(), requests: result.requests });
  const cpu1 = cpuSeconds(target.child.pid);
  const main1 = cpuSeconds(target.child.pid, 'main');
  const coreBusy = busyShare(core0, ticks(SERVER_CORE));
  const loadCoreBusy = busyShare(loadCore0, ticks(LOAD_CORE));
  if (result.failures > 0) throw new Error(`${target.name} ${scenario}: ${result.failures} non-2xx answers or errors`);
  const cpu = cpu0 === undefined || cpu1 === undefined ? NaN : cpu1 - cpu0;
  const serverCpu = cpu / ((performance.now() - t0) / 1000);
  const mainCpu = main0 === undefined || main1 === undefined ? NaN : main1 - main0;
  return { ...result, serverCpu, cpuPerRequest: (cpu * 1e6) / result.requests, mainCpuPerRequest: (mainCpu * 1e6) / result.requests, coreBusy, loadCoreBusy };
}

const pct = (x: number) => (Number.isNaN(x) ? '?' : `${(x * 100).toFixed(0)}%`);
const ratioOf = (r: { baton: Run; base: Run }) => r.baton.rps / r.base.rps;
/** The baseline's CPU per request over Baton's: roughly the throughput ratio if each had its core to itself. */
const cpuRatioOf = (r: { baton: Run; base: Run }) => r.base.cpuPerRequest / r.baton.cpuPerRequest;

function describeRun(r: Run): string {
  const core = (x: number) => (Number.isNaN(x) ? '' : ` (core ${pct(x)})`);
  return `${r.rps.toFixed(0).padStart(6)} req/s p99 ${String(r.p99).padStart(3)} ms ${r.cpuPerRequest.toFixed(0).padStart(4)} µs/req (main thread ${r.mainCpuPerRequest.toFixed(0)}; cpu ${pct(r.serverCpu)}${core(r.coreBusy)}, load ${pct(r.loaderCpu)}${core(r.loadCoreBusy)})`;
}

/** What may have limited a run other than the server itself: printed, and counted in the report. */
function suspicious(r: Run): string[] {
  const out: string[] = [];
  if (r.coreBusy < 0.9) out.push(`servers' core only ${pct(r.coreBusy)} busy (the load fell short)`);
  if (r.coreBusy - r.serverCpu > 0.2) out.push(`${pct(r.coreBusy - r.serverCpu)} of the servers' core went to other work or the kernel`);
  if (Number.isNaN(r.coreBusy) && r.serverCpu < 0.9) out.push(`server used ${pct(r.serverCpu)} of a core`);
  if (r.loadCoreBusy - r.loaderCpu > 0.2) out.push(`${pct(r.loadCoreBusy - r.loaderCpu)} of the load generator's core went to other work or the kernel`);
  if (r.loaderCpu > 0.9) out.push(`load generator at ${pct(r.loaderCpu)} of its core (it may be the limit)`);
  return out;
}

async function measure(loader: Loader, baton: Target, base: Target, scenarios: ScenarioName[], warnings: string[]): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const name of scenarios) {
    console.log(`\n  ${LABELS[name]}: warm-up ${WARMUP} s each`);
    await runOnce(loader, baton, name, WARMUP, false);
    await runOnce(loader, base, name, WARMUP, false);
    const rounds: ScenarioResult['rounds'] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate who goes first: drift on a shared machine then favours neither.
      const order = round % 2 === 0 ? [baton, base] : [base, baton];
      const runs = new Map<Target, Run>();
      for (const target of order) runs.set(target, await runOnce(loader, target, name, DURATION, true));
      const r = { baton: runs.get(baton)!, base: runs.get(base)! };
      rounds.push(r);
      console.log(`    round ${round + 1}: Baton ${describeRun(r.baton)} | baseline ${describeRun(r.base)} | ${pct(ratioOf(r))}`);
      for (const [who, run] of [['Baton', r.baton], ['baseline', r.base]] as const) {
        const notes = suspicious(run);
        if (!notes.length) continue;
        console.log(`      ${who}: ${notes.join('; ')}`);
        warnings.push(`${name} round ${round + 1}, ${who}: ${notes.join('; ')}`);
      }
    }
    const result = { name, rounds };
    results.push(result);
    const m = medians(result);
    console.log(`    median: Baton ${m.baton.toFixed(0)} req/s | baseline ${m.base.toFixed(0)} req/s | ratio ${pct(m.ratio)} | CPU per request ${m.batonCpu.toFixed(0)} µs, ${m.baseCpu.toFixed(0)} µs: ${pct(m.cpuRatio)}`);
  }
  return results;
}

function medians(s: ScenarioResult) {
  return {
    baton: median(s.rounds.map((r) => r.baton.rps)),
    batonP99: median(s.rounds.map((r) => r.baton.p99)),
    base: median(s.rounds.map((r) => r.base.rps)),
    baseP99: median(s.rounds.map((r) => r.base.p99)),
    ratio: median(s.rounds.map(ratioOf)),
    batonCpu: median(s.rounds.map((r) => r.baton.cpuPerRequest)),
    baseCpu: median(s.rounds.map((r) => r.base.cpuPerRequest)),
    cpuRatio: median(s.rounds.map(cpuRatioOf)),
  };
}

function table(results: ScenarioResult[]): string {
  return [
    '| request | Baton req/s | Baton p99 ms | baseline req/s | baseline p99 ms | Baton / baseline | per round | CPU µs/req Baton, baseline | baseline / Baton CPU |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map((s) => {
      const m = medians(s);
      const rounds = s.rounds.map((r) => `${r.baton.rps.toFixed(0)}/${r.base.rps.toFixed(0)} = ${pct(ratioOf(r))}`).join('; ');
      const cpu = `${m.batonCpu.toFixed(0)}, ${m.baseCpu.toFixed(0)}`;
      return `| ${LABELS[s.name]} | ${m.baton.toFixed(0)} | ${m.batonP99} | ${m.base.toFixed(0)} | ${m.baseP99} | ${pct(m.ratio)} | ${rounds} | ${cpu} | ${pct(m.cpuRatio)} |`;
    }),
  ].join('\n');
}

// ---- profiles -----------------------------------------------------------------------------------

/**
 * The profiles `target` wrote into PROFILE_DIR, one per thread (its main thread, and worker threads
 * such as SQLite readers), with the run's windows saved beside the main thread's.
 */
function loadProfiles(target: Target): Array<{ thread: string; profile: CpuProfile }> {
  const pattern = new RegExp(`^CPU\\.\\d+\\.\\d+\\.${target.child.pid}\\.(\\d+)\\.\\d+\\.cpuprofile$`);
  const files = readdirSync(PROFILE_DIR!).filter((f) => pattern.test(f)).sort();
  if (!files.length) console.log(`${target.name}: no profile in ${PROFILE_DIR} for pid ${target.child.pid}`);
  return files.map((f) => {
    const full = path.join(PROFILE_DIR!, f);
    const thread = pattern.exec(f)![1];
    if (thread === '0') writeFileSync(full.replace(/\.cpuprofile$/, '.windows.json'), JSON.stringify(target.windows, null, 1));
    console.log(`${target.name} profile, thread ${thread}: ${full}${thread === '0' ? ' (windows beside it)' : ''}`);
    return { thread, profile: JSON.parse(readFileSync(full, 'utf8')) as CpuProfile };
  });
}

/** Per scenario: where each server spent its measured rounds (all threads), then where Baton spends more per request. */
function reportProfiles(baton: Target, base: Target, scenarios: ScenarioName[]): void {
  console.log('');
  const profiles = [baton, base].map((t) => ({ target: t, threads: loadProfiles(t) }));
  for (const scenario of scenarios) {
    const sums = profiles.map(({ target, threads }) => {
      const windows = target.windows.filter((w) => w.name === `${target.name}: ${scenario}`);
      const requests = windows.reduce((n, w) => n + (w.requests ?? 0), 0);
      const spans = windows.map((w): [number, number] => [w.start, w.end]);
      const perThread = threads.map(({ thread, profile }) => ({ thread, summary: summarize(profile, spans) }));
      if (!perThread.length) return { summary: undefined, requests };
      const summary = mergeSummaries(perThread.map((t) => t.summary));
      const busy = perThread.filter((t) => t.summary.busyMs > 0).map((t) => `thread ${t.thread} ${t.summary.busyMs.toFixed(0)} ms`).join(', ');
      console.log(`\n== ${target.name}: ${scenario} (${busy})\n${formatSummary(summary, 20, requests)}`);
      return { summary, requests };
    });
    const [a, b] = sums;
    if (a.summary && b.summary && a.requests && b.requests) {
      console.log(`\n== ${scenario}: Baton against the baseline\n${formatComparison(['Baton', 'baseline'], a.summary, a.requests, b.summary, b.requests)}`);
    }
  }
}

// ---- main ---------------------------------------------------------------------------------------

async function main(): Promise<number> {
  if (BASELINE !== 'fastify' && BASELINE !== 'http') {
    console.error(`unknown --baseline ${BASELINE} (expected fastify or http)`);
    return 2;
  }
  const asked = values.scenarios ? values.scenarios.split(',').map((s) => s.trim()) : [...SCENARIOS];
  const unknown = asked.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length || !asked.length) {
    console.error(`unknown --scenarios ${unknown.join(', ')} (expected a list of ${SCENARIOS.join(', ')})`);
    return 2;
  }
  const scenarios = SCENARIOS.filter((s) => asked.includes(s));
  const pin = pinning(!!values['no-pin']);

  const runDir = mkdtempSync(path.join(tmpdir(), 'baton-pinned-'));
  onCleanup(async () => rmSync(runDir, { recursive: true, force: true }));
  const dataDir = path.join(runDir, 'baton');
  mkdirSync(dataDir);
  console.log(`seeding ${SEED} records…`);
  if (values['request-logs'] !== undefined && !['on', 'off'].includes(values['request-logs'])) {
    throw new Error(`--request-logs=${values['request-logs']}: expected on or off`);
  }
  const { ids } = await seed(dataDir, undefined, values['request-logs'] === 'off' ? { logs: { maxDays: 0 } } : undefined);
  const idsFile = path.join(runDir, 'ids.json');
  writeFileSync(idsFile, JSON.stringify(ids));
  // The baseline gets its own copy: each server writes its creates to its own file.
  const baseDb = path.join(runDir, 'baseline.db');
  cpSync(path.join(dataDir, 'data.db'), baseDb);

  const profileArgs = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  const [batonPort, basePort] = await freePorts(2);

  // Baton as shipped: no BATON_* variable from this environment, default log level unless asked.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_')));
  const logPath = values['baton-log'] ? path.resolve(values['baton-log']) : path.join(runDir, 'baton-stdout.log');
  const logFd = openSync(logPath, 'w');
  const logLevel = values['log-level'];
  const batonChild = spawnNode(
    pin.server,
    [...profileArgs, 'bin/baton.js', 'serve', `--http=127.0.0.1:${batonPort}`, `--dir=${dataDir}`, ...(logLevel ? [`--log-level=${logLevel}`] : [])],
    { stdio: ['ignore', logFd, 'inherit'], env },
  );
  closeSync(logFd);
  onCleanup(() => stop(batonChild));
  const baseScript = BASELINE === 'fastify' ? 'bench/baseline-fastify.ts' : 'bench/baseline.ts';
  const baseChild = spawnNode(pin.server, [...profileArgs, '--import', 'tsx', baseScript, baseDb, String(basePort)], { stdio: ['ignore', 'ignore', 'inherit'] });
  onCleanup(() => stop(baseChild));

  const B = `http://127.0.0.1:${batonPort}`;
  const R = `http://127.0.0.1:${basePort}`;
  const body = JSON.stringify({ title: 'new', views: 7, published: true });
  const batonUrls = (origin: string): Target['requests'] => {
    const records = `${origin}/api/collections/posts/records`;
    const filter = encodeURIComponent('views > 500 && published = true');
    return {
      list: { url: `${records}?filter=${filter}&sort=-created&perPage=30` },
      view: { url: origin, pathPrefix: '/api/collections/posts/records/' },
      create: { url: records, method: 'POST', body },
    };
  };
  const baton: Target = { name: 'Baton', child: batonChild, pinned: pin.pinned, requests: batonUrls(B), windows: [] };
  const base: Target = {
    name: 'baseline',
    child: baseChild,
    pinned: pin.pinned,
    // The Fastify baseline answers Baton's URLs (its list ignores the query: the filter is compiled by hand).
    requests:
      BASELINE === 'fastify'
        ? batonUrls(R)
        : { list: { url: `${R}/list?min=500` }, view: { url: R, pathPrefix: '/view/' }, create: { url: `${R}/create`, method: 'POST', body } },
    windows: [],
  };
  await Promise.all([answering(batonChild, `${B}/api/health`, 'Baton'), answering(baseChild, `${R}/`, 'baseline')]);
  const loader = Loader.start(pin.load, idsFile);

  const baseTitle =
    BASELINE === 'fastify'
      ? `\`bench/baseline-fastify.ts\`: Fastify ${versionOf('fastify')} + better-sqlite3 ${versionOf('better-sqlite3')}`
      : `\`bench/baseline.ts\`: node:http + better-sqlite3 ${versionOf('better-sqlite3')}`;
  console.log(`\nBaton (logs ${logLevel ? `at ${logLevel}` : 'as shipped'}, stdout to ${logPath}) against ${baseTitle}; ${pin.note}`);
  console.log(`${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION} s after a ${WARMUP} s warm-up`);
  const warnings: string[] = [];
  const results = await measure(loader, baton, base, scenarios, warnings);
  await Promise.all([stop(batonChild), stop(baseChild)]);
  const logBytes = statSync(logPath).size;

  const heading =
    `SQLite ${await sqliteVersion()}, ${SEED} seeded records, Node ${process.version}; Baton \`node bin/baton.js serve\` ` +
    `(logs ${logLevel ? `at ${logLevel}` : 'as shipped: info, no line per request'}; ${(logBytes / 1e6).toFixed(0)} MB written to stdout, into a file) ` +
    `against ${baseTitle}; ${pin.note}; ${CONNECTIONS} connections; per request, a ${WARMUP} s warm-up each, then ${ROUNDS} rounds of ${DURATION} s ` +
    `alternating which server goes first. "Baton / baseline" is the median of the rounds' ratios of req/s; "per round" is Baton/baseline req/s; ` +
    `"CPU µs/req" is each server's CPU time (from /proc) per answered request, and "baseline / Baton CPU" the median of the rounds' ratios of it, ` +
    `roughly the throughput ratio if each server had its core to itself.`;
  const report = `${heading}\n\n${table(results)}`;
  console.log(`\n${report}`);
  const runs = results.length * ROUNDS * 2;
  if (warnings.length) console.log(`\n${warnings.length} of ${runs} runs flagged:\n${warnings.map((w) => `  ${w}`).join('\n')}`);
  if (PROFILE_DIR) reportProfiles(baton, base, scenarios);

  if (values.write) {
    const file = path.join(root, 'docs/performance.md');
    const doc = readFileSync(file, 'utf8');
    const marker = '<!-- bench:pinned -->';
    const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
    const flagged = warnings.length
      ? `\n\n${warnings.length} of ${runs} runs flagged by the bench (another process on a pinned core, or a server not saturated):\n${warnings.map((w) => `- ${w}`).join('\n')}`
      : pin.pinned
        ? '\n\nNo run flagged: both cores were the bench\'s alone and each server used all of its core.'
        : '';
    const stamp = `Run ${new Date().toISOString().slice(0, 10)}: \`${command}\`. ${report}${flagged}`;
    writeFileSync(file, doc.includes(marker) ? doc.replace(new RegExp(`${marker}[\\s\\S]*?${marker}`), () => `${marker}\n${stamp}\n${marker}`) : `${doc}\n${marker}\n${stamp}\n${marker}\n`);
    console.log('\nwrote docs/performance.md');
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  // Interrupted: the children were stopped under the run's feet, which is no failure to report.
  if (!isInterrupted()) console.error(`pinned bench failed: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
