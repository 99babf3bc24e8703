import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { openBaton, type Baton, type OpenOptions } from '../../src/cli/wire.ts';
import { buildServer, type HttpOptions } from '../../src/http/server.ts';
import { isMfaRequired } from '../../src/domain/auth/service.ts';
import { systemContext } from '../../src/domain/context.ts';
import { silentLogger, type Logger } from '../../src/kernel/logger.ts';
import { createTestDatabase, TEST_DIALECT } from './databases.ts';
import { fixtureDir } from './fixture.ts';

export interface TestServer {
  url: string;
  /** The database the server runs on (BATON_TEST_DIALECT). */
  dialect: typeof TEST_DIALECT;
  dataDir: string;
  baton: Baton;
  /** Token of a superuser created for the test (or found in a fixture). */
  superuserToken: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Copy PocketBase's test data directory (see ./fixture.ts) and serve the copy; throws when it is absent. */
  fixture?: boolean;
  maxBodySize?: number;
  /** Statement budgets in milliseconds (default: the database layer's). */
  queryTimeouts?: { client?: number; system?: number };
  /** Where the server logs (default: nowhere); e.g. to read mails written to the log. */
  logger?: Logger;
  /** SSE timeouts and buffer bound (default: PocketBase's values). */
  realtime?: HttpOptions['realtime'];
  realtimeReplay?: OpenOptions['realtimeReplay'];
  /** How long a write waits for another process's lock (default 10 s). */
  lockWaitMs?: number;
  /** Request log buffering and rate (`--request-log-rate` is `maxPerSecond`). */
  requestLogs?: OpenOptions['requestLogs'];
  /** Bounds on one record response (`--max-expanded-records`, `--max-response-size`). */
  responseLimits?: OpenOptions['responseLimits'];
}

export const SUPERUSER = { email: 'root@example.com', password: 'correct-horse-battery' };

/** A real Baton on a random loopback port, over a fresh temp data directory. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const source = options.fixture ? fixtureDir() : undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'baton-test-'));
  if (source) cpSync(source, dataDir, { recursive: true });
  const logger = pino({ level: 'silent' });
  const database = await createTestDatabase();
  let baton: Baton;
  try {
    if (source && database.url) {
      // PocketBase's directory is SQLite: on another database, serve what `baton migrate copy` made of it.
      const { copyBaton } = await import('../../src/cli/migrate-copy.ts');
      await copyBaton({ from: { dir: dataDir }, to: { url: database.url, dir: dataDir }, force: true, log: () => undefined });
    }
    baton = await openBaton({ dataDir, db: database.url, queryTimeouts: options.queryTimeouts, realtimeReplay: options.realtimeReplay, responseLimits: options.responseLimits, requestLogs: options.requestLogs, lockWaitMs: options.lockWaitMs, logger: options.logger ?? silentLogger });
  } catch (e) {
    // A server that never started leaves no database behind on the test server.
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const server = await buildServer(baton.services, { maxBodySize: options.maxBodySize ?? 32 << 20, logger, realtime: options.realtime });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = server.addresses()[0] as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const { records, schema, auth } = baton.services;
  const superusers = schema.find('_superusers')!;
  const ctx = systemContext(silentLogger, { kind: 'superuser', collection: superusers, record: {} });
  if (!options.fixture) {
    await records.create(ctx, '_superusers', {
      body: { email: SUPERUSER.email, password: SUPERUSER.password, passwordConfirm: SUPERUSER.password },
      source: 'json',
    });
  }
  const login = options.fixture
    ? await auth.authWithPassword(ctx, '_superusers', { identity: 'test@example.com', password: '1234567890' })
    : await auth.authWithPassword(ctx, '_superusers', { identity: SUPERUSER.email, password: SUPERUSER.password });
  if (isMfaRequired(login)) throw new Error('the test superuser should not need MFA');

  return {
    url,
    dialect: TEST_DIALECT,
    dataDir,
    baton,
    superuserToken: login.token,
    async close() {
      await server.close();
      await baton.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** fetch with JSON in and out; returns status and parsed body. */
export async function api(
  server: Pick<TestServer, 'url'>,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = options.token;
  let payload: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(options.body);
  }
  const res = await fetch(server.url + path, { method, headers, body: payload });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}
