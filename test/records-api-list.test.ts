/**
 * GET /api/collections/{c}/records end to end: paging, sort, filter, expand, fields and the
 * shape of the list, against a real Baton. Scenarios in the style of PocketBase's ApiScenario.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './support/baton.ts';
import { TEST_DIALECT } from './support/databases.ts';
import {
  GENERIC_400,
  autodates,
  createCollection,
  createRecord,
  field,
  json,
  number,
  bool,
  relation,
  rid,
  scenarios,
  select,
  text,
  type Scenario,
} from './support/builders.ts';

let server: TestServer;
const env = { server: () => server };

const A1 = rid('author', 1), A2 = rid('author', 2);
const T1 = rid('tag', 1), T2 = rid('tag', 2), T3 = rid('tag', 3);
const X1 = rid('priv', 1);
const P1 = rid('post', 1), P2 = rid('post', 2), P3 = rid('post', 3), P4 = rid('post', 4);
const C1 = rid('comment', 1), C2 = rid('comment', 2), C3 = rid('comment', 3);

beforeAll(async () => {
  server = await startServer();
  await createCollection(server, {
    id: 'col_authors', name: 'authors', listRule: '', viewRule: '',
    fields: [text('name'), text('secret', { hidden: true })],
  });
  // Black tags are listable but not viewable: expand (which applies the viewRule) leaves them out.
  await createCollection(server, {
    id: 'col_tags', name: 'tags', listRule: '', viewRule: 'color != "black"', fields: [text('name'), text('color')],
  });
  await createCollection(server, { id: 'col_privates', name: 'privates', fields: [text('name')] });
  await createCollection(server, {
    id: 'col_posts', name: 'posts', listRule: '', viewRule: '',
    fields: [
      text('title'), field('editor', 'body'), number('views'), bool('published'), select('status', ['draft', 'published']),
      relation('author', 'col_authors'), relation('tags', 'col_tags', { maxSelect: 5 }), relation('private', 'col_privates'),
      json('meta'), ...autodates(),
    ],
  });
  await createCollection(server, {
    name: 'profiles', listRule: '', viewRule: '', fields: [relation('author', 'col_authors'), text('bio')],
    indexes: ['CREATE UNIQUE INDEX idx_profiles_author ON profiles (author)'],
  });
  await createCollection(server, { id: 'col_nodes', name: 'nodes', listRule: '', viewRule: '', fields: [relation('parent', 'col_nodes')] });
  await createCollection(server, {
    id: 'col_comments', name: 'comments', listRule: '', viewRule: '', fields: [relation('post', 'col_posts'), text('message')],
  });

  await createRecord(server, 'authors', { id: A1, name: 'Ann', secret: 's1' });
  await createRecord(server, 'authors', { id: A2, name: 'Bob', secret: 's2' });
  await createRecord(server, 'tags', { id: T1, name: 'js', color: 'red' });
  await createRecord(server, 'tags', { id: T2, name: 'go', color: 'blue' });
  await createRecord(server, 'tags', { id: T3, name: 'rust', color: 'black' });
  await createRecord(server, 'privates', { id: X1, name: 'classified' });
  await createRecord(server, 'posts', {
    id: P1, title: 'Alpha', views: 10, published: true, status: 'draft', author: A1, tags: [T1, T2], meta: { a: 1 },
    body: '<p>Hello <b>world</b>, this is a long body</p>',
  });
  await createRecord(server, 'posts', { id: P2, title: 'Beta', views: 20, status: 'published', author: A2, tags: [T3], private: X1 });
  await createRecord(server, 'posts', { id: P3, title: 'Gamma', views: 30, published: true });
  await createRecord(server, 'posts', { id: P4, title: 'delta', views: 20, published: true, author: A1, tags: [T2, T1, T3] });
  await createRecord(server, 'profiles', { author: A1, bio: 'hi' });
  for (let n = 1; n <= 8; n++) await createRecord(server, 'nodes', { id: rid('node', n), parent: n > 1 ? rid('node', n - 1) : '' });
  await createRecord(server, 'comments', { id: C1, post: P1, message: 'first' });
  await createRecord(server, 'comments', { id: C2, post: P1, message: 'second' });
  await createRecord(server, 'comments', { id: C3, post: P2, message: 'third' });
});

afterAll(() => server?.close());

const POSTS = '/api/collections/posts/records';
const q = (params: Record<string, string>) => `${POSTS}?${new URLSearchParams(params)}`;
const ids = (...expected: string[]) => (body: any) => expect(body.items.map((r: any) => r.id)).toEqual(expected);

describe('paging', () => {
  scenarios(env, [
    { name: 'defaults: page 1, 30 per page, totals', url: POSTS, status: 200,
      expect: { page: 1, perPage: 30, totalItems: 4, totalPages: 1 }, check: ids(P1, P2, P3, P4) },
    { name: 'envelope keys in PocketBase order', url: POSTS, status: 200,
      check: (b) => expect(Object.keys(b)).toEqual(['items', 'page', 'perPage', 'totalItems', 'totalPages']) },
    { name: 'second page', url: q({ page: '2', perPage: '3' }), status: 200,
      expect: { page: 2, perPage: 3, totalItems: 4, totalPages: 2 }, check: ids(P4) },
    { name: 'perPage above 1000 is clamped', url: q({ perPage: '5000' }), status: 200, expect: { perPage: 1000 } },
    { name: 'perPage 0 falls back to 30', url: q({ perPage: '0' }), status: 200, expect: { perPage: 30 } },
    { name: 'page 0 and negative pages are page 1', url: q({ page: '-3' }), status: 200, expect: { page: 1 }, check: ids(P1, P2, P3, P4) },
    { name: 'a page past the end is empty and echoed', url: q({ page: '9' }), status: 200,
      expect: { page: 9, totalItems: 4, totalPages: 1, items: [] } },
    { name: 'page not an integer', url: q({ page: 'abc' }), status: 400, expect: GENERIC_400 },
    { name: 'perPage not an integer', url: q({ perPage: '1.5' }), status: 400, expect: GENERIC_400 },
    { name: 'only the first of repeated parameters counts', url: `${POSTS}?perPage=1&perPage=2`, status: 200, expect: { perPage: 1 } },
    { name: 'skipTotal=1: totals are -1', url: q({ skipTotal: '1' }), status: 200,
      expect: { totalItems: -1, totalPages: -1 }, check: ids(P1, P2, P3, P4) },
    { name: 'skipTotal=false counts', url: q({ skipTotal: 'false' }), status: 200, expect: { totalItems: 4 } },
    { name: 'skipTotal not a Go bool', url: q({ skipTotal: 'yes' }), status: 400, expect: GENERIC_400 },
    { name: 'totals count records, not joined rows', url: q({ filter: 'tags.color ?!= "x"', perPage: '2' }), status: 200,
      expect: { totalItems: 4, totalPages: 2 }, check: ids(P1, P2) },
    { name: 'empty result: totalPages 0', url: q({ filter: 'views > 100' }), status: 200,
      expect: { totalItems: 0, totalPages: 0, items: [] } },
  ]);
});

describe('sort', () => {
  scenarios(env, [
    { name: 'descending then ascending', url: q({ sort: '-views,title' }), status: 200, check: ids(P3, P2, P4, P1) },
    { name: 'explicit + is ascending (binary collation)', url: q({ sort: '+title' }), status: 200, check: ids(P1, P2, P3, P4) },
    { name: 'spaces around parts are trimmed', url: q({ sort: ' -views , -title ' }), status: 200, check: ids(P3, P4, P2, P1) },
    // Only SQLite tables have a row id (insertion order here); elsewhere @rowid is an unknown sort field.
    TEST_DIALECT === 'sqlite'
      ? { name: '@rowid: the row order of the table', url: q({ sort: '-@rowid' }), status: 200, check: ids(P4, P3, P2, P1) }
      : { name: `@rowid: none on ${TEST_DIALECT} -> generic 400`, url: q({ sort: '-@rowid' }), status: 400, expect: GENERIC_400 },
    { name: '@random returns every row', url: q({ sort: '@random' }), status: 200,
      check: (b) => expect(b.items.map((r: any) => r.id).sort()).toEqual([P1, P2, P3, P4]) },
    { name: 'relation path', url: q({ sort: '-author.name,title' }), status: 200, check: ids(P2, P1, P4, P3) },
    { name: 'unknown field', url: q({ sort: 'nope' }), status: 400, expect: GENERIC_400 },
    { name: 'empty part between commas', url: q({ sort: 'title,,views' }), status: 400, expect: GENERIC_400 },
    { name: '8 fields are fine', url: q({ sort: 'title,views,id,body,status,published,created,updated' }), status: 200 },
    { name: 'more than 8 fields', url: q({ sort: 'title,views,id,body,status,published,created,updated,meta' }), status: 400,
      expect: GENERIC_400 },
    { name: 'hidden field: not for guests', url: '/api/collections/authors/records?sort=secret', status: 400, expect: GENERIC_400 },
    { name: 'hidden field: superusers may', url: '/api/collections/authors/records?sort=-secret', auth: 'superuser', status: 200,
      check: (b) => expect(b.items.map((r: any) => r.id)).toEqual([A2, A1]) },
  ]);
});

describe('filter', () => {
  const f = (filter: string) => q({ filter });
  const rows: Array<[string, string, string[]]> = [
    ['=', "title = 'Alpha'", [P1]],
    ['!=', "title != 'Alpha'", [P2, P3, P4]],
    ['>', 'views > 10', [P2, P3, P4]],
    ['>=', 'views >= 20', [P2, P3, P4]],
    ['<', 'views < 20', [P1]],
    ['<=', 'views <= 20', [P1, P2, P4]],
    ['~ (contains, case-insensitive)', "title ~ 'ALP'", [P1]],
    ['!~', "title !~ 'eta'", [P1, P3, P4]],
    ['~ with explicit wildcard', "title ~ 'G%'", [P3]],
    ['bool', 'published = true', [P1, P3, P4]],
    ['&& binds tighter than ||', 'views = 10 || views = 30 && published = false', [P1]],
    ['parentheses', '(views = 10 || views = 30) && published = true', [P1, P3]],
    ['= null matches empty', 'author = null', [P3]],
    ["= '' matches empty", "author = ''", [P3]],
    ['!= null', 'private != null', [P2]],
    ['json path', 'meta.a = 1', [P1]],
    ['relation dot path', "author.name = 'Ann'", [P1, P4]],
    ['?= any of multi relation', "tags.name ?= 'go'", [P1, P4]],
    ['?~ any of multi relation', "tags.name ?~ 'us'", [P2, P4]],
    // A post without tags joins one NULL tag, and PocketBase compares with IS NOT: it matches.
    ['?!= any of', "tags.color ?!= 'red'", [P1, P2, P3, P4]],
    ['?> any of', 'tags.name ?> "p"', [P2, P4]],
    ['= all of multi relation', "tags.color = 'black'", [P2]],
    ['back-relation x_via_y', "comments_via_post.message ?= 'third'", [P2]],
    ['back-relation with several matches', "comments_via_post.message ?~ 's'", [P1]],
    ['select', "status = 'published'", [P2]],
    [':length of a multi relation', 'tags:length > 1', [P1, P4]],
    [':lower', "title:lower = 'alpha'", [P1]],
    [':each on a multi relation field', `tags:each != '${T3}'`, [P1, P3]],
    ['single-quoted and double-quoted strings', `title = "Beta" || title = 'Gamma'`, [P2, P3]],
    ['date against a macro', 'created <= @now', [P1, P2, P3, P4]],
  ];
  scenarios(env, rows.map(([name, filter, expected]): Scenario => ({ name, url: f(filter), status: 200, check: ids(...expected) })));
  scenarios(env, [
    { name: 'unknown field', url: f('nope = 1'), status: 400, expect: GENERIC_400 },
    { name: 'syntax error', url: f("title = 'x"), status: 400, expect: GENERIC_400 },
    { name: 'hidden field is unknown to guests', url: '/api/collections/authors/records?filter=secret%3D"s1"', status: 400,
      expect: GENERIC_400 },
    { name: 'hidden field of a related record is unknown to guests', url: f("author.secret = 's1'"), status: 400, expect: GENERIC_400 },
    { name: 'sorting by a hidden field of a related record', url: q({ sort: 'author.secret' }), status: 400, expect: GENERIC_400 },
    { name: 'hidden field for superusers', url: '/api/collections/authors/records?filter=secret%3D"s1"', auth: 'superuser',
      status: 200, check: ids(A1) },
    { name: 'relation to a listRule=null collection: guests fail', url: f("private.name = 'classified'"), status: 400,
      expect: GENERIC_400 },
    { name: 'relation to a listRule=null collection: superusers pass', url: f("private.name = 'classified'"), auth: 'superuser',
      status: 200, check: ids(P2) },
    { name: 'filter over 3500 characters', url: f(`title = '${'x'.repeat(3500)}'`), status: 400, expect: GENERIC_400 },
  ]);
});

describe('expand', () => {
  const e = (expand: string, extra: Record<string, string> = {}) => q({ expand, ...extra });
  const byId = (b: any, id: string) => b.items.find((r: any) => r.id === id);
  scenarios(env, [
    { name: 'single relation', url: e('author'), status: 200,
      check: (b) => {
        expect(byId(b, P1).expand).toEqual({
          author: { collectionId: 'col_authors', collectionName: 'authors', id: A1, name: 'Ann' },
        });
        // The path resolved, so every record carries expand, even with nothing to show.
        expect(byId(b, P3).expand).toEqual({});
      } },
    { name: 'expanded records drop hidden fields for guests', url: e('author'), status: 200, notContains: ['"secret"'] },
    { name: 'superusers see hidden fields in expand', url: e('author'), auth: 'superuser', status: 200,
      check: (b) => expect(byId(b, P1).expand.author.secret).toBe('s1') },
    { name: 'multi relation: stored order, target viewRule applied', url: e('tags'), status: 200,
      check: (b) => {
        expect(byId(b, P4).expand.tags.map((t: any) => t.id)).toEqual([T2, T1]);
        expect(byId(b, P2).expand).toEqual({});
      } },
    { name: 'multi relation: superusers bypass the viewRule', url: e('tags'), auth: 'superuser', status: 200,
      check: (b) => expect(byId(b, P4).expand.tags.map((t: any) => t.id)).toEqual([T2, T1, T3]) },
    { name: 'several paths', url: e('author, tags'), status: 200,
      check: (b) => expect(Object.keys(byId(b, P1).expand)).toEqual(['author', 'tags']) },
    { name: 'back-relation is an array', url: e('comments_via_post'), status: 200,
      check: (b) => {
        expect(byId(b, P1).expand.comments_via_post.map((c: any) => c.id).sort()).toEqual([C1, C2]);
        expect(byId(b, P3).expand).toEqual({});
      } },
    { name: 'nested dot path', url: `/api/collections/comments/records?expand=post.author&filter=id%3D"${C1}"`, status: 200,
      check: (b) => {
        expect(b.items[0].expand.post.id).toBe(P1);
        expect(b.items[0].expand.post.expand.author.name).toBe('Ann');
      } },
    { name: 'back-relation then forward', url: e('comments_via_post.post', { filter: `id="${P2}"` }), status: 200,
      check: (b) => expect(b.items[0].expand.comments_via_post[0].expand.post.id).toBe(P2) },
    { name: 'unknown path is skipped: no expand key', url: e('nope'), status: 200,
      check: (b) => b.items.forEach((r: any) => expect(r).not.toHaveProperty('expand')) },
    { name: 'a failing nested part drops the whole path', url: e('author.nope'), status: 200,
      check: (b) => b.items.forEach((r: any) => expect(r).not.toHaveProperty('expand')) },
    { name: 'parts below a level that reached no records are not checked', url: `${POSTS}/${P3}?expand=author.nope`, status: 200,
      expect: { expand: {} } },
    { name: 'a prefix path merges into the longer failing one', url: e('author,author.nope'), status: 200, notContains: ['"expand"'] },
    { name: 'sibling paths fail alone', url: `/api/collections/comments/records?expand=post.author,post.nope&filter=id%3D"${C1}"`,
      status: 200, check: (b) => expect(b.items[0].expand.post.expand.author.id).toBe(A1) },
    { name: 'non-relation field is skipped', url: e('title'), status: 200, notContains: ['"expand"'] },
    { name: 'target with viewRule=null is skipped for guests', url: e('private'), status: 200, notContains: ['"expand"'] },
    { name: 'target with viewRule=null: superusers expand', url: e('private'), auth: 'superuser', status: 200,
      check: (b) => expect(byId(b, P2).expand.private.name).toBe('classified') },
    { name: 'a good path alongside a bad one', url: e('nope,author'), status: 200,
      check: (b) => expect(Object.keys(byId(b, P1).expand)).toEqual(['author']) },
    { name: 'back-relation through a unique index is a single object', url: '/api/collections/authors/records?expand=profiles_via_author',
      status: 200, check: (b) => {
        expect(b.items[0].expand.profiles_via_author).toMatchObject({ collectionName: 'profiles', bio: 'hi' });
        expect(b.items[1].expand).toEqual({});
      } },
    { name: 'expand stops after 6 levels', url: `/api/collections/nodes/records/${rid('node', 8)}?expand=${'parent.'.repeat(7)}parent`,
      status: 200, check: (b) => {
        let depth = 0;
        for (let r = b; r.expand?.parent; r = r.expand.parent) depth++;
        expect(depth).toBe(6);
      } },
    { name: 'expand on view', url: `${POSTS}/${P1}?expand=author,tags`, status: 200,
      check: (b) => {
        expect(b.expand.author.id).toBe(A1);
        expect(b.expand.tags).toHaveLength(2);
      } },
    { name: 'expand key sorts among the fields', url: `${POSTS}/${P1}?expand=author`, status: 200,
      check: (b) => expect(Object.keys(b)).toEqual([...Object.keys(b)].sort()) },
  ]);
});

describe('fields', () => {
  scenarios(env, [
    { name: 'only the listed keys; the envelope stays', url: q({ fields: 'id,title', filter: `id="${P1}"` }), status: 200,
      expect: { page: 1, perPage: 30, totalItems: 1, totalPages: 1 },
      check: (b) => expect(b.items[0]).toEqual({ id: P1, title: 'Alpha' }) },
    { name: '* keeps every key', url: `${POSTS}/${P1}?fields=*`, status: 200,
      check: (b) => expect(Object.keys(b)).toContain('views') },
    { name: '*, expand.author.name', url: `${POSTS}/${P1}?expand=author,tags&fields=*,expand.author.name`, status: 200,
      check: (b) => {
        expect(b.title).toBe('Alpha');
        expect(b.expand).toEqual({ author: { name: 'Ann' } });
      } },
    { name: 'nested path into a multi relation', url: `${POSTS}/${P1}?expand=tags&fields=expand.tags.name`, status: 200,
      check: (b) => expect(b).toEqual({ expand: { tags: [{ name: 'js' }, { name: 'go' }] } }) },
    { name: ':excerpt(n,true) strips HTML and adds an ellipsis', url: `${POSTS}/${P1}?fields=id,body:excerpt(11,true)`, status: 200,
      check: (b) => expect(b).toEqual({ id: P1, body: 'Hello world...' }) },
    { name: ':excerpt(n) without ellipsis', url: `${POSTS}/${P1}?fields=body:excerpt(5)`, status: 200,
      check: (b) => expect(b).toEqual({ body: 'Hello' }) },
    { name: 'unknown keys are ignored', url: `${POSTS}/${P1}?fields=id,nope`, status: 200,
      check: (b) => expect(b).toEqual({ id: P1 }) },
  ]);
});

describe('record shape', () => {
  const POST_KEYS = ['author', 'body', 'collectionId', 'collectionName', 'created', 'id', 'meta', 'private', 'published', 'status',
    'tags', 'title', 'updated', 'views'];
  scenarios(env, [
    { name: 'every field plus collectionId/collectionName, keys sorted', url: `${POSTS}/${P3}`, status: 200,
      check: (b) => {
        expect(Object.keys(b)).toEqual(POST_KEYS);
        expect(b).toMatchObject({
          collectionId: 'col_posts', collectionName: 'posts', author: '', tags: [], private: '', meta: null, body: '',
          published: true, views: 30, status: '',
        });
        expect(b.created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
      } },
    { name: 'hidden fields stripped for guests', url: '/api/collections/authors/records', status: 200,
      check: (b) => expect(Object.keys(b.items[0])).toEqual(['collectionId', 'collectionName', 'id', 'name']) },
    { name: 'hidden fields shown to superusers', url: '/api/collections/authors/records', auth: 'superuser', status: 200,
      check: (b) => expect(b.items[0]).toMatchObject({ secret: 's1' }) },
    { name: 'missing collection', url: '/api/collections/nope/records', status: 404,
      expect: { status: 404, message: 'Missing collection context.', data: {} } },
    { name: 'collection by id', url: '/api/collections/col_posts/records?perPage=1', status: 200, expect: { totalItems: 4 } },
    { name: 'collection name matched case-insensitively', url: '/api/collections/POSTS/records?perPage=1', status: 200,
      expect: { totalItems: 4 } },
  ]);
});

/**
 * Ties on the sort come in insertion order on every database (SQLite's and MariaDB's row order;
 * PostgreSQL breaks them by heap position, which is insertion order until a row is updated), and
 * pages over them neither repeat nor skip a record (docs/dialects.md, "Row order").
 */
