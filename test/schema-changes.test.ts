/**
 * Schema changes are real DDL, applied in one transaction with their `_collections` row: the
 * database's own catalog is inspected after each change (test/support/introspect.ts), and a change
 * that fails part-way must leave the schema, the rows and `_collections` exactly as they were.
 * What each database writes in its catalog (column types, index text) is asserted per dialect;
 * everything the API answers is the same on every database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowShape } from '../src/db/dialect.ts';
import { ident, sql } from '../src/db/sql.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { bool, createCollection, createRecord, json, number, relation, text } from './support/builders.ts';
import { TEST_DIALECT, type TestDialect } from './support/databases.ts';
import { objectType, schemaSnapshot, tableColumns, tableIndexes, type ColumnInfo } from './support/introspect.ts';

let server: TestServer;
const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });
const db = () => server.baton.services.db;

/** The expectation for the database under test; one nobody has written yet fails, it never passes by default. */
function onDialect<T>(expected: Partial<Record<TestDialect, T>>): T {
  if (!Object.hasOwn(expected, TEST_DIALECT)) throw new Error(`no expectation written for ${TEST_DIALECT} yet`);
  return expected[TEST_DIALECT] as T;
}

/** `_collections` columns as values: the flag as a boolean, the JSON columns parsed, on every database. */
const COLLECTION_SHAPE: RowShape = Object.freeze({ system: 'bool', fields: 'json', indexes: 'json', options: 'json' });

const columnNames = async (table: string) => (await tableColumns(db(), table)).map((c) => c.name);
const rows = (table: string) => db().all(sql`SELECT * FROM ${ident(table)} ORDER BY id`);
const stored = (id: string) => db().get<Record<string, any>>(sql`SELECT * FROM _collections WHERE id = ${id}`, COLLECTION_SHAPE);
/** The exact names of the tables that `name` matches case-insensitively. */
const tablesNamedLike = async (name: string) =>
  (await schemaSnapshot(db())).filter((o) => o.type === 'table' && o.name.toLowerCase() === name.toLowerCase()).map((o) => o.name);

/**
 * A single-column index as the database keeps it. SQLite: the statement Baton ran, verbatim in
 * sqlite_master: PocketBase's canonical text (backticks, as `formatIndex` writes it). PostgreSQL:
 * pg_indexes.indexdef, which the server writes itself. MySQL: the index as information_schema
 * lists it (see introspect.ts).
 */
/** MySQL indexes a non-unique text column by a 255-character prefix. */
const indexDef = (name: string, table: string, column: string, unique: boolean, textColumn = true) => {
  const u = unique ? 'UNIQUE ' : '';
  return {
    name,
    unique,
    sql: onDialect<unknown>({
      sqlite: `CREATE ${u}INDEX \`${name}\` ON \`${table}\` (\`${column}\`)`,
      postgres: expect.stringMatching(new RegExp(`^CREATE ${u}INDEX ${name} ON (\\w+\\.)?${table} USING btree \\(${column}\\)$`)),
      mysql: `CREATE ${u}INDEX \`${name}\` ON \`${table}\` (\`${column}\`${unique || !textColumn ? '' : '(255)'})`,
    }),
  };
};

