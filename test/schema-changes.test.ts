/**
 * Schema changes are real DDL, applied in one transaction with their `_collections` row: the
 * SQLite table is inspected after each change, and a change that fails part-way must leave the
 * table, its indexes, its rows and the row in `_collections` exactly as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ident, sql } from '../src/db/sql.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { bool, createCollection, createRecord, json, number, relation, text } from './support/builders.ts';

let server: TestServer;
const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });
const db = () => server.baton.services.db;

interface Column {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

const columns = (table: string) =>
  db().all<Column>(sql`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(${table}) ORDER BY cid`);
const columnNames = async (table: string) => (await columns(table)).map((c) => c.name);
const rows = (table: string) => db().all(sql`SELECT * FROM ${ident(table)} ORDER BY id`);
/** Named indexes of a table (SQLite's own autoindexes have no SQL). */
const indexes = (table: string) =>
  db().all<{ name: string; sql: string }>(
    sql`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ${table} AND sql IS NOT NULL ORDER BY name`,
  );
const master = (name: string) => db().get<{ type: string; sql: string }>(sql`SELECT type, sql FROM sqlite_master WHERE name = ${name}`);
const stored = async (id: string) => {
  const row = await db().get<Record<string, string>>(sql`SELECT * FROM _collections WHERE id = ${id}`);
  return row && { ...row, fields: JSON.parse(row.fields), indexes: JSON.parse(row.indexes), options: JSON.parse(row.options) };
};

/** Everything a schema change may touch: the whole schema, `_collections`, and the given tables' rows. */
async function snapshot(...tables: string[]) {
  const out: Record<string, unknown> = {
    master: await db().all(sql`SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name`),
    collections: await db().all(sql`SELECT * FROM _collections ORDER BY id`),
    api: (await su('GET', '/api/collections?perPage=500')).body,
  };
  for (const t of tables) out[t] = await rows(t);
  return out;
}

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

