/**
 * The collections API end to end (PocketBase's apis/collection*.go): superusers only, list/view,
 * create with PocketBase's defaults, validation codes, update, delete, truncate, import, scaffolds.
 */
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowShape } from '../src/db/dialect.ts';
import { sql } from '../src/db/sql.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord, createUser, GENERIC_400, NOT_FOUND, number, relation, scenarios, text, type Scenario } from './support/builders.ts';
import { TEST_DIALECT } from './support/databases.ts';

let server: TestServer;
let userToken: string;
let postsId: string;
const env = { server: () => server, tokens: () => ({ user: userToken }) };

const BASE_KEYS = ['id', 'listRule', 'viewRule', 'createRule', 'updateRule', 'deleteRule', 'name', 'type', 'fields', 'indexes', 'created', 'updated', 'system'];
const AUTH_KEYS = [
  ...BASE_KEYS,
  'authRule', 'manageRule', 'authAlert', 'oauth2', 'passwordAuth', 'mfa', 'otp', 'authToken', 'passwordResetToken',
  'emailChangeToken', 'verificationToken', 'fileToken', 'verificationTemplate', 'resetPasswordTemplate', 'confirmEmailChangeTemplate',
];
const DATE_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const AUTH_FIELDS = ['id', 'password', 'tokenKey', 'email', 'emailVisibility', 'verified'];
const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });
const names = async (query = '') => (await su('GET', `/api/collections?perPage=500&fields=name${query}`)).body.items.map((c: { name: string }) => c.name);
const updateFailed = (data: object) => ({ status: 400, message: 'Failed to update collection.', data });
/** `_collections.options` as a value on every database (JSON text on SQLite, JSONB on PostgreSQL). */
const OPTIONS_SHAPE: RowShape = Object.freeze({ options: 'json' });
const storedOptions = async (where: { id: string } | { name: string }) => {
  const db = server.baton.services.db;
  const condition = 'id' in where ? sql`id = ${where.id}` : sql`name = ${where.name}`;
  return (await db.get<{ options: any }>(sql`SELECT options FROM _collections WHERE ${condition}`, OPTIONS_SHAPE))!.options;
};

beforeAll(async () => {
  server = await startServer();
  userToken = (await createUser(server, 'user@example.com')).token;
  postsId = (await createCollection(server, { name: 'posts', listRule: '', fields: [text('title', { required: true }), number('views')] })).id;
  await createCollection(server, { name: 'comments', fields: [relation('post', postsId, { maxSelect: 1 })] });
  await createCollection(server, { name: 'post_titles', type: 'view', viewQuery: 'SELECT id, title FROM posts' });
  await createRecord(server, 'posts', { title: 'first', views: 1 });
});
afterAll(() => server?.close());

