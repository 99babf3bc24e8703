import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/support/databases.ts';
import { sqliteDialect } from '../db/dialects/sqlite.ts';
import { render, sql } from '../db/sql.ts';
import { isApiError } from '../kernel/errors.ts';
import { and, compare, ident, str } from './ast.ts';
import { type FilterEnv, compileFilter, compileSortField, compileWhere, parseFilter, validateRule } from './index.ts';
import {
  authAs, collection, comments, dialect, envFor, field, guest, posts, schema, selectIds, sortedIds, useDatabase, users,
} from './test-support.ts';
import { onlyIf } from '../../test/support/only-if.ts';

const db = useDatabase(createTestDatabase);

/** The SQL text SQLite is given; only where the text itself is the point (see 'rendered SQL (SQLite)'). */
const compiled = (filter: string, over: Partial<FilterEnv> = {}, c = posts) => {
  const { text, params } = render(compileFilter(filter, envFor(c, { dialect: sqliteDialect, ...over })), sqliteDialect);
  return { text, params };
};

const EACH_TAGS = `json_each((CASE WHEN json_valid("posts"."tags") AND json_type("posts"."tags") = 'array' THEN "posts"."tags" ELSE json_array("posts"."tags") END))`;

/**
 * The SQL text for SQLite: its shape is the point here (values always bound, never spliced; the
 * joins PocketBase would make). A SQLite-specific assertion, so it runs in the sqlite project only;
 * what these filters match is asserted on every database by semantics.test.ts.
 */
