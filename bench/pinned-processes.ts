// Processes of the pinned bench (bench/pinned.ts): pinning with taskset, starting servers and the
// load generator, and reading from /proc how much CPU a process or a core used.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { LoadRequest, LoadResult } from './load-worker.ts';
import { onCleanup, root, stop } from './support.ts';

export const SERVER_CORE = '0';
export const LOAD_CORE = '1';

// ---- pinning ------------------------------------------------------------------------------------

export interface Pinning {
  /** True when taskset pins the processes: each run then also reads how busy both cores were. */
  pinned: boolean;
  /** Prefixes for the servers' and the load generator's command lines; empty when unpinned. */
  server: string[];
  load: string[];
  /** How the run was pinned, for the report. */
  note: string;
}

/** How to pin the servers and the load generator, or why not (printed); `noPin` asks for no pinning. */
export function pinning(noPin: boolean): Pinning {
  const unpinned = (why: string): Pinning => {
    console.log(`not pinning: ${why}; servers and load generator share all cores, figures are not comparable with pinned runs`);
    return { pinned: false, server: [], load: [], note: `unpinned (${why})` };
  };
  if (noPin) return unpinned('--no-pin');
  if (availableParallelism() < 2) return unpinned(`${availableParallelism()} core available, 2 needed`);
  const probe = spawnSync('taskset', ['-c', LOAD_CORE, 'true'], { stdio: 'ignore' });
  if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return unpinned('taskset not found (it comes with util-linux)');
  if (probe.error || probe.status !== 0) return unpinned(`taskset -c ${LOAD_CORE} failed (${probe.error?.message ?? `exit ${probe.status}`})`);
  // This process only waits while the load runs, but keep it off the servers' core all the same.
  spawnSync('taskset', ['-a', '-p', '-c', LOAD_CORE, String(process.pid)], { stdio: 'ignore' });
  return {
    pinned: true,
    server: ['taskset', '-c', SERVER_CORE],
    load: ['taskset', '-c', LOAD_CORE],
    note: `servers pinned to core ${SERVER_CORE}, load generator to core ${LOAD_CORE} (taskset)`,
  };
}

/** Spawns `node …args` behind `prefix` (taskset execs node: the child's pid is node's). */
export function spawnNode(prefix: string[], args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  const [cmd, ...rest] = [...prefix, process.execPath, ...args];
  return spawn(cmd, rest, { cwd: root, ...options });
}

// ---- processes ----------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `url` answers with any status; fails if the process exits first or after 60 s. */
export async function answering(child: ChildProcess, url: string, name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before answering`);
    try {
      const res = await fetch(url, { headers: { connection: 'close' } });
      await res.arrayBuffer();
      return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name}: no answer at ${url} after 60 s`);
    await sleep(100);
  }
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU seconds (user + system) process `pid` has used so far, from /proc; undefined elsewhere. */
export function cpuSeconds(pid: number | undefined, thread?: 'main'): number | undefined {
  try {
    // /proc/<pid>/task/<pid> is the main thread alone; /proc/<pid> sums every thread.
    const stat = readFileSync(thread === 'main' ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5); `fields` starts at field 3.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

export interface CoreTicks {
  busy: number;
  total: number;
}

/** Busy and total clock ticks of `core` so far, from /proc/stat; undefined elsewhere. */
export function coreTicks(core: string): CoreTicks | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${core} `));
    if (!line) return undefined;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  } catch {
    return undefined;
  }
}

/** The share of the time between two readings that a core was busy; NaN without both readings. */
export function busyShare(before: CoreTicks | undefined, after: CoreTicks | undefined): number {
  return before && after ? (after.busy - before.busy) / Math.max(after.total - before.total, 1) : NaN;
}

/** The load generator: one long-lived process, one run at a time over its IPC channel. */
export class Loader {
  private constructor(private readonly child: ChildProcess) {}

  static start(prefix: string[], idsFile: string): Loader {
    const child = spawnNode(prefix, ['--import', 'tsx', 'bench/load-worker.ts', idsFile], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    onCleanup(async () => {
      if (child.connected) child.disconnect();
      await stop(child);
    });
    return new Loader(child);
  }

  run(request: LoadRequest): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load generator exited (${code})`));
      this.child.once('exit', onExit);
      this.child.once('message', (m: { ok: true; result: LoadResult } | { ok: false; error: string }) => {
        this.child.off('exit', onExit);
        if (m.ok) resolve(m.result);
        else reject(new Error(`load generator: ${m.error}`));
      });
      this.child.send(request);
    });
  }
}
