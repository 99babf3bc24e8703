import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/support/databases.ts';
import { sql } from '../db/sql.ts';
import { isApiError } from '../kernel/errors.ts';
import { compileWhereWithCost } from './compile.ts';
import { type FilterEnv, FILTER_LIMITS, compileFilter, compileSortField, compileWhere, validateRule } from './index.ts';
import {
  type Row, authAs, data, dialect, envFor, guest, matching, posts, schema, selectIds, useDatabase,
} from './test-support.ts';
import { onlyIf } from '../../test/support/only-if.ts';

/**
 * The cost budget of client filters (FILTER_LIMITS.maxClientFilterCost): within the other caps a
 * guest could still send a filter that reads millions of related rows per record (for instance two
 * 6-step multi-relation paths in one `||`: the product of both). Client filters over that budget
 * are a 400 naming it; rules and superuser filters are trusted and keep the other caps only.
 * Speed itself is measured in docs/performance.md ("Worst-case client filters"), never here.
 */

const client: Partial<FilterEnv> = { allowHiddenFields: false };

// One database for the file; each describe that reads rows fills it with its own.
const db = useDatabase(createTestDatabase);

function errorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

const tooCostly = (estimate: number) =>
  `Invalid filter: too costly: its relation paths would read an estimated ${estimate} related rows per record (max ${FILTER_LIMITS.maxClientFilterCost})`;

// users.friends and posts.tags are multi relations (estimated 3 rows per step), posts.author a
// single one (1 row), comments_via_post a back-relation without a unique index (3 rows).
const FRIENDS4 = 'author.friends.friends.friends.friends.name';
const FRIENDS5 = 'author.friends.friends.friends.friends.friends.name';

