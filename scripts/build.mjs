// The compiled build `bin/baton.js` runs: src/cli/main.ts bundled into dist/cli.mjs by esbuild
// (dependencies stay in node_modules; dynamic imports become chunks beside it), plus the SQLite reader thread's script, which the bundle
// loads from beside itself; and the admin dashboard (dashboard/, Vite + Preact) into dist/dashboard/, which
// the server serves at /_/ (src/http/dashboard.ts). Runs on `npm ci` (the `prepare` script) and before the tests.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { build as buildDashboard } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
// A fresh directory: no chunk of an earlier build lingers.
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await build({
  entryPoints: { cli: path.join(root, 'src/cli/main.ts') },
  outdir: dist,
  outExtension: { '.js': '.mjs' },
  // Dynamic imports (a command, a database driver, S3) stay chunks of their own, loaded on first
  // use: `serve` on SQLite never loads the PostgreSQL or MySQL driver.
  splitting: true,
  chunkNames: '[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
// The SQLite threads' scripts (and the modules the reader and appender threads import), which the bundle loads from beside itself.
for (const worker of ['sqlite-reader-worker.js', 'sqlite-like.js', 'sqlite-append-worker.js', 'sqlite-append.js']) {
  await copyFile(path.join(root, 'src/db/dialects', worker), path.join(dist, worker));
}
// The dashboard: hashed file names under dist/dashboard/assets/, index.html beside them.
await buildDashboard({
  root: path.join(root, 'dashboard'),
  configFile: path.join(root, 'dashboard/vite.config.ts'),
  logLevel: 'warn',
});
