// What the two bench modes (bench/run.ts and bench/pinned.ts) share: the cleanup registry, the
// seeded data set, stopping child processes, medians.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import path from 'node:path';
import { openBaton } from '../src/cli/wire.ts';
import { isMfaRequired } from '../src/domain/auth/service.ts';
import { systemContext } from '../src/domain/context.ts';
import { silentLogger } from '../src/kernel/logger.ts';

export const root = path.resolve(import.meta.dirname, '..');
/** Records seeded into `posts` before a run. */
export const SEED = 10_000;

export const versionOf = (pkg: string): string =>
  (JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- cleanup: children, directories and bench databases go away however the run ends ----------

const cleanups: Array<() => Promise<void>> = [];
let interrupted = false;
/** True once SIGINT or SIGTERM arrived: the run is being torn down. */
export const isInterrupted = () => interrupted;

/** Registers `fn` to run at the end (or on SIGINT/SIGTERM); returns a function running it now, once. */
export function onCleanup(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = () => (done ??= fn().catch((e) => console.error(`cleanup failed: ${(e as Error).message}`)));
  cleanups.push(once);
  return once;
}

export async function cleanupAll(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await fn();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping servers and dropping bench databases…`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone (its port is free). */
export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * `n` distinct ports free on 127.0.0.1 right now (the OS picks them, all held open until each is
 * known). Fixed ports collide with servers other work leaves running on a shared machine; the short
 * race until our servers bind them is harmless.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<Server>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

// ---- the data set -------------------------------------------------------------------------------

/**
 * Creates a superuser and a public `posts` collection in `dir` (or on the server `db`) and seeds it
 * with SEED records; returns a superuser token and the records' ids. `settings` (PATCH /api/settings
 * shape) are applied first, e.g. `{ logs: { maxDays: 0 } }` to switch request logs off.
 */
export async function seed(dir: string, db?: string, settings?: Record<string, unknown>): Promise<{ token: string; ids: string[] }> {
  const baton = await openBaton({ dataDir: dir, db, logger: silentLogger });
  const { records, collections, schema, auth } = baton.services;
  const su = schema.find('_superusers')!;
  const ctx = systemContext(silentLogger, { kind: 'superuser', collection: su, record: {} });
  if (settings) await baton.services.settings.update(ctx, settings);
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
  if (isMfaRequired(login)) throw new Error('the bench superuser should not need MFA');
  return { token: login.token, ids };
}

export async function sqliteVersion(): Promise<string> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(':memory:');
  try {
    return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  } finally {
    db.close();
  }
}
