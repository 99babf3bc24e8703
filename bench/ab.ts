// Benchmark: two Baton servers against each other, under the pinned mode's conditions (both on
// core 0, the load generator on core 1, 32 connections, view by id, rounds alternating which goes
// first). For A/B figures that a single run's noise would hide: two builds (--a-root/--b-root, each
// a checkout with its dist/ built) or request logs on against off (--a-logs/--b-logs). Reports
// per round and as medians: req/s, the CPU per request of the whole process and of its main
// thread (from /proc), and B against A. --a-args/--b-args add `serve` flags to one side
// (`--b-args=--request-log-rate=0`).
// With --helper-threads=free, only each server's main thread is pinned to core 0 and its other
// threads (the SQLite appender and reader threads, V8's helpers) run where the scheduler puts
// them, mostly on core 1 beside the load generator: a server with a second core, as a multi-core
// host gives it, where the pinned mode shares one core among all of a server's threads.
// Usage: node --import tsx bench/ab.ts [--a-root=DIR] [--b-root=DIR] [--a-logs=on|off] [--b-logs=on|off]
//          [--a-args=FLAGS] [--b-args=FLAGS] [--scenario=view|list|create] [--rounds=6] [--duration=5]
//          [--helper-threads=pinned|free]
import { type ChildProcess, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { answering, cpuSeconds, LOAD_CORE, Loader, pinning, SERVER_CORE, spawnNode } from './pinned-processes.ts';
import { cleanupAll, freePorts, median, onCleanup, root, seed, stop } from './support.ts';

const { values } = parseArgs({
  options: {
    'a-root': { type: 'string' }, 'b-root': { type: 'string' },
    'a-logs': { type: 'string' }, 'b-logs': { type: 'string' },
    'a-args': { type: 'string' }, 'b-args': { type: 'string' },
    scenario: { type: 'string' }, rounds: { type: 'string' }, duration: { type: 'string' },
    'helper-threads': { type: 'string' },
  },
});
const ROUNDS = Number(values.rounds ?? 6);
const DURATION = Number(values.duration ?? 5);
const SCENARIO = values.scenario ?? 'view';
const HELPERS_FREE = values['helper-threads'] === 'free';
if (!['pinned', 'free', undefined].includes(values['helper-threads'])) throw new Error('--helper-threads: expected pinned or free');

interface Side {
  name: 'A' | 'B';
  root: string;
  logs: 'on' | 'off';
  /** More `serve` flags (`--b-args="--request-log-rate=0"`). */
  args: string[];
  child?: ChildProcess;
  url?: string;
  runs: Array<{ rps: number; p99: number; cpu: number; main: number }>;
}

async function main(): Promise<void> {
  const pin = pinning(false);
  const sides: Side[] = (['a', 'b'] as const).map((k) => ({
    name: k === 'a' ? 'A' : 'B',
    root: path.resolve(values[`${k}-root`] ?? root),
    logs: (values[`${k}-logs`] ?? 'on') as 'on' | 'off',
    args: (values[`${k}-args`] ?? '').split(' ').filter(Boolean),
    runs: [],
  }));
  const runDir = mkdtempSync(path.join(tmpdir(), 'baton-ab-'));
  onCleanup(async () => rmSync(runDir, { recursive: true, force: true }));
  // One seed per logs setting; a second side with the same setting gets a copy.
  const seeded = new Map<string, string>();
  for (const side of sides) {
    const dir = path.join(runDir, side.name);
    const from = seeded.get(side.logs);
    if (from) cpSync(from, dir, { recursive: true });
    else {
      mkdirSync(dir);
      console.log(`seeding ${side.name} (request logs ${side.logs})…`);
      await seed(dir, undefined, side.logs === 'off' ? { logs: { maxDays: 0 } } : undefined);
      seeded.set(side.logs, dir);
    }
  }
  // Both seeds made the same number of records, but their ids differ: each side reads its own.
  const idsFiles = new Map<Side, string>();
  for (const side of sides) {
    const file = path.join(runDir, `${side.name}-ids.json`);
    const db = new Database(path.join(runDir, side.name, 'data.db'), { readonly: true });
    writeFileSync(file, JSON.stringify(db.prepare('SELECT id FROM posts').pluck().all()));
    db.close();
    idsFiles.set(side, file);
  }
  const ports = await freePorts(2);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_')));
  sides.forEach((side, i) => {
    side.url = `http://127.0.0.1:${ports[i]}`;
    side.child = spawnNode(HELPERS_FREE ? [] : pin.server, [path.join(side.root, 'bin/baton.js'), 'serve', `--http=127.0.0.1:${ports[i]}`, `--dir=${path.join(runDir, side.name)}`, ...side.args], { stdio: ['ignore', 'ignore', 'inherit'], env });
    onCleanup(() => stop(side.child!));
  });
  await Promise.all(sides.map((s) => answering(s.child!, `${s.url}/api/health`, s.name)));
  if (HELPERS_FREE) {
    // `taskset -p` without -a sets one thread's affinity: the main thread's (its tid is the pid).
    for (const s of sides) {
      const r = spawnSync('taskset', ['-p', '-c', SERVER_CORE, String(s.child!.pid)], { stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`taskset -p -c ${SERVER_CORE} ${s.child!.pid} failed`);
    }
  }
  const loaders = new Map(sides.map((s) => [s, Loader.start(pin.load, idsFiles.get(s)!)]));
  const request = (s: Side) => {
    const records = `${s.url}/api/collections/posts/records`;
    if (SCENARIO === 'view') return { url: s.url!, pathPrefix: '/api/collections/posts/records/' };
    if (SCENARIO === 'list') return { url: `${records}?filter=${encodeURIComponent('views > 500 && published = true')}&sort=-created&perPage=30` };
    return { url: records, method: 'POST' as const, body: JSON.stringify({ title: 'new', views: 7, published: true }) };
  };
  const once = async (s: Side, duration: number) => {
    const pid = s.child!.pid;
    const [c0, m0] = [cpuSeconds(pid)!, cpuSeconds(pid, 'main')!];
    const r = await loaders.get(s)!.run({ ...request(s), connections: 32, duration });
    const [c1, m1] = [cpuSeconds(pid)!, cpuSeconds(pid, 'main')!];
    if (r.failures) throw new Error(`${s.name}: ${r.failures} failures`);
    return { rps: r.rps, p99: r.p99, cpu: ((c1 - c0) * 1e6) / r.requests, main: ((m1 - m0) * 1e6) / r.requests };
  };
  for (const s of sides) await once(s, 2);
  if (HELPERS_FREE) {
    // Threads started after the main thread was pinned (the appender starts on the first batch of
    // request logs) inherited its core: free them now, after the warm-up started them all.
    for (const s of sides) {
      for (const tid of readdirSync(`/proc/${s.child!.pid}/task`)) {
        if (tid !== String(s.child!.pid)) spawnSync('taskset', ['-p', '-c', `${SERVER_CORE},${LOAD_CORE}`, tid], { stdio: 'ignore' });
      }
    }
  }
  const where = HELPERS_FREE ? 'main threads on core 0, other threads unpinned' : 'servers on core 0';
  console.log(`A: ${sides[0].root} (logs ${sides[0].logs}${sides[0].args.length ? ' ' + sides[0].args.join(' ') : ''}); B: ${sides[1].root} (logs ${sides[1].logs}${sides[1].args.length ? ' ' + sides[1].args.join(' ') : ''}); ${SCENARIO}, ${ROUNDS} rounds of ${DURATION} s; ${where}, load generator on core 1`);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) s.runs.push(await once(s, DURATION));
    const [a, b] = sides.map((s) => s.runs[round]);
    console.log(`  round ${round + 1}: A ${a.rps.toFixed(0)} req/s p99 ${a.p99} ms ${a.cpu.toFixed(1)} µs/req (main ${a.main.toFixed(1)}) | B ${b.rps.toFixed(0)} req/s p99 ${b.p99} ms ${b.cpu.toFixed(1)} µs/req (main ${b.main.toFixed(1)}) | B/A ${(b.rps / a.rps * 100).toFixed(0)}%`);
  }
  const m = (s: Side, k: 'rps' | 'p99' | 'cpu' | 'main') => median(s.runs.map((r) => r[k]));
  const ratios = sides[0].runs.map((a, i) => sides[1].runs[i].rps / a.rps);
  console.log(`median: A ${m(sides[0], 'rps').toFixed(0)} req/s p99 ${m(sides[0], 'p99')} ms, ${m(sides[0], 'cpu').toFixed(1)} µs/req (main ${m(sides[0], 'main').toFixed(1)}) | B ${m(sides[1], 'rps').toFixed(0)} req/s p99 ${m(sides[1], 'p99')} ms, ${m(sides[1], 'cpu').toFixed(1)} µs/req (main ${m(sides[1], 'main').toFixed(1)}) | B/A ${(median(ratios) * 100).toFixed(0)}%`);
}

try {
  await main();
} finally {
  await cleanupAll();
}
