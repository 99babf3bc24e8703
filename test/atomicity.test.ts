/**
 * A failed write changes nothing. Each scenario snapshots every row of the tables it could touch,
 * makes a request that must fail, checks the status and PocketBase's `{data, message, status}`
 * body, and checks that the snapshot is identical afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowShape } from '../src/db/dialect.ts';
import { ident, sql } from '../src/db/sql.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord, createUser, number, relation, rid, text } from './support/builders.ts';

/** Small on purpose: the oversized-body cases need a limit the other requests stay well under. */
const MAX_BODY = 1024;
const GENERIC = 'Something went wrong while processing your request.';
const TOO_LARGE = { status: 413, message: 'Request entity too large.', data: {} };
const TABLES = ['posts', 'comments', 'pins', 'users', '_superusers', '_collections'];
/** A multi-relation column as its JSON value, whichever way the database stores it. */
const ALSO_SHAPE: RowShape = Object.freeze({ also: 'json' });

let server: TestServer;
let user: { id: string; token: string };
let superuserId: string;
const post = rid('post', 1);
const lonely = rid('post', 2);

const snapshot = async () => {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) out[t] = await server.baton.services.db.all(sql`SELECT * FROM ${ident(t)} ORDER BY id`);
  return out;
};

beforeAll(async () => {
  server = await startServer({ maxBodySize: MAX_BODY });
  user = await createUser(server, 'member@example.com', { name: 'Member' });
  await createUser(server, 'other@example.com');
  superuserId = (await server.baton.services.db.get<{ id: string }>(sql`SELECT id FROM _superusers`))!.id;
  const posts = await createCollection(server, {
    name: 'posts',
    createRule: "@request.auth.id != '' && title != 'forbidden'",
    updateRule: "@request.auth.id != '' && @request.body.title != 'forbidden'",
    deleteRule: "@request.auth.id = 'nobody'",
    fields: [text('title', { required: true, max: 50 }), text('slug'), number('score', { max: 10 })],
    indexes: ['CREATE UNIQUE INDEX idx_posts_slug ON posts (slug) WHERE slug != \'\''],
  });
  await createCollection(server, {
    name: 'comments', createRule: '', updateRule: '',
    fields: [relation('post', posts.id, { cascadeDelete: true }), relation('also', posts.id, { maxSelect: 3 }), text('body')],
  });
  await createCollection(server, { name: 'pins', fields: [relation('post', posts.id, { required: true }), text('note')] });
  await createRecord(server, 'posts', { id: post, title: 'Hello', slug: 'hello', score: 1 });
  await createRecord(server, 'posts', { id: lonely, title: 'Lonely', slug: 'lonely' });
  await createRecord(server, 'comments', { id: rid('comment', 1), post, also: [post, lonely], body: 'first' });
  await createRecord(server, 'comments', { id: rid('comment', 2), post: lonely, body: 'second' });
  await createRecord(server, 'pins', { id: rid('pin', 1), post, note: 'keep' });
});
afterAll(() => server?.close());

interface Case {
  name: string;
  method: string;
  url: string;
  as?: 'superuser' | 'user';
  body?: unknown;
  raw?: { body: string | FormData; type?: string; stream?: boolean };
  status: number;
  expect: { message: string; data?: object };
}

const json = (body: unknown) => ({ body: JSON.stringify(body), type: 'application/json' });
const form = (fields: Record<string, string>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return { body: f };
};
const big = 'x'.repeat(MAX_BODY * 2);
const created = (data: object) => ({ message: 'Failed to create record.', data });
const updated = (data: object) => ({ message: 'Failed to update record.', data });