describe('superusers only', () => {
  const guest = { status: 401, message: 'The request requires valid record authorization token.', data: {} };
  const user = { status: 403, message: 'The authorized record is not allowed to perform this action.', data: {} };
  const endpoints: Array<[string, string, unknown?]> = [
    ['GET', '/api/collections'], ['POST', '/api/collections', { name: 'sneaky' }], ['GET', '/api/collections/posts'],
    ['PATCH', '/api/collections/posts', { listRule: null }], ['DELETE', '/api/collections/posts'], ['DELETE', '/api/collections/posts/truncate'],
    ['PUT', '/api/collections/import', { collections: [{ name: 'sneaky' }], deleteMissing: true }], ['GET', '/api/collections/meta/scaffolds'],
  ];
  scenarios(env, endpoints.flatMap(([method, url, body]): Scenario[] => [
    { name: `guest ${method} ${url} -> 401`, method, url, body, status: 401, expect: guest },
    { name: `user ${method} ${url} -> 403`, method, url, body, auth: 'user', status: 403, expect: user },
  ]));
  scenarios(env, [{ name: 'a forged token is a guest', url: '/api/collections', auth: 'not-a-token', status: 401, expect: guest }]);
  it('the guard runs before the body is read: a guest with broken JSON gets 401', async () => {
    const res = await api(server, 'POST', '/api/collections', { rawBody: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(res).toMatchObject({ status: 401, body: guest });
  });
  it('refused requests changed nothing', async () => {
    expect(await names()).toEqual(expect.arrayContaining(['posts', 'comments', 'users']));
    expect(await names()).not.toContain('sneaky');
    expect((await su('GET', '/api/collections/posts/records')).body.totalItems).toBe(1);
    expect((await su('GET', '/api/collections/posts')).body.listRule).toBe('');
  });
});

describe('list and view', () => {
  it('is paginated like records, in _collections order', async () => {
    const all = await su('GET', '/api/collections');
    expect(Object.keys(all.body)).toEqual(['items', 'page', 'perPage', 'totalItems', 'totalPages']);
    expect(all.body).toMatchObject({ page: 1, perPage: 30, totalPages: 1 });
    expect(all.body.items.slice(0, 6).map((c: { name: string }) => c.name)).toEqual(['_mfas', '_otps', '_externalAuths', '_authOrigins', '_superusers', 'users']);
    const total = all.body.totalItems;
    expect(total).toBe(all.body.items.length);
    const page2 = await su('GET', '/api/collections?page=2&perPage=3');
    expect(page2.body).toMatchObject({ page: 2, perPage: 3, totalItems: total, totalPages: Math.ceil(total / 3) });
    expect(page2.body.items.map((c: { id: string }) => c.id)).toEqual(all.body.items.slice(3, 6).map((c: { id: string }) => c.id));
    const skip = await su('GET', '/api/collections?skipTotal=1&perPage=1');
    expect(skip.body).toMatchObject({ totalItems: -1, totalPages: -1 });
    expect(skip.body.items).toHaveLength(1);
  });

  it('filters and sorts by name, type, system and created', async () => {
    expect(await names(`&filter=${encodeURIComponent("system = false && type = 'base'")}&sort=-name`)).toEqual(['posts', 'comments']);
    expect(await names(`&filter=${encodeURIComponent("type = 'view'")}`)).toEqual(['post_titles']);
    expect(await names(`&filter=${encodeURIComponent("name ~ 'user'")}&sort=name`)).toEqual(['_superusers', 'users']);
    expect(await names(`&filter=${encodeURIComponent('system = true')}`)).toHaveLength(5);
    expect(await names(`&filter=${encodeURIComponent("created > '2000-01-01' && name = 'posts'")}`)).toEqual(['posts']);
    expect(await names(`&filter=${encodeURIComponent("created < '2000-01-01'")}`)).toEqual([]);
    const byCreated = await names('&sort=-created,-name');
    expect(byCreated.indexOf('post_titles')).toBeLessThan(byCreated.indexOf('posts'));
  });

  scenarios(env, [
    { name: 'filter on another column -> generic 400', url: '/api/collections?filter=listRule%3D%27%27', auth: 'superuser', status: 400, expect: GENERIC_400 },
    { name: 'broken filter -> generic 400', url: '/api/collections?filter=name%3D', auth: 'superuser', status: 400, expect: GENERIC_400 },
    { name: 'sort on another column -> generic 400', url: '/api/collections?sort=fields', auth: 'superuser', status: 400, expect: GENERIC_400 },
    { name: 'view by name', url: '/api/collections/posts', auth: 'superuser', status: 200, expect: { name: 'posts', type: 'base' } },
    { name: 'view by name, any case', url: '/api/collections/POSTS', auth: 'superuser', status: 200, expect: { name: 'posts' } },
    { name: 'view by id', url: '/api/collections/_pb_users_auth_', auth: 'superuser', status: 200, expect: { name: 'users', type: 'auth' } },
    { name: 'unknown collection -> 404', url: '/api/collections/missing', auth: 'superuser', status: 404, expect: NOT_FOUND },
    { name: 'unknown on PATCH -> 404', method: 'PATCH', url: '/api/collections/missing', body: {}, auth: 'superuser', status: 404, expect: NOT_FOUND },
    { name: 'unknown on DELETE -> 404', method: 'DELETE', url: '/api/collections/missing', auth: 'superuser', status: 404, expect: NOT_FOUND },
    { name: 'unknown on truncate -> 404', method: 'DELETE', url: '/api/collections/missing/truncate', auth: 'superuser', status: 404, expect: NOT_FOUND },
  ]);
});

describe('create', () => {
  it('a base collection gets PocketBase defaults', async () => {
    const res = await su('POST', '/api/collections', { name: 'notes', fields: [text('body')] });
    expect(res.status).toBe(200);
    const c = res.body;
    expect(Object.keys(c)).toEqual(BASE_KEYS);
    expect(c).toMatchObject({ id: `pbc_${crc32('basenotes')}`, name: 'notes', type: 'base', system: false, indexes: [] });
    for (const rule of ['listRule', 'viewRule', 'createRule', 'updateRule', 'deleteRule']) expect(c[rule]).toBeNull();
    expect(c.created).toMatch(DATE_RE);
    expect(c.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'body']);
    expect(c.fields[0]).toMatchObject({ id: 'text3208210256', type: 'text', primaryKey: true, system: true, required: true, min: 15, max: 15 });
    expect(c.fields[1]).toMatchObject({ id: `text${crc32('body')}`, type: 'text', system: false });
    expect(Object.keys(c.fields[1])).toEqual([...Object.keys(c.fields[1])].sort());
    expect((await su('GET', '/api/collections/notes')).body).toEqual(c);
  });

  it('an auth collection gets its system fields and unique indexes, and never shows a secret', async () => {
    const res = await su('POST', '/api/collections', { name: 'members', type: 'auth', fields: [text('nick')], authToken: { duration: 3600 } });
    expect(res.status).toBe(200);
    const c = res.body;
    expect(Object.keys(c)).toEqual(AUTH_KEYS);
    // As in PocketBase: `id` is put first, the other auth system fields are appended after the sent ones.
    expect(c.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'nick', ...AUTH_FIELDS.slice(1)]);
    expect(c.indexes).toEqual([
      `CREATE UNIQUE INDEX \`idx_tokenKey_${c.id}\` ON \`members\` (\`tokenKey\`)`,
      `CREATE UNIQUE INDEX \`idx_email_${c.id}\` ON \`members\` (\`email\`) WHERE \`email\` != ''`,
    ]);
    expect(c).toMatchObject({ authRule: '', manageRule: null, authToken: { duration: 3600 }, passwordAuth: { enabled: true, identityFields: ['email'] } });
    for (const res2 of [res, await su('GET', '/api/collections/members'), await su('GET', '/api/collections?perPage=500')]) {
      expect(JSON.stringify(res2.body)).not.toMatch(/secret/i);
    }
    // The secrets exist: they are stored, only never sent.
    expect((await storedOptions({ id: c.id })).authToken.secret).toMatch(/^\w{30,}$/);
  });

  it('a view collection gets its fields from the query', async () => {
    const res = await su('POST', '/api/collections', { name: 'titles2', type: 'view', viewQuery: 'SELECT id, title, views FROM posts' });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual([...BASE_KEYS, 'viewQuery']);
    expect(res.body.fields.map((f: { name: string; type: string }) => `${f.name}:${f.type}`)).toEqual(['id:text', 'title:text', 'views:number']);
    expect(res.body.viewQuery).toBe('SELECT id, title, views FROM posts');
  });

  it('a view ignores the fields sent with it, as PocketBase makes them from the query', async () => {
    const sent = [{ type: 'text', id: '12345789', name: 'ignored!@#$' }, { type: 'json', name: 'constructor' }];
    const created = await su('POST', '/api/collections', { name: 'titles3', type: 'view', viewQuery: 'SELECT id, title FROM posts', fields: sent, listRule: "title != ''" });
    expect(created.status).toBe(200);
    expect(created.body.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'title']);
    // Sent fields neither hide the query's problem nor stand in for its columns in the rules.
    const invalid = await su('PATCH', '/api/collections/titles3', { fields: sent, viewQuery: 'invalid' });
    expect(invalid.body).toMatchObject(updateFailed({ viewQuery: { code: 'validation_invalid_view_query' } }));
    expect(invalid.body.data).not.toHaveProperty('listRule');
    const changed = await su('PATCH', '/api/collections/titles3', { fields: sent, viewQuery: 'SELECT id, title AS heading FROM posts', listRule: "heading != ''" });
    expect(changed.status).toBe(200);
    expect(changed.body.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'heading']);
    expect((await su('DELETE', '/api/collections/titles3')).status).toBe(204);
  });

  it('a view whose id is a number serves it as text, as PocketBase casts it', async () => {
    const res = await su('POST', '/api/collections', { name: 'numbered', type: 'view', viewQuery: 'SELECT (ROW_NUMBER() OVER()) AS id, title FROM posts' });
    expect(res.status).toBe(200);
    expect((await su('GET', '/api/collections/numbered/records/1')).body).toMatchObject({ id: '1', title: 'first' });
    const filtered = await su('GET', `/api/collections/numbered/records?filter=${encodeURIComponent("id != '' && id = '1'")}`);
    expect(filtered.status).toBe(200);
    expect(filtered.body.items.map((r: { id: unknown }) => r.id)).toEqual(['1']);
    expect((await su('DELETE', '/api/collections/numbered')).status).toBe(204);
  });

  const bad = (name: string, body: unknown, data: object, message = 'Failed to create collection.'): Scenario => ({
    name, method: 'POST', url: '/api/collections', auth: 'superuser', body, status: 400, expect: { status: 400, message, data },
  });
  scenarios(env, [
    bad('name taken (any case)', { name: 'POSTS' }, { name: { code: 'validation_collection_name_exists', message: 'Collection name must be unique (case insensitive).' } }),
    bad('name missing', { fields: [] }, { name: { code: 'validation_required' } }),
    bad('name with a space', { name: 'my posts' }, { name: { code: 'validation_match_invalid' } }),
    bad('name with _via_', { name: 'a_via_b' }, { name: { code: 'validation_found_via' } }),
    bad('name of an internal table', { name: '_params' }, { name: { code: 'validation_collection_name_invalid' } }),
    bad('id already taken', { id: '_pb_users_auth_', name: 'x15' }, { id: { code: 'validation_invalid_or_existing_id', message: 'The model id is invalid or already exists.' } }),
    bad('invalid id', { id: 'a-b', name: 'x16' }, { id: { code: 'validation_match_invalid' } }),
    bad('unknown type', { name: 'x1', type: 'table' }, { type: { code: 'validation_in_invalid' } }),
    bad('bad field name', { name: 'x2', fields: [text('my title')] }, { fields: { 1: { name: { code: 'validation_match_invalid' } } } }),
    bad('reserved field name', { name: 'x3', fields: [text('expand')] }, { fields: { 1: { name: { code: 'validation_not_in_invalid' } } } }),
    bad('duplicate field names (any case)', { name: 'x4', fields: [text('title'), number('Title')] }, {
      fields: { 2: { name: { code: 'validation_duplicated_field_name', message: 'Duplicated or invalid field name Title.' } } },
    }),
    { ...bad('invalid list rule', { name: 'x5', listRule: 'nope = 1' }, { listRule: { code: 'validation_invalid_rule' } }),
      check: (b) => expect(b.data.listRule.message).toMatch(/^Invalid rule\. Raw error: (?!Invalid rule).*"nope".*\.$/) },
    bad('invalid delete rule', { name: 'x6', fields: [text('a')], deleteRule: 'a = ' }, { deleteRule: { code: 'validation_invalid_rule' } }),
    bad('invalid index', { name: 'x7', indexes: ['CREATE INDEX nope'] }, { indexes: { 0: { code: 'validation_invalid_index_expression' } } }),
    bad('relation to an unknown collection', { name: 'x8', fields: [relation('r', 'nope')] }, {
      fields: { 1: { collectionId: { code: 'validation_field_relation_missing_collection' } } },
    }),
    bad('view without an id column', { name: 'x9', type: 'view', viewQuery: 'SELECT title FROM posts' }, { viewQuery: { code: 'validation_invalid_view_query' } }),
    bad('view with a create rule', { name: 'x10', type: 'view', viewQuery: 'SELECT id FROM posts', createRule: '' }, { createRule: { code: 'validation_nil' } }),
    // The message is the database's own.
    { ...bad('view over a missing column', { name: 'x14', type: 'view', viewQuery: 'SELECT id, nope FROM posts' }, { viewQuery: { code: 'validation_invalid_view_query' } }),
      check: (b) => expect(b.data.viewQuery.message).toMatch({
        sqlite: /^Invalid query - no such column: nope\.$/,
        postgres: /^Invalid query - column "nope" does not exist\.$/,
        mysql: /^Invalid query - Unknown column 'nope'/,
      }[TEST_DIALECT]) },
    bad('view with two statements', { name: 'x11', type: 'view', viewQuery: 'SELECT id FROM posts; DROP TABLE posts' }, { viewQuery: { code: 'validation_invalid_view_query' } }),
    bad('auth field named passwordConfirm', { name: 'x12', type: 'auth', fields: [text('passwordConfirm')] }, { fields: { 1: { name: { code: 'validation_reserved_field_name' } } } }),
    bad('a body that is not an object', ['x13'], {}, 'Failed to load the collection type data due to invalid formatting.'),
  ]);
  it('broken JSON -> 400 with PocketBase wording', async () => {
    const res = await api(server, 'POST', '/api/collections', { token: server.superuserToken, rawBody: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(res).toMatchObject({ status: 400, body: { status: 400, message: 'Failed to load the collection type data due to invalid formatting.', data: {} } });
  });
  it('the failed creates left no collection behind', async () => {
    const all = await names();
    for (let i = 1; i <= 16; i++) expect(all).not.toContain(`x${i}`);
  });
});

