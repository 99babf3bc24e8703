// POST /api/collections/meta/dry-run-view (PocketBase's) and /api/collections/meta/validate
// (Baton's own, for the dashboard's live checks), on every database: they answer what a save
// would, and write nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../src/db/sql.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { schemaSnapshot } from './support/introspect.ts';

let server: TestServer;
let su: string;
let userToken = '';
let postsId = '';

/** Everything stored about the schema: the database's objects and the `_collections` rows. */
async function stored(): Promise<unknown> {
  const db = server.baton.services.db;
  return { objects: await schemaSnapshot(db), rows: await db.all(sql`SELECT * FROM _collections ORDER BY id`) };
}

const validate = (body: unknown, token = su) => api(server, 'POST', '/api/collections/meta/validate', { token, body });
const dryRun = (body: unknown, token = su) => api(server, 'POST', '/api/collections/meta/dry-run-view', { token, body });

beforeAll(async () => {
  server = await startServer({ queryTimeouts: { system: 1500 } });
  su = server.superuserToken;
  const created = await api(server, 'POST', '/api/collections/users/records', {
    body: { email: 'u@example.com', password: 'secret-password-1', passwordConfirm: 'secret-password-1' },
  });
  expect(created.status).toBe(200);
  userToken = (await api(server, 'POST', '/api/collections/users/auth-with-password', { body: { identity: 'u@example.com', password: 'secret-password-1' } })).body.token;
  const posts = await api(server, 'POST', '/api/collections', {
    token: su,
    body: { name: 'posts', type: 'base', fields: [{ name: 'title', type: 'text' }, { name: 'views', type: 'number' }] },
  });
  expect(posts.status).toBe(200);
  postsId = posts.body.id;
  for (let i = 1; i <= 12; i++) {
    expect((await api(server, 'POST', '/api/collections/posts/records', { token: su, body: { title: `post ${i}`, views: i } })).status).toBe(200);
  }
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('POST /api/collections/meta/validate', () => {
  it('is for superusers only', async () => {
    expect((await api(server, 'POST', '/api/collections/meta/validate', { body: { name: 'x', type: 'base' } })).status).toBe(401);
    expect((await validate({ name: 'x', type: 'base' }, userToken)).status).toBe(403);
  });

  it('answers 204 for a valid create and writes nothing', async () => {
    const before = await stored();
    const res = await validate({
      name: 'drafts',
      type: 'base',
      listRule: "title != ''",
      fields: [{ name: 'title', type: 'text', required: true }],
      indexes: ['CREATE INDEX idx_drafts_title ON drafts (title)'],
    });
    expect(res.status).toBe(204);
    expect(await stored()).toEqual(before);
    expect((await api(server, 'GET', '/api/collections/drafts', { token: su })).status).toBe(404);
  });

  it('answers what the create would answer, per field, and writes nothing', async () => {
    const body = {
      name: 'drafts',
      type: 'base',
      listRule: 'missing = 1',
      fields: [{ name: 'title', type: 'text' }],
      indexes: ['CREATE INDEX idx_x ON drafts (nope)'],
    };
    const before = await stored();
    const res = await validate(body);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Failed to create collection.');
    expect(res.body.data.listRule).toMatchObject({ code: 'validation_invalid_rule' });
    expect(res.body.data.indexes).toBeDefined();
    expect(await stored()).toEqual(before);
    // The save itself answers the same.
    const save = await api(server, 'POST', '/api/collections', { token: su, body });
    expect(save.status).toBe(400);
    expect(res.body).toEqual(save.body);
    expect(await stored()).toEqual(before);
  });

  it('a name already taken is the same error as the save', async () => {
    const res = await validate({ name: 'POSTS', type: 'base' });
    expect(res.status).toBe(400);
    expect(res.body.data.name).toMatchObject({ code: 'validation_collection_name_exists' });
  });

  it('with the id of an existing collection, validates it as that update', async () => {
    const before = await stored();
    const ok = await validate({ id: postsId, name: 'articles', listRule: 'views > 1' });
    expect(ok.status).toBe(204);
    const body = { id: postsId, listRule: 'nope > 1', type: 'view' };
    const res = await validate(body);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Failed to update collection.');
    expect(res.body.data.type).toMatchObject({ code: 'validation_collection_type_change' });
    const patch = await api(server, 'PATCH', `/api/collections/${postsId}`, { token: su, body });
    expect(res.body).toEqual(patch.body);
    expect(await stored()).toEqual(before);
    expect((await api(server, 'GET', '/api/collections/posts', { token: su })).body.listRule).toBeNull();
  });

  it('a view: its query is run, its rules checked against its columns, and nothing is left', async () => {
    const before = await stored();
    const good = await validate({ name: 'popular', type: 'view', listRule: 'views > 5', viewQuery: 'SELECT id, title, views FROM posts' });
    expect(good.status).toBe(204);
    const badRule = await validate({ name: 'popular', type: 'view', listRule: 'missing > 5', viewQuery: 'SELECT id, title FROM posts' });
    expect(badRule.status).toBe(400);
    expect(badRule.body.data.listRule).toMatchObject({ code: 'validation_invalid_rule' });
    const badQuery = { name: 'popular', type: 'view', viewQuery: 'SELECT id, nope FROM posts' };
    const res = await validate(badQuery);
    expect(res.status).toBe(400);
    expect(res.body.data.viewQuery).toMatchObject({ code: 'validation_invalid_view_query' });
    const save = await api(server, 'POST', '/api/collections', { token: su, body: badQuery });
    expect(save.status).toBe(400);
    expect(Object.keys(save.body.data)).toEqual(['viewQuery']);
    expect(res.body.data.viewQuery.code).toBe(save.body.data.viewQuery.code);
    expect(await stored()).toEqual(before);
  });

  it('an unreadable body is a 400', async () => {
    const res = await api(server, 'POST', '/api/collections/meta/validate', { token: su, body: [1] });
    expect(res.status).toBe(400);
  });
});

describe('POST /api/collections/meta/dry-run-view', () => {
  it('is for superusers only', async () => {
    expect((await api(server, 'POST', '/api/collections/meta/dry-run-view', { body: { query: 'select 1' } })).status).toBe(401);
    expect((await dryRun({ query: 'SELECT id FROM posts' }, userToken)).status).toBe(403);
  });

  it('answers the fields and a sample of 10 records, and leaves nothing behind', async () => {
    const before = await stored();
    const res = await dryRun({ query: 'SELECT id, title, views, views * 2 AS twice FROM posts' });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['fields', 'sample']);
    const fields = res.body.fields as Array<{ name: string; type: string }>;
    expect(fields.map((f) => [f.name, f.type])).toEqual([
      ['id', 'text'],
      ['title', 'text'],
      ['views', 'number'],
      ['twice', 'json'],
    ]);
    expect(res.body.sample).toHaveLength(10);
    const first = res.body.sample[0];
    expect(first.collectionName).toMatch(/^temp_view_[a-z0-9]{5}$/);
    expect(first.title).toMatch(/^post \d+$/);
    expect(typeof first.views).toBe('number');
    expect(first.twice).toBe(first.views * 2);
    expect(await stored()).toEqual(before);
  });

  it('reads no row of the query on the writer: a query that would not end there answers, and a side effect is refused', async () => {
    if (server.dialect === 'sqlite') {
      // Endless only where temp_view_* exists, i.e. on the writer inside the dry run's transaction.
      const res = await dryRun({
        query:
          "WITH RECURSIVE c(x) AS (SELECT (SELECT count(*) FROM sqlite_master WHERE name LIKE 'temp_view%') UNION ALL SELECT x FROM c WHERE x = 1) SELECT 'a' || count(*) AS id FROM c",
      });
      expect(res.status).toBe(200);
      expect(res.body.sample.map((r: { id: string }) => r.id)).toEqual(['a1']);
    } else if (server.dialect === 'postgres') {
      await server.baton.services.db.run(sql`CREATE SEQUENCE IF NOT EXISTS dry_run_seq`);
      const res = await dryRun({ query: "SELECT 'n' || nextval('dry_run_seq')::text AS id" });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/read-only/);
      const seq = await server.baton.services.db.get<{ called: boolean }>(sql`SELECT is_called AS called FROM dry_run_seq`);
      expect(seq?.called).toBe(false);
      await server.baton.services.db.run(sql`DROP SEQUENCE dry_run_seq`);
    }
    expect((await api(server, 'GET', '/api/health')).status).toBe(200);
  });

  it('a bad query is a 400 with the reason, and leaves nothing behind', async () => {
    const before = await stored();
    const bad = await dryRun({ query: 'SELECT id, nope FROM posts' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^Invalid view query\. Raw error: \n./);
    expect(bad.body.data).toEqual({});
    const noId = await dryRun({ query: 'SELECT title FROM posts' });
    expect(noId.status).toBe(400);
    expect(noId.body.message).toContain('missing required id column');
    const twoStatements = await dryRun({ query: 'SELECT id FROM posts; DELETE FROM posts' });
    expect(twoStatements.status).toBe(400);
    const dupes = await dryRun({ query: "SELECT 'a' AS id FROM posts" });
    expect(dupes.status).toBe(400);
    expect(dupes.body.message).toContain('non-unique ids');
    expect(await stored()).toEqual(before);
    expect((await api(server, 'GET', '/api/collections/posts/records', { token: su })).body.totalItems).toBe(12);
  });

  it('a query that would not end is stopped at the budget, and the server goes on', async () => {
    const endless =
      server.dialect === 'postgres'
        ? 'SELECT (pg_sleep(30))::text AS id'
        : server.dialect === 'mysql'
          ? 'SELECT CAST(SLEEP(30) AS CHAR) AS id'
          : 'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT CAST(count(*) AS TEXT) AS id FROM c';
    const started = Date.now();
    const res = await dryRun({ query: endless });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^Invalid view query\. Raw error: \n/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await api(server, 'GET', '/api/collections/posts/records', { token: su })).status).toBe(200);
  }, 20_000);

  it('validates the body as PocketBase does', async () => {
    const empty = await dryRun({ query: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.data.query.code).toBe('validation_required');
    const long = await dryRun({ query: `SELECT id FROM posts WHERE title <> '${'a'.repeat(5000)}'` });
    expect(long.status).toBe(400);
    expect(long.body.data.query.code).toBe('validation_length_too_long');
  });
});