/** Everything a schema change may touch: the whole schema, `_collections`, and the given tables' rows. */
async function snapshot(...tables: string[]) {
  const out: Record<string, unknown> = {
    schema: await schemaSnapshot(db()),
    collections: await db().all(sql`SELECT * FROM _collections ORDER BY id`, COLLECTION_SHAPE),
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

  it("create makes the table with the database's column types, and the _collections row", async () => {
    const c = await createCollection(server, {
      name: 'items',
      fields: [text('title'), number('qty'), bool('done'), json('meta'), relation('tags', 'pbc_3142635823', { maxSelect: 5 }), relation('owner', 'pbc_3142635823')],
      indexes: ['CREATE INDEX idx_items_qty ON items (qty)'],
    });
    id = c.id;
    fieldIds = Object.fromEntries((c.fields as Array<{ name: string; id: string }>).map((f) => [f.name, f.id]));
    const col = (name: string, type: string, notNull: boolean, dflt: string | null, primaryKey = false): ColumnInfo => ({ name, type, notNull, default: dflt, primaryKey });
    const expected = onDialect<ColumnInfo[]>({
      // PocketBase's own column types and defaults, as its migrations write them.
      sqlite: [
        col('id', 'TEXT', true, "'r'||lower(hex(randomblob(7)))", true),
        col('title', 'TEXT', true, "''"),
        col('qty', 'NUMERIC', true, '0'),
        col('done', 'BOOLEAN', true, 'FALSE'),
        col('meta', 'JSON', false, 'NULL'),
        col('tags', 'JSON', true, "'[]'"),
        col('owner', 'TEXT', true, "''"),
      ],
      // Text in the "C" collation (case-sensitive, code point order, as SQLite), doubles, booleans
      // and JSONB; defaults as PostgreSQL reports them back. A JSONB DEFAULT NULL is no default.
      postgres: [
        col('id', 'TEXT COLLATE "C"', true, "('r'::text || substr(md5((random())::text), 1, 14))", true),
        col('title', 'TEXT COLLATE "C"', true, "''::text"),
        col('qty', 'DOUBLE PRECISION', true, '0'),
        col('done', 'BOOLEAN', true, 'false'),
        col('meta', 'JSONB', false, null),
        col('tags', 'JSONB', true, "'[]'::jsonb"),
        col('owner', 'TEXT COLLATE "C"', true, "''::text"),
      ],
      // Binary-collated text (LONGTEXT; VARCHAR for the id), doubles, TINYINT(1) booleans, and JSON
      // (MariaDB's JSON is LONGTEXT with a validity check). The primary key is an invisible
      // row-order column, so `id` is a unique key here rather than the primary key.
      mysql: [
        col('id', 'VARCHAR(255)', true, "concat('r',substr(md5(rand()),1,14))", false),
        col('title', 'LONGTEXT', true, "''"),
        col('qty', 'DOUBLE', true, '0'),
        col('done', 'TINYINT(1)', true, '0'),
        col('meta', 'LONGTEXT', false, 'NULL'),
        col('tags', 'LONGTEXT', true, "'[]'"),
        col('owner', 'LONGTEXT', true, "''"),
      ],
    });
    expect(await tableColumns(db(), 'items')).toEqual(expected);
    expect(await tableIndexes(db(), 'items')).toEqual([indexDef('idx_items_qty', 'items', 'qty', false, false)]);
    const row = await stored(id);
    expect(row).toMatchObject({ id, name: 'items', type: 'base', system: false, listRule: null, indexes: c.indexes, options: {} });
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
    expect(await tableIndexes(db(), 'items')).toEqual([indexDef('idx_items_note', 'items', 'note', true)]);
    expect((await stored(id))!.indexes).toEqual(['CREATE UNIQUE INDEX idx_items_note ON items (note)']);
  });

  it('renaming the collection renames the table, keeps its rows and moves its indexes', async () => {
    const before = await rows('items');
    expect((await su('PATCH', '/api/collections/items', { name: 'goods' })).status).toBe(200);
    expect(await objectType(db(), 'items')).toBeUndefined();
    expect(await objectType(db(), 'goods')).toBe('table');
    expect(await rows('goods')).toEqual(before);
    expect(await tableIndexes(db(), 'items')).toEqual([]);
    expect(await tableIndexes(db(), 'goods')).toEqual([indexDef('idx_items_note', 'goods', 'note', true)]);
    // The stored text is PocketBase's (SQLite syntax, backticks) on every database.
    expect(await stored(id)).toMatchObject({ name: 'goods', indexes: ['CREATE UNIQUE INDEX `idx_items_note` ON `goods` (`note`)'] });
  });

  it('a rename that only changes case renames the table too', async () => {
    const before = await rows('goods');
    expect((await su('PATCH', '/api/collections/goods', { name: 'Goods' })).status).toBe(200);
    expect(await tablesNamedLike('goods')).toEqual(['Goods']);
    expect(await rows('Goods')).toEqual(before);
    expect((await su('PATCH', '/api/collections/Goods', { name: 'goods' })).status).toBe(200);
    expect(await tablesNamedLike('goods')).toEqual(['goods']);
  });

  it('an auth collection gets its unique indexes in the database', async () => {
    const c = await createCollection(server, { name: 'staff', type: 'auth' });
    expect((await tableIndexes(db(), 'staff')).map((i) => [i.name, i.unique])).toEqual([[`idx_email_${c.id}`, true], [`idx_tokenKey_${c.id}`, true]]);
    expect(await columnNames('staff')).toEqual(['id', 'password', 'tokenKey', 'email', 'emailVisibility', 'verified']);
  });

  it('a view collection is an SQL view', async () => {
    const c = await createCollection(server, { name: 'good_notes', type: 'view', viewQuery: 'SELECT id, note FROM goods' });
    expect(await objectType(db(), 'good_notes')).toBe('view');
    expect(await columnNames('good_notes')).toEqual(['id', 'note']);
    expect(await stored(c.id)).toMatchObject({ type: 'view', options: { viewQuery: 'SELECT id, note FROM goods' } });
    expect((await su('DELETE', '/api/collections/good_notes')).status).toBe(204);
    expect(await objectType(db(), 'good_notes')).toBeUndefined();
  });

  it('deleting a collection drops its table and its row', async () => {
    expect((await su('DELETE', '/api/collections/goods')).status).toBe(204);
    expect(await objectType(db(), 'goods')).toBeUndefined();
    expect(await tableIndexes(db(), 'goods')).toEqual([]);
    expect(await stored(id)).toBeUndefined();
  });
});