describe('each change is DDL on the record table', () => {
  let id: string;
  let fieldIds: Record<string, string>;

  it('create makes the table with PocketBase column types, and the _collections row', async () => {
    const c = await createCollection(server, {
      name: 'items',
      fields: [text('title'), number('qty'), bool('done'), json('meta'), relation('tags', 'pbc_3142635823', { maxSelect: 5 }), relation('owner', 'pbc_3142635823')],
      indexes: ['CREATE INDEX idx_items_qty ON items (qty)'],
    });
    id = c.id;
    fieldIds = Object.fromEntries((c.fields as Array<{ name: string; id: string }>).map((f) => [f.name, f.id]));
    expect(await columns('items')).toEqual([
      { name: 'id', type: 'TEXT', notnull: 1, dflt_value: "'r'||lower(hex(randomblob(7)))", pk: 1 },
      { name: 'title', type: 'TEXT', notnull: 1, dflt_value: "''", pk: 0 },
      { name: 'qty', type: 'NUMERIC', notnull: 1, dflt_value: '0', pk: 0 },
      { name: 'done', type: 'BOOLEAN', notnull: 1, dflt_value: 'FALSE', pk: 0 },
      { name: 'meta', type: 'JSON', notnull: 0, dflt_value: 'NULL', pk: 0 },
      { name: 'tags', type: 'JSON', notnull: 1, dflt_value: "'[]'", pk: 0 },
      { name: 'owner', type: 'TEXT', notnull: 1, dflt_value: "''", pk: 0 },
    ]);
    expect(await indexes('items')).toEqual([{ name: 'idx_items_qty', sql: 'CREATE INDEX `idx_items_qty` ON `items` (`qty`)' }]);
    const row = await stored(id);
    expect(row).toMatchObject({ id, name: 'items', type: 'base', system: 0, listRule: null, indexes: c.indexes, options: {} });
    expect(row!.fields).toEqual(c.fields);
  });

  it('adding a field adds a column; existing rows get its zero value', async () => {
    await createRecord(server, 'items', { title: 'apple', qty: 3 });
    const fields = [...(await stored(id))!.fields, text('note')];
    expect((await su('PATCH', '/api/collections/items', { fields })).status).toBe(200);
    expect(await columnNames('items')).toEqual(['id', 'title', 'qty', 'done', 'meta', 'tags', 'owner', 'note']);
    expect(await rows('items')).toMatchObject([{ title: 'apple', qty: 3, note: '' }]);
  });

  it('renaming a field renames its column and keeps the data and the field id', async () => {
    const fields = (await stored(id))!.fields.map((f: { name: string }) => (f.name === 'title' ? { ...f, name: 'label' } : f));
    expect((await su('PATCH', '/api/collections/items', { fields })).status).toBe(200);
    expect(await columnNames('items')).toEqual(['id', 'label', 'qty', 'done', 'meta', 'tags', 'owner', 'note']);
    expect(await rows('items')).toMatchObject([{ label: 'apple', qty: 3 }]);
    expect((await stored(id))!.fields.find((f: { name: string }) => f.name === 'label').id).toBe(fieldIds.title);
  });

  it('swapping two field names keeps each value with its field', async () => {
    const fields = (await stored(id))!.fields.map((f: { name: string }) =>
      f.name === 'label' ? { ...f, name: 'note' } : f.name === 'note' ? { ...f, name: 'label' } : f,
    );
    expect((await su('PATCH', '/api/collections/items', { fields })).status).toBe(200);
    expect(await rows('items')).toMatchObject([{ note: 'apple', label: '' }]);
    const byName = Object.fromEntries((await stored(id))!.fields.map((f: { name: string; id: string }) => [f.name, f.id]));
    expect(byName.note).toBe(fieldIds.title);
  });

  it('removing a field drops its column and its data', async () => {
    const fields = (await stored(id))!.fields.filter((f: { name: string }) => f.name !== 'meta' && f.name !== 'label');
    expect((await su('PATCH', '/api/collections/items', { fields })).status).toBe(200);
    expect(await columnNames('items')).toEqual(['id', 'note', 'qty', 'done', 'tags', 'owner']);
    expect((await stored(id))!.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'note', 'qty', 'done', 'tags', 'owner']);
  });

  it('changing the indexes drops and creates them', async () => {
    const res = await su('PATCH', '/api/collections/items', { indexes: ['CREATE UNIQUE INDEX idx_items_note ON items (note)'] });
    expect(res.status).toBe(200);
    expect(await indexes('items')).toEqual([{ name: 'idx_items_note', sql: 'CREATE UNIQUE INDEX `idx_items_note` ON `items` (`note`)' }]);
    expect((await stored(id))!.indexes).toEqual(['CREATE UNIQUE INDEX idx_items_note ON items (note)']);
  });

  it('renaming the collection renames the table, keeps its rows and moves its indexes', async () => {
    const before = await rows('items');
    expect((await su('PATCH', '/api/collections/items', { name: 'goods' })).status).toBe(200);
    expect(await master('items')).toBeUndefined();
    expect(await master('goods')).toMatchObject({ type: 'table' });
    expect(await rows('goods')).toEqual(before);
    expect(await indexes('goods')).toEqual([{ name: 'idx_items_note', sql: 'CREATE UNIQUE INDEX `idx_items_note` ON `goods` (`note`)' }]);
    expect(await stored(id)).toMatchObject({ name: 'goods', indexes: ['CREATE UNIQUE INDEX `idx_items_note` ON `goods` (`note`)'] });
  });

  it('a rename that only changes case renames the table too', async () => {
    const before = await rows('goods');
    expect((await su('PATCH', '/api/collections/goods', { name: 'Goods' })).status).toBe(200);
    expect(await db().all(sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'goods'`)).toEqual([{ name: 'Goods' }]);
    expect(await rows('Goods')).toEqual(before);
    expect((await su('PATCH', '/api/collections/Goods', { name: 'goods' })).status).toBe(200);
  });

  it('an auth collection gets its unique indexes in the database', async () => {
    const c = await createCollection(server, { name: 'staff', type: 'auth' });
    expect((await indexes('staff')).map((i) => i.name)).toEqual([`idx_email_${c.id}`, `idx_tokenKey_${c.id}`]);
    expect(await columnNames('staff')).toEqual(['id', 'password', 'tokenKey', 'email', 'emailVisibility', 'verified']);
  });

  it('a view collection is an SQL view', async () => {
    const c = await createCollection(server, { name: 'good_notes', type: 'view', viewQuery: 'SELECT id, note FROM goods' });
    expect(await master('good_notes')).toMatchObject({ type: 'view' });
    expect(await stored(c.id)).toMatchObject({ type: 'view', options: { viewQuery: 'SELECT id, note FROM goods' } });
    expect((await su('DELETE', '/api/collections/good_notes')).status).toBe(204);
    expect(await master('good_notes')).toBeUndefined();
  });

  it('deleting a collection drops its table and its row', async () => {
    expect((await su('DELETE', '/api/collections/goods')).status).toBe(204);
    expect(await master('goods')).toBeUndefined();
    expect(await indexes('goods')).toEqual([]);
    expect(await stored(id)).toBeUndefined();
  });
});

describe('indexes through the API', () => {
  it('a unique index is enforced on records afterwards', async () => {
    await createCollection(server, { name: 'slugs', fields: [text('slug')] });
    await createRecord(server, 'slugs', { slug: 'a' });
    const res = await su('PATCH', '/api/collections/slugs', { indexes: ['CREATE UNIQUE INDEX idx_slug ON slugs (slug)'] });
    expect(res.body.indexes).toEqual(['CREATE UNIQUE INDEX idx_slug ON slugs (slug)']);
    const dup = await su('POST', '/api/collections/slugs/records', { slug: 'a' });
    expect(dup.body).toEqual({ status: 400, message: 'Failed to create record.', data: { slug: { code: 'validation_not_unique', message: 'Value must be unique.' } } });
    expect((await su('POST', '/api/collections/slugs/records', { slug: 'b' })).status).toBe(200);
  });

  it('an index the database cannot build is a validation error of the index', async () => {
    const res = await su('PATCH', '/api/collections/slugs', { indexes: ['CREATE UNIQUE INDEX idx_slug ON slugs (id)', 'CREATE UNIQUE INDEX idx_dup ON slugs (substr(slug, 1, 0))'] });
    expect(res.body).toMatchObject({ status: 400, message: 'Failed to update collection.', data: { indexes: { 1: { code: 'validation_invalid_index_expression' } } } });
    expect(res.body.data.indexes[1].message).toMatch(/^Failed to create index idx_dup - UNIQUE constraint failed/);
    expect((await su('GET', '/api/collections/slugs')).body.indexes).toEqual(['CREATE UNIQUE INDEX idx_slug ON slugs (slug)']);
  });
});

describe('a failed change leaves table and _collections row exactly as they were', () => {
  let fields: Array<{ id: string; name: string }>;
  beforeAll(async () => {
    const c = await createCollection(server, { name: 'stock', fields: [text('sku'), number('count'), text('remark')] });
    fields = c.fields as typeof fields;
    await createRecord(server, 'stock', { sku: 'a', count: 1, remark: 'x' });
    await createRecord(server, 'stock', { sku: 'a', count: 2, remark: 'y' });
    await createCollection(server, { name: 'stock_view', type: 'view', viewQuery: 'SELECT id, sku FROM stock' });
  });
  const renamedSku = () => fields.map((f) => (f.name === 'sku' ? { ...f, name: 'code' } : f));
  const withoutRemark = () => fields.filter((f) => f.name !== 'remark');

  const cases: Array<[string, () => [string, string, unknown], number, RegExp]> = [
    ['a UNIQUE index over duplicate values', () => ['PATCH', '/api/collections/stock', { indexes: ['CREATE UNIQUE INDEX idx_sku ON stock (sku)'] }], 400, /UNIQUE constraint failed/],
    ['an index calling an unknown function', () => ['PATCH', '/api/collections/stock', { indexes: ['CREATE INDEX idx_fn ON stock (nosuchfn(sku))'] }], 400, /no such function/],
    ['a field rename and a column drop, then an index that fails', () => ['PATCH', '/api/collections/stock', {
      name: 'stock2', fields: renamedSku().filter((f) => f.name !== 'remark'), indexes: ['CREATE UNIQUE INDEX idx_code ON stock2 (code)'],
    }], 400, /UNIQUE constraint failed/],
    ['a field type change next to a valid rename', () => ['PATCH', '/api/collections/stock', {
      fields: renamedSku().map((f) => (f.name === 'count' ? { ...f, type: 'text' } : f)),
    }], 400, /validation_field_type_change/],
    ['a rename onto a name in use', () => ['PATCH', '/api/collections/stock', { name: 'users', fields: withoutRemark() }], 400, /validation_collection_name_exists/],
    ['an import whose second item is invalid', () => ['PUT', '/api/collections/import', {
      collections: [{ name: 'stock', fields: withoutRemark() }, { name: 'brand_new' }, { name: 'users', listRule: 'nosuch = 1' }], deleteMissing: true,
    }], 400, /validation_collections_import_failure/],
    ['an import that fails in the database after other items were applied', () => ['PUT', '/api/collections/import', {
      collections: [{ name: 'brand_new', fields: [text('a')] }, { name: 'stock', fields: renamedSku(), indexes: ['CREATE UNIQUE INDEX idx_c ON stock (code)'] }],
    }], 400, /UNIQUE constraint failed/],
    ['a view query the database rejects', () => ['PATCH', '/api/collections/stock_view', { viewQuery: 'SELECT id, nope FROM stock' }], 400, /no such column: nope/],
    ['renaming a view onto a table name', () => ['PATCH', '/api/collections/stock_view', { name: 'Stock', viewQuery: 'SELECT id FROM stock' }], 400, /validation_collection_name_exists/],
    ['deleting a table a view selects from', () => ['DELETE', '/api/collections/stock', undefined], 400, /Failed to delete collection/],
  ];

  for (const [name, request, status, detail] of cases) {
    it(name, async () => {
      const before = await snapshot('stock');
      const [method, path, body] = request();
      const res = await su(method, path, body);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(Object.keys(res.body)).toEqual(['data', 'message', 'status']);
      expect(JSON.stringify(res.body)).toMatch(detail);
      expect(await snapshot('stock')).toEqual(before);
      expect(await master('stock2')).toBeUndefined();
      expect(await master('brand_new')).toBeUndefined();
    });
  }

  it('the same changes succeed once the cause is gone (the failures were real attempts)', async () => {
    await su('DELETE', '/api/collections/stock_view');
    const res = await su('PATCH', '/api/collections/stock', {
      name: 'stock2', fields: renamedSku().filter((f) => f.name !== 'remark'), indexes: ['CREATE INDEX idx_code ON stock2 (code)'],
    });
    expect(res.status).toBe(200);
    expect(await columnNames('stock2')).toEqual(['id', 'code', 'count']);
    expect(await rows('stock2')).toMatchObject([{ code: 'a' }, { code: 'a' }]);
    expect((await indexes('stock2')).map((i) => i.name)).toEqual(['idx_code']);
    expect((await su('DELETE', '/api/collections/stock2')).status).toBe(204);
  });
});