describe('client filter cost budget', () => {
  it('has the documented values', () => {
    expect(FILTER_LIMITS.maxClientFilterCost).toBe(100);
    expect(FILTER_LIMITS.clientFanoutEstimate).toBe(3);
  });

  it.each<[string, number]>([
    // one lookup: the product of the multi-valued steps it joins (3^5 x 3)
    [`(${FRIENDS5} ?= 'x' || tags.name ?= 'y')`, 729],
    [`(author.friends.friends.friends.name ?= 'x' || tags.name ?= 'y' || comments_via_post.user.friends.name ?= 'z')`, 729],
    // an all-of check reads its own copy of the path for every row of the lookup: 27 x (1 + 27)
    ["author.friends.friends.friends.name != 'x'", 756],
    // many against many: 9 x (1 + 9 x 9)
    ['author.friends.friends.name = author.friends.friends.name', 738],
  ])('refuses %s (estimate %i) for a client with a 400 naming the limit', (filter, estimate) => {
    const err = errorOf(() => compileFilter(filter, envFor(posts, client)));
    expect(isApiError(err) && err.status).toBe(400);
    expect((err as Error).message).toBe(tooCostly(estimate));
  });

  it('accepts the same expressions from superusers, as rules, and in validateRule', () => {
    for (const filter of [
      `(${FRIENDS5} ?= 'x' || tags.name ?= 'y')`,
      "author.friends.friends.friends.name != 'x'",
      'author.friends.friends.name = author.friends.friends.name',
    ]) {
      expect(() => compileFilter(filter, envFor(posts))).not.toThrow(); // superuser
      // a list rule is compiled with hidden fields allowed, next to the client's filter
      const env = { dialect, schema, collection: posts, request: guest() };
      expect(() => compileWhere([{ filter, allowHiddenFields: true }, { filter: "title = 'x'", allowHiddenFields: false }], env)).not.toThrow();
      expect(() => validateRule(filter, { dialect, schema, collection: posts })).not.toThrow();
    }
  });

  it('admits a lookup of four multi-valued steps, not five', () => {
    expect(() => compileFilter(`${FRIENDS4} ?= 'x'`, envFor(posts, client))).not.toThrow(); // 81
    expect(errorOf(() => compileFilter(`${FRIENDS5} ?= 'x'`, envFor(posts, client)))).toHaveProperty('message', tooCostly(243));
    expect(errorOf(() => compileFilter(`${FRIENDS4} != 'x'`, envFor(posts, client)))).toHaveProperty('message', tooCostly(81 * 82));
  });

  it('budgets clients\' sort fields the same way: four multi-valued steps, not five', () => {
    expect(() => compileSortField(FRIENDS4, envFor(posts, client))).not.toThrow();
    const err = errorOf(() => compileSortField(FRIENDS5, envFor(posts, client)));
    expect(isApiError(err) && err.status).toBe(400);
    expect((err as Error).message).toBe(
      `Invalid filter: invalid sort field "${FRIENDS5}": too costly: it would read an estimated 243 related rows per record (max ${FILTER_LIMITS.maxClientFilterCost})`,
    );
    // Superusers are trusted, as with filters.
    expect(() => compileSortField(FRIENDS5, envFor(posts, { allowHiddenFields: true }))).not.toThrow();
  });

  it('sums separate lookups', () => {
    // three lookups of 27: 3^3; 3 (back-relation) x 1 (user) x 3^2; 3 (back-relation) x 3 (posts) x 1 (author) x 3
    let filter = "author.friends.friends.friends.name ?= 'a' && comments_via_post.user.friends.friends.name ?= 'b'"
      + " && playlists_via_posts.posts.author.friends.name ?= 'c'";
    const cost = (f: string) => compileWhereWithCost([{ filter: f, allowHiddenFields: false }], { dialect, schema, collection: posts, request: guest() }).clientCost;
    expect(cost(filter)).toBe(81);
    filter += " && tags.name != 'd' && labels:each ?= 'a' && files:each ?= 'f'"; // 3 x (1 + 3), 3, 3
    expect(cost(filter)).toBe(99);
    // paths through joins already there add nothing
    filter += " && author.friends.name ?= 'x' && comments_via_post.message ?~ 'y' && tags:each ?= 'g1'";
    expect(cost(filter)).toBe(99);
    // `||` makes one lookup of two: labels and files now cost 3 x 3 instead of 3 + 3
    expect(errorOf(() => compileFilter(`${filter} && (labels:each ?= 'b' || files:each ?= 'g')`, envFor(posts, client))))
      .toHaveProperty('message', tooCostly(102));
  });

  it('charges the client only for what it adds to the trusted rule', () => {
    const env = { dialect, schema, collection: posts, request: guest() };
    const rule = `(${FRIENDS5} ?= 'x' || tags.name ?= 'y')`; // 729 on its own
    // sharing the rule's tags join adds no rows
    expect(() => compileWhere([{ filter: rule, allowHiddenFields: true }, { filter: "tags.color ?= 'red'", allowHiddenFields: false }], env)).not.toThrow();
    // a client lookup of its own is charged in full
    const own = "(comments_via_post.user.friends.friends.friends.name ?= 'y' || playlists_via_posts.name ?= 'z' || labels:each ?= 'q')";
    expect(errorOf(() => compileWhere([{ filter: rule, allowHiddenFields: true }, { filter: own, allowHiddenFields: false }], env)))
      .toHaveProperty('message', tooCostly(729));
    // joining the rule's lookup (through tags) to another multiplies it: charged 729 x 3 - 729
    const merging = "(tags.name ?= 'x' || comments_via_post.user.name ?= 'y')";
    expect(errorOf(() => compileWhere([{ filter: rule, allowHiddenFields: true }, { filter: merging, allowHiddenFields: false }], env)))
      .toHaveProperty('message', tooCostly(729 * 3 - 729));
  });

  it('uses the data\'s statistics where known: average items, capped by maxSelect; back-relations from record counts', () => {
    const records: Record<string, number> = { c_users: 100, c_posts: 50, c_comments: 1000 };
    const items: Record<string, number> = { 'c_users/friends': 40, 'c_posts/tags': 2 };
    const statistics = {
      records: (id: string) => records[id],
      itemsPerRecord: (id: string, field: string) => items[`${id}/${field}`],
    };
    const cost = (filter: string) =>
      compileWhereWithCost([{ filter, allowHiddenFields: false }], { dialect, schema, collection: posts, request: guest(), statistics }).clientCost;
    expect(cost("tags.name ?= 'x'")).toBe(2); // the average, not the default 3
    // users.friends averages 40 but holds at most 10 (maxSelect): 10 per step
    expect(cost("author.friends.name ?= 'x'")).toBe(10);
    expect(errorOf(() => compileFilter("author.friends.friends.friends.name ?= 'x'", envFor(posts, { ...client, statistics }))))
      .toHaveProperty('message', tooCostly(1000));
    // 1,000 comments over 50 posts: 20 per post
    expect(cost("comments_via_post.message ?= 'x'")).toBe(20);
    // unknown figures keep the default
    expect(cost("labels:each ?= 'a'")).toBe(3);
  });

  it('counts a uniquely indexed back-relation and single relations as one row per step', () => {
    // users.profiles_via_user has a unique index; author and user are single relations
    const filter = `${FRIENDS4} ?= 'x' && author.profiles_via_user.user.profiles_via_user.bio ?= 'hi'`;
    expect(compileWhereWithCost([{ filter, allowHiddenFields: false }], { dialect, schema, collection: posts, request: guest() }).clientCost).toBe(81);
  });
});

/**
 * Filters as PocketBase's documentation and typical apps write them: each compiles as a guest's
 * filter within the budget, and runs. Estimates: 0-15 for most, 33 for the 20-comparison one, 63
 * for the one with four all-of checks, 81 for two 2-step multi paths in one `||`, 90 for an all-of
 * check over a 2-step multi path.
 */