const cases: Case[] = [
  // validation
  { name: 'create: required field missing', method: 'POST', url: '/api/collections/posts/records', as: 'superuser', body: { slug: 'new' }, status: 400,
    expect: created({ title: { code: 'validation_required', message: 'Cannot be blank.' } }) },
  { name: 'create: several invalid fields at once', method: 'POST', url: '/api/collections/posts/records', as: 'superuser', body: { title: 'y'.repeat(60), score: 11 }, status: 400,
    expect: created({ title: { code: 'validation_max_text_constraint' }, score: { code: 'validation_max_number_constraint' } }) },
  { name: 'update: invalid value', method: 'PATCH', url: `/api/collections/posts/records/${post}`, as: 'superuser', body: { title: '', score: 5 }, status: 400,
    expect: updated({ title: { code: 'validation_required' } }) },
  { name: 'update: primary key change', method: 'PATCH', url: `/api/collections/posts/records/${post}`, as: 'superuser', body: { id: rid('other', 1), title: 'Renamed' }, status: 400,
    expect: updated({ id: { code: 'validation_pk_change' } }) },
  { name: 'auth create: passwords do not match', method: 'POST', url: '/api/collections/users/records', body: { email: 'new@example.com', password: 'password-123', passwordConfirm: 'password-321' }, status: 400,
    expect: created({ passwordConfirm: { code: 'validation_values_mismatch' } }) },
  { name: 'auth update: email taken', method: 'PATCH', get url() { return `/api/collections/users/records/${user.id}`; }, as: 'superuser',
    body: { email: 'other@example.com', name: 'Renamed' }, status: 400, expect: updated({ email: { code: 'validation_not_unique' } }) },
  // rules
  { name: 'create rule not met (guest)', method: 'POST', url: '/api/collections/posts/records', body: { title: 'By a guest' }, status: 400, expect: created({}) },
  { name: 'create rule not met (body value)', method: 'POST', url: '/api/collections/posts/records', as: 'user', body: { title: 'forbidden' }, status: 400, expect: created({}) },
  { name: 'update rule not met', method: 'PATCH', url: `/api/collections/posts/records/${post}`, as: 'user', body: { title: 'forbidden', score: 2 }, status: 404,
    expect: { message: "The requested resource wasn't found.", data: {} } },
  { name: 'delete rule not met', method: 'DELETE', url: `/api/collections/posts/records/${post}`, as: 'user', status: 404, expect: { message: "The requested resource wasn't found.", data: {} } },
  { name: 'rule null: superusers only', method: 'PATCH', url: `/api/collections/pins/records/${rid('pin', 1)}`, as: 'user', body: { note: 'changed' }, status: 403,
    expect: { message: 'Only superusers can perform this action.', data: {} } },
  // unreadable bodies
  { name: 'broken JSON', method: 'POST', url: '/api/collections/posts/records', as: 'superuser', raw: { body: '{"title": "Half', type: 'application/json' }, status: 400, expect: { message: GENERIC, data: {} } },
  { name: 'JSON that is not an object', method: 'PATCH', url: `/api/collections/posts/records/${post}`, as: 'superuser', raw: json(['title']), status: 400, expect: { message: GENERIC, data: {} } },
  { name: 'oversized JSON', method: 'POST', url: '/api/collections/posts/records', as: 'superuser', raw: json({ title: big }), status: 413, expect: TOO_LARGE },
  { name: 'oversized JSON update', method: 'PATCH', url: `/api/collections/posts/records/${post}`, as: 'superuser', raw: json({ title: 'ok', slug: big }), status: 413, expect: TOO_LARGE },
  { name: 'oversized urlencoded', method: 'POST', url: '/api/collections/posts/records', as: 'superuser', raw: { body: `title=${big}`, type: 'application/x-www-form-urlencoded' }, status: 413, expect: TOO_LARGE },
  { name: 'oversized multipart', method: 'POST', url: '/api/collections/posts/records', as: 'superuser', raw: form({ title: 'ok', slug: big }), status: 413, expect: TOO_LARGE },
  { name: 'oversized multipart of many small parts', method: 'POST', url: '/api/collections/posts/records', as: 'superuser',
    raw: form(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, 'y'.repeat(60)]))), status: 413, expect: TOO_LARGE },
  { name: 'oversized multipart without Content-Length (chunked)', method: 'POST', url: '/api/collections/posts/records', as: 'superuser',
    raw: { ...form({ title: 'ok', slug: big }), stream: true }, status: 413, expect: TOO_LARGE },
  { name: 'oversized collection create', method: 'POST', url: '/api/collections', as: 'superuser', raw: json({ name: 'huge', listRule: big }), status: 413, expect: TOO_LARGE },
  // constraints
  { name: 'unique violation on create', method: 'POST', url: '/api/collections/posts/records', as: 'superuser', body: { title: 'Again', slug: 'hello' }, status: 400,
    expect: created({ slug: { code: 'validation_not_unique', message: 'Value must be unique.' } }) },
  { name: 'unique violation on update', method: 'PATCH', url: `/api/collections/posts/records/${lonely}`, as: 'superuser', body: { title: 'Changed', slug: 'hello' }, status: 400,
    expect: updated({ slug: { code: 'validation_not_unique' } }) },
  { name: 'duplicate id', method: 'POST', url: '/api/collections/posts/records', as: 'superuser', body: { id: post, title: 'Copy' }, status: 400,
    expect: created({ id: { code: 'validation_not_unique' } }) },
  { name: 'relation to a missing record', method: 'POST', url: '/api/collections/comments/records', body: { post: rid('ghost', 1), body: 'hi' }, status: 400,
    expect: created({ post: { code: 'validation_missing_rel_records' } }) },
  { name: 'multi relation with one missing record', method: 'PATCH', url: `/api/collections/comments/records/${rid('comment', 1)}`, body: { also: [post, rid('ghost', 1)], body: 'edited' }, status: 400,
    expect: updated({ also: { code: 'validation_missing_rel_records' } }) },
  // deletes
  { name: 'delete blocked by a required reference (after its cascade already ran)', method: 'DELETE', url: `/api/collections/posts/records/${post}`, as: 'superuser', status: 400,
    expect: { message: 'Failed to delete record. Make sure that the record is not part of a required relation reference.', data: {} } },
  { name: 'truncate blocked by a required reference', method: 'DELETE', url: '/api/collections/posts/truncate', as: 'superuser', status: 400,
    expect: { message: 'Failed to truncate collection (most likely due to required cascade delete record references).', data: {} } },
  { name: 'deleting the only superuser', method: 'DELETE', get url() { return `/api/collections/_superusers/records/${superuserId}`; }, as: 'superuser',
    status: 400, expect: { message: "You can't delete the only existing superuser.", data: {} } },
];