describe('update', () => {
  let c: { id: string; fields: Array<{ id: string; name: string }> };
  beforeAll(async () => {
    c = await createCollection(server, { name: 'books', listRule: "title != ''", fields: [text('title'), number('pages'), text('isbn')] }) as never;
    await createRecord(server, 'books', { title: 'Dune', pages: 412, isbn: 'x1' });
  });
  const books = async () => (await su('GET', '/api/collections/books/records?fields=title,pages,isbn,name,heading')).body.items;

  it('a partial PATCH changes only what it names', async () => {
    const res = await su('PATCH', '/api/collections/books', { viewRule: '' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ listRule: "title != ''", viewRule: '', createRule: null, name: 'books' });
    expect(res.body.fields).toEqual((await su('GET', '/api/collections/books')).body.fields);
    expect(res.body.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'title', 'pages', 'isbn']);
    expect((await su('PATCH', '/api/collections/books', { viewRule: null })).body.viewRule).toBeNull();
  });

  it('rules take effect at once', async () => {
    expect((await api(server, 'GET', '/api/collections/books/records')).status).toBe(200);
    await su('PATCH', '/api/collections/books', { listRule: null });
    expect((await api(server, 'GET', '/api/collections/books/records')).status).toBe(403);
  });

  it('`fields` replaces the list: renamed fields keep their data, left-out fields are dropped, new ones added', async () => {
    const fields = c.fields.filter((f) => f.name !== 'isbn').map((f) => (f.name === 'title' ? { ...f, name: 'heading' } : f));
    const res = await su('PATCH', '/api/collections/books', { fields: [...fields, text('name')] });
    expect(res.status).toBe(200);
    expect(res.body.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'heading', 'pages', 'name']);
    expect(res.body.fields[1].id).toBe(c.fields[1].id);
    expect(await books()).toEqual([{ heading: 'Dune', pages: 412, name: '' }]);
  });

  it('missing system fields are added back', async () => {
    const res = await su('PATCH', '/api/collections/books', { fields: [{ ...c.fields[2] }] });
    expect(res.body.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'pages']);
    expect(await books()).toEqual([{ pages: 412 }]);
  });

  it('renaming the collection keeps its records', async () => {
    const res = await su('PATCH', '/api/collections/books', { name: 'novels' });
    expect(res.body).toMatchObject({ id: c.id, name: 'novels' });
    expect((await su('GET', '/api/collections/books')).status).toBe(404);
    expect((await su('GET', '/api/collections/novels/records?fields=pages')).body.items).toEqual([{ pages: 412 }]);
    await su('PATCH', `/api/collections/${c.id}`, { name: 'books' });
  });

  it('token secrets survive a PATCH that leaves them out; an authRule change revokes issued tokens', async () => {
    const secret = async () => (await storedOptions({ name: 'members' })).authToken.secret;
    await createRecord(server, 'members', { email: 'm@example.com', password: 'member-pass-1', passwordConfirm: 'member-pass-1' });
    const { token } = (await api(server, 'POST', '/api/collections/members/auth-with-password', { body: { identity: 'm@example.com', password: 'member-pass-1' } })).body;
    const refresh = async () => (await api(server, 'POST', '/api/collections/members/auth-refresh', { token })).status;
    const original = await secret();
    expect(await refresh()).toBe(200);
    expect((await su('PATCH', '/api/collections/members', { authToken: { duration: 7200 }, authRule: '' })).body.authToken).toEqual({ duration: 7200 });
    expect(await secret()).toBe(original);
    expect(await refresh()).toBe(200);
    expect((await su('PATCH', '/api/collections/members', { authRule: "id != ''" })).status).toBe(200);
    expect(await secret()).not.toBe(original);
    expect(await refresh()).toBe(401);
  });

  scenarios(env, [
    ['rename a system collection', '_superusers', { name: 'admins' }, { name: { code: 'validation_collection_system_name_change' } }],
    ['change the type', 'books', { type: 'auth' }, { type: { code: 'validation_collection_type_change' } }],
    ['change the system flag', 'books', { system: true }, { system: { code: 'validation_collection_system_flag_change' } }],
    ['change a system collection rule', '_superusers', { listRule: '' }, { listRule: { code: 'validation_collection_system_rule_change' } }],
    ['take a name in use', 'books', { name: 'Users' }, { name: { code: 'validation_collection_name_exists' } }],
    ['set an invalid rule', 'books', { updateRule: 'nosuch > 1' }, { updateRule: { code: 'validation_invalid_rule' } }],
  ].map(([name, target, body, data]): Scenario => ({
    name: name as string, method: 'PATCH', url: `/api/collections/${target as string}`, auth: 'superuser', body, status: 400,
    expect: updateFailed(data as object),
  })));

  it('a system field cannot be deleted or renamed', async () => {
    // `created` of _superusers is a system field that is not re-added automatically.
    const fields = (await su('GET', '/api/collections/_superusers')).body.fields;
    const without = await su('PATCH', '/api/collections/_superusers', { fields: fields.filter((f: { name: string }) => f.name !== 'created') });
    expect(without.body).toEqual(updateFailed({ fields: { code: 'validation_system_field_change', message: 'System fields cannot be deleted or renamed.' } }));
    const renamed = fields.map((f: { name: string }) => (f.name === 'created' ? { ...f, name: 'made' } : f));
    expect((await su('PATCH', '/api/collections/_superusers', { fields: renamed })).body.data).toEqual(without.body.data);
  });

  it('a field type cannot be changed', async () => {
    const pages = c.fields.find((f) => f.name === 'pages')!;
    const res = await su('PATCH', '/api/collections/books', { fields: [{ ...pages, type: 'text' }] });
    expect(res.body).toEqual(updateFailed({ fields: { 1: { code: 'validation_field_type_change', message: 'Field type cannot be changed.' } } }));
  });

  it('the failed updates changed nothing', async () => {
    const now = (await su('GET', '/api/collections/books')).body;
    expect(now).toMatchObject({ name: 'books', type: 'base', system: false, updateRule: null });
    expect(now.fields.map((f: { name: string; type: string }) => `${f.name}:${f.type}`)).toEqual(['id:text', 'pages:number']);
    expect((await su('GET', '/api/collections/_superusers')).body).toMatchObject({ name: '_superusers', listRule: null });
    expect((await su('GET', '/api/collections/users')).body.fields.length).toBeGreaterThan(5);
  });
});

