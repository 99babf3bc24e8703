/**
 * The fields a view collection gets from its query (PocketBase's core/view.go parseQueryToFields):
 * a column taken from a collection field keeps that field; `count(` and `total(` are numbers, and
 * a CAST to a type PocketBase knows gives that type; any other expression (max, min, sum, avg…) is
 * a json field, which reads back the value the query yields, whatever its type. Each view is
 * read back through the records API on every database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { autodates, bool, createCollection, createRecord, number, relation, text } from './support/builders.ts';
import { TEST_DIALECT, type TestDialect } from './support/databases.ts';

let server: TestServer;
let refsId: string;
let refId: string;
let itemId: string;
let itemCreated: string;
const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });

/** The expectation for the database under test; one nobody has written yet fails, it never passes by default. */
function onDialect<T>(expected: Partial<Record<TestDialect, T>>): T {
  if (!Object.hasOwn(expected, TEST_DIALECT)) throw new Error(`no expectation written for ${TEST_DIALECT} yet`);
  return expected[TEST_DIALECT] as T;
}

/** Creates a view collection and returns its fields (name -> field) and its records. */
async function view(name: string, viewQuery: string) {
  const c = await createCollection(server, { name, type: 'view', listRule: '', viewQuery });
  const fields = Object.fromEntries((c.fields as Array<Record<string, any>>).map((f) => [f.name, f]));
  const list = await su('GET', `/api/collections/${name}/records`);
  expect(list.status).toBe(200);
  return { fields, items: list.body.items as Array<Record<string, unknown>> };
}

beforeAll(async () => {
  server = await startServer();
  refsId = (await createCollection(server, { name: 'vf_refs', fields: [text('label')] })).id;
  await createCollection(server, {
    name: 'vf_items',
    fields: [text('text'), number('n'), bool('b'), relation('r', refsId, { maxSelect: 1 }), ...autodates()],
  });
  refId = (await createRecord(server, 'vf_refs', { label: 'the ref' })).id;
  const item = await createRecord(server, 'vf_items', { text: 'keep-me', n: 42, b: true, r: refId });
  itemId = item.id;
  itemCreated = item.created as string;
});
afterAll(() => server?.close());