describe('realistic client filters stay within the budget', () => {
  beforeAll(() => db.fill(data));

  const REALISTIC = [
    "title ~ 'abc' && created > '2022-01-01 00:00:00'",
    "(title ~ 'hello' || title ~ 'world') && published = true && views >= 10 && status = 'live'",
    "created >= @todayStart && created <= @todayEnd || created > @yesterday",
    "strftime('%Y', created) = '2024' && geoDistance(loc.lon, loc.lat, 23.32, 42.69) < 25 && data.a.b = 1",
    "author.name ?~ 'ann' && author.verified = true && author.id != ''",
    "tags.name ?= 'red' || tags.name ?= 'blue'",
    "tags.name != 'spam' && tags:length > 0 && labels:each ?= 'a' && files:length < 3",
    "comments_via_post.message ?~ 'nice' && comments_via_post.user.name ?= 'Ann'",
    "playlists_via_posts.name ?= 'best' && author.friends.name ?= 'Bob'",
    "author.friends.friends.name ?= 'Cid' || comments_via_post.user.friends.name ?= 'Ann'",
    "author.profiles_via_user.bio ?~ 'hi' && author.friends.profiles_via_user.bio ?~ 'h'",
    // ~20 comparisons over 1-3 hop paths
    "(title ~ 'a' || title ~ 'b' || title ~ 'e') && published = true && views > 0 && views < 1000 && status != 'draft'"
      + " && created > '2020-01-01' && author.name != '' && author.friends.name ?~ 'o' && tags.name ?= 'red'"
      + " && tags.color ?= 'red' && comments_via_post.message ?~ 'i' && comments_via_post.user.name ?!= 'x'"
      + " && playlists_via_posts.name ?~ 'e' && labels:each ?= 'a' && files:length < 3 && data.s ?= 'yes'"
      + " && (author.role = 'admin' || author.friends.role ?= 'member') && tags.name != 'spam' && comments_via_post.message != 'spam'",
    "author.friends.name != 'x' && tags.name != 'spam' && comments_via_post.user.friends.name ?~ 'b'"
      + " && (tags.color = 'red' || tags.color = 'blue') && playlists_via_posts.name != 'old'",
    "author.friends.friends.name != 'Dan'",
  ];

  it.each(REALISTIC)('%s', async (filter) => {
    for (const request of [guest(), authAs('u1')]) {
      const { sql: where, clientCost } = compileWhereWithCost([{ filter, allowHiddenFields: false }], { dialect: db.dialect, schema, collection: posts, request });
      expect(clientCost).toBeLessThanOrEqual(FILTER_LIMITS.maxClientFilterCost);
      await selectIds(db, posts, where); // runs on the database
    }
  });

  it('rules keep @collection joins and back-relations next to a client filter', async () => {
    const env = { dialect: db.dialect, schema, collection: posts, request: authAs('u2') };
    const rule = '@collection.comments.post ?= id && @collection.comments.user ?= @request.auth.id && author.friends.id ?= @request.auth.id';
    const filter = "tags.name ?= 'red' && comments_via_post.user.name ?= 'Bob'";
    const where = compileWhere([{ filter: rule, allowHiddenFields: true }, { filter, allowHiddenFields: false }], env);
    expect(await selectIds(db, posts, where)).toEqual(['p1']);
  });
});

/**
 * Multi-valued back-relations (`playlists_via_posts`) read a derived table of (id listed, record)
 * pairs built once per query, not every record of the other collection for each row reaching them.
 */
describe('multi-valued back-relations', () => {
  const rows: Record<string, readonly Row[]> = {
    ...data,
    playlists: [
      ...data.playlists,
      { id: 'l3', name: 'dup', posts: ['p3', 'p3'] }, // an id listed twice
      { id: 'l4', name: 'bare', posts: 'p4' }, // a bare id rather than a JSON array
    ],
  };
  beforeAll(() => db.fill(rows));

  it.each<[string, string[]]>([
    ["playlists_via_posts.name ?= 'dup'", ['p3']],
    ["playlists_via_posts.name = 'dup'", ['p3']],
    ["playlists_via_posts.name = 'best'", ['p1']],
    ["playlists_via_posts.name != 'best'", ['p3', 'p4']],
    ["playlists_via_posts.name ?= 'bare'", ['p4']],
    ['playlists_via_posts.id = ""', []],
    ["playlists_via_posts.name = 'nope'", []],
  ])('%s', async (filter, expected) => {
    expect(await matching(db, posts, filter)).toEqual(expected);
    expect(await matching(db, posts, filter, client)).toEqual(expected);
  });

  // SQLite's query plan is the point here (how SQLite runs the derived table), not a result: the
  // rows above are what every database must give.
  onlyIf(dialect.name === 'sqlite', it)('are planned as one materialized, indexed derived table (not a scan per row) on SQLite', async () => {
    const where = compileFilter("playlists_via_posts.name = 'best'", envFor(posts, { ...client, dialect: db.dialect }));
    const plan = (await db.all<{ detail: string }>(sql`EXPLAIN QUERY PLAN SELECT id FROM posts WHERE ${where}`)).map((x) => x.detail);
    // the shared join and the all-of check's private copy
    expect(plan.filter((d) => d.startsWith('MATERIALIZE'))).toHaveLength(2);
    expect(plan.filter((d) => /USING AUTOMATIC COVERING INDEX \(dst=\?\)/.test(d))).toHaveLength(2);
  });
});
