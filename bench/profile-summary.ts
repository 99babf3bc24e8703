// Sums a V8 CPU profile (`node --cpu-prof`, a .cpuprofile file) by where the time went: self time
// per function, per file and per package, and inclusive time per file and per package (a sample
// counts once for every file or package on its stack). Idle samples are left out; percentages are
// of the busy time. With a windows file (bench/pinned.ts --profile writes one next to the profile)
// each named window is summed on its own: the samples taken while that scenario's load ran.
// Several profiles (one per thread of a process: node writes CPU.<date>.<time>.<pid>.<thread>.<n>)
// are summed together.
// Usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile… [--windows=FILE.json] [--top=25]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds, on the clock of process.hrtime() (CLOCK_MONOTONIC) on Linux. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}
/** A named span of time, microseconds on process.hrtime()'s clock. */
export interface ProfileWindow {
  name: string;
  start: number;
  end: number;
  /** Requests answered in the span, when known: the summary then gives µs per request. */
  requests?: number;
}

const root = path.resolve(import.meta.dirname, '..');

/** `node_modules/fastify/lib/x.js` -> fastify; `src/http/server.ts` -> baton src/http; node:… -> node. */
export function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
  if (m) return m[1];
  const rel = path.relative(root, file);
  if (rel.startsWith('src/')) return `baton ${path.dirname(rel)}`;
  return rel.startsWith('..') ? file : rel;
}

function fileOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  if (url.startsWith('node:')) return url;
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const m = /node_modules\/(.*)$/.exec(file);
  return m ? m[1] : path.relative(root, file);
}