onlyIf(dialect.name === 'sqlite', describe)('rendered SQL (SQLite)', () => {
  it.each<[string, string, unknown[], Partial<FilterEnv>?]>([
    ["title = 'x'", '"posts"."title" = ?', ['x']],
    ["title = ''", `("posts"."title" = '' OR "posts"."title" IS NULL)`, []],
    ['title = null', `("posts"."title" = '' OR "posts"."title" IS NULL)`, []],
    ["title != ''", `("posts"."title" IS NOT '' AND "posts"."title" IS NOT NULL)`, []],
    ["title != 'x'", '"posts"."title" IS NOT ?', ['x']],
    ['title = status', `COALESCE("posts"."title", '') = COALESCE("posts"."status", '')`, []],
    ['views >= 10.5', '"posts"."views" >= ?', [10.5]],
    ['published = true', '"posts"."published" = ?', [true]],
    ['null = null', "'' = ''", []],
    // LIKE with ESCAPE '\\': SQLite's own where text x pattern bytes are few, else Baton's linear function (sqlite-like.js).
    ["title ~ 'a_b'", `(CASE WHEN octet_length("posts"."title") * octet_length(?) <= 16384 THEN "posts"."title" LIKE ? ESCAPE '\\' ELSE baton_like(lower("posts"."title"), lower(?)) END)`, ['%a\\_b%', '%a\\_b%', '%a\\_b%']],
    ["title !~ '50%'", `NOT (CASE WHEN octet_length("posts"."title") * octet_length(?) <= 16384 THEN "posts"."title" LIKE ? ESCAPE '\\' ELSE baton_like(lower("posts"."title"), lower(?)) END)`, ['50%', '50%', '50%']],
    ['title ~ status', `(CASE WHEN octet_length("posts"."title") * octet_length(('%' || "posts"."status" || '%')) <= 16384 THEN "posts"."title" LIKE ('%' || "posts"."status" || '%') ESCAPE '\\' ELSE baton_like(lower("posts"."title"), lower(('%' || "posts"."status" || '%'))) END)`, []],
    ["data.s = 'x'",
      `(CASE WHEN json_valid("posts"."data") THEN JSON_EXTRACT("posts"."data", ?) ELSE JSON_EXTRACT(json_object('pb', "posts"."data"), ?) END) IS ?`,
      ['$."s"', '$."pb"."s"', 'x']],
    ['data = null',
      `(CASE WHEN json_valid("posts"."data") THEN JSON_EXTRACT("posts"."data", ?) ELSE JSON_EXTRACT(json_object('pb', "posts"."data"), ?) END) IS NULL`,
      ['$', '$."pb"']],
    ["strftime('%Y', created, '+1 day') = '2024'", `strftime(?, "posts"."created", ?) = ?`, ['%Y', '+1 day', '2024']],
    ["strftime('%Y', created) = ''", `(strftime(?, "posts"."created") = '' OR strftime(?, "posts"."created") IS NULL)`, ['%Y', '%Y']],
    ['@now > created', '? > "posts"."created"', ['2024-06-15 12:34:56.789Z']],
    ['@todayStart = @yearEnd', '? = ?', ['2024-06-15 00:00:00.000Z', '2024-12-31 23:59:59.999Z']],
    ['title = {:t} && views > {:n}', '("posts"."title" = ? AND "posts"."views" > ?)', ["'; --", 3], { params: { t: "'; --", n: 3 } }],
    ['author = @request.auth.id', '"posts"."author" = ?', ['u1'], { request: authAs('u1') }],
    ['author = @request.auth.id', `("posts"."author" = '' OR "posts"."author" IS NULL)`, []],
    ["author.id = 'u1'", '"posts"."author" = ?', ['u1']],
    ["author.name = 'x'",
      'EXISTS (SELECT 1 FROM (SELECT 1) AS "__a2" LEFT JOIN "users" AS "__j1" ON "__j1"."id" = "posts"."author" WHERE "__j1"."name" = ?)', ['x']],
    ["tags.name ?= 'x' && title = 'y'",
      `(EXISTS (SELECT 1 FROM (SELECT 1) AS "__a3" LEFT JOIN ${EACH_TAGS} AS "__e1" ON (1=1) AND (("__e1"."key" & 15) <> 0 OR baton_check("__e1"."id")) LEFT JOIN "tags" AS "__j2" ON "__j2"."id" = "__e1"."value" WHERE "__j2"."name" = ?) AND "posts"."title" = ?)`,
      ['x', 'y']],
    ["tags.name = 'x'",
      `EXISTS (SELECT 1 FROM (SELECT 1) AS "__a6" LEFT JOIN ${EACH_TAGS} AS "__e1" ON (1=1) AND (("__e1"."key" & 15) <> 0 OR baton_check("__e1"."id")) LEFT JOIN "tags" AS "__j2" ON "__j2"."id" = "__e1"."value" WHERE ("__j2"."name" = ? AND NOT EXISTS (SELECT 1 FROM (SELECT 1) AS "__a5" LEFT JOIN ${EACH_TAGS} AS "__m3" ON (1=1) AND (("__m3"."key" & 15) <> 0 OR baton_check("__m3"."id")) LEFT JOIN "tags" AS "__m4" ON "__m4"."id" = "__m3"."value" WHERE NOT ("__m4"."name" = ?))))`,
      ['x', 'x']],
    ["comments_via_post.message ?= 'x'",
      'EXISTS (SELECT 1 FROM (SELECT 1) AS "__a2" LEFT JOIN "comments" AS "__j1" ON ("__j1"."post" = "posts"."id") AND baton_tick("__j1"."id") WHERE "__j1"."message" = ?)', ['x']],
    ['@collection.users:u.name ?= title',
      `EXISTS (SELECT 1 FROM (SELECT 1) AS "__a2" LEFT JOIN "users" AS "__j1" ON (1=1) AND baton_tick("__j1"."id") WHERE COALESCE("__j1"."name", '') = COALESCE("posts"."title", ''))`, []],
    ["@request.auth.team.name = 'Core'",
      'EXISTS (SELECT 1 FROM (SELECT 1) AS "__a2" LEFT JOIN "teams" AS "__j1" ON "__j1"."id" = ? WHERE "__j1"."name" = ?)', ['t1', 'Core'], { request: authAs('u1') }],
    ["@request.body.title:isset = true && @request.body.title = 'a'", '(? = ? AND ? = ?)', [true, true, 'a', 'a'], { request: guest({ body: { title: 'a' } }) }],
    ["title = 'x'", '"p"."title" = ?', ['x'], { tableAlias: 'p' }],
    // client filter: the joined user must pass the users listRule (`verified = true`)
    ["author.name ?= 'x'",
      `EXISTS (SELECT 1 FROM (SELECT 1) AS "__a2" LEFT JOIN "users" AS "__j1" ON "__j1"."id" = "posts"."author" WHERE "__j1"."name" = ? AND (("__j1"."id" = '' OR "__j1"."id" IS NULL) OR "__j1"."verified" = ?))`,
      ['x', true], { allowHiddenFields: false }],
  ])('%s', (filter, text, params, over) => {
    expect(compiled(filter, over)).toEqual({ text, params });
  });

  it('skips the all-of check for a back-relation with a unique index', () => {
    expect(compiled("profiles_via_user.bio = 'hi'", {}, users)).toEqual({
      text: 'EXISTS (SELECT 1 FROM (SELECT 1) AS "__a2" LEFT JOIN "profiles" AS "__j1" ON "__j1"."user" = "users"."id" WHERE "__j1"."bio" = ?)',
      params: ['hi'],
    });
  });

  it('guards emails of auth records for clients', () => {
    expect(compiled("email = 'x'", { allowHiddenFields: false }, users)).toEqual({
      text: '("users"."email" = ? AND "users"."emailVisibility" = ?)', params: ['x', true],
    });
  });

  it('accepts syntax trees as well as text', () => {
    const tree = and(parseFilter("title = 'a'"), compare(ident('views'), '>', str('1')));
    expect(render(compileFilter(tree, envFor(posts, { dialect: sqliteDialect })), sqliteDialect))
      .toEqual({ text: '("posts"."title" = ? AND "posts"."views" > ?)', params: ['a', '1'], guarded: false, offLoop: false });
  });
});

