/**
 * View, create, update and delete records end to end: status codes, bodies (JSON and multipart
 * with `@jsonPayload`), modifiers, client ids, unique and relation errors, delete cascade.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { TEST_DIALECT } from './support/databases.ts';
import {
  CREATE_FAILED,
  NOT_FOUND,
  PUBLIC_RULES,
  UPDATE_FAILED,
  autodates,
  bool,
  createCollection,
  createRecord,
  fieldFailure,
  json,
  number,
  relation,
  rid,
  runScenario,
  scenarios,
  select,
  text,
} from './support/builders.ts';

let server: TestServer;
const env = { server: () => server };

const T1 = rid('target', 1), T2 = rid('target', 2), T3 = rid('target', 3);
const I1 = rid('item', 1), I_MOD = rid('item', 2), I_UPD = rid('item', 3), I_DEL = rid('item', 4);
const PA1 = rid('parent', 1), PA2 = rid('parent', 2), PA3 = rid('parent', 3), PA4 = rid('parent', 4);
const CH1 = rid('child', 1), PIN1 = rid('pin', 1), TG1 = rid('tagged', 1);

beforeAll(async () => {
  server = await startServer();
  await createCollection(server, { id: 'col_targets', name: 'targets', ...PUBLIC_RULES, fields: [text('name')] });
  await createCollection(server, {
    id: 'col_items', name: 'items', ...PUBLIC_RULES,
    fields: [
      text('name'), text('slug'), text('internal', { hidden: true }), number('qty'), bool('active'),
      select('labels', ['a', 'b', 'c', 'd'], { maxSelect: 4 }), relation('refs', 'col_targets', { maxSelect: 5 }),
      relation('one', 'col_targets'), json('meta'), ...autodates(),
    ],
    indexes: ['CREATE UNIQUE INDEX idx_items_slug ON items (slug) WHERE slug != \'\''],
  });
  await createCollection(server, { type: 'view', name: 'item_names', listRule: '', viewQuery: 'SELECT id, name FROM items' });
  await createCollection(server, { id: 'col_parents', name: 'parents', ...PUBLIC_RULES, fields: [text('name')] });
  await createCollection(server, {
    name: 'children', ...PUBLIC_RULES, fields: [relation('parent', 'col_parents', { cascadeDelete: true })],
  });
  await createCollection(server, { name: 'pins', ...PUBLIC_RULES, fields: [relation('parent', 'col_parents', { required: true })] });
  await createCollection(server, {
    name: 'tagged', ...PUBLIC_RULES, fields: [relation('parents', 'col_parents', { maxSelect: 9 })],
  });

  for (const [id, name] of [[T1, 'one'], [T2, 'two'], [T3, 'three']]) await createRecord(server, 'targets', { id, name });
  await createRecord(server, 'items', { id: I1, name: 'first', slug: 'first', qty: 1, labels: ['a'], refs: [T1], internal: 'x' });
  await createRecord(server, 'items', { id: I_MOD, name: 'mod', qty: 10, labels: ['a', 'b'], refs: [T1] });
  await createRecord(server, 'items', { id: I_UPD, name: 'upd', slug: 'upd' });
  await createRecord(server, 'items', { id: I_DEL, name: 'del' });
  for (const id of [PA1, PA2, PA3, PA4]) await createRecord(server, 'parents', { id, name: id });
  await createRecord(server, 'children', { id: CH1, parent: PA1 });
  await createRecord(server, 'pins', { id: PIN1, parent: PA2 });
  await createRecord(server, 'tagged', { id: TG1, parents: [PA3, PA4] });
});

afterAll(() => server?.close());

const ITEMS = '/api/collections/items/records';
const MISSING_CTX = { status: 404, message: 'Missing or invalid collection context.', data: {} };

describe('view', () => {
  scenarios(env, [
    { name: 'existing record', url: `${ITEMS}/${I1}`, status: 200,
      expect: { collectionId: 'col_items', collectionName: 'items', id: I1, name: 'first', qty: 1, labels: ['a'], refs: [T1], one: '' },
      notContains: ['"internal"'] },
    { name: 'superusers see hidden fields', url: `${ITEMS}/${I1}`, auth: 'superuser', status: 200, expect: { internal: 'x' } },
    { name: 'missing record', url: `${ITEMS}/${rid('missing', 1)}`, status: 404, expect: NOT_FOUND },
    { name: 'missing collection', url: `/api/collections/nope/records/${I1}`, status: 404,
      expect: { status: 404, message: 'Missing collection context.', data: {} } },
    { name: 'view collection records can be listed', url: '/api/collections/item_names/records?sort=name', status: 200,
      check: (b) => expect(b.items.map((r: any) => r.name)).toContain('first') },
  ]);
});

describe('create', () => {
  scenarios(env, [
    { name: 'returns 200 and the record', method: 'POST', url: ITEMS, status: 200,
      body: { name: 'new', qty: 3, labels: ['b', 'a'], refs: [T2, T1], meta: { z: 1, a: [true] } },
      expect: { collectionName: 'items', name: 'new', qty: 3, labels: ['b', 'a'], refs: [T2, T1], meta: { a: [true], z: 1 } },
      check: (b) => {
        expect(b.id).toMatch(/^[a-z0-9]{15}$/);
        expect(b.created).toBe(b.updated);
      } },
    { name: 'unknown keys, collectionId, expand and autodates are ignored', method: 'POST', url: ITEMS, status: 200,
      body: { name: 'ignored', nope: 1, collectionId: 'x', collectionName: 'y', expand: { a: 1 }, created: '2001-01-01 00:00:00.000Z' },
      expect: { collectionId: 'col_items', collectionName: 'items', name: 'ignored' },
      check: (b) => {
        expect(b.created).not.toContain('2001');
        expect(b).not.toHaveProperty('nope');
        expect(b).not.toHaveProperty('expand');
      } },
    { name: 'an empty body creates a blank record', method: 'POST', url: ITEMS, status: 200, body: {},
      expect: { name: '', qty: 0, labels: [], one: '', meta: null, active: false } },
    { name: 'modifiers on create', method: 'POST', url: ITEMS, status: 200, body: { 'qty+': 4, 'labels+': 'c', '+refs': [T3] },
      expect: { qty: 4, labels: ['c'], refs: [T3] } },
    { name: 'client id', method: 'POST', url: ITEMS, status: 200, body: { id: 'custom000000001', name: 'custom' },
      expect: { id: 'custom000000001' } },
    { name: 'client id too short', method: 'POST', url: ITEMS, status: 400, body: { id: 'abc' },
      expect: { status: 400, message: CREATE_FAILED,
        data: { id: { code: 'validation_min_text_constraint', message: 'Must be at least 15 character(s).', params: { min: 15 } } } } },
    { name: 'client id outside the pattern', method: 'POST', url: ITEMS, status: 400, body: { id: 'UPPERCASE000001' },
      expect: fieldFailure('id', 'validation_invalid_format', 'Invalid value format.') },
    { name: 'client id taken', method: 'POST', url: ITEMS, status: 400, body: { id: I1 },
      expect: fieldFailure('id', 'validation_not_unique', 'Value must be unique.') },
    { name: 'unique index violation', method: 'POST', url: ITEMS, status: 400, body: { slug: 'first' },
      expect: fieldFailure('slug', 'validation_not_unique', 'Value must be unique.') },
    { name: 'relation to a missing record', method: 'POST', url: ITEMS, status: 400, body: { refs: [T1, rid('missing', 1)] },
      expect: fieldFailure('refs', 'validation_missing_rel_records', 'Failed to find all relation records with the provided ids.') },
    { name: 'single relation to a missing record', method: 'POST', url: ITEMS, status: 400, body: { one: rid('missing', 1) },
      expect: fieldFailure('one', 'validation_missing_rel_records') },
    { name: 'hidden fields sent by guests are dropped', method: 'POST', url: ITEMS, status: 200,
      body: { id: 'hidden000000001', internal: 'sneaky' },
      check: async () => {
        const res = await api(server, 'GET', `${ITEMS}/hidden000000001`, { token: server.superuserToken });
        expect(res.body.internal).toBe('');
      } },
    { name: 'hidden fields sent by superusers are kept', method: 'POST', url: ITEMS, auth: 'superuser', status: 200,
      body: { internal: 'allowed' }, expect: { internal: 'allowed' } },
    { name: 'missing collection', method: 'POST', url: '/api/collections/nope/records', status: 404, body: {}, expect: MISSING_CTX },
    { name: 'view collection', method: 'POST', url: '/api/collections/item_names/records', auth: 'superuser', status: 400, body: {},
      expect: { status: 400, message: 'Unsupported collection type.', data: {} } },
    { name: 'a JSON body that is not an object', method: 'POST', url: ITEMS, status: 400, body: [1, 2],
      expect: { status: 400, message: 'Something went wrong while processing your request.', data: {} } },
    { name: 'malformed JSON', method: 'POST', url: ITEMS, status: 400, headers: { 'content-type': 'application/json' },
      payload: () => '{"name":', expect: { status: 400, message: 'Something went wrong while processing your request.', data: {} } },
    { name: 'an unsupported content type', method: 'POST', url: ITEMS, status: 400, headers: { 'content-type': 'text/plain' },
      payload: () => 'name=x', expect: { status: 400, message: 'Unsupported Content-Type.', data: {} } },
    { name: 'an empty body is {} whatever its content type', method: 'POST', url: ITEMS, status: 200,
      headers: { 'content-type': 'text/plain' }, payload: () => '', expect: { name: '' } },
    { name: 'expand on create', method: 'POST', url: `${ITEMS}?expand=refs`, status: 200, body: { refs: [T1] },
      check: (b) => expect(b.expand.refs[0]).toMatchObject({ id: T1, name: 'one' }) },
    { name: 'fields on create', method: 'POST', url: `${ITEMS}?fields=name`, status: 200, body: { name: 'picked' },
      check: (b) => expect(b).toEqual({ name: 'picked' }) },
  ]);

  it('multipart/form-data with @jsonPayload', async () => {
    const form = new FormData();
    form.append('name', 'from form');
    form.append('qty', '7');
    form.append('active', 'true');
    form.append('slug', '007');
    form.append('@jsonPayload', JSON.stringify({ labels: ['a', 'b'], meta: { x: 1 } }));
    form.append('@jsonPayload', JSON.stringify({ refs: [T1, T2] }));
    await runScenario(env, {
      name: 'multipart', method: 'POST', url: ITEMS, payload: () => form, status: 200,
      expect: { name: 'from form', qty: 7, active: true, slug: '007', labels: ['a', 'b'], meta: { x: 1 }, refs: [T1, T2] },
    });
  });

  it('multipart: repeated keys make a list, form values go through validation', async () => {
    const form = new FormData();
    form.append('labels', 'a');
    form.append('labels', 'zz');
    await runScenario(env, {
      name: 'multipart invalid', method: 'POST', url: ITEMS, payload: () => form, status: 400,
      expect: fieldFailure('labels', 'validation_invalid_value', 'Invalid value zz.'),
    });
  });

  it('multipart modifiers on update read form values', async () => {
    const form = new FormData();
    form.append('qty+', '5');
    form.append('labels+', 'b');
    const before = await api(server, 'GET', `${ITEMS}/${I1}`);
    await runScenario(env, {
      name: 'multipart update', method: 'PATCH', url: `${ITEMS}/${I1}`, payload: () => form, status: 200,
      expect: { qty: before.body.qty + 5, labels: [...before.body.labels, 'b'] },
    });
  });

  it('urlencoded body', async () => {
    await runScenario(env, {
      name: 'urlencoded', method: 'POST', url: ITEMS, status: 200,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: () => new URLSearchParams({ name: 'url enc', qty: '2.5' }),
      expect: { name: 'url enc', qty: 2.5 },
    });
  });
});

describe('update', () => {
  const MOD = `${ITEMS}/${I_MOD}`;
  scenarios(env, [
    { name: 'number: field+ adds', method: 'PATCH', url: MOD, body: { 'qty+': 5 }, status: 200, expect: { qty: 15 } },
    { name: 'number: field- subtracts', method: 'PATCH', url: MOD, body: { 'qty-': 20 }, status: 200, expect: { qty: -5 } },
    { name: 'plain value first, then the modifier', method: 'PATCH', url: MOD, body: { 'qty+': 2, qty: 1 }, status: 200,
      expect: { qty: 3 } },
    { name: 'select: field+ appends', method: 'PATCH', url: MOD, body: { 'labels+': 'c' }, status: 200, expect: { labels: ['a', 'b', 'c'] } },
    { name: 'select: +field prepends', method: 'PATCH', url: MOD, body: { '+labels': 'd' }, status: 200,
      expect: { labels: ['d', 'a', 'b', 'c'] } },
    { name: 'select: field- removes', method: 'PATCH', url: MOD, body: { 'labels-': ['a', 'b'] }, status: 200,
      expect: { labels: ['d', 'c'] } },
    { name: 'relation: field+ appends', method: 'PATCH', url: MOD, body: { 'refs+': T2 }, status: 200, expect: { refs: [T1, T2] } },
    { name: 'relation: field- removes', method: 'PATCH', url: MOD, body: { 'refs-': T1 }, status: 200, expect: { refs: [T2] } },
    { name: 'relation: +field prepends', method: 'PATCH', url: MOD, body: { '+refs': [T3] }, status: 200, expect: { refs: [T3, T2] } },
    { name: 'relation: appending a missing record fails', method: 'PATCH', url: MOD, body: { 'refs+': rid('missing', 1) },
      status: 400, expect: fieldFailure('refs', 'validation_missing_rel_records', undefined, UPDATE_FAILED) },
    { name: 'select: appending a value outside the list fails', method: 'PATCH', url: MOD, body: { 'labels+': 'zz' }, status: 400,
      expect: fieldFailure('labels', 'validation_invalid_value', 'Invalid value zz.', UPDATE_FAILED) },
    { name: 'select: appended duplicates collapse', method: 'PATCH', url: MOD, body: { 'labels+': ['c', 'c'] }, status: 200,
      expect: { labels: ['d', 'c'] } },
    { name: 'keys left out keep their values', method: 'PATCH', url: MOD, body: { name: 'mod2' }, status: 200,
      expect: { name: 'mod2', qty: 3, labels: ['d', 'c'], refs: [T3, T2] } },
  ]);

  const UPD = `${ITEMS}/${I_UPD}`;
  scenarios(env, [
    { name: 'returns 200 and the record; updated moves', method: 'PATCH', url: UPD, body: { name: 'renamed' }, status: 200,
      expect: { id: I_UPD, name: 'renamed' }, check: (b) => expect(b.updated > b.created).toBe(true) },
    { name: 'changing the id', method: 'PATCH', url: UPD, body: { id: 'other0000000001' }, status: 400,
      expect: { status: 400, message: UPDATE_FAILED,
        data: { id: { code: 'validation_pk_change', message: 'The record primary key cannot be changed.' } } } },
    { name: 'sending the same id is fine', method: 'PATCH', url: UPD, body: { id: I_UPD, name: 'same' }, status: 200,
      expect: { id: I_UPD, name: 'same' } },
    { name: 'unique index violation', method: 'PATCH', url: UPD, body: { slug: 'first' }, status: 400,
      expect: fieldFailure('slug', 'validation_not_unique', 'Value must be unique.', UPDATE_FAILED) },
    { name: 'missing record', method: 'PATCH', url: `${ITEMS}/${rid('missing', 1)}`, body: {}, status: 404, expect: NOT_FOUND },
    { name: 'missing collection', method: 'PATCH', url: `/api/collections/nope/records/${I_UPD}`, body: {}, status: 404,
      expect: MISSING_CTX },
    { name: 'view collection', method: 'PATCH', url: `/api/collections/item_names/records/${I_UPD}`, auth: 'superuser', body: {},
      status: 400, expect: { status: 400, message: 'Unsupported collection type.', data: {} } },
  ]);

  it('the update is stored', async () => {
    const res = await api(server, 'GET', `${ITEMS}/${I_UPD}`);
    expect(res.body).toMatchObject({ id: I_UPD, name: 'same', slug: 'upd' });
  });
});

describe('delete', () => {
  scenarios(env, [
    { name: 'returns 204 with an empty body', method: 'DELETE', url: `${ITEMS}/${I_DEL}`, status: 204,
      check: (b) => expect(b).toBeNull() },
    { name: 'the record is gone', url: `${ITEMS}/${I_DEL}`, status: 404, expect: NOT_FOUND },
    { name: 'missing record', method: 'DELETE', url: `${ITEMS}/${I_DEL}`, status: 404, expect: NOT_FOUND },
    { name: 'missing collection', method: 'DELETE', url: `/api/collections/nope/records/${I_DEL}`, status: 404,
      expect: { status: 404, message: 'Missing collection context.', data: {} } },
    { name: 'view collection', method: 'DELETE', url: `/api/collections/item_names/records/${I1}`, auth: 'superuser', status: 400,
      expect: { status: 400, message: 'Unsupported collection type.', data: {} } },
    { name: 'cascadeDelete removes the referencing record', method: 'DELETE', url: `/api/collections/parents/records/${PA1}`,
      status: 204 },
    { name: 'the cascaded record is gone', url: `/api/collections/children/records/${CH1}`, status: 404 },
    { name: 'a required reference without cascade blocks the delete', method: 'DELETE',
      url: `/api/collections/parents/records/${PA2}`, status: 400,
      expect: { status: 400, data: {},
        message: 'Failed to delete record. Make sure that the record is not part of a required relation reference.' } },
    { name: 'the blocked record and its reference remain', url: `/api/collections/pins/records/${PIN1}`, status: 200,
      expect: { parent: PA2 } },
    { name: 'an optional multi reference loses the id', method: 'DELETE', url: `/api/collections/parents/records/${PA3}`,
      status: 204 },
    { name: 'the referencing record keeps its other ids', url: `/api/collections/tagged/records/${TG1}`, status: 200,
      expect: { parents: [PA4] } },
  ]);
});

/**
 * A view whose query fails on some rows (PostgreSQL and MariaDB refuse a double past the largest,
 * SQLite computes infinity) answers PocketBase's generic 400 for lists and for one record alike,
 * never a 500: the query is the superuser's SQL, and the database refusing it is not a server fault.
 */
