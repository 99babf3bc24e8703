// The official `pocketbase` JS SDK, unchanged, against a real Baton listening on a random port.
import PocketBase, { type CollectionModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemContext } from '../src/domain/context.ts';
import { silentLogger } from '../src/kernel/logger.ts';
import { SUPERUSER, startServer, type TestServer } from './support/baton.ts';
import { clientError } from './support/sdk.ts';

let server: TestServer;
let pb: PocketBase;
let authorsId = '';
let postsId = '';
const authorIds: string[] = [];

/** The import API takes partial collections (the server fills in defaults); the SDK types want whole ones. */
const partial = (c: Record<string, unknown>) => c as unknown as CollectionModel;

beforeAll(async () => {
  server = await startServer();
  pb = new PocketBase(server.url);
  // The SDK cancels duplicate in-flight requests by default; these tests fire many in parallel.
  pb.autoCancellation(false);
});

afterAll(async () => {
  await server?.close();
});

describe('SDK: health and superuser auth', () => {
  it('health.check', async () => {
    const health = await pb.health.check();
    expect(health).toMatchObject({ code: 200, message: 'API is healthy.' });
  });

  it('rejects a wrong password with ClientResponseError 400', async () => {
    const err = await clientError(() => pb.collection('_superusers').authWithPassword(SUPERUSER.email, 'wrong-password'));
    expect(err.status).toBe(400);
    expect(err.response).toEqual({ data: {}, message: 'Failed to authenticate.', status: 400 });
    expect(pb.authStore.isValid).toBe(false);
  });

  it('reports per-field validation data for an empty login', async () => {
    const err = await clientError(() => pb.collection('_superusers').authWithPassword('', ''));
    expect(err.status).toBe(400);
    expect(err.response.data.identity.code).toBe('validation_required');
    expect(err.response.data.password.code).toBe('validation_required');
  });

  it('authWithPassword stores a superuser token', async () => {
    const auth = await pb.collection('_superusers').authWithPassword(SUPERUSER.email, SUPERUSER.password);
    expect(auth.token.split('.')).toHaveLength(3);
    expect(auth.record).toMatchObject({ email: SUPERUSER.email, collectionName: '_superusers', verified: true });
    expect(auth.record).not.toHaveProperty('password');
    expect(auth.record).not.toHaveProperty('tokenKey');
    expect(pb.authStore.isValid).toBe(true);
    expect(pb.authStore.isSuperuser).toBe(true);
  });

  it('authRefresh returns a valid token for the same record', async () => {
    const before = pb.authStore.record!.id;
    const refreshed = await pb.collection('_superusers').authRefresh();
    expect(refreshed.record.id).toBe(before);
    expect(pb.authStore.token).toBe(refreshed.token);
    expect(pb.authStore.isSuperuser).toBe(true);
    // The refreshed token is accepted by a superuser-only endpoint.
    await expect(pb.collections.getList(1, 1)).resolves.toMatchObject({ page: 1, perPage: 1 });
  });

  it('authRefresh without a token is a 401', async () => {
    const guest = new PocketBase(server.url);
    const err = await clientError(() => guest.collection('_superusers').authRefresh());
    expect(err.status).toBe(401);
  });
});