describe('resolution errors are 400s naming the problem', () => {
  it.each<[string, string, Partial<FilterEnv>?, typeof posts?]>([
    ["nope = 'x'", 'unknown field "nope"'],
    ["author.nope = 'x'", 'unknown field "nope"'],
    ["title.x = 'x'", 'field "title" is not a relation'],
    ["secret = 'x'", 'unknown field "secret"', { allowHiddenFields: false }, users],
    ["author.secret = 'x'", 'unknown field "secret"', { allowHiddenFields: false }],
    ["author.team.name = 'x'", 'the fields of collection "teams" can only be filtered by superusers', { allowHiddenFields: false }],
    ["title:upper = 'x'", 'unknown modifier in "title:upper"'],
    ["@foo = 'x'", 'unknown field "@foo"'],
    ["@request.auth = 'x'", 'unknown field "@request.auth"'],
    ["@collection.nope.x = 'x'", 'unknown collection "nope" in "@collection.nope.x"'],
    ["@collection.users.nope = 'x'", 'unknown field "nope"'],
    ["@collection.users:a.name = 'x' && @collection.tags:a.name = 'y'", 'alias "@collection:a" is used for two different collections'],
    ["nope_via_post.x = 'x'", 'unknown collection "nope" in "nope_via_post"'],
    ["comments_via_message.x = 'x'", 'field "message" in "comments_via_message" is not a relation'],
    ["comments_via_user.x = 'x'", '"comments_via_user" does not point to collection "posts"'],
    ["@request.query.x:each = 'x'", 'invalid modifier ":each" for "@request.query.x"'],
    ["@request.body.title:length = 1", 'field "title" doesn\'t support multi-value modifiers'],
    ["@request.body.nope:changed = 1", 'invalid modifier ":changed" for "@request.body.nope"'],
    ["upper(title) = 'x'", 'unknown function "upper"'],
    ['strftime() = 1', 'strftime() expects at least 1 argument'],
    ["strftime(created) = '1'", 'strftime() expects a format string as its first argument'],
    ["strftime('%Y', created, 1) = '1'", 'strftime() modifier 1 must be a string'],
    ["strftime('%Y', strftime('%Y')) = '1'", 'strftime() expects a date string, number or field as its second argument'],
    ["strftime('a','b','c','d','e','f','g','h','i','j','k') = 1", 'strftime() accepts at most 10 arguments, got 11'],
    ['geoDistance(1, 2, 3) < 1', 'geoDistance() expects 4 arguments, got 3'],
    ["geoDistance('1', 2, 3, 4) < 1", 'geoDistance() argument 1 must be a field or a number'],
    ['title = {:missing}', 'missing value for placeholder {:missing}'],
    ["author.friends.friends.friends.friends.friends.friends.name = 'x'", 'too many nested relations in "author.friends.friends.friends.friends.friends.friends.name" (max 6)'],
  ])('%s', (filter, reason, over, c = posts) => {
    let err: unknown;
    try {
      compileFilter(filter, envFor(c, over));
    } catch (e) {
      err = e;
    }
    expect(isApiError(err) && err.status).toBe(400);
    expect((err as Error).message).toBe(`Invalid filter: ${reason}`);
  });

  it('caps the number of shared joins', () => {
    const filter = Array.from({ length: 60 }, (_, i) => `@collection.tags:a${i}.name ?= 'x'`).join(' || ');
    expect(() => compileFilter(filter, envFor(posts))).toThrow('Invalid filter: too many relation joins (max 50)');
  });
});

describe('validateRule', () => {
  const env = { dialect, schema, collection: posts };
  it('accepts valid rules, hidden fields and request fields', () => {
    for (const rule of ['', "author = @request.auth.id && @request.auth.secret != ''", '@request.body.title:changed = false', 'author.secret = 1',
      "@request.auth.whatever = 1 && @collection.comments.post ?= id && @request.query.x = 'y'"]) {
      expect(() => validateRule(rule, env)).not.toThrow();
    }
  });
  it('names the problem', () => {
    expect(() => validateRule('titel = 1', env)).toThrow('Invalid rule: unknown field "titel"');
    expect(() => validateRule('title = ', env)).toThrow('Invalid rule: unexpected end of input, expected a field, value or function');
    expect(() => validateRule('// nothing', env)).toThrow('Invalid rule: empty expression');
  });
  it('validates a draft collection not yet in the schema', () => {
    const draft = collection('drafts', [field('title', 'text'), field('post', 'relation', { collectionId: 'c_posts', maxSelect: 1 })]);
    expect(() => validateRule("post.title = title && drafts_via_post.id = ''", { dialect, schema, collection: draft })).toThrow(
      'Invalid rule: "drafts_via_post" does not point to collection "drafts"',
    );
    expect(() => validateRule("post.author.name = title && @collection.drafts.title ?= 'x'", { dialect, schema, collection: draft })).not.toThrow();
  });
});