describe('delete and truncate', () => {
  it('deletes a collection: 204, then 404, its records gone', async () => {
    await createCollection(server, { name: 'scratch', fields: [text('a')] });
    await createRecord(server, 'scratch', { a: 'x' });
    const res = await su('DELETE', '/api/collections/scratch');
    expect(res).toMatchObject({ status: 204, body: null });
    expect((await su('GET', '/api/collections/scratch')).status).toBe(404);
    expect((await su('GET', '/api/collections/scratch/records')).status).toBe(404);
  });

  scenarios(env, [
    { name: 'a system collection cannot be deleted', method: 'DELETE', url: '/api/collections/_mfas', auth: 'superuser', status: 400,
      expect: { status: 400, message: 'Failed to delete collection.', data: {} } },
    { name: 'a collection referenced by a relation cannot be deleted', method: 'DELETE', url: '/api/collections/posts', auth: 'superuser', status: 400,
      expect: { status: 400, message: 'Failed to delete collection probably due to existing reference in comments.', data: {} } },
    { name: 'a view cannot be truncated', method: 'DELETE', url: '/api/collections/post_titles/truncate', auth: 'superuser', status: 400,
      expect: { status: 400, message: "View collections cannot be truncated since they don't store their own records.", data: {} } },
  ]);

  it('a collection a view selects from cannot be deleted', async () => {
    await createCollection(server, { name: 'tags', fields: [text('label')] });
    await createCollection(server, { name: 'tag_labels', type: 'view', viewQuery: 'SELECT id, label FROM tags' });
    expect((await su('DELETE', '/api/collections/tags')).body).toEqual({ status: 400, message: 'Failed to delete collection.', data: {} });
    expect((await su('GET', '/api/collections/tag_labels/records')).status).toBe(200);
    expect((await su('DELETE', '/api/collections/tag_labels')).status).toBe(204);
    expect((await su('DELETE', '/api/collections/tags')).status).toBe(204);
  });

  it('truncate deletes every record and keeps the collection', async () => {
    await createCollection(server, { name: 'logs', fields: [text('line')] });
    for (const line of ['a', 'b', 'c']) await createRecord(server, 'logs', { line });
    expect((await su('DELETE', '/api/collections/logs/truncate')).status).toBe(204);
    expect((await su('GET', '/api/collections/logs/records')).body).toMatchObject({ totalItems: 0, items: [] });
    expect((await su('GET', '/api/collections/logs')).status).toBe(200);
  });

  it('truncate cascades like deletes, and a required reference blocks it entirely', async () => {
    const owners = await createCollection(server, { name: 'owners', fields: [text('n')] });
    await createCollection(server, { name: 'pets', fields: [relation('owner', owners.id, { cascadeDelete: true })] });
    await createCollection(server, { name: 'licenses', fields: [relation('owner', owners.id, { required: true })] });
    const a = await createRecord(server, 'owners', { n: 'a' });
    await createRecord(server, 'owners', { n: 'b' });
    await createRecord(server, 'pets', { owner: a.id });
    const license = await createRecord(server, 'licenses', { owner: a.id });
    const blocked = await su('DELETE', '/api/collections/owners/truncate');
    expect(blocked.body).toEqual({ status: 400, message: 'Failed to truncate collection (most likely due to required cascade delete record references).', data: {} });
    expect((await su('GET', '/api/collections/owners/records')).body.totalItems).toBe(2);
    expect((await su('GET', '/api/collections/pets/records')).body.totalItems).toBe(1);
    await su('DELETE', `/api/collections/licenses/records/${license.id}`);
    expect((await su('DELETE', '/api/collections/owners/truncate')).status).toBe(204);
    expect((await su('GET', '/api/collections/pets/records')).body.totalItems).toBe(0);
  });
});