describe('indexes through the API', () => {
  it('a unique index is enforced on records afterwards', async () => {
    await createCollection(server, { name: 'slugs', fields: [text('slug'), text('kind')] });
    await createRecord(server, 'slugs', { slug: 'a', kind: 'x' });
    const res = await su('PATCH', '/api/collections/slugs', { indexes: ['CREATE UNIQUE INDEX idx_slug ON slugs (slug)'] });
    expect(res.body.indexes).toEqual(['CREATE UNIQUE INDEX idx_slug ON slugs (slug)']);
    const dup = await su('POST', '/api/collections/slugs/records', { slug: 'a' });
    expect(dup.body).toEqual({ status: 400, message: 'Failed to create record.', data: { slug: { code: 'validation_not_unique', message: 'Value must be unique.' } } });
    expect((await su('POST', '/api/collections/slugs/records', { slug: 'b', kind: 'x' })).status).toBe(200);
    expect(await tableIndexes(db(), 'slugs')).toEqual([indexDef('idx_slug', 'slugs', 'slug', true)]);
  });

  it('an index the database cannot build is a validation error of the index', async () => {
    // Both records have kind 'x': every database refuses a UNIQUE index over them, in the same words.
    const res = await su('PATCH', '/api/collections/slugs', { indexes: ['CREATE UNIQUE INDEX idx_slug ON slugs (id)', 'CREATE UNIQUE INDEX idx_dup ON slugs (kind)'] });
    expect(res.body).toMatchObject({ status: 400, message: 'Failed to update collection.', data: { indexes: { 1: { code: 'validation_invalid_index_expression' } } } });
    expect(Object.keys(res.body.data)).toEqual(['indexes']);
    expect(Object.keys(res.body.data.indexes)).toEqual(['1']);
    expect(res.body.data.indexes[1].message).toMatch(/^Failed to create index idx_dup - UNIQUE constraint failed/);
    expect((await su('GET', '/api/collections/slugs')).body.indexes).toEqual(['CREATE UNIQUE INDEX idx_slug ON slugs (slug)']);
    expect(await tableIndexes(db(), 'slugs')).toEqual([indexDef('idx_slug', 'slugs', 'slug', true)]);
  });

  it('an index with an expression other than lower()/upper() is refused before any database sees it', async () => {
    for (const index of ['CREATE INDEX idx_fn ON slugs (nosuchfn(slug))', 'CREATE UNIQUE INDEX idx_sub ON slugs (substr(slug, 1, 0))']) {
      const res = await su('PATCH', '/api/collections/slugs', { indexes: ['CREATE UNIQUE INDEX idx_slug ON slugs (slug)', index] });
      expect(res.body, index).toEqual({
        status: 400,
        message: 'Failed to update collection.',
        data: { indexes: { 1: { code: 'validation_invalid_index_expression', message: 'Invalid CREATE INDEX expression.' } } },
      });
    }
    expect(await tableIndexes(db(), 'slugs')).toEqual([indexDef('idx_slug', 'slugs', 'slug', true)]);
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
    ['a UNIQUE index over duplicate values', () => ['PATCH', '/api/collections/stock', { indexes: ['CREATE UNIQUE INDEX idx_sku ON stock (sku)'] }], 400,
      /"indexes":\{"0":\{"code":"validation_invalid_index_expression","message":"Failed to create index idx_sku - UNIQUE constraint failed/],
    ['an index calling an unknown function', () => ['PATCH', '/api/collections/stock', { indexes: ['CREATE INDEX idx_fn ON stock (nosuchfn(sku))'] }], 400,
      /"indexes":\{"0":\{"code":"validation_invalid_index_expression","message":"Invalid CREATE INDEX expression\."\}\}/],
    ['a field rename and a column drop, then an index that fails', () => ['PATCH', '/api/collections/stock', {
      name: 'stock2', fields: renamedSku().filter((f) => f.name !== 'remark'), indexes: ['CREATE UNIQUE INDEX idx_code ON stock2 (code)'],
    }], 400, /"message":"Failed to create index idx_code - UNIQUE constraint failed/],
    ['a field type change next to a valid rename', () => ['PATCH', '/api/collections/stock', {
      fields: renamedSku().map((f) => (f.name === 'count' ? { ...f, type: 'text' } : f)),
    }], 400, /validation_field_type_change/],
    ['a rename onto a name in use', () => ['PATCH', '/api/collections/stock', { name: 'users', fields: withoutRemark() }], 400, /validation_collection_name_exists/],
    ['an import whose second item is invalid', () => ['PUT', '/api/collections/import', {
      collections: [{ name: 'stock', fields: withoutRemark() }, { name: 'brand_new' }, { name: 'users', listRule: 'nosuch = 1' }], deleteMissing: true,
    }], 400, /validation_collections_import_failure/],
    ['an import that fails in the database after other items were applied', () => ['PUT', '/api/collections/import', {
      collections: [{ name: 'brand_new', fields: [text('a')] }, { name: 'stock', fields: renamedSku(), indexes: ['CREATE UNIQUE INDEX idx_c ON stock (code)'] }],
    }], 400, /validation_collections_import_failure.*Failed to create index idx_c - UNIQUE constraint failed/],
    // On MySQL the view is made after the tables were swapped: the swap is undone.
    ['an import whose view fails after its tables changed', () => ['PUT', '/api/collections/import', {
      collections: [{ name: 'stock', fields: withoutRemark() }, { name: 'bad_view', type: 'view', viewQuery: 'SELECT id, nope FROM stock' }],
    }], 400, /validation_collections_import_failure/],
    // The database's own words, which differ.
    ['a view query the database rejects', () => ['PATCH', '/api/collections/stock_view', { viewQuery: 'SELECT id, nope FROM stock' }], 400, onDialect({
      sqlite: /"viewQuery":\{"code":"validation_invalid_view_query","message":"Invalid query - no such column: nope\."\}/,
      postgres: /"viewQuery":\{"code":"validation_invalid_view_query","message":"Invalid query - column \\"nope\\" does not exist\."\}/,
      mysql: /"viewQuery":\{"code":"validation_invalid_view_query","message":"Invalid query - Unknown column 'nope'/,
    })],
    ['renaming a view onto a table name', () => ['PATCH', '/api/collections/stock_view', { name: 'Stock', viewQuery: 'SELECT id FROM stock' }], 400, /validation_collection_name_exists/],
    ['deleting a table a view selects from', () => ['DELETE', '/api/collections/stock', undefined], 400, /^\{"data":\{\},"message":"Failed to delete collection\.","status":400\}$/],
  ];

  it('the snapshot below sees the table and the view with their definitions', async () => {
    const { schema } = (await snapshot()) as { schema: Array<{ type: string; name: string; sql: string | null }> };
    const stock = schema.find((o) => o.type === 'table' && o.name === 'stock');
    const view = schema.find((o) => o.type === 'view' && o.name === 'stock_view');
    for (const column of ['sku', 'count', 'remark']) expect(stock?.sql).toContain(column);
    expect(view?.sql).toContain('sku');
    expect(schema.filter((o) => o.type === 'table').map((o) => o.name)).toEqual(expect.arrayContaining(['_collections', 'users', 'stock']));
  });

  for (const [name, request, status, detail] of cases) {
    it(name, async () => {
      const before = await snapshot('stock');
      const [method, path, body] = request();
      const res = await su(method, path, body);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(Object.keys(res.body)).toEqual(['data', 'message', 'status']);
      expect(JSON.stringify(res.body)).toMatch(detail);
      expect(await snapshot('stock')).toEqual(before);
      expect(await objectType(db(), 'stock2')).toBeUndefined();
      expect(await objectType(db(), 'brand_new')).toBeUndefined();
      // No copy of the records is left behind under a temporary name (MySQL's shadow tables).
      const names = (await schemaSnapshot(db())).map((o) => o.name);
      expect(names.filter((n) => /^_(new|old|tmp)_/.test(n))).toEqual([]);
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
    expect(await tableIndexes(db(), 'stock2')).toEqual([indexDef('idx_code', 'stock2', 'code', false)]);
    expect((await su('DELETE', '/api/collections/stock2')).status).toBe(204);
  });
});