describe('compileWhere: rule and client filter in one WHERE', () => {
  const where = async (rule: string, filter: string, over: Partial<FilterEnv> = {}) => {
    const env = envFor(posts, { dialect: db.dialect, ...over });
    return (await selectIds(db, posts, compileWhere([{ filter: rule, allowHiddenFields: true }, { filter, allowHiddenFields: false }], env))).sort();
  };
  it('shares joins between the parts, as PocketBase does', async () => {
    expect(await where("tags.name ?= 'red'", "tags.color ?= 'blue'")).toEqual([]);
    expect(await where("tags.name ?= 'blue'", "tags.color ?= 'blue'")).toEqual(['p1']);
    expect(await where("tags.name ?= 'red'", "title != ''")).toEqual(['p1']);
  });
  it('applies hidden-field rules per part', async () => {
    expect(await where("author.secret != ''", "author.name ?= 'Ann'")).toEqual(['p1']);
    await expect(where("title != ''", "author.secret != ''")).rejects.toThrow('Invalid filter: unknown field "secret"');
  });
  it('skips empty parts and returns an empty fragment when nothing filters', async () => {
    expect(compileWhere([{ filter: '  ', allowHiddenFields: true }], envFor(posts)).isEmpty).toBe(true);
    expect(await where('', "title = 'Hello'")).toEqual(['p1']);
  });
});

describe('compileSortField', () => {
  it('sorts by columns, relation paths and JSON paths', async () => {
    expect(await sortedIds(db, posts, [['views', 'DESC']])).toEqual(['p4', 'p1', 'p3', 'p2']);
    expect(await sortedIds(db, posts, [['author.name', 'ASC']])).toEqual(['p3', 'p1', 'p2', 'p4']);
    expect(await sortedIds(db, posts, [['data.s', 'ASC']])).toEqual(['p2', 'p3', 'p4', 'p1']);
    expect(await sortedIds(db, comments, [['post.author.name', 'DESC']])).toEqual(['c3', 'c1', 'c2']);
    expect(await sortedIds(db, posts, [['comments_via_post.message', 'ASC']])).toEqual(['p3', 'p4', 'p1', 'p2']);
  });
  it('hides what a client may not see', async () => {
    // Bob keeps his email private and Cid is not listable: both sort as NULL for clients.
    expect(await sortedIds(db, posts, [['author.email', 'DESC']], { allowHiddenFields: false })).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(await sortedIds(db, posts, [['author.email', 'DESC']])).toEqual(['p4', 'p2', 'p1', 'p3']);
    expect(() => compileSortField('secret', envFor(users, { allowHiddenFields: false }))).toThrow('Invalid filter: invalid sort field "secret": unknown field "secret"');
  });
  it('sorts by @rowid where the database has a row order (caps.rowid), else refuses it with a 400', async () => {
    if (db.dialect.caps.rowid) {
      expect(await sortedIds(db, posts, [['@rowid', 'DESC']])).toEqual(['p4', 'p3', 'p2', 'p1']);
    } else {
      expect(() => compileSortField('@rowid', envFor(posts))).toThrow('Invalid filter: sorting by @rowid is not supported on this database');
    }
  });
  it('sorts by @random: every row, once', async () => {
    const ids = await selectIds(db, posts, sql``, compileSortField('@random', envFor(posts, { dialect: db.dialect })));
    expect(ids.sort()).toEqual(['p1', 'p2', 'p3', 'p4']);
  });
  it('rejects values', () => {
    for (const bad of ['@now', 'null', '@request.query.x', '@request.auth.id', 'x'.repeat(256)]) {
      expect(() => compileSortField(bad, envFor(posts, { request: authAs('u1', { query: { x: '1' } }) }))).toThrow(/^Invalid filter: /);
    }
  });
  // SQLite's text for the two special sort fields (its RANDOM() and rowid column).
  onlyIf(dialect.name === 'sqlite', it)('renders @random and @rowid for SQLite', () => {
    expect(render(compileSortField('@random', envFor(posts, { dialect: sqliteDialect })), sqliteDialect).text).toBe('RANDOM()');
    expect(render(compileSortField('@rowid', envFor(posts, { dialect: sqliteDialect })), sqliteDialect).text).toBe('"posts"."_rowid_"');
  });
});