// Lines are those of the code V8 ran: right for JavaScript, 1 for TypeScript transformed by tsx.
const functionOf = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${fileOf(f)}${f.lineNumber > 0 ? `:${f.lineNumber + 1}` : ''}`;

export interface Summary {
  /** Busy time in ms (idle samples left out). */
  busyMs: number;
  /** Time covered by the samples summed, idle included, ms. */
  spanMs: number;
  selfByFunction: Map<string, number>;
  selfByFile: Map<string, number>;
  selfByPackage: Map<string, number>;
  totalByFile: Map<string, number>;
  totalByPackage: Map<string, number>;
}

/** Sums the samples taken inside `spans` ([start, end] in microseconds; default: the whole profile). */
export function summarize(profile: CpuProfile, spans: Array<[number, number]> = [[-Infinity, Infinity]]): Summary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const s: Summary = { busyMs: 0, spanMs: 0, selfByFunction: new Map(), selfByFile: new Map(), selfByPackage: new Map(), totalByFile: new Map(), totalByPackage: new Map() };
  const add = (m: Map<string, number>, k: string, ms: number) => m.set(k, (m.get(k) ?? 0) + ms);
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (!spans.some(([from, to]) => t >= from && t <= to)) continue;
    // A sample stands for the time until the next one.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    s.spanMs += ms;
    const node = byId.get(profile.samples[i])!;
    if (node.callFrame.functionName === '(idle)') continue;
    s.busyMs += ms;
    add(s.selfByFunction, functionOf(node.callFrame), ms);
    add(s.selfByFile, fileOf(node.callFrame), ms);
    add(s.selfByPackage, packageOf(node.callFrame), ms);
    const files = new Set<string>();
    const packages = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName === '(root)') continue;
      files.add(fileOf(frame));
      packages.add(packageOf(frame));
    }
    for (const f of files) add(s.totalByFile, f, ms);
    for (const p of packages) add(s.totalByPackage, p, ms);
  }
  return s;
}

/**
 * Several threads' summaries as one (a server's main thread and its worker threads): times add
 * up; the time covered is the longest of them, so "of one core" can pass 100%.
 */
export function mergeSummaries(summaries: Summary[]): Summary {
  const out: Summary = { busyMs: 0, spanMs: 0, selfByFunction: new Map(), selfByFile: new Map(), selfByPackage: new Map(), totalByFile: new Map(), totalByPackage: new Map() };
  const keys = ['selfByFunction', 'selfByFile', 'selfByPackage', 'totalByFile', 'totalByPackage'] as const;
  for (const s of summaries) {
    out.busyMs += s.busyMs;
    out.spanMs = Math.max(out.spanMs, s.spanMs);
    for (const k of keys) for (const [name, ms] of s[k]) out[k].set(name, (out[k].get(name) ?? 0) + ms);
  }
  return out;
}

/** The summary as text; with `requests` (answered in the time summed), also µs per request. */
export function formatSummary(s: Summary, top = 25, requests = 0): string {
  const perRequest = (ms: number) => (requests ? `${((ms * 1000) / requests).toFixed(1).padStart(7)} µs/req` : '');
  const table = (title: string, m: Map<string, number>, n: number) => {
    const rows = [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
    return [`  ${title}`, ...rows.map(([k, ms]) => `    ${((ms / s.busyMs) * 100).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(7)} ms${perRequest(ms)}  ${k}`)].join('\n');
  };
  const busy = `  busy ${s.busyMs.toFixed(0)} ms of ${s.spanMs.toFixed(0)} ms sampled (${((s.busyMs / Math.max(s.spanMs, 1)) * 100).toFixed(0)}% of one core)`;
  return [
    requests ? `${busy}, ${requests} requests: ${((s.busyMs * 1000) / requests).toFixed(1)} µs of CPU per request` : busy,
    table('self time by package', s.selfByPackage, 15),
    table('inclusive time by package (once per stack)', s.totalByPackage, 15),
    table('self time by file', s.selfByFile, top),
    table('inclusive time by file (once per stack)', s.totalByFile, top),
    table('self time by function', s.selfByFunction, top),
  ].join('\n\n');
}

/**
 * Where `a` spends more CPU per request than `b` (both summaries with their request counts): by
 * package and by function, µs per request, largest differences first. For two servers profiled in
 * one run, this is the gap itself rather than each server's own shares.
 */
export function formatComparison(names: [string, string], a: Summary, aRequests: number, b: Summary, bRequests: number, top = 20): string {
  const table = (title: string, ma: Map<string, number>, mb: Map<string, number>) => {
    const keys = new Set([...ma.keys(), ...mb.keys()]);
    const rows = [...keys]
      .map((k) => {
        const ua = ((ma.get(k) ?? 0) * 1000) / aRequests;
        const ub = ((mb.get(k) ?? 0) * 1000) / bRequests;
        return { k, ua, ub, d: ua - ub };
      })
      .sort((x, y) => Math.abs(y.d) - Math.abs(x.d))
      .slice(0, top);
    return [
      `  ${title} (µs per request: ${names[0]}, ${names[1]}, difference)`,
      ...rows.map((r) => `    ${r.ua.toFixed(1).padStart(7)} ${r.ub.toFixed(1).padStart(7)} ${(r.d >= 0 ? '+' : '') + r.d.toFixed(1).padStart(6)}  ${r.k}`),
    ].join('\n');
  };
  const ua = (a.busyMs * 1000) / aRequests;
  const ub = (b.busyMs * 1000) / bRequests;
  return [
    `  CPU per request: ${names[0]} ${ua.toFixed(1)} µs, ${names[1]} ${ub.toFixed(1)} µs (${names[1]} / ${names[0]} ${((ub / ua) * 100).toFixed(0)}%)`,
    table('self time by package', a.selfByPackage, b.selfByPackage),
    table('self time by function', a.selfByFunction, b.selfByFunction),
  ].join('\n\n');
}

if (import.meta.filename === path.resolve(process.argv[1] ?? '')) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { windows: { type: 'string' }, top: { type: 'string' } } });
  if (positionals.length === 0) {
    console.error('usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile… [--windows=FILE.json] [--top=25]');
    process.exit(2);
  }
  const profiles = positionals.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile);
  const top = Number(values.top ?? 25);
  const windows = values.windows ? (JSON.parse(readFileSync(values.windows, 'utf8')) as ProfileWindow[]) : [{ name: 'whole profile', start: -Infinity, end: Infinity }];
  // Windows of one name (a scenario's rounds) are summed together.
  const byName = new Map<string, ProfileWindow[]>();
  for (const w of windows) byName.set(w.name, [...(byName.get(w.name) ?? []), w]);
  for (const [name, ws] of byName) {
    const requests = ws.reduce((n, w) => n + (w.requests ?? 0), 0);
    const spans = ws.map((w): [number, number] => [w.start, w.end]);
    console.log(`\n== ${name}\n${formatSummary(mergeSummaries(profiles.map((p) => summarize(p, spans))), top, requests)}`);
  }
}
