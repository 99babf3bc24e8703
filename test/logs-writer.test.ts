// The request log writer on its own: batches, the bounded buffer, and the entry's format.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendRows } from '../src/db/append.ts';
import type { Database } from '../src/db/dialect.ts';
import { openDatabases, type Databases } from '../src/db/open.ts';
import { sql } from '../src/db/sql.ts';
import { ensureAuxTables } from '../src/db/system-tables.ts';
import { requestLogRow, type RequestLogInput } from '../src/domain/logs/entry.ts';
import { LogService } from '../src/domain/logs/service.ts';
import { RequestLogWriter } from '../src/domain/logs/writer.ts';
import { defaultSettings } from '../src/domain/settings/model.ts';
import { badRequest } from '../src/kernel/errors.ts';
import type { Logger } from '../src/kernel/logger.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';

const input = (over: Partial<RequestLogInput> = {}): RequestLogInput => ({
  at: Date.UTC(2026, 0, 2, 3, 4, 5, 6), method: 'get', url: '/api/x', status: 200, execTime: 1.5, referer: '', userAgent: '', auth: '', ...over,
});

describe('a request log entry', () => {
  it('is PocketBase\'s message and data', () => {
    const row = requestLogRow(input({ url: '/api/a%20b?q=%zz' }), 'id1');
    expect(row).toMatchObject({ id: 'id1', level: 0, created: '2026-01-02 03:04:05.006Z' });
    // Not valid percent-encoding: the URI is kept as received.
    expect(row.message).toBe('GET /api/a%20b?q=%zz');
    expect(requestLogRow(input({ url: '/api/a%20b' }), 'id').message).toBe('GET /api/a b');
    expect(Object.keys(JSON.parse(row.data))).toEqual(['auth', 'execTime', 'method', 'referer', 'status', 'type', 'url', 'userAgent']);
  });

  it('keeps no NUL or lone surrogate, which PostgreSQL refuses in text and JSON', () => {
    const row = requestLogRow(input({ url: '/api/a%00b' }), 'id');
    expect(row.message).toBe('GET /api/a\uFFFDb');
    // The raw URL keeps its escape.
    expect(JSON.parse(row.data).url).toBe('/api/a%00b');
    const odd = badRequest('bad \u0000 value', { 'f\ud800': { code: 'x', message: 'half \udc00 a pair' } });
    const data = JSON.parse(requestLogRow(input({ status: 400, failure: { error: odd, answered: odd.toJSON() } }), 'id').data);
    expect(data.error).toBe('bad \uFFFD value');
    expect(data.details).toEqual({ 'f\uFFFD': { code: 'x', message: 'half \uFFFD a pair' } });
    // A well-formed pair is kept.
    expect(JSON.parse(requestLogRow(input({ userAgent: 'emoji \ud83d\ude00' }), 'id').data).userAgent).toBe('emoji \ud83d\ude00');
  });

  it('reads the URL and header bytes as UTF-8, as PocketBase keeps them', () => {
    // Node's parser gives latin1 text, one character per byte: 'Ã©' is 'é' in UTF-8.
    const row = requestLogRow(input({ url: '/caf\u00c3\u00a9?q=%C3%A9', userAgent: 'UA \u00c3\u00a9', referer: 'lone \u00e9' }), 'id');
    expect(row.message).toBe('GET /caf\u00e9?q=\u00e9');
    expect(JSON.parse(row.data)).toMatchObject({ url: '/caf\u00e9?q=%C3%A9', userAgent: 'UA \u00e9', referer: 'lone \ufffd' });
  });

  it('decodes escapes of bytes that are not UTF-8 as U+FFFD, as PocketBase (its unescape keeps the bytes)', () => {
    expect(requestLogRow(input({ url: '/api/x?q=%FF' }), 'id').message).toBe('GET /api/x?q=\uFFFD');
    expect(requestLogRow(input({ url: '/a%20b%C3%A9%E9c' }), 'id').message).toBe('GET /a b\u00e9\uFFFDc');
    // A malformed escape keeps the whole URI as received, even where others are good.
    expect(requestLogRow(input({ url: '/a%FF%E' }), 'id').message).toBe('GET /a%FF%E');
  });

  it('cuts the URL at 3,000 characters', () => {
    const url = '/' + 'a'.repeat(4000);
    expect(JSON.parse(requestLogRow(input({ url }), 'id').data).url).toBe(url.slice(0, 3000) + '...');
  });

  it('keeps an unexpected error\'s own text, and a wrapped reason as details', () => {
    const internal = requestLogRow(input({ status: 500, failure: { error: new Error('disk on fire'), answered: { status: 500, message: 'Something went wrong while processing your request.', data: {} } } }), 'id');
    expect(internal.level).toBe(8);
    expect(JSON.parse(internal.data)).toMatchObject({ error: 'disk on fire', status: 500 });
    const wrapped = badRequest();
    wrapped.cause = new Error('unknown field "x"');
    const bad = JSON.parse(requestLogRow(input({ status: 400, failure: { error: wrapped, answered: wrapped.toJSON() } }), 'id').data);
    expect(bad).toMatchObject({ error: wrapped.message, details: 'unknown field "x"' });
  });
});

