import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../src/db/sql.ts';
import { api, startServer, type TestServer } from './support/baton.ts';

let server: TestServer;
const count = async () =>
  Number((await server.baton.services.db.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM notes`))?.n);

beforeAll(async () => {
  server = await startServer();
  const res = await api(server, 'POST', '/api/collections', {
    token: server.superuserToken,
    body: {
      name: 'notes',
      listRule: '',
      viewRule: '',
      createRule: '',
      updateRule: '',
      fields: [
        { name: 'title', type: 'text' },
        { name: 'tags', type: 'select', maxSelect: 3, values: ['a', 'b', 'c'] },
        { name: 'data', type: 'json' },
      ],
    },
  });
  expect(res.status).toBe(200);
});
afterAll(() => server.close());

const form = (body: string) => ({ rawBody: body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });

describe('request bodies a client controls', () => {
  it('caps the number of form values (no quadratic work, no crash)', async () => {
    const started = Date.now();
    const res = await api(server, 'POST', '/api/collections/notes/records', form('tags=a&'.repeat(50_000)));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ data: {}, message: 'Too many submitted fields.', status: 400 });
    expect(await count()).toBe(0);
    // Generous bound: the quadratic version took seconds for a tenth of this input.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reads repeated form keys as a list', async () => {
    const res = await api(server, 'POST', '/api/collections/notes/records', form('title=x&tags=a&tags=b'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ title: 'x', tags: ['a', 'b'] });
  });

  it('a __proto__ key in a form or @jsonPayload is just an unknown key', async () => {
    const payload = encodeURIComponent(JSON.stringify({ __proto__: { polluted: true }, title: 'from payload' }));
    const res = await api(server, 'POST', '/api/collections/notes/records', form(`__proto__=x&@jsonPayload=${payload}`));
    expect(res.status).toBe(200);
    expect(res.body.title).toBe('from payload');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('an unknown collection is a 404 before the body is read', async () => {
    const res = await api(server, 'POST', '/api/collections/nope/records', {
      rawBody: '{"broken":',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ data: {}, message: 'Missing or invalid collection context.', status: 404 });
  });
});

describe('the fields parameter', () => {
  it('is checked before a create is committed', async () => {
    const before = await count();
    const res = await api(server, 'POST', '/api/collections/notes/records?fields=title:excerpt(', { body: { title: 'no' } });
    expect(res.status).toBe(400);
    expect(await count()).toBe(before);
  });

  it('is checked before an update is committed', async () => {
    const created = await api(server, 'POST', '/api/collections/notes/records', { body: { title: 'keep' } });
    const res = await api(server, 'PATCH', `/api/collections/notes/records/${created.body.id}?fields=title"`, { body: { title: 'changed' } });
    expect(res.status).toBe(400);
    const view = await api(server, 'GET', `/api/collections/notes/records/${created.body.id}`);
    expect(view.body.title).toBe('keep');
  });
});

