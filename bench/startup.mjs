// Start-to-listening time and RSS at ready of `node <bin> serve` on a fresh data directory,
// median of N runs: `node bench/startup.mjs bin/baton.js 7`. Polls /api/health every 5 ms.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
const bin = process.argv[2];
const runs = Number(process.argv[3] ?? 5);
const times = [], rss = [];
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-start-'));
  const port = 18000 + i;
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'serve', `--dir=${dir}`, `--http=127.0.0.1:${port}`], { stdio: 'ignore' });
  for (;;) {
    try { const r = await fetch(`http://127.0.0.1:${port}/api/health`); if (r.ok) break; } catch {}
    await new Promise((r) => setTimeout(r, 5));
  }
  times.push(performance.now() - t0);
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  rss.push(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024);
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${bin}: start-to-listening median ${med(times).toFixed(0)} ms (runs ${times.map((t) => t.toFixed(0)).join(', ')}), RSS at ready median ${med(rss).toFixed(1)} MB`);