async function send(c: Case): Promise<{ status: number; body: any; text: string }> {
  const headers: Record<string, string> = {};
  if (c.as) headers.authorization = c.as === 'superuser' ? server.superuserToken : user.token;
  let body: RequestInit['body'];
  if (c.raw) {
    body = c.raw.body;
    if (c.raw.type) headers['content-type'] = c.raw.type;
  } else if (c.body !== undefined) {
    body = JSON.stringify(c.body);
    headers['content-type'] = 'application/json';
  }
  let init: RequestInit & { duplex?: 'half' } = { method: c.method, headers, body };
  if (c.raw?.stream) {
    // Streamed, so no Content-Length is sent and the limit must be enforced while reading.
    const request = new Request('http://x', { method: 'POST', body });
    headers['content-type'] = request.headers.get('content-type')!;
    init = { method: c.method, headers, body: request.body, duplex: 'half' };
  }
  const res = await fetch(server.url + c.url, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, text };
}

describe('a failed write changes nothing', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const before = await snapshot();
      const res = await send(c);
      expect(res.status, res.text).toBe(c.status);
      expect(Object.keys(res.body)).toEqual(['data', 'message', 'status']);
      expect(res.body).toMatchObject({ status: c.status, message: c.expect.message, data: c.expect.data ?? {} });
      expect(Object.keys(res.body.data).sort()).toEqual(Object.keys(c.expect.data ?? {}).sort());
      expect(await snapshot()).toEqual(before);
    });
  }
});

describe('the failures above were real attempts', () => {
  it('a delete whose cascade succeeds removes the record and its cascaded references', async () => {
    expect((await api(server, 'DELETE', `/api/collections/posts/records/${lonely}`, { token: server.superuserToken })).status).toBe(204);
    const comments = await server.baton.services.db.all<{ id: string; also: string[] }>(sql`SELECT id, also FROM comments ORDER BY id`, ALSO_SHAPE);
    expect(comments).toEqual([{ id: rid('comment', 1), also: [post] }]);
  });

  it('the writer is not stuck: valid writes go through after every failure', async () => {
    const res = await api(server, 'POST', '/api/collections/posts/records', { token: user.token, body: { title: 'Fine', slug: 'fine' } });
    expect(res.status).toBe(200);
    const small = await api(server, 'PATCH', `/api/collections/posts/records/${res.body.id}`, { token: user.token, body: { title: 'Still fine' } });
    expect(small.body).toMatchObject({ title: 'Still fine', slug: 'fine' });
  });
});