describe('a view query the database refuses', () => {
  const GENERIC_400 = { status: 400, message: 'Something went wrong while processing your request.', data: {} };
  let id = '';
  beforeAll(async () => {
    await createCollection(server, { name: 'nums', ...PUBLIC_RULES, fields: [number('n')] });
    await createCollection(server, { type: 'view', name: 'pv', listRule: '', viewRule: '', viewQuery: 'SELECT p.id, (p.n * 2) AS dbl FROM nums p' });
    id = (await createRecord(server, 'nums', { n: 1e308 })).id;
  });

  it.each(['list', 'one record'])('%s: 400 where the database refuses the value, never 500', async (what) => {
    const res = await api(server, 'GET', what === 'list' ? '/api/collections/pv/records' : `/api/collections/pv/records/${id}`);
    if (TEST_DIALECT === 'sqlite') {
      expect(res.status).toBe(200);
    } else {
      expect(res.status).toBe(400);
      expect(res.body).toEqual(GENERIC_400);
    }
  });
});

describe('the query string of a write', () => {
  it('gives only `expand` to the write: `?requestContext=` does not change what @request.context means in the rules', async () => {
    await createCollection(server, { name: 'oauth2_only', fields: [text('title')], ...PUBLIC_RULES, createRule: '@request.context = "oauth2"' });
    const res = await api(server, 'POST', '/api/collections/oauth2_only/records?requestContext=oauth2', { body: { title: 'sneaked' } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(CREATE_FAILED);
    const list = await api(server, 'GET', '/api/collections/oauth2_only/records');
    expect(list.body.totalItems).toBe(0);
  });
});