describe('large relation lists', () => {
  let postId = '';
  beforeAll(async () => {
    const token = server.superuserToken;
    const posts = await api(server, 'POST', '/api/collections', {
      token,
      body: { name: 'posts', listRule: '', viewRule: '', createRule: '', fields: [{ name: 'title', type: 'text' }] },
    });
    expect(posts.status).toBe(200);
    const comments = await api(server, 'POST', '/api/collections', {
      token,
      body: {
        name: 'comments',
        listRule: '',
        viewRule: '',
        createRule: '',
        fields: [
          { name: 'post', type: 'relation', collectionId: posts.body.id, maxSelect: 1 },
          { name: 'refs', type: 'relation', collectionId: posts.body.id, maxSelect: 100_000 },
        ],
      },
    });
    expect(comments.status).toBe(200);
    postId = (await api(server, 'POST', '/api/collections/posts/records', { body: { title: 'hot' } })).body.id;
    const { records, schema } = server.baton.services;
    const ctx = (await import('../src/domain/context.ts')).systemContext(
      (await import('../src/kernel/logger.ts')).silentLogger,
      { kind: 'superuser', collection: schema.find('_superusers')!, record: {} },
    );
    for (let i = 0; i < 1005; i++) await records.create(ctx, 'comments', { body: { post: postId }, source: 'json' });
  });

  it('more ids than SQLite can bind are a validation error, not a 500', async () => {
    const ids = Array.from({ length: 33_000 }, (_, i) => `missing${String(i).padStart(8, '0')}`);
    const res = await api(server, 'POST', '/api/collections/comments/records', { body: { refs: ids } });
    expect(res.status).toBe(400);
    expect(res.body.data.refs.code).toBe('validation_missing_rel_records');
  });

  it('a back-relation expands to at most 1000 records per record', async () => {
    const res = await api(server, 'GET', `/api/collections/posts/records/${postId}?expand=comments_via_post`);
    expect(res.status).toBe(200);
    expect(res.body.expand.comments_via_post).toHaveLength(1000);
    expect(new Set(res.body.expand.comments_via_post.map((c: { id: string }) => c.id)).size).toBe(1000);
  });
});

describe('hostile list and body input', () => {
  it('sort=@rowid on a view collection is a 400, not a 500', async () => {
    const view = await api(server, 'POST', '/api/collections', {
      token: server.superuserToken,
      body: { name: 'note_titles', type: 'view', listRule: '', viewQuery: 'SELECT id, title FROM notes' },
    });
    expect(view.status).toBe(200);
    const res = await api(server, 'GET', '/api/collections/note_titles/records?sort=@rowid');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ data: {}, message: 'Something went wrong while processing your request.', status: 400 });
  });

  it('a view query may end in a -- comment', async () => {
    const view = await api(server, 'POST', '/api/collections', {
      token: server.superuserToken,
      body: { name: 'commented', type: 'view', listRule: '', viewQuery: 'SELECT id, title FROM notes -- all notes' },
    });
    expect(view.status).toBe(200);
    expect((await api(server, 'GET', '/api/collections/commented/records')).status).toBe(200);
  });

  it('deeply nested JSON is a 400, not a 500', async () => {
    const deep = `{"data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const res = await api(server, 'POST', '/api/collections/notes/records', {
      rawBody: deep,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.status).toBe(400);
  });
});

// Last: it deletes superusers, and may delete the one whose token the other tests use.
describe('superusers', () => {
  it('the superusers collection cannot be truncated', async () => {
    const res = await api(server, 'DELETE', '/api/collections/_superusers/truncate', { token: server.superuserToken });
    expect(res.status).toBe(400);
    const still = await api(server, 'GET', '/api/health', { token: server.superuserToken });
    expect(still.body.data.canBackup).toBe(true);
  });

  it('the last superuser cannot be deleted, even by two concurrent requests', async () => {
    const second = await api(server, 'POST', '/api/collections/_superusers/records', {
      token: server.superuserToken,
      body: { email: 'second@example.com', password: 'second-password', passwordConfirm: 'second-password' },
    });
    expect(second.status).toBe(200);
    const list = await api(server, 'GET', '/api/collections/_superusers/records', { token: server.superuserToken });
    const ids: string[] = list.body.items.map((r: { id: string }) => r.id);
    expect(ids).toHaveLength(2);
    const results = await Promise.all(
      ids.map((id) => api(server, 'DELETE', `/api/collections/_superusers/records/${id}`, { token: server.superuserToken })),
    );
    // One succeeds; the other is refused: 400 (last superuser) or, when it is authenticated after
    // its own account was deleted by the first, 403 as a guest.
    const statuses = results.map((r) => r.status).sort();
    expect(statuses[0]).toBe(204);
    expect([400, 403]).toContain(statuses[1]);
    const left = await server.baton.services.db.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM _superusers`);
    expect(Number(left?.n)).toBe(1);
  });
});
