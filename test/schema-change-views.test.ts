/**
 * Views over a collection that a schema change alters are made again from their stored query
 * within the change (collections/dependent-views.ts), the same on every database: a change that
 * leaves a view's query naming what no longer exists is refused with a 400 naming the view, and
 * the view keeps working; a change the query survives re-infers the view's fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ident, raw, sql } from '../src/db/sql.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord, number, PUBLIC_RULES, select, text } from './support/builders.ts';

let server: TestServer;
const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });
const db = () => server.baton.services.db;
type Field = { id: string; name: string; maxSelect?: number };

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

const viewRecords = async (view: string) => {
  const res = await su('GET', `/api/collections/${view}/records?sort=id`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items;
};

describe('a view over a collection that changes', () => {
  let posts: { id: string; fields: Field[] };
  beforeAll(async () => {
    posts = (await createCollection(server, { name: 'posts1', fields: [text('title'), number('n')], ...PUBLIC_RULES })) as never;
    await createRecord(server, 'posts1', { id: 'p00000000000000', title: 't0', n: 1 });
    await createCollection(server, { name: 'v1', type: 'view', viewQuery: 'SELECT id, title, n FROM posts1', listRule: '', viewRule: '' });
  });

  const refusedNamingV1 = (res: { status: number; body: any }) => {
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.message).toBe('Failed to update collection.');
    expect(res.body.data.views.v1.code).toBe('validation_view_dependency');
  };

  it('renaming a field the view selects is refused, naming the view; the view reads as before', async () => {
    const fields = posts.fields.map((f) => (f.name === 'title' ? { ...f, name: 'heading' } : f));
    refusedNamingV1(await su('PATCH', '/api/collections/posts1', { fields }));
    expect(await viewRecords('v1')).toMatchObject([{ id: 'p00000000000000', title: 't0', n: 1 }]);
  });

  it('removing a field the view selects is refused, naming the view', async () => {
    refusedNamingV1(await su('PATCH', '/api/collections/posts1', { fields: posts.fields.filter((f) => f.name !== 'title') }));
    expect(await viewRecords('v1')).toMatchObject([{ title: 't0' }]);
  });

  it('renaming the collection is refused, naming the view; the view reads as before', async () => {
    refusedNamingV1(await su('PATCH', '/api/collections/posts1', { name: 'posts2' }));
    expect(await viewRecords('v1')).toMatchObject([{ title: 't0' }]);
    expect((await su('GET', '/api/collections/posts1/records')).status).toBe(200);
  });

  it('a change the query survives keeps the view working', async () => {
    const res = await su('PATCH', '/api/collections/posts1', { fields: [...posts.fields, text('extra')] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await viewRecords('v1')).toMatchObject([{ title: 't0', n: 1 }]);
    expect((await su('GET', '/api/collections/v1')).body.fields.map((f: Field) => f.name)).toEqual(['id', 'title', 'n']);
  });

  it('deleting a collection is refused only by the views that select from it', async () => {
    await createCollection(server, { name: 'other1', fields: [text('x')] });
    await createCollection(server, { name: 'unrelated', fields: [text('y')] });
    await createCollection(server, { name: 'vb', type: 'view', viewQuery: 'SELECT id, x FROM other1' });
    // Broken outside Baton: its table is gone (PostgreSQL drops the view with it).
    const cascade = db().dialect.name === 'postgres' ? ' CASCADE' : '';
    await db().run(sql`DROP TABLE ${ident('other1')}${raw(cascade)}`);
    expect((await su('DELETE', '/api/collections/unrelated')).status).toBe(204);
    expect((await su('DELETE', '/api/collections/posts1')).body).toEqual({ data: {}, message: 'Failed to delete collection.', status: 400 });
    // SQLite checks every view on each ALTER TABLE: the broken one would fail the changes below.
    expect((await su('DELETE', '/api/collections/vb')).status).toBe(204);
  });
});

describe("changing a select's maxSelect under a view", () => {
  it('single to multiple and back: the view follows, with its field re-inferred', async () => {
    const c = (await createCollection(server, { name: 'tagged', fields: [select('tag', ['a', 'b'], { maxSelect: 1 })], ...PUBLIC_RULES })) as unknown as {
      id: string;
      fields: Field[];
    };
    await createRecord(server, 'tagged', { id: 't00000000000000', tag: 'a' });
    await createCollection(server, { name: 'v2', type: 'view', viewQuery: 'SELECT id, tag FROM tagged', listRule: '', viewRule: '' });
    const withMax = (maxSelect: number) => c.fields.map((f) => (f.name === 'tag' ? { ...f, maxSelect } : f));

    const multi = await su('PATCH', `/api/collections/${c.id}`, { fields: withMax(2) });
    expect(multi.status, JSON.stringify(multi.body)).toBe(200);
    expect((await su('GET', '/api/collections/v2')).body.fields.find((f: Field) => f.name === 'tag').maxSelect).toBe(2);
    expect(await viewRecords('v2')).toMatchObject([{ id: 't00000000000000', tag: ['a'] }]);

    const single = await su('PATCH', `/api/collections/${c.id}`, { fields: withMax(1) });
    expect(single.status, JSON.stringify(single.body)).toBe(200);
    expect((await su('GET', '/api/collections/v2')).body.fields.find((f: Field) => f.name === 'tag').maxSelect).toBe(1);
    expect(await viewRecords('v2')).toMatchObject([{ tag: 'a' }]);
  });
});
