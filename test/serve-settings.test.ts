/**
 * The limits `baton serve` takes from flags and BATON_* variables (issue 6 leftovers): each one,
 * set low, takes effect in a server built from the configuration as `serve` builds it
 * (`openServing`), and bad values stop `serve` before it opens anything. Durations are shortened
 * and bounds asserted, never exact times.
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openServing, shutDown, type Serving } from '../src/cli/serve.ts';
import { loadConfig, type ConfigInput } from '../src/config/config.ts';
import { loopGuard, sql } from '../src/db/sql.ts';
import { systemContext } from '../src/domain/context.ts';
import { responseTooLarge, tooManyExpandedRecords } from '../src/domain/records/limits.ts';
import { silentLogger } from '../src/kernel/logger.ts';
import { api } from './support/baton.ts';
import { run, tempDirs } from './support/cli.ts';
import { createTestDatabase, TEST_DIALECT } from './support/databases.ts';
import { onlyIf } from './support/only-if.ts';
import { expectApiError, PARTIAL_POST, rawConnect, until, type RawConnection } from './support/raw-http.ts';

const tempDir = tempDirs('baton-settings-');

interface Served {
  url: string;
  serving: Serving;
  /** `serve`'s shutdown (SIGTERM), which closes the database too. */
  shutDown(): Promise<void>;
  /** Creates a collection and records as a superuser, bypassing the rules. */
  setup: {
    collection(body: Record<string, unknown>): Promise<{ id: string }>;
    record(collection: string, body: Record<string, unknown>): Promise<{ id: string }>;
  };
}

/** A server built from `input` as `baton serve` builds it, on the run's database, listening on a free port. */
async function serveWith(input: ConfigInput): Promise<Served> {
  const database = await createTestDatabase();
  onTestFinished(() => database.drop());
  const config = loadConfig({ dir: tempDir(), db: database.url, logLevel: 'silent', ...input }, {});
  const serving = await openServing(config, pino({ level: 'silent' }));
  let stopped = false;
  onTestFinished(async () => {
    if (stopped) return;
    serving.server.connections.destroyAll();
    await serving.server.close();
    await serving.baton.close();
  });
  await serving.server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = serving.server.addresses()[0] as AddressInfo;
  const { collections, records, schema } = serving.baton.services;
  const ctx = () => systemContext(silentLogger, { kind: 'superuser', collection: schema.find('_superusers')!, record: {} });
  return {
    url: `http://127.0.0.1:${port}`,
    serving,
    shutDown: () => {
      stopped = true;
      return shutDown(serving);
    },
    setup: {
      collection: async (body) => (await collections.create(ctx(), { type: 'base', ...body })) as { id: string },
      record: async (collection, body) => (await records.create(ctx(), collection, { body, source: 'json' })) as { id: string },
    },
  };
}

const NOTES = { name: 'notes', listRule: '', viewRule: '', createRule: '', fields: [{ name: 'title', type: 'text' }, { name: 'data', type: 'json' }] };

