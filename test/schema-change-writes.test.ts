/**
 * Records written while a schema change copies a table are kept: each create the API acknowledged
 * is in the table afterwards. On MySQL the change copies the table into a new one and swaps it in
 * (collections/shadow-ddl.ts), so a write landing in the old table after the copy would be
 * dropped with it; SQLite and PostgreSQL change the table in place inside a transaction. The
 * table is big enough that the copy and the index build take a while; what is asserted is that no
 * acknowledged write is lost, not how long anything waits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ident, raw, sql } from '../src/db/sql.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, number, PUBLIC_RULES, text } from './support/builders.ts';

let server: TestServer;
const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });
const db = () => server.baton.services.db;

/** 200 × 200 rows: MariaDB stops a recursive query after 1000 iterations by default. */
const SIDE = 200;
const ROWS = SIDE * SIDE;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

describe('writes made during a schema change', () => {
  it('every create acknowledged while a field and an index are added is in the table afterwards', async () => {
    const c = await createCollection(server, { name: 'big', fields: [text('a'), number('n')], ...PUBLIC_RULES });
    // Rows written straight through the database (the same text on the three databases: `||`
    // concatenates on MySQL too, in Baton's sessions).
    await db().run(
      sql`INSERT INTO ${ident('big')} (id, a, n) WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${raw(String(SIDE - 1))}) SELECT 'b' || (x.i * ${raw(String(SIDE))} + y.i), 'row ' || (x.i * ${raw(String(SIDE))} + y.i), x.i * ${raw(String(SIDE))} + y.i FROM s x, s y`,
    );
    expect((await db().get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM ${ident('big')}`, { n: 'number' }))?.n).toBe(ROWS);

    const acknowledged: string[] = [];
    const failed: number[] = [];
    let changing = true;
    // The last writer asks for an expand: its create is answered inside its own transaction
    // (RecordService's answeredWrite), which on MySQL is held and run again as a whole.
    const writer = async (w: number) => {
      const url = w === 2 ? '/api/collections/big/records?expand=a' : '/api/collections/big/records';
      for (let i = 0; changing || i < 5; i++) {
        const res = await api(server, 'POST', url, { body: { a: `w${w}-${i}`, n: i } });
        if (res.status === 200) acknowledged.push(res.body.id);
        else failed.push(res.status);
      }
    };
    const readStatuses = new Set<number>();
    const reader = async () => {
      while (changing) readStatuses.add((await api(server, 'GET', '/api/collections/big/records?perPage=1&skipTotal=1')).status);
    };
    const writers = [0, 1, 2].map(writer);
    const reading = reader();
    // Let the writers get going, so some writes arrive during the copy.
    while (acknowledged.length < 10) await new Promise((r) => setTimeout(r, 5));
    const patch = await su('PATCH', `/api/collections/${c.id}`, {
      fields: [...(c.fields as unknown[]), text('b')],
      indexes: ['CREATE INDEX idx_big_a ON big (a)', 'CREATE INDEX idx_big_n ON big (n)'],
    });
    changing = false;
    await Promise.all([...writers, reading]);
    expect(patch.status).toBe(200);
    expect(acknowledged.length).toBeGreaterThan(10);

    const stored = new Set((await db().all<{ id: string }>(sql`SELECT id FROM ${ident('big')}`)).map((r) => r.id));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    expect(stored.size).toBe(ROWS + acknowledged.length);
    // Held writes wait for the change and then run: none is refused.
    expect(failed).toEqual([]);
    expect([...readStatuses]).toEqual([200]);
  }, 120_000);

  it('a change that fails releases what it held: writes go on at once, and nothing is left on the tables', async () => {
    const c = (await su('GET', '/api/collections/big')).body;
    // `b` is '' in every row: a UNIQUE index over it cannot be built.
    const res = await su('PATCH', `/api/collections/${c.id}`, { indexes: [...c.indexes, 'CREATE UNIQUE INDEX idx_big_b ON big (b)'] });
    expect(res.status).toBe(400);
    const started = Date.now();
    const created = await api(server, 'POST', '/api/collections/big/records', { body: { a: 'after', n: 1 } });
    expect(created.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000);
    if (db().dialect.name === 'mysql') {
      expect(await db().all(sql`SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()`)).toEqual([]);
    }
  });
});