describe('RequestLogWriter', () => {
  let database: TestDatabase;
  let databases: Databases;
  let dataDir: string;
  let logs: LogService;
  const warnings: Array<Record<string, unknown>> = [];
  const errors: Array<[Record<string, unknown>, string]> = [];
  const logger: Logger = {
    info() {}, debug() {},
    error(obj, msg) {
      errors.push([obj as Record<string, unknown>, String(msg)]);
    },
    warn(obj) {
      warnings.push(obj as Record<string, unknown>);
    },
    child() {
      return logger;
    },
  };
  const settings = { ...defaultSettings().logs };

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'baton-logw-'));
    database = await createTestDatabase();
    databases = await openDatabases({ url: database.url, dataDir });
    await ensureAuxTables(databases.aux);
    logs = new LogService(databases.aux);
  });
  afterAll(async () => {
    await databases?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await databases.aux.run(sql`DELETE FROM _logs`);
    warnings.length = 0;
    errors.length = 0;
  });

  /** The auxiliary database, refusing every append whose values hold `marker`. */
  const refusing = (marker: string): Database =>
    Object.assign(Object.create(databases.aux) as Database, {
      appendRows: async (table: string, columns: readonly string[], values: readonly unknown[]) => {
        if (values.some((v) => typeof v === 'string' && v.includes(marker))) throw new Error('refused');
        await appendRows(databases.aux, table, columns, values);
      },
    });

  it('writes the entries of a batch around one the database refuses', async () => {
    const writer = new RequestLogWriter({ db: refusing('/poison'), settings: () => settings, logger }, { batchSize: 200, flushIntervalMs: 60_000 });
    for (let i = 0; i < 150; i++) writer.add(input({ url: i === 77 ? '/poison' : `/n/${i}` }));
    await writer.close();
    const urls = (await logs.list({ perPage: '500' })).items.map((e) => e.data.url);
    expect(urls).toHaveLength(149);
    expect(urls).not.toContain('/poison');
    expect(errors).toEqual([[expect.objectContaining({ entries: 150, lost: 1 }), 'failed to write request logs']]);
  });

  it('says how many entries are lost when the database refuses them at shutdown', async () => {
    const writer = new RequestLogWriter({ db: refusing('/'), settings: () => settings, logger }, { batchSize: 10, flushIntervalMs: 60_000 });
    for (let i = 0; i < 25; i++) writer.add(input({ url: `/n/${i}` }));
    await writer.close();
    expect((await logs.list({})).totalItems).toBe(0);
    // A batch whose halves both fail is given up (the database is failing); the next write, and
    // the one more close makes, fail likewise, and what was never tried is counted at the end.
    expect(errors).toEqual([
      [expect.objectContaining({ entries: 10, lost: 10 }), 'failed to write request logs'],
      [expect.objectContaining({ entries: 10, lost: 10 }), 'failed to write request logs'],
      [{ entries: 5 }, 'request logs lost at shutdown: they could not be written'],
    ]);
  });

  it('stores an entry with a NUL in its message on every database, with the rest of its batch', async () => {
    const writer = new RequestLogWriter({ db: databases.aux, settings: () => settings, logger }, { batchSize: 100, flushIntervalMs: 60_000 });
    writer.add(input({ url: '/before' }));
    writer.add(input({ url: '/api/a%00b' }));
    writer.add(input({ url: '/after' }));
    await writer.close();
    const messages = (await logs.list({ sort: 'created' })).items.map((e) => e.message);
    expect(messages.sort()).toEqual(['GET /after', 'GET /api/a\uFFFDb', 'GET /before']);
    expect(errors).toEqual([]);
  });

  it('writes more than a batch in several INSERTs', async () => {
    const writer = new RequestLogWriter({ db: databases.aux, settings: () => settings, logger }, { batchSize: 7, flushIntervalMs: 60_000 });
    for (let i = 0; i < 20; i++) writer.add(input({ url: `/n/${i}` }));
    await writer.close();
    expect((await logs.list({})).totalItems).toBe(20);
  });

  it('writes whole batches when one fills up, and leaves the rest for the timer or a flush', async () => {
    const writer = new RequestLogWriter({ db: databases.aux, settings: () => settings, logger }, { batchSize: 7, flushIntervalMs: 60_000 });
    for (let i = 0; i < 17; i++) writer.add(input({ url: `/n/${i}` }));
    // Two full batches are written on their own; the 3 entries left wait.
    await expect.poll(async () => (await logs.list({})).totalItems, { timeout: 5000 }).toBe(14);
    expect(writer.bufferedEntries).toBe(3);
    await writer.flush();
    expect(writer.bufferedEntries).toBe(0);
    expect((await logs.list({})).totalItems).toBe(17);
    await writer.close();
  });

  it('flushes what is buffered when it starts; entries added during it wait', async () => {
    const writer = new RequestLogWriter({ db: databases.aux, settings: () => settings, logger }, { batchSize: 100, flushIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) writer.add(input({ url: `/n/${i}` }));
    const flushed = writer.flush();
    for (let i = 5; i < 8; i++) writer.add(input({ url: `/n/${i}` }));
    await flushed;
    expect((await logs.list({})).totalItems).toBe(5);
    expect(writer.bufferedEntries).toBe(3);
    await writer.close();
    expect((await logs.list({})).totalItems).toBe(8);
  });

  it('writes every entry of a batch once, with its own values (multi-row INSERTs and a remainder)', async () => {
    // 150 rows: on SQLite's appender thread two INSERTs of 64 rows, then 22 single-row ones.
    const writer = new RequestLogWriter({ db: databases.aux, settings: () => settings, logger }, { batchSize: 200, flushIntervalMs: 60_000 });
    for (let i = 0; i < 150; i++) writer.add(input({ url: `/n/${i}`, status: 200 + (i % 3), at: Date.UTC(2026, 0, 2, 3, 4, 5, i) }));
    await writer.close();
    const items = (await logs.list({ perPage: '500', sort: 'created' })).items;
    expect(items.map((e) => e.data.url)).toEqual(Array.from({ length: 150 }, (_, i) => `/n/${i}`));
    expect(items.map((e) => e.data.status)).toEqual(Array.from({ length: 150 }, (_, i) => 200 + (i % 3)));
    expect(items[149]).toMatchObject({ message: 'GET /n/149', created: '2026-01-02 03:04:05.149Z' });
    expect(new Set(items.map((e) => e.id)).size).toBe(150);
  });

  it('drops the oldest entries past its bound, and says so once', async () => {
    const writer = new RequestLogWriter({ db: databases.aux, settings: () => settings, logger }, { maxBuffered: 10, batchSize: 1000, flushIntervalMs: 60_000 });
    for (let i = 0; i < 25; i++) writer.add(input({ url: `/n/${i}` }));
    const dropped = writer.droppedEntries;
    expect(dropped).toBeGreaterThan(0);
    await writer.close();
    const kept = (await logs.list({ perPage: '100' })).items.map((e) => e.data.url);
    expect(kept).toHaveLength(25 - dropped);
    expect(kept).toContain('/n/24');
    expect(kept).not.toContain('/n/0');
    expect(warnings).toEqual([expect.objectContaining({ dropped })]);
  });

  describe('past maxPerSecond', () => {
    const t0 = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
    const failure = () => {
      const error = badRequest();
      return { error, answered: error.toJSON() };
    };
    /** A request finishing at `now`, logged if the writer admits it. */
    const offer = (writer: RequestLogWriter, url: string, now: number, options: { failed?: boolean; elapsedTime?: number } = {}) => {
      if (!writer.admits(options.failed ?? false, { elapsedTime: options.elapsedTime ?? 2 }, now)) return;
      writer.add(input({ url, at: now, ...(options.failed ? { status: 400, failure: failure() } : {}) }));
    };

    it('counts successful requests in one entry a second, and still logs failed and slow ones', async () => {
      const writer = new RequestLogWriter({ db: databases.aux, settings: () => settings, logger }, { batchSize: 100, flushIntervalMs: 60_000, maxPerSecond: 3 });
      for (let i = 0; i < 10; i++) offer(writer, `/ok/${i}`, t0 + i);
      offer(writer, '/failed', t0 + 20, { failed: true });
      offer(writer, '/slow', t0 + 30, { elapsedTime: 1500 });
      for (let i = 0; i < 4; i++) offer(writer, `/next/${i}`, t0 + 1000 + i);
      await writer.close();
      const items = (await logs.list({ perPage: '100', sort: 'created' })).items;
      const requests = items.filter((e) => e.data.type === 'request').map((e) => e.data.url);
      expect(requests.sort()).toEqual(['/failed', '/next/0', '/next/1', '/next/2', '/ok/0', '/ok/1', '/ok/2', '/slow']);
      const counted = items.filter((e) => e.data.type === 'requestsNotLogged');
      expect(counted.map((e) => e.data)).toEqual([
        { type: 'requestsNotLogged', count: 7, limit: 3, from: '2026-01-02 03:04:05.003Z', to: '2026-01-02 03:04:05.009Z' },
        { type: 'requestsNotLogged', count: 1, limit: 3, from: '2026-01-02 03:04:06.003Z', to: '2026-01-02 03:04:06.003Z' },
      ]);
      expect(counted[0]).toMatchObject({ level: 0, message: '7 successful requests not logged one by one (past 3 a second, --request-log-rate)' });
      expect(items.find((e) => e.data.url === '/failed')?.level).toBe(8);
    });

    it('logs every request with 0, and counts nothing that minLevel keeps out', async () => {
      const all = new RequestLogWriter({ db: databases.aux, settings: () => settings, logger }, { flushIntervalMs: 60_000, maxPerSecond: 0 });
      for (let i = 0; i < 50; i++) offer(all, `/all/${i}`, t0);
      await all.close();
      expect((await logs.list({ perPage: '100' })).totalItems).toBe(50);
      await databases.aux.run(sql`DELETE FROM _logs`);
      const errorsOnly = { ...settings, minLevel: 4 };
      const writer = new RequestLogWriter({ db: databases.aux, settings: () => errorsOnly, logger }, { flushIntervalMs: 60_000, maxPerSecond: 1 });
      for (let i = 0; i < 5; i++) offer(writer, `/ok/${i}`, t0 + i);
      offer(writer, '/failed', t0 + 9, { failed: true });
      await writer.close();
      expect((await logs.list({})).items.map((e) => e.data.url)).toEqual(['/failed']);
    });
  });
});