describe('SDK: collections', () => {
  it('creates collections with several field types and a relation', async () => {
    const authors = await pb.collections.create({
      name: 'authors',
      type: 'base',
      listRule: '',
      viewRule: '',
      fields: [{ name: 'name', type: 'text', required: true }],
    });
    authorsId = authors.id;
    expect(authors.id).toMatch(/^pbc_\d+$/);
    expect(authors.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'name']);

    const posts = await pb.collections.create({
      name: 'posts',
      type: 'base',
      fields: [
        { name: 'title', type: 'text', required: true, max: 10000 },
        { name: 'views', type: 'number', onlyInt: true, min: 0 },
        { name: 'published', type: 'bool' },
        { name: 'tags', type: 'select', values: ['news', 'tech', 'misc'], maxSelect: 3 },
        { name: 'meta', type: 'json' },
        { name: 'contact', type: 'email' },
        { name: 'site', type: 'url' },
        { name: 'publishedAt', type: 'date' },
        { name: 'author', type: 'relation', collectionId: authors.id, maxSelect: 1 },
        { name: 'created', type: 'autodate', onCreate: true },
        { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
      ],
    });
    postsId = posts.id;
    expect(posts.fields.map((f: { type: string }) => f.type)).toEqual([
      'text', 'text', 'number', 'bool', 'select', 'json', 'email', 'url', 'date', 'relation', 'autodate', 'autodate',
    ]);
    expect(await pb.collections.getOne('posts')).toMatchObject({ id: postsId, name: 'posts', type: 'base' });
  });

  it('a duplicate collection name is a validation error on data.name', async () => {
    const err = await clientError(() => pb.collections.create({ name: 'POSTS', type: 'base' }));
    expect(err.status).toBe(400);
    expect(err.response.data.name.code).toBe('validation_collection_name_exists');
  });

  it('getScaffolds returns auth, base and view templates', async () => {
    const scaffolds = await pb.collections.getScaffolds();
    expect(Object.keys(scaffolds).sort()).toEqual(['auth', 'base', 'view']);
    expect(scaffolds.base).toMatchObject({ id: '', name: '', type: 'base' });
    expect(scaffolds.auth.fields.map((f: { name: string }) => f.name)).toEqual([
      'id', 'password', 'tokenKey', 'email', 'emailVisibility', 'verified',
    ]);
    expect(scaffolds.view).toMatchObject({ type: 'view', viewQuery: '', fields: [] });
  });

  it('import adds a collection and a field without touching the others', async () => {
    const existing = await pb.collections.getOne('authors');
    await expect(
      pb.collections.import([
        partial({ ...existing, fields: [...existing.fields, { name: 'bio', type: 'text' }] }),
        partial({ name: 'imported', type: 'base', fields: [{ name: 'note', type: 'text' }] }),
      ]),
    ).resolves.toBe(true);
    const authors = await pb.collections.getOne('authors');
    expect(authors.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'name', 'bio']);
    const imported = await pb.collections.getOne('imported');
    expect(imported.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'note']);
    expect(await pb.collections.getOne('posts')).toMatchObject({ id: postsId });
  });

  it('import with an invalid collection fails and changes nothing', async () => {
    const err = await clientError(() =>
      pb.collections.import([partial({ name: 'half_done', type: 'base' }), partial({ name: 'bad name!', type: 'base' })]),
    );
    expect(err.status).toBe(400);
    expect(err.response.data.collections.code).toBe('validation_collections_import_failure');
    expect((await clientError(() => pb.collections.getOne('half_done'))).status).toBe(404);
  });

  it('truncate empties a collection', async () => {
    await Promise.all(['a', 'b', 'c'].map((note) => pb.collection('imported').create({ note })));
    expect((await pb.collection('imported').getList(1, 1)).totalItems).toBe(3);
    await expect(pb.collections.truncate('imported')).resolves.toBe(true);
    expect((await pb.collection('imported').getList(1, 1)).totalItems).toBe(0);
  });
});

describe('SDK: record CRUD', () => {
  let postId = '';

  it('creates authors', async () => {
    for (const name of ['Ada', 'Grace']) {
      const author = await pb.collection('authors').create({ name });
      expect(author).toMatchObject({ name, collectionId: authorsId, collectionName: 'authors' });
      authorIds.push(author.id);
    }
  });

  it('create and getOne round-trip every field type', async () => {
    const input = {
      title: 'Hello',
      views: 3,
      published: true,
      tags: ['news', 'tech'],
      meta: { nested: [1, 'two', null], ok: true },
      contact: 'ada@example.com',
      site: 'https://example.com/a?b=c',
      publishedAt: '2024-01-02 03:04:05.678Z',
      author: authorIds[0],
    };
    const created = await pb.collection('posts').create(input);
    postId = created.id;
    expect(created.id).toMatch(/^[a-z0-9]{15}$/);
    expect(created).toMatchObject(input);
    expect(created.created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await pb.collection('posts').getOne(postId)).toEqual(created);
  });

  it('update changes only the sent fields', async () => {
    const updated = await pb.collection('posts').update(postId, { title: 'Hello again', views: 4 });
    expect(updated).toMatchObject({ title: 'Hello again', views: 4, published: true, author: authorIds[0] });
    expect((await pb.collection('posts').getOne(postId)).title).toBe('Hello again');
  });

  it('validation errors arrive with response.data per field', async () => {
    const err = await clientError(() =>
      pb.collection('posts').create({ views: -1, contact: 'not-an-email', tags: ['nope'], author: 'missing000000000' }),
    );
    expect(err.status).toBe(400);
    expect(err.response.message).toBe('Failed to create record.');
    expect(err.response.data.title.code).toBe('validation_required');
    expect(err.response.data.views.code).toBe('validation_min_number_constraint');
    expect(err.response.data.contact.code).toBe('validation_is_email');
    expect(err.response.data.tags.code).toBe('validation_invalid_value');
    expect(err.response.data.author.code).toBe('validation_missing_rel_records');
  });

  it('expand and fields', async () => {
    const post = await pb.collection('posts').getOne(postId, { expand: 'author', fields: 'id,title,expand.author.name' });
    expect(post).toEqual({ id: postId, title: 'Hello again', expand: { author: { name: 'Ada' } } });
    const list = await pb.collection('posts').getList(1, 5, { filter: pb.filter('author.name = {:n}', { n: 'Ada' }), fields: 'id' });
    expect(list.items).toEqual([{ id: postId }]);
  });

  it('delete removes the record; getOne is then a 404', async () => {
    await expect(pb.collection('posts').delete(postId)).resolves.toBe(true);
    const err = await clientError(() => pb.collection('posts').getOne(postId));
    expect(err.status).toBe(404);
  });
});

