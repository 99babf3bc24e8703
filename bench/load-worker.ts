// The pinned mode's load generator (bench/pinned.ts): autocannon in a process of its own, so it can
// be pinned to a core away from the servers'. Driven over the IPC channel: each message is one run,
// answered with its figures and the share of a core this process used meanwhile (near 100%, the
// load generator and not the server may be what limits the run).
// Usage: spawned by bench/pinned.ts as `node --import tsx bench/load-worker.ts ids.json` with an IPC channel.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadRequest {
  url: string;
  connections: number;
  /** Seconds. */
  duration: number;
  method?: 'GET' | 'POST';
  body?: string;
  /** When set, the requests go to `${pathPrefix}${id}`, over 1,000 seeded ids in a random order. */
  pathPrefix?: string;
}

export interface LoadResult {
  rps: number;
  /** Requests answered in the run. */
  requests: number;
  p50: number;
  p99: number;
  /** Non-2xx answers and socket errors: any makes the run invalid. */
  failures: number;
  /** This process's CPU time over the run's wall time (1 = one core busy throughout). */
  loaderCpu: number;
}

const ids = JSON.parse(readFileSync(process.argv[2], 'utf8')) as string[];
/**
 * The ids the view requests walk, in a random order. autocannon builds a static request's bytes
 * once, but rebuilds a request with a setupRequest function every time it is sent: that per-request
 * work made the load generator, not the server, the limit near 55k req/s on one core. Each
 * connection walks the list from its start.
 */
const walk = [...ids].sort(() => Math.random() - 0.5).slice(0, 1000);

async function run(r: LoadRequest): Promise<LoadResult> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const result = await autocannon({
    url: r.url,
    connections: r.connections,
    duration: r.duration,
    method: r.method ?? 'GET',
    headers: { 'content-type': 'application/json' },
    body: r.body,
    requests: r.pathPrefix ? walk.map((id) => ({ path: `${r.pathPrefix}${id}` })) : undefined,
  });
  const used = process.cpuUsage(cpu);
  return {
    rps: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors,
    loaderCpu: (used.user + used.system) / 1000 / (performance.now() - t0),
  };
}

process.on('message', (r: LoadRequest) => {
  run(r).then(
    (result) => process.send!({ ok: true, result }),
    (e: Error) => process.send!({ ok: false, error: e.stack ?? String(e) }),
  );
});
// The parent going away ends the worker too.
process.on('disconnect', () => process.exit(0));