describe('import', () => {
  const put = (body: unknown) => su('PUT', '/api/collections/import', body);
  const snapshot = async () => (await su('GET', '/api/collections?perPage=500')).body.items;

  it('creates new collections and updates existing ones (matched by id, else name), keeping what is left out', async () => {
    const comments = (await su('GET', '/api/collections/comments')).body;
    const res = await put({ collections: [{ name: 'imported', fields: [text('a')] }, { name: 'posts', listRule: null }, { id: comments.id, viewRule: '' }] });
    expect(res).toMatchObject({ status: 204, body: null });
    expect((await su('GET', '/api/collections/imported')).body.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'a']);
    const posts = (await su('GET', '/api/collections/posts')).body;
    expect(posts).toMatchObject({ id: postsId, listRule: null, viewRule: null });
    expect(posts.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'title', 'views']);
    expect((await su('GET', '/api/collections/comments')).body).toMatchObject({ name: 'comments', viewRule: '', fields: comments.fields });
  });

  it('keeps fields the import leaves out, unless deleteMissing', async () => {
    expect((await put({ collections: [{ name: 'imported', fields: [text('b')] }] })).status).toBe(204);
    expect((await su('GET', '/api/collections/imported')).body.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'b', 'a']);
  });

  scenarios(env, [
    { name: 'no collections -> 400', method: 'PUT', url: '/api/collections/import', auth: 'superuser', body: { collections: [] }, status: 400,
      expect: { status: 400, message: 'An error occurred while validating the submitted data.', data: { collections: { code: 'validation_required', message: 'Cannot be blank.' } } } },
    { name: 'not an object -> 400', method: 'PUT', url: '/api/collections/import', auth: 'superuser', body: [1], status: 400,
      expect: { status: 400, message: 'An error occurred while loading the submitted data.', data: {} } },
  ]);

  it('one invalid item fails the whole import and changes nothing', async () => {
    const before = await snapshot();
    const res = await put({ deleteMissing: true, collections: [{ name: 'fresh' }, { name: 'posts', listRule: '' }, { name: 'bad name' }] });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: 'Failed to import collections.', data: { collections: { code: 'validation_collections_import_failure' } } });
    expect(res.body.data.collections.message).toContain('"bad name"');
    expect(await snapshot()).toEqual(before);
  });

  it('an item the database rejects (unique index over duplicates) fails the whole import and changes nothing', async () => {
    await createRecord(server, 'posts', { title: 'first', views: 2 });
    const before = await snapshot();
    const res = await put({ collections: [{ name: 'fresh' }, { name: 'posts', indexes: ['CREATE UNIQUE INDEX idx_posts_title ON posts (title)'] }] });
    expect(res.body).toMatchObject({ status: 400, message: 'Failed to import collections.', data: { collections: { code: 'validation_collections_import_failure' } } });
    // The same words on every database.
    expect(res.body.data.collections.message).toContain('Failed to create index idx_posts_title - UNIQUE constraint failed');
    expect(await snapshot()).toEqual(before);
  });

  it('deleteMissing drops the fields and the non-system collections the import leaves out', async () => {
    const system = await names('&filter=system=true');
    const keep = ['posts', 'comments'].map(async (n) => (await su('GET', `/api/collections/${n}`)).body);
    const res = await put({ deleteMissing: true, collections: [...(await Promise.all(keep)), { name: 'imported', fields: [text('b')] }] });
    expect(res.status).toBe(204);
    expect(await names('&filter=system=false&sort=name')).toEqual(['comments', 'imported', 'posts']);
    expect(await names('&filter=system=true')).toEqual(system);
    expect((await su('GET', '/api/collections/imported')).body.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'b']);
    expect((await su('GET', '/api/collections/posts/records')).body.totalItems).toBe(2);
  });

  it('broken JSON -> 400 with PocketBase wording', async () => {
    const res = await api(server, 'PUT', '/api/collections/import', { token: server.superuserToken, rawBody: '{', headers: { 'content-type': 'application/json' } });
    expect(res.body).toEqual({ status: 400, message: 'An error occurred while loading the submitted data.', data: {} });
  });
});