describe('SDK: listing 2,500 records', () => {
  const TOTAL = 2500;

  beforeAll(async () => {
    const { records, schema } = server.baton.services;
    const ctx = systemContext(silentLogger, { kind: 'superuser', collection: schema.find('_superusers')!, record: {} });
    const creates = Array.from({ length: TOTAL }, (_, i) =>
      records.create(ctx, 'posts', {
        body: { title: `bulk ${String(i).padStart(4, '0')}`, views: i, author: authorIds[i % 2] },
        source: 'json',
      }),
    );
    await Promise.all(creates);
  }, 120_000);

  it('getList reports paging fields', async () => {
    const page = await pb.collection('posts').getList(3, 100, { filter: 'title ~ "bulk"', sort: 'views' });
    expect(page).toMatchObject({ page: 3, perPage: 100, totalItems: TOTAL, totalPages: 25 });
    expect(page.items).toHaveLength(100);
    expect(page.items[0].views).toBe(200);
    const past = await pb.collection('posts').getList(99, 100, { filter: 'title ~ "bulk"' });
    expect(past).toMatchObject({ page: 99, totalItems: TOTAL, items: [] });
    const skipped = await pb.collection('posts').getList(1, 10, { skipTotal: true });
    expect(skipped).toMatchObject({ totalItems: -1, totalPages: -1 });
  });

  it('getFullList walks every page', async () => {
    const all = await pb.collection('posts').getFullList({ batch: 1000, sort: '-views', fields: 'id,views' });
    expect(all).toHaveLength(TOTAL);
    expect(new Set(all.map((r) => r.id)).size).toBe(TOTAL);
    expect(all[0].views).toBe(TOTAL - 1);
    expect(all[TOTAL - 1].views).toBe(0);
  });

  it('getFirstListItem finds a record, and a miss is a 404 ClientResponseError', async () => {
    const hit = await pb.collection('posts').getFirstListItem(pb.filter('views = {:v}', { v: 1234 }), { expand: 'author' });
    expect(hit).toMatchObject({ title: 'bulk 1234', views: 1234 });
    expect(hit.expand?.author).toMatchObject({ id: authorIds[0], name: 'Ada' });
    const err = await clientError(() => pb.collection('posts').getFirstListItem('views = -5'));
    expect(err.status).toBe(404);
  });

  it('a bad filter is a 400 with empty data', async () => {
    const err = await clientError(() => pb.collection('posts').getList(1, 1, { filter: 'nope = 1' }));
    expect(err.status).toBe(400);
    expect(err.response.data).toEqual({});
  });
});

