// Benchmark: realtime fan-out to many SSE subscribers (docs/performance.md, "Realtime fan-out").
//
// Usage: node --import tsx bench/realtime-fanout.ts [--subscribers=1000] [--events=300]
//          [--mode=guests|users] [--rate=N] [--db=postgres://…|mysql://…]
//
// Baton runs in this process (SQLite in a temporary directory unless --db), the subscribers in
// another (bench/realtime-subscribers.ts: raw SSE connections, one per subscriber). This process
// creates --events records through RecordService, one after another as fast as it can, or --rate
// a second (to read the latency below saturation); each record's title is the
// wall-clock time just before its write, so a subscriber's latency is write start to event read
// (the write itself, a fraction of a millisecond, included).
//   guests: every subscriber a guest on `posts/*`, listRule "": one subscriber group, one
//           evaluation per event, its JSON shared by every connection.
//   users:  every subscriber signed in as a user of its own, listRule `@request.auth.id != ''`:
//           a group, hence a rule query, per subscriber and event (the worst case of grouping).
// Reported: events delivered per second (all subscribers, from the first write to the last event
// read), writes per second, latency p50/p99/max.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { openBaton } from '../src/cli/wire.ts';
import { buildServer } from '../src/http/server.ts';
import { isMfaRequired } from '../src/domain/auth/service.ts';
import { systemContext } from '../src/domain/context.ts';
import { silentLogger } from '../src/kernel/logger.ts';

const { values: args } = parseArgs({
  options: { subscribers: { type: 'string' }, events: { type: 'string' }, mode: { type: 'string' }, rate: { type: 'string' }, db: { type: 'string' } },
});
const SUBSCRIBERS = Number(args.subscribers ?? 1000);
const EVENTS = Number(args.events ?? 300);
const MODE = args.mode ?? 'guests';
const RATE = args.rate ? Number(args.rate) : undefined;
if (MODE !== 'guests' && MODE !== 'users') throw new Error('--mode is guests or users');

const wallNow = () => performance.timeOrigin + performance.now();
const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-realtime-'));
const baton = await openBaton({ dataDir: dir, db: args.db, logger: silentLogger });
const server = await buildServer(baton.services, { maxBodySize: 32 << 20, logger: pino({ level: 'silent' }) });
await server.listen({ host: '127.0.0.1', port: 0 });
const url = `http://127.0.0.1:${(server.addresses()[0] as AddressInfo).port}`;
const { records, collections, schema, auth } = baton.services;
const ctx = systemContext(silentLogger, { kind: 'superuser', collection: schema.find('_superusers')!, record: {} });

try {
  await collections.create(ctx, {
    name: 'posts',
    type: 'base',
    fields: [{ name: 'title', type: 'text' }],
    listRule: MODE === 'guests' ? '' : "@request.auth.id != ''",
  });
  const tokens: string[] = [];
  if (MODE === 'users') {
    // bcrypt at its lowest cost: signing in a thousand users is setup, not what is measured.
    const users = schema.find('users')!;
    await collections.update(ctx, 'users', { fields: users.fields.map((f) => (f.type === 'password' ? { ...f, cost: 4 } : f)) });
    // One at a time: concurrent sign-ups can deadlock on MariaDB's unique indexes (a 503 "busy").
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const email = `user${i}@bench.test`;
      const password = 'bench-password-1';
      await records.create(ctx, 'users', { body: { email, password, passwordConfirm: password }, source: 'json' });
      const login = await auth.authWithPassword(ctx, 'users', { identity: email, password });
      if (isMfaRequired(login)) throw new Error('no MFA expected');
      tokens.push(login.token);
    }
  } else {
    tokens.push(...Array.from({ length: SUBSCRIBERS }, () => ''));
  }
  const tokensFile = path.join(dir, 'tokens.json');
  writeFileSync(tokensFile, JSON.stringify(tokens));

  const child = fork(new URL('./realtime-subscribers.ts', import.meta.url).pathname, [url, tokensFile, 'posts/*'], {
    execArgv: ['--import', 'tsx'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`subscribers exited with ${code}`)));
  });
  console.log(`${SUBSCRIBERS} subscribers connected (${MODE}, ${baton.databaseKind}); ${EVENTS} records written ${RATE ? `at ${RATE}/s` : 'one after another'}`);

  const startedAt = wallNow();
  for (let i = 0; i < EVENTS; i++) {
    if (RATE) {
      const due = startedAt + (i * 1000) / RATE;
      if (due > wallNow()) await new Promise((r) => setTimeout(r, due - wallNow()));
    }
    await records.create(ctx, 'posts', { body: { title: String(wallNow()) }, source: 'json' });
  }
  const writtenAt = wallNow();
  const expected = SUBSCRIBERS * EVENTS;
  type Figures = { received: number; lastAt: number; closed: number; p50: number; p99: number; max: number };
  const collect = () =>
    new Promise<Figures>((resolve) => {
      child.once('message', (m) => resolve(m as Figures));
      child.send({ collect: true });
    });
  // Until every event arrived, or nothing more came for 5 s.
  let result = await collect();
  for (let still = 0; result.received < expected && still < 10; ) {
    await new Promise((r) => setTimeout(r, 500));
    const next = await collect();
    still = next.received === result.received ? still + 1 : 0;
    result = next;
  }
  child.send({ exit: true });
  const r = result;
  const seconds = (r.lastAt - startedAt) / 1000;
  console.log(`delivered ${r.received} of ${expected} events (${r.closed} connections closed)`);
  console.log(`writes/s ${(EVENTS / ((writtenAt - startedAt) / 1000)).toFixed(0)}, events delivered/s ${(r.received / seconds).toFixed(0)}`);
  console.log(`latency (write start -> event read) p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`);
} finally {
  await server.close();
  await baton.close();
  rmSync(dir, { recursive: true, force: true });
}