describe('ties and paging', () => {
  const ids: string[] = [];
  const levels = [2, 0, 1, 2, 1, 0, 0, 2, 1, 1, 2, 0, 1, 0, 2, 2, 1, 0, 0, 1, 2, 2, 0, 1, 1, 0, 2, 0, 1, 2, 0, 1, 2, 1, 0, 2, 1, 0, 2, 0];
  beforeAll(async () => {
    await createCollection(server, { name: 'ties', listRule: '', viewRule: '', fields: [number('n')] });
    // Ids in no order of their own: descending, so id order is never insertion order.
    for (const [i, n] of levels.entries()) ids.push((await createRecord(server, 'ties', { id: `tie${String(99 - i).padStart(12, '0')}`, n })).id);
  });

  const list = async (query: string): Promise<string[]> => {
    const res = await fetch(`${server.url}/api/collections/ties/records?${query}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Array<{ id: string }> }).items.map((r) => r.id);
  };
  const byLevel = (descending: boolean) =>
    [...ids.keys()].sort((a, b) => (descending ? levels[b] - levels[a] : levels[a] - levels[b]) || a - b).map((i) => ids[i]);

  it.each([['n', false], ['-n', true]] as const)('sort=%s: ties in insertion order, on one page and across pages', async (sort, descending) => {
    expect(await list(`sort=${sort}&perPage=100`)).toEqual(byLevel(descending));
    const paged: string[] = [];
    for (let page = 1; page <= 6; page++) paged.push(...(await list(`sort=${sort}&perPage=7&page=${page}&skipTotal=1`)));
    expect(paged).toEqual(byLevel(descending));
  });

  it('unsorted: insertion order, on one page and across pages', async () => {
    expect(await list('perPage=100')).toEqual(ids);
    const paged: string[] = [];
    for (let page = 1; page <= 6; page++) paged.push(...(await list(`perPage=7&page=${page}&skipTotal=1`)));
    expect(paged).toEqual(ids);
  });
});