describe('SDK: pb.filter with hostile values', () => {
  // Each value is stored as a title and found again by equality through pb.filter.
  const hostile: Record<string, string> = {
    doubleQuote: 'say "hi" ""',
    singleQuote: "it's '' quoted",
    bothQuotes: `"'"'`,
    sqlComment: 'a -- b',
    semicolon: 'x; DROP TABLE posts;',
    percent: '100% sure %',
    underscore: 'snake_case_',
    unicode: 'Grüße, 世界 🎉 \u202e',
    orTrue: "' OR 1=1 --",
    orTrueDouble: '" OR 1=1 --',
    closeParen: ') || 1=1 || (',
    placeholder: '{:t}',
  };

  for (const [name, value] of Object.entries(hostile)) {
    it(`round-trips ${name}`, async () => {
      const created = await pb.collection('posts').create({ title: value });
      expect(created.title).toBe(value);
      const found = await pb.collection('posts').getFullList({ filter: pb.filter('title = {:t}', { t: value }) });
      expect(found.map((r) => r.id)).toEqual([created.id]);
      expect(found[0].title).toBe(value);
    });
  }

  it('stores backslashes, NUL and newlines exactly', async () => {
    for (const value of ['back\\slash', 'trailing\\', 'line\nbreak\ttab', 'q\\"x\r\n']) {
      const created = await pb.collection('posts').create({ title: value });
      expect((await pb.collection('posts').getOne(created.id)).title).toBe(value);
    }
    const nul = 'nul\u0000byte';
    if (server.dialect === 'postgres') {
      // PostgreSQL text cannot hold U+0000: the value is refused as invalid, and nothing is stored.
      const before = (await pb.collection('posts').getList(1, 1)).totalItems;
      const err = await clientError(() => pb.collection('posts').create({ title: nul }));
      expect(err.status).toBe(400);
      expect(err.response).toMatchObject({ status: 400, message: 'Failed to create record.', data: { title: { code: 'validation_invalid_character' } } });
      expect(Object.keys(err.response.data)).toEqual(['title']);
      expect(err.response.data.title.message).toMatch(/NUL/);
      expect((await pb.collection('posts').getList(1, 1)).totalItems).toBe(before);
    } else {
      const created = await pb.collection('posts').create({ title: nul });
      expect((await pb.collection('posts').getOne(created.id)).title).toBe(nul);
    }
  });

  it('pb.filter values with backslashes and control characters round-trip exactly', async () => {
    // pb.filter quotes with JSON.stringify; Baton reads JSON's escapes back (PocketBase reads
    // only \<quote>, so there these values would not be found).
    const roundTrip = async (title: string) => {
      const created = await pb.collection('posts').create({ title });
      const found = await pb.collection('posts').getFullList({ filter: pb.filter('title = {:t}', { t: title }) });
      expect(found.map((r) => r.id), JSON.stringify(title)).toEqual([created.id]);
    };
    for (const value of ['lit\\eral', 'trailing\\', 'line\nbreak', 'tab\there', 'q\\"x']) await roundTrip(`rt:${value}`);
    const nul = 'rt:nul\u0000byte';
    if (server.dialect === 'postgres') {
      // PostgreSQL text cannot hold U+0000: such a value is refused on write, and in a filter too.
      expect((await clientError(() => pb.collection('posts').create({ title: nul }))).response.data.title.code).toBe('validation_invalid_character');
      const err = await clientError(() => pb.collection('posts').getFullList({ filter: pb.filter('title = {:t}', { t: nul }) }));
      expect(err.response).toEqual({ status: 400, message: 'Something went wrong while processing your request.', data: {} });
    } else {
      await roundTrip(nul);
    }
  });

  it('a 5,000-character value round-trips; the filter length cap applies', async () => {
    const long = 'x'.repeat(2500) + "'\"%_" + 'y'.repeat(2496);
    expect(long).toHaveLength(5000);
    const created = await pb.collection('posts').create({ title: long });
    expect((await pb.collection('posts').getOne(created.id)).title).toBe(long);
    // PocketBase caps filters at 3500 characters.
    const err = await clientError(() => pb.collection('posts').getList(1, 1, { filter: pb.filter('title = {:t}', { t: long }) }));
    expect(err.status).toBe(400);
    // A slice with the quotes but no `%` (which would make it a pattern) finds it by "contains".
    const found = await pb.collection('posts').getFullList({ filter: pb.filter('title ~ {:t}', { t: long.slice(1000, 2502) }) });
    expect(found.map((r) => r.id)).toEqual([created.id]);
  });

  it('~ treats % and _ in a bound value literally', async () => {
    const a = await pb.collection('posts').create({ title: 'rate_50%_off' });
    await pb.collection('posts').create({ title: 'rateX50YZoff' });
    const underscore = await pb.collection('posts').getFullList({ filter: pb.filter('title ~ {:q}', { q: 'rate_50' }) });
    expect(underscore.map((r) => r.id)).toEqual([a.id]);
    // A `%` makes the value a pattern (as PocketBase); `\%` and `\_` match the characters.
    const escaped = await pb.collection('posts').getFullList({ filter: 'title ~ "rate\\_50\\%\\_off"' });
    expect(escaped.map((r) => r.id)).toEqual([a.id]);
    const pattern = await pb.collection('posts').getFullList({ filter: 'title ~ "rate%off"', sort: 'title' });
    expect(pattern.map((r) => r.title)).toEqual(['rateX50YZoff', 'rate_50%_off'].sort());
  });
});
