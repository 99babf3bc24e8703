// The filter attack of issue 6: a guest list filter that walks a multi relation whose records all
// link to each other. Within the cost estimate, it still reads millions of rows; the statement
// budget cuts it off with a 400 while the server goes on answering everyone else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord } from './support/builders.ts';

let server: TestServer;
const RECORDS = 60;
const CLIENT_BUDGET_MS = 500;
const SYSTEM_BUDGET_MS = 1_500;

beforeAll(async () => {
  server = await seededServer();
}, 60_000);
afterAll(() => server.close());

/** A server whose `demo` records all link to each other through the multi relation `related`. */
async function seededServer(): Promise<TestServer> {
  const server = await startServer({ queryTimeouts: { client: CLIENT_BUDGET_MS, system: SYSTEM_BUDGET_MS } });
  const demo = await createCollection(server, {
    name: 'demo',
    listRule: '',
    viewRule: '',
    fields: [{ name: 'title', type: 'text' }],
  });
  await api(server, 'PATCH', `/api/collections/${demo.id}`, {
    token: server.superuserToken,
    body: { fields: [{ name: 'title', type: 'text' }, { name: 'related', type: 'relation', collectionId: demo.id, maxSelect: RECORDS }] },
  });
  const ids: string[] = [];
  for (let i = 0; i < RECORDS; i++) ids.push((await createRecord(server, 'demo', { title: `record ${i}` })).id);
  for (const id of ids) {
    const res = await api(server, 'PATCH', `/api/collections/demo/records/${id}`, { token: server.superuserToken, body: { related: ids } });
    expect(res.status).toBe(200);
  }
  return server;
}

const demoId = () => server.baton.services.schema.find('demo')!.id;

const TOO_EXPENSIVE = { status: 400, message: expect.stringContaining('too expensive'), data: {} };

/** Runs `request` while probing /api/health every 10 ms; returns its result and the probes' latencies. */
async function whileProbing<T>(request: () => Promise<T>): Promise<{ result: T; latencies: number[] }> {
  const latencies: number[] = [];
  let done = false;
  const probe = (async () => {
    while (!done) {
      const started = performance.now();
      const res = await fetch(`${server.url}/api/health`);
      await res.text();
      expect(res.status).toBe(200);
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const result = await request();
  done = true;
  await probe;
  return { result, latencies };
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))];

describe('statement budget over HTTP', () => {
  it('a costly guest filter is cut off with a 400 naming the cause; /api/health is served throughout', async () => {
    const filter = encodeURIComponent(`related.related.related.title ?~ "zzzz"`);
    const { result, latencies } = await whileProbing(() => api(server, 'GET', `/api/collections/demo/records?filter=${filter}`));
    expect(result.status).toBe(400);
    expect(result.body).toEqual(TOO_EXPENSIVE);
    expect(latencies.length).toBeGreaterThan(5);
    expect(p99(latencies)).toBeLessThan(50);
  });

  it('a superuser filter has the longer system budget, and is cut off past it', async () => {
    const filter = encodeURIComponent(`related.related.related.related.title ?~ "zzzz"`);
    const res = await api(server, 'GET', `/api/collections/demo/records?filter=${filter}`, { token: server.superuserToken });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(TOO_EXPENSIVE);
  });

  it('other requests, reads and writes, are answered while a costly filter runs, and nothing stays locked', async () => {
    const filter = encodeURIComponent(`related.related.related.title ?~ "zzzz"`);
    const costly = api(server, 'GET', `/api/collections/demo/records?filter=${filter}`);
    const [list, created] = await Promise.all([
      api(server, 'GET', '/api/collections/demo/records?perPage=5'),
      createRecord(server, 'demo', { title: 'written meanwhile' }),
    ]);
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(5);
    expect((await costly).status).toBe(400);
    const view = await api(server, 'GET', `/api/collections/demo/records/${created.id}`);
    expect(view.body.title).toBe('written meanwhile');
  });

  it('a cheap filter on the same data is answered', async () => {
    const filter = encodeURIComponent(`related.title ?= "record 3"`);
    const res = await api(server, 'GET', `/api/collections/demo/records?filter=${filter}&perPage=1`);
    expect(res.status).toBe(200);
    expect(res.body.totalItems).toBe(RECORDS);
  });

  // Last: it changes what the server knows of the data.
  it('once the data statistics are measured, the estimate refuses the costly filter before it runs', async () => {
    await server.baton.services.statistics.refresh();
    // 60 records link to all 60; one more, written by an earlier test, links to none.
    expect(server.baton.services.statistics.itemsPerRecord(demoId(), 'related')).toBeCloseTo((RECORDS * RECORDS) / (RECORDS + 1), 3);
    expect(server.baton.services.statistics.records(demoId())).toBe(RECORDS + 1);
    // About 60 x 60 x 60 related rows per record: refused at compile time, with PocketBase's generic 400.
    const costly = encodeURIComponent(`related.related.related.title ?~ "zzzz"`);
    const refused = await api(server, 'GET', `/api/collections/demo/records?filter=${costly}`);
    expect(refused.status).toBe(400);
    expect(refused.body.message).not.toContain('too expensive');
    // One step, about 60 rows per record, stays within the budget of 100.
    const cheap = encodeURIComponent(`related.title ?= "record 3"`);
    expect((await api(server, 'GET', `/api/collections/demo/records?filter=${cheap}&perPage=1`)).status).toBe(200);
  });
});

describe('shutdown while a costly filter runs', () => {
  it('the costly request is answered and the server closes within its budget, not the filter\'s time', async () => {
    const own = await seededServer();
    const filter = encodeURIComponent(`related.related.related.title ?~ "zzzz"`);
    const costly = api(own, 'GET', `/api/collections/demo/records?filter=${filter}`);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(CLIENT_BUDGET_MS + 4_000);
    expect((await costly).status).toBe(400);
  }, 60_000);
});