describe('view field types', () => {
  it('max, min and sum are json fields that read back the value (only count is a number)', async () => {
    const { fields, items } = await view('vf_aggregates',
      'SELECT p.id, max(p.text) AS mx, min(p.created) AS mn, sum(p.n) AS sm, count(p.id) AS cnt FROM vf_items p GROUP BY p.id');
    expect(fields.mx).toMatchObject({ type: 'json' });
    expect(fields.mn).toMatchObject({ type: 'json' });
    expect(fields.sm).toMatchObject({ type: 'json' });
    expect(fields.cnt).toMatchObject({ type: 'number', onlyInt: true });
    expect(items).toEqual([expect.objectContaining({ id: itemId, mx: 'keep-me', mn: itemCreated, sm: 42, cnt: 1 })]);
  });

  it('the dry run suggests the same fields and shows the values', async () => {
    const res = await su('POST', '/api/collections/meta/dry-run-view', { query: 'SELECT p.id, max(p.text) AS mx, count(p.id) AS cnt FROM vf_items p GROUP BY p.id' });
    expect(res.status).toBe(200);
    expect(res.body.fields).toMatchObject([{ name: 'id' }, { name: 'mx', type: 'json' }, { name: 'cnt', type: 'number', onlyInt: true }]);
    expect(res.body.sample).toEqual([expect.objectContaining({ id: itemId, mx: 'keep-me', cnt: 1 })]);
  });

  it('a CAST to a type PocketBase knows gives that type', async () => {
    const query = onDialect({
      sqlite: 'SELECT id, CAST(n AS TEXT) AS nt, CAST(b AS BOOLEAN) AS bb, CAST(n AS INTEGER) AS ni, CAST(n AS REAL) AS nr FROM vf_items',
      postgres: 'SELECT id, CAST(n AS TEXT) AS nt, CAST(b AS BOOLEAN) AS bb, CAST(n AS INTEGER) AS ni, CAST(n AS REAL) AS nr FROM vf_items',
      // MariaDB casts to neither TEXT, BOOLEAN nor REAL: its DECIMAL is the real number here.
      mysql: 'SELECT id, CAST(n AS INTEGER) AS ni, CAST(n AS DECIMAL) AS nr FROM vf_items',
    });
    const { fields, items } = await view('vf_casts', query);
    expect(fields.ni).toMatchObject({ type: 'number', onlyInt: true });
    expect(fields.nr).toMatchObject({ type: 'number', onlyInt: false });
    expect(items[0]).toMatchObject({ id: itemId, ni: 42, nr: 42 });
    if (TEST_DIALECT !== 'mysql') {
      expect(fields.nt).toMatchObject({ type: 'text' });
      expect(fields.bb).toMatchObject({ type: 'bool' });
      expect(items[0]).toMatchObject({ nt: '42', bb: true });
    }
  });

  it('a CAST to another type is a json field', async () => {
    const query = onDialect({
      sqlite: 'SELECT id, CAST(text AS BLOB) AS other FROM vf_items',
      postgres: 'SELECT id, CAST(text AS VARCHAR) AS other FROM vf_items',
      mysql: 'SELECT id, CAST(text AS CHAR) AS other FROM vf_items',
    });
    const { fields, items } = await view('vf_other_cast', query);
    expect(fields.other).toMatchObject({ type: 'json' });
    expect(items[0]).toMatchObject({ id: itemId, other: 'keep-me' });
  });

  it('a collection\'s id column is a relation to that collection', async () => {
    const { fields, items } = await view('vf_refs_view', 'SELECT p.id, c3.id AS ref FROM vf_items p LEFT JOIN vf_refs c3 ON c3.id = p.r');
    expect(fields.ref).toMatchObject({ type: 'relation', collectionId: refsId, maxSelect: 1 });
    expect(items[0]).toMatchObject({ id: itemId, ref: refId });
    const expanded = await su('GET', `/api/collections/vf_refs_view/records/${itemId}?expand=ref`);
    expect(expanded.body.expand.ref).toMatchObject({ id: refId, label: 'the ref' });
  });

  it('a column named in another case than its field takes the field', async () => {
    const { fields, items } = await view('vf_case', 'SELECT id, B, N FROM vf_items');
    // PostgreSQL folds the unquoted names to lower case; SQLite and MariaDB keep them as written.
    const [b, n] = TEST_DIALECT === 'postgres' ? ['b', 'n'] : ['B', 'N'];
    expect(fields[b]).toMatchObject({ type: 'bool', system: false });
    expect(fields[n]).toMatchObject({ type: 'number' });
    expect(items[0]).toMatchObject({ id: itemId, [b]: true, [n]: 42 });
  });

  it('an unqualified column is looked up in the first table only', async () => {
    const { fields } = await view('vf_main_table', 'SELECT p.id, text, label FROM vf_items p LEFT JOIN vf_refs c3 ON c3.id = p.r');
    expect(fields.text).toMatchObject({ type: 'text' });
    expect(fields.label).toMatchObject({ type: 'json' });
  });

  it('wildcard columns are refused', async () => {
    for (const viewQuery of ['SELECT * FROM vf_items', 'SELECT p.* FROM vf_items p']) {
      const res = await su('POST', '/api/collections', { name: 'vf_star', type: 'view', viewQuery });
      expect(res.status).toBe(400);
      expect(res.body.data.viewQuery).toEqual({
        code: 'validation_invalid_view_query',
        message: 'Invalid query - wildcard columns (*) are not supported - manually type the collection field names you want the view query to have.',
      });
    }
  });
});

describe('a refused view query', () => {
  it('leaves the view as it was, and the name free on create (on MySQL too, whose DDL commits as it runs)', async () => {
    await view('vf_kept', 'SELECT id, text FROM vf_items');
    const refused = [
      { viewQuery: 'SELECT text FROM vf_items' }, // no id column
      { viewQuery: 'SELECT id, n FROM vf_items', listRule: 'text = 1' }, // a rule its columns do not resolve
    ];
    for (const change of refused) {
      expect((await su('PATCH', '/api/collections/vf_kept', change)).status).toBe(400);
      const records = await su('GET', '/api/collections/vf_kept/records');
      expect(records.body.items).toEqual([{ collectionId: expect.any(String), collectionName: 'vf_kept', id: itemId, text: 'keep-me' }]);
    }
    expect((await su('POST', '/api/collections', { name: 'vf_refused', type: 'view', viewQuery: 'SELECT text FROM vf_items' })).status).toBe(400);
    expect((await su('POST', '/api/collections', { name: 'vf_refused', type: 'view', viewQuery: 'SELECT id FROM vf_items' })).status).toBe(200);
  });
});