describe('response limits', () => {
  it('--max-expanded-records: an expand past it is the 400 that names it', async () => {
    const s = await serveWith({ maxExpandedRecords: '3' });
    const tags = await s.setup.collection({ name: 'tags', listRule: '', viewRule: '', fields: [{ name: 'label', type: 'text' }] });
    await s.setup.collection({
      name: 'posts',
      listRule: '',
      viewRule: '',
      fields: [{ name: 'title', type: 'text' }, { name: 'tags', type: 'relation', collectionId: tags.id, maxSelect: 10 }],
    });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await s.setup.record('tags', { label: `t${i}` })).id);
    await s.setup.record('posts', { title: 'many', tags: ids });
    await s.setup.record('posts', { title: 'few', tags: ids.slice(0, 2) });

    // Five related records, far below the default of 10,000.
    const many = await api(s, 'GET', `/api/collections/posts/records?expand=tags&filter=${encodeURIComponent("title='many'")}`);
    expect(many.status).toBe(400);
    expect(many.body).toEqual({ status: 400, message: tooManyExpandedRecords(3).message, data: {} });
    const few = await api(s, 'GET', `/api/collections/posts/records?expand=tags&filter=${encodeURIComponent("title='few'")}`);
    expect(few.status).toBe(200);
    expect(few.body.items[0].expand.tags).toHaveLength(2);
  });

  it('--max-response-size: a record response past it is the 400 that names it', async () => {
    const s = await serveWith({ maxResponseSize: '2048' });
    await s.setup.collection(NOTES);
    const big = await s.setup.record('notes', { title: 'x'.repeat(3000) });
    const small = await s.setup.record('notes', { title: 'small' });
    const res = await api(s, 'GET', `/api/collections/notes/records/${big.id}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ status: 400, message: responseTooLarge(2048).message, data: {} });
    expect((await api(s, 'GET', `/api/collections/notes/records/${small.id}`)).status).toBe(200);
  });
});

describe('connection limits', () => {
  it('--max-json-items: a body with more items is refused before it is parsed', async () => {
    const s = await serveWith({ maxJsonItems: '50' });
    await s.setup.collection(NOTES);
    const post = (n: number) =>
      api(s, 'POST', '/api/collections/notes/records', {
        rawBody: `{"data":[${Array(n).fill('0').join(',')}]}`,
        headers: { 'content-type': 'application/json' },
      });
    // 100 items, far below the default of 100,000.
    const refused = await post(100);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/^The JSON body has more than 50 items .*\(--max-json-items\)/);
    expect((await post(10)).status).toBe(200);
  });

  it('--max-connections: past it, stalled connections are evicted and real requests served', async () => {
    const cap = 5;
    const s = await serveWith({ maxConnections: String(cap) });
    const attackers: RawConnection[] = [];
    for (let i = 0; i < cap * 2; i++) attackers.push(await rawConnect(s.url, PARTIAL_POST));
    await until(() => attackers.filter((a) => a.isClosed()).length >= cap, 5000, 'evictions');
    expect(attackers.filter((a) => !a.isClosed()).length).toBeLessThanOrEqual(cap);
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
  });

  it('--body-stall-timeout: a body that stops arriving gets its 408 long before the default 30 s', async () => {
    const s = await serveWith({ bodyStallTimeout: '0.2' });
    await s.setup.collection(NOTES);
    const started = Date.now();
    const stalled = await rawConnect(s.url, PARTIAL_POST);
    expect(await stalled.closed).toBe('end');
    expect(Date.now() - started).toBeLessThan(10_000);
    expectApiError(stalled.response(), 408, 'Request timeout.');
  });

  it('--shutdown-linger: an idle connection still takes a request during the linger, and none after a linger of 0', async () => {
    const keepAlive = async (s: Served) => {
      const c = await rawConnect(s.url, 'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n');
      await until(() => c.response()?.body.endsWith('}') === true, 5000, 'the first response');
      return c;
    };
    const lingering = await serveWith({ shutdownLinger: '5' });
    const waiting = await keepAlive(lingering);
    lingering.serving.server.connections.drain();
    // Past the default linger (0.5 s).
    await new Promise((r) => setTimeout(r, 800));
    waiting.socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => waiting.text().split('HTTP/1.1 200').length === 3, 5000, 'the second response');
    expect(waiting.text()).toMatch(/connection: close/i);

    const immediate = await serveWith({ shutdownLinger: '0' });
    const idle = await keepAlive(immediate);
    immediate.serving.server.connections.drain();
    // Well before the default linger (0.5 s) would end.
    await until(() => idle.isClosed(), 400, 'the idle connection to close');
    expect(await idle.closed).toBe('end');
  });

  it('--shutdown-timeout: a shutdown cuts a request still under way once it has passed', async () => {
    const s = await serveWith({ shutdownTimeout: '0.3' });
    const stalled = await rawConnect(s.url, PARTIAL_POST);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await s.shutDown();
    // The default (10 s) would still be waiting for the request's body.
    expect(Date.now() - started).toBeLessThan(5_000);
    await stalled.closed;
  });
});

onlyIf(TEST_DIALECT === 'sqlite', describe)('SQLite reader threads', () => {
  /** 200^4 rows, every one passing a loop guard: it only ends by being cut off. */
  const endless = sql`SELECT COUNT(*) AS n FROM nums a
    JOIN nums b ON ${loopGuard('b')} JOIN nums c ON ${loopGuard('c')} JOIN nums d ON ${loopGuard('d')}
    WHERE a.id + b.id + c.id + d.id < 0`;

  /** How two costly client reads at once end: with one thread the second waits its whole budget and is refused as busy. */
  async function twoCostlyReads(threads: string): Promise<Array<string | undefined>> {
    const s = await serveWith({ sqliteReaderThreads: threads, clientQueryTimeout: '0.4' });
    const db = s.serving.baton.services.db;
    await db.run(sql`CREATE TABLE nums (id INTEGER PRIMARY KEY)`);
    for (let i = 1; i <= 200; i++) await db.run(sql`INSERT INTO nums (id) VALUES (${i})`);
    const outcome = (p: Promise<unknown>) => p.then(() => 'ran to its end', (e: unknown) => db.dialect.classifyError(e)?.kind);
    return Promise.all([outcome(db.forClients().all(endless)), outcome(db.forClients().all(endless))]);
  }

  it('--sqlite-reader-threads: costly reads run at once up to the count, the rest wait', async () => {
    expect(await twoCostlyReads('1')).toEqual(['timeout', 'busy']);
    expect(await twoCostlyReads('2')).toEqual(['timeout', 'timeout']);
  });
});

// The CLI once, on SQLite: the checks come before any database is opened.
onlyIf(TEST_DIALECT === 'sqlite', describe)('bad values stop serve before it opens anything', () => {
  it('flags and BATON_* variables are checked alike, each naming the setting', async () => {
    const dirs = [tempDir(), tempDir(), tempDir(), tempDir()].map((d) => path.join(d, 'data'));
    const results = await Promise.all([
      run(['serve', '--http=127.0.0.1:0', `--dir=${dirs[0]}`, '--max-expanded-records=0']),
      run(['serve', '--http=127.0.0.1:0', `--dir=${dirs[1]}`], { BATON_BODY_STALL_TIMEOUT: 'soon' }),
      run(['serve', '--http=127.0.0.1:0', `--dir=${dirs[2]}`, '--shutdown-linger=20']),
      // The descriptor limit, lowered for the child, bounds --max-connections.
      run(['serve', '--http=127.0.0.1:0', `--dir=${dirs[3]}`, '--max-connections=200'], {}, 256),
    ]);
    const messages = [
      'config error: invalid --max-expanded-records "0", expected a whole number from 1 to 1000000\n',
      'config error: invalid BATON_BODY_STALL_TIMEOUT "soon", expected seconds from 0.001 to 86400\n',
      'config error: invalid --shutdown-linger 20: it must be shorter than --shutdown-timeout (10 s)\n',
      expect.stringMatching(/^config error: invalid --max-connections 200: this process may open 256 files \(ulimit -n\), which leaves room for 128 connections/),
    ];
    results.forEach((res, i) => {
      expect(res, `case ${i}`).toMatchObject({ code: 2, stdout: '', stderr: messages[i] });
      expect(existsSync(dirs[i]), `case ${i} opened its directory`).toBe(false);
    });
  });
});
