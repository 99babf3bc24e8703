// Request lines: written at debug (--dev), not at the default info level, as PocketBase prints
// requests only in dev mode. Failures are logged at error whatever the level.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openBaton } from '../src/cli/wire.ts';
import { buildServer } from '../src/http/server.ts';
import { silentLogger } from '../src/kernel/logger.ts';
import { createTestDatabase } from './support/databases.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server logging at `level` into memory; returns its URL and the lines written so far. */
async function serverLoggingAt(level: string): Promise<{ url: string; lines: () => Array<Record<string, unknown>> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'baton-log-'));
  const database = await createTestDatabase();
  const baton = await openBaton({ dataDir, db: database.url, logger: silentLogger });
  const written: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      written.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const server = await buildServer(baton.services, { maxBodySize: 1 << 20, logger: pino({ level }, sink) });
  await server.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(async () => {
    await server.close();
    await baton.close();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const { port } = server.addresses()[0] as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, lines: () => written.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('request lines', () => {
  it('are not written at the default level', async () => {
    const s = await serverLoggingAt('info');
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
    expect(s.lines().filter((l) => l.msg === 'request')).toEqual([]);
  });

  it('are written at debug, one per request, with method, URL, status and auth', async () => {
    const s = await serverLoggingAt('debug');
    await (await fetch(`${s.url}/api/health`)).text();
    await (await fetch(`${s.url}/api/collections/nope/records`)).text();
    const requests = s.lines().filter((l) => l.msg === 'request');
    expect(requests).toEqual([
      expect.objectContaining({ method: 'GET', url: '/api/health', status: 200, auth: 'guest' }),
      expect.objectContaining({ method: 'GET', url: '/api/collections/nope/records', status: 404, auth: 'guest' }),
    ]);
  });
});