describe('scaffolds', () => {
  it('has a blank collection of each type, in PocketBase shapes', async () => {
    const { status, body } = await su('GET', '/api/collections/meta/scaffolds');
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['auth', 'base', 'view']);
    expect(Object.keys(body.base)).toEqual(BASE_KEYS);
    expect(Object.keys(body.auth)).toEqual(AUTH_KEYS);
    expect(Object.keys(body.view)).toEqual([...BASE_KEYS, 'viewQuery']);
    for (const type of ['auth', 'base', 'view']) {
      expect(body[type]).toMatchObject({ id: '', name: '', type, created: '', updated: '', system: false, listRule: null, deleteRule: null });
    }
    expect(body.base.fields.map((f: { name: string }) => f.name)).toEqual(['id']);
    expect(body.base.indexes).toEqual([]);
    expect(body.view).toMatchObject({ fields: [], indexes: [], viewQuery: '' });
    expect(body.auth.fields.map((f: { name: string }) => f.name)).toEqual(AUTH_FIELDS);
    expect(body.auth).toMatchObject({ authRule: '', manageRule: null });
    expect(body.auth.indexes[0]).toMatch(/^CREATE UNIQUE INDEX `idx_tokenKey_\w+` ON `` \(`tokenKey`\)$/);
    expect(body.auth.indexes[1]).toMatch(/^CREATE UNIQUE INDEX `idx_email_\w+` ON `` \(`email`\) WHERE `email` != ''$/);
    expect(JSON.stringify(body)).not.toMatch(/secret/i);
  });

  it('names the auth indexes anew each time (a random id, as PocketBase): two collections made from scaffolds both save', async () => {
    const made = [];
    for (const name of ['scaffolded1', 'scaffolded2']) {
      const { auth } = (await su('GET', '/api/collections/meta/scaffolds')).body;
      const res = await su('POST', '/api/collections', { ...auth, name });
      expect(res.status).toBe(200);
      made.push(res.body.indexes);
    }
    expect(made[0][0]).not.toBe(made[1][0]);
    expect(made[0][0]).toMatch(/^CREATE UNIQUE INDEX `idx_tokenKey_[a-z0-9]{10}` ON `scaffolded1` \(`tokenKey`\)$/);
  });
});
