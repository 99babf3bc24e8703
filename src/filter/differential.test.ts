import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from '../../test/support/databases.ts';
import { onlyIf } from '../../test/support/only-if.ts';
import type { Collection } from '../db/schema.ts';
import { sqliteDialect } from '../db/dialects/sqlite.ts';
import { render } from '../db/sql.ts';
import { isApiError } from '../kernel/errors.ts';
import { type Expr, type Op, type Operand, ANY_OPS, COMPARE_OPS, MACRO_NAMES, and, compare, func, ident, macro, num, or, placeholder, str } from './ast.ts';
import { compileFilter, type FilterEnv, parseFilter, type RequestInfo } from './index.ts';
import { macroValue } from './macros.ts';
import { all, authAs, comments, data, envFor, FilterDatabase, guest, NOW, posts, type Row, selectIds, sortedIds, users, printFilter } from './test-support.ts';

/**
 * Differential test: random filters compiled for SQLite (the reference, PocketBase's own database)
 * and for the run's server database (PostgreSQL, MySQL), executed on the same rows, must select
 * the same records, and a filter refused (400) on one must be refused on the other. The rows are
 * test-support's plus some with values where the databases' rules differ: numeric-looking text,
 * JSON scalars of every type, dates in other formats, dangling relation ids.
 *
 * The filters compare operands of one kind of value (text, number, bool; see `Kinds`) through every
 * relation path, the `?`-operators, modifiers and `@request.*` values, `= ''` / `= null` on any
 * field, and operands of different kinds, where SQLite's affinity and storage-class rules decide
 * (db/dialects/affinity.ts):
 *  (a) values read out of JSON documents (`data.x`, `data`, `loc.lon`) against literals and
 *      request values of every kind (numeric-looking strings too) and against fields of every kind;
 *  (b) numbers and booleans against text (columns, literals, expressions), and against each other;
 *  (d) multi-value fields, JSON documents and geoPoints (tags, labels, files, data, loc) as whole
 *      values: compared and `~`-matched as the JSON text SQLite holds. The documents' object keys
 *      are sorted, as Baton writes a JSON body: a document sent as form text keeps its key order
 *      on SQLite and MySQL but not in PostgreSQL's JSONB (docs/dialects.md);
 *  (e) `~`/`!~` with a number or bool on either side (SQLite's text of a number: 0.5, 1.0e+20).
 * Left out, where the dialects do not (yet) reproduce SQLite's results (documented in
 * docs/dialects.md), so this test says nothing about them:
 *  - geoDistance() read as text (in `~`, or against text): SQLite holds its result as a REAL, so
 *    0 is '0.0', where the dialects write a whole number as an INTEGER;
 *  - numbers of more than 13 significant digits read as text, a whole number past 2^53 in a JSON
 *    document compared with the double nearest it, a text past the largest double compared with
 *    that double on MySQL (the rows and literals hold no such pairs);
 *  (f) strftime() where MySQL's translation (DATETIME, years 0000-9999) cannot follow SQLite:
 *      years before 0000 (julian days below 1721059.5, so 'julianday'/'auto' on small numbers,
 *      '-6000 years'), %J (its 16th digit), fractional months/years on '24:00' times, more than 3
 *      decimals of seconds; and 'localtime'/'utc' (they read the server's time zone).
 *      Checked: every format letter but %J, PocketBase's dates, 'T' separators, time zones,
 *      time-only values, overflowing days, julian-day text, invalid text (NULL), modifiers 'start of
 *      …', 'floor', 'ceiling', 'subsec', '±N unit' (fractional N for days to seconds), '±HH:MM…',
 *      '±YYYY-MM-DD …', 'weekday N', unknown modifiers, numbers with 'unixepoch'.
 * Sorting is compared too: JSON paths and documents, multi-value fields and geoPoints, as fields
 * and through relations, in both directions (Dialect.sortKeys).
 * geoDistance() (formerly family c) takes any field: SQLite's text and JSON conversions are
 * reproduced (Dialect.geoDistance).
 *
 * In the sqlite project there is nothing to compare: the file registers nothing there, so
 * vitest.config.ts leaves it out of that project (a file without tests is an error).
 * NUM_RUNS keeps the file under 10 s per server database; to hunt for differences, set
 * DIFFERENTIAL_RUNS (and DIFFERENTIAL_SEED to replay a failure's seed) and raise --testTimeout.
 */
const NUM_RUNS = 2500;

/** JSON-document fields of the schema (their string values are stored JSON-encoded). */
const JSON_FIELDS: Record<string, readonly string[]> = { posts: ['data'] };

const extra: Record<string, Row[]> = {
  users: [
    { id: 'u4', email: 'dee@x.io', emailVisibility: false, verified: true, name: '10', role: '', secret: '', team: 't9', friends: ['u1', 'u4', 'zz'] },
  ],
  teams: [{ id: 't2', name: '', members: ['u3'] }],
  tags: [
    { id: 'g4', name: 'Red', color: '' },
    { id: 'g5', name: '5', color: 'blue' },
    { id: 'g6', name: '12abc', color: ' -.5e1x' },
    { id: 'g7', name: '1e400', color: '\t7 ' },
  ],
  posts: [
    { id: 'p5', title: '10', views: 2.5, published: true, author: 'u4', tags: ['g2', 'gX'], status: 'live', labels: ['b', 'c'], files: [], data: 'str', loc: { lon: -70.6, lat: -33.4 }, created: '2024-01-15' },
    { id: 'p6', title: '5', views: -1, published: false, author: 'zz', tags: ['g4', 'g5'], status: 'draft', labels: ['a', 'a'], files: ['5'], data: true, loc: { lon: 0, lat: 0 }, created: '2024-02-29T12:00:00Z' },
    { id: 'p7', title: ' 7 ', views: 1e10, published: true, author: 'u1', tags: ['g1'], status: '', labels: [], files: [], data: [1, '2', null, { x: 1 }], loc: { lon: 180, lat: 90 }, created: 'garbage' },
    { id: 'p8', title: 'true', views: 0.1, published: false, author: 'u2', tags: [], status: 'live', labels: ['b'], files: ['x.png'], data: { a: { b: '1' }, s: '10', list: [], n: null }, loc: { lon: 23.32, lat: 42.69 }, created: '2024-06-15 12:34:56.789Z' },
    { id: 'p9', title: '1e2', views: 100, published: true, author: '', tags: ['g3', 'g3'], status: 'draft', labels: ['c', 'b', 'a'], files: [], data: '5', loc: { lon: -0.1, lat: 51.5 }, created: '2024-06-15 00:00:00.000Z' },
    { id: 'p10', title: 'É é', views: 0, published: false, author: 'u3', tags: ['g2'], status: 'live', labels: ['a'], files: [], data: 0, loc: { lon: 10, lat: 10 }, created: '2025-01-01 00:00:00.000Z' },
    { id: 'p11', title: '0', views: 10, published: true, author: 'u2', tags: ['g5'], status: 'draft', labels: [], files: [], data: { s: 5, a: 1, list: 'x' }, loc: { lon: 0, lat: 0 }, created: '2024-01-15 10:00:00Z' },
    { id: 'p12', title: '-1', views: 5, published: false, author: 'u1', tags: ['g6', 'g7'], status: '', labels: [], files: [], data: '', loc: { lon: 0, lat: 0 }, created: '2023-12-31' },
    { id: 'p13', title: 'Hello', views: 1.5, published: true, author: 'u4', tags: ['g1', 'g4'], status: 'live', labels: ['c'], files: [], data: false, loc: { lon: 0, lat: 0 }, created: '2024-06-15 23:59:59.999Z' },
    // Numbers at the edges of SQLite's INTEGER and of JavaScript's and SQLite's number texts.
    { id: 'p14', title: '1e18', views: 1e18, published: false, author: 'u3', tags: ['g7'], status: 'live', labels: ['a', 'c'], files: [], data: { a: { b: 1234567890123456800, 10: 'x', 9: 'y' }, list: [1e21, 1e-7], s: -9007199254740992 }, loc: { lon: 0.1, lat: 1e-7 }, created: '2024-01-15 10:00:00.000Z' },
    // JSON values of every class under one key, for sorting (SQLite: NULL < numbers and true/false < text).
    { id: 'p15', title: 'a', views: 3, published: true, author: 'u1', tags: ['g1', 'g2', 'g3'], status: 'live', labels: ['c', 'a', 'b'], files: ['b.png'], data: { a: true, s: 'x' }, loc: { lon: -1, lat: 2 }, created: '2024-01-15 10:00:00.000Z' },
    { id: 'p16', title: 'b', views: 3, published: false, author: 'u2', tags: ['g10'], status: 'draft', labels: ['b'], files: [], data: { a: '1' }, loc: { lon: 1, lat: -2 }, created: '2024-01-15 10:00:00.000Z' },
    { id: 'p17', title: 'c', views: 3, published: true, author: 'u4', tags: ['g2'], status: '', labels: ['a', 'b'], files: [], data: { a: 2.5, list: ['b', 1] }, loc: { lon: 1, lat: 10 }, created: '2024-01-15 10:00:00.000Z' },
    { id: 'p18', title: 'd', views: 3, published: false, author: 'u3', tags: ['g3', 'g1'], status: 'live', labels: [], files: [], data: { a: 'x', list: '[1]' }, loc: { lon: 10, lat: 1 }, created: '2024-01-15 10:00:00.000Z' },
    { id: 'p19', title: 'e', views: 3, published: true, author: '', tags: ['g1'], status: 'draft', labels: ['a'], files: [], data: { a: -3, s: '' }, loc: { lon: -0.5, lat: 0 }, created: '2024-01-15 10:00:00.000Z' },
    { id: 'p20', title: 'f', views: 3, published: false, author: 'u1', tags: ['g4'], status: 'live', labels: [], files: [], data: [], loc: { lon: 0, lat: 0.5 }, created: '2024-01-15 10:00:00.000Z' },
  ],
  comments: [
    { id: 'c4', post: 'p5', user: 'u4', message: '' },
    { id: 'c5', post: 'p9', user: 'zz', message: '10' },
  ],
  playlists: [{ id: 'l3', name: 'x', posts: ['p5', 'p9', 'p9'] }],
  profiles: [{ id: 'r2', user: 'u4', bio: '' }],
};

/**
 * The rows for a database. test-support binds a string in a JSON column as is on SQLite (a legacy
 * bare value) and JSON-encoded elsewhere; here JSON strings are real JSON on both, as PocketBase
 * writes them, and object keys are sorted, as Baton writes a JSON body (a document sent as form
 * text keeps its key order on SQLite and MySQL, which PostgreSQL's JSONB cannot: docs/dialects.md).
 */
function rowsFor(sqlite: boolean): Record<string, Row[]> {
  const out: Record<string, Row[]> = {};
  for (const name of new Set([...Object.keys(data), ...Object.keys(extra)])) {
    out[name] = [...(data[name] ?? []), ...(extra[name] ?? [])].map((row) => {
      const copy = { ...row };
      for (const f of JSON_FIELDS[name] ?? []) {
        copy[f] = sortedKeys(copy[f]);
        if (sqlite && typeof copy[f] === 'string') copy[f] = JSON.stringify(copy[f]);
      }
      return copy;
    });
  }
  return out;
}

const sortedKeys = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(sortedKeys)
  : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys((v as Row)[k])]))
  : v;

// ---- generated filters -------------------------------------------------------------------------

/**
 * The operands of each collection by the kind of value they hold. A comparison takes both sides
 * from one kind, or mixes kinds as families (a), (b), (d) and (e) of the file comment do.
 * - text: text, email, url, date, single select and single relation columns, on the record or
 *   through relations (single, multi, back-relations, @collection), their :lower, the items of
 *   multi-value fields (:each), and the request's text values;
 * - number: number columns, :length of multi-value fields, the request's numbers;
 * - bool: bool columns, the request's booleans;
 * - json: paths into JSON documents (json and geoPoint fields), and json fields as a whole
 *   (`data`: the document's value, a string unquoted);
 * - multi: multi-value fields, JSON documents and geoPoints as whole values (their JSON text);
 * - dates: date columns, time values of strftime();
 * - numbers: number columns that geoDistance() takes as coordinates.
 */
interface Kinds {
  text: readonly string[];
  number: readonly string[];
  bool: readonly string[];
  json: readonly string[];
  multi: readonly string[];
  dates: readonly string[];
  numbers: readonly string[];
}

const FIELDS: Record<string, Kinds> = {
  posts: {
    text: [
      'id', 'title', 'title:lower', 'author', 'author.id', 'author.name', 'author.name:lower', 'author.role', 'author.email', 'author.team',
      'author.team.name', 'author.profiles_via_user.bio', 'author.friends.name', 'author.friends.role', 'author.friends:each', 'tags.id',
      'tags.name', 'tags.name:lower', 'tags.color', 'tags:each', 'labels:each', 'files:each', 'status', 'status:lower', 'status:each',
      'created', 'created:lower', 'comments_via_post.message', 'comments_via_post.user', 'comments_via_post.user.name',
      'playlists_via_posts.name', '@collection.tags.name', '@collection.users.name', '@request.auth.id', '@request.auth.name',
      '@request.auth.role', '@request.auth.friends.name', '@request.auth.friends:each', '@request.body.title', '@request.body.title:lower',
      '@request.body.author', '@request.body.author.name', '@request.body.tags:each', '@request.body.data.s', '@request.query.q',
      '@request.method',
    ],
    number: [
      'views', 'tags:length', 'labels:length', 'files:length', 'status:length', 'author.friends:length', 'playlists_via_posts.posts:length',
      'comments_via_post.post.views', '@request.body.views', '@request.body.tags:length', '@request.auth.friends:length',
    ],
    bool: [
      'published', 'author.verified', 'author.emailVisibility', 'author.friends.verified', 'comments_via_post.user.verified',
      '@request.auth.verified', '@request.body.published',
    ],
    json: ['data', 'data.a', 'data.a.b', 'data.list', 'data.list.0', 'data.list.1', 'data.s', 'data.n', 'data.missing', 'loc.lon', 'loc.lat'],
    multi: [
      'tags', 'labels', 'files', 'data', 'loc', 'author.friends', 'playlists_via_posts.posts', '@request.auth.friends', '@request.body.tags',
      '@request.body.data',
    ],
    dates: ['created'],
    numbers: ['views', 'comments_via_post.post.views', '@request.body.views'],
  },
  users: {
    text: [
      'id', 'name', 'name:lower', 'role', 'email', 'team', 'team.name', 'friends:each', 'friends.name', 'friends.role', 'friends.email',
      'friends.team.name', 'posts_via_author.title', 'posts_via_author.created', 'posts_via_author.tags.name', 'comments_via_user.message',
      'profiles_via_user.bio', 'teams_via_members.name', 'secret', '@request.auth.id', '@request.auth.email', '@request.body.name',
    ],
    number: ['friends:length', 'team.members:length', 'posts_via_author.views', 'posts_via_author.tags:length', '@request.auth.friends:length'],
    bool: ['verified', 'emailVisibility', 'friends.verified', 'posts_via_author.published', '@request.auth.verified'],
    json: ['posts_via_author.data', 'posts_via_author.data.s', 'posts_via_author.loc.lat'],
    multi: ['friends', 'team.members', 'posts_via_author.tags', 'posts_via_author.data'],
    dates: ['posts_via_author.created'],
    numbers: ['posts_via_author.views'],
  },
  comments: {
    text: [
      'id', 'post', 'post.title', 'post.status', 'post.created', 'post.tags.name', 'post.labels:each', 'post.author.name', 'user', 'user.name',
      'user.name:lower', 'message', '@request.auth.id',
    ],
    number: ['post.views', 'post.tags:length', 'user.friends:length'],
    bool: ['post.published', 'user.verified'],
    json: ['post.data', 'post.data.s', 'post.data.a.b', 'post.loc.lon'],
    multi: ['post.tags', 'post.labels', 'post.data', 'user.friends'],
    dates: ['post.created'],
    numbers: ['post.views'],
  },
};

const STRINGS = [
  '', 'Hello', 'hello', 'HELLO', 'Ann', 'a', 'b', 'c', 'live', 'Live', 'draft', 'admin', 'member', 'u1', 'u2', 'u4', 'g1', 'g2', 'p1', 't1',
  'red', 'Red', 'x.png', 'yes', 'str', 'nice', '10', '5', '0', '1', '-1', '2.5', ' 5', '5 ', ' 7 ', '5.0', '05', '1e1', '1e2', '.5', '+5',
  '0x10', '1.', 'true', 'false', 'null', 'TRUE', '%', '_', 'e%', '%o', '\\%', '50%_off', '50\\%\\_off', '[]', '["g1","g2"]', '["g1", "g2"]',
  '{}', '{"b":1}', '{"b": 1}', '"yes"', '2024', '2024-01-15', '2024-01-15 10:00:00.000Z', '2024-06-15', '2023-12-31 23:59:59.999Z', 'é', 'É',
  'now', 'garbage', 'GET', 'POST',
];
const NUMBERS = [0, 1, -1, 2, 5, 7, 10, 100, 0.5, 2.5, -0.5, 1.5, 0.1, 42.69, 23.32, 2024, 10000000000, 1705312800, 2460000.5];
const TEXT_MACROS = MACRO_NAMES.filter((m) => typeof macroValue(m, NOW) === 'string');
const NUMBER_MACROS = MACRO_NAMES.filter((m) => typeof macroValue(m, NOW) === 'number');

/** strftime(): the format letters, time values and modifiers the dialects reproduce (family f). */
const FORMAT_PARTS = [
  '%Y', '%m', '%d', '%H', '%M', '%S', '%f', '%s', '%j', '%w', '%W', '%U', '%V', '%G', '%g', '%u', '%e', '%F', '%T', '%R', '%k', '%I', '%l',
  '%p', '%P', '%%', '-', ' ', ':', 'T', 'x', 'Day ',
];
/** Parts that read the date only: the clock ('now') cannot change them between the two queries. */
const DATE_PARTS = FORMAT_PARTS.filter((f) => !/%[HMSTRkfsIlpP]/.test(f));
const TIMES = [
  '2024-01-15', '2024-02-29', '2023-12-31', '2025-03-01', '1970-01-01', '2024-01-15 10:00:00.000Z', '2023-12-31 23:59:59.999Z',
  '2024-02-29 12:00:00.000Z', '2024-06-15 12:34:56.789Z', '2000-01-01 00:00:00.000Z', '1999-12-31 23:59:59.000Z',
  // Time-only values (on 2000-01-01), the 'T' separator, time zones, overflowing days, julian days, invalid text.
  '12:30', '12:30:45.5', '23:59:59.999Z', '12:30 +02:00', '2024-01-15T10:20', '2024-01-15T10:20:30Z', '2024-01-15 10:20:30+02:00',
  '2024-01-15 10:20:30 -05:30', '2024-01-15 10:20:30 Z', '2024-02-30', '2023-02-29 10:00', '2460311.5', ' 2460311.25 ', '2024-13-01',
  '2024-1-5', '2024/01/15', '12:60', 'abc', '', ' 2024-01-15', '2024-01-15 10:20 x',
];
const UNITS = ['days', 'hours', 'minutes', 'months', 'years'];

const stringLit = fc.constantFrom(...STRINGS).map(str);
const numberLit = fc.oneof(fc.constantFrom(...NUMBERS), fc.integer({ min: -1000, max: 1000 })).map(num);
const boolLit = fc.constantFrom('true', 'false').map(ident);
const empty = fc.oneof(fc.constant(str('')), fc.constant(ident('null')));

const modifier = fc.oneof(
  fc.constantFrom('start of day', 'start of month', 'start of year', 'floor', 'ceiling', 'subsec', 'START OF MONTH', 'start of week', 'bogus'),
  fc.tuple(fc.constantFrom('+', '-'), fc.constantFrom(0, 1, 2, 5, 13, 30, 400), fc.constantFrom(...UNITS)).map(([s, n, u]) => `${s}${n} ${u}`),
  // Fractional amounts of days, hours, minutes and seconds (fractional months and years: see the file comment).
  fc.tuple(fc.constantFrom('+', '-', ''), fc.constantFrom(0.5, 1.25, 2.75, 0.001), fc.constantFrom('days', 'hours', 'minutes', 'seconds')).map(([s, n, u]) => `${s}${n} ${u}`),
  // ±HH:MM[:SS[.SSS]] and ±YYYY-MM-DD[ HH:MM] shifts.
  fc.constantFrom('+01:30', '-01:30', '+00:00:30.5', '-23:59:59.999', '+0001-02-03', '-0000-01-00 12:00', '+1:30'),
  fc.integer({ min: 0, max: 7 }).map((n) => `weekday ${n}`),
).map(str);

/** One operand kind per comparison; `?`-operators and relation paths come with the fields. */
function kindsFor(k: Kinds) {
  const field = (names: readonly string[]) => fc.constantFrom(...names).map(ident);
  const modifiers = fc.array(modifier, { maxLength: 2 });
  const format = (parts: readonly string[]) => fc.array(fc.constantFrom(...parts), { minLength: 1, maxLength: 3 }).map((p) => str(p.join('')));
  const timeValue = fc.oneof(
    fc.tuple(fc.oneof(fc.constantFrom(...TIMES).map(str), fc.constantFrom(...TEXT_MACROS).map(macro), field(k.dates)), modifiers)
      .map(([t, m]) => [t, ...m]),
    // 'julianday' and 'auto' are left out: small numbers read as julian days are years before 0000 (see the file comment).
    fc.tuple(fc.oneof(numberLit, fc.constantFrom(...NUMBER_MACROS).map(macro), field(k.numbers)), modifiers)
      .map(([t, m]) => [t, str('unixepoch'), ...m]),
  );
  const strftime = fc.oneof(
    fc.tuple(format(FORMAT_PARTS), timeValue).map(([f, t]) => func('strftime', [f, ...t])),
    // The current time: each database reads its own clock, so only what changes at midnight.
    fc.tuple(format(DATE_PARTS), fc.boolean(), modifiers).map(([f, explicit, m]) => func('strftime', explicit ? [f, str('now'), ...m] : [f])),
  );
  // Any field: SQLite reads text and JSON by its own rules there (family c, reproduced by the dialects).
  const geoArg = fc.oneof(
    { weight: 3, arbitrary: numberLit },
    { weight: 2, arbitrary: field(k.numbers) },
    { weight: 3, arbitrary: field([...k.text, ...k.json, ...k.bool, ...k.multi]) },
    { weight: 1, arbitrary: fc.constant(ident('null')) },
  );
  const geo = fc.tuple(geoArg, geoArg, geoArg, geoArg).map((args) => func('geoDistance', args));

  const text: fc.Arbitrary<Operand> = fc.oneof(
    { weight: 6, arbitrary: field(k.text) },
    { weight: 4, arbitrary: stringLit },
    { weight: 1, arbitrary: fc.constantFrom(...TEXT_MACROS).map(macro) },
    { weight: 1, arbitrary: fc.constant(placeholder('s')) },
    { weight: 2, arbitrary: strftime },
  );
  // Numbers but geoDistance(), for the comparisons that read a number as text (families b, e):
  // SQLite holds geoDistance()'s result as a REAL, so 0 is '0.0' there (see the file comment).
  const plainNumber: fc.Arbitrary<Operand> = fc.oneof(
    { weight: 6, arbitrary: field(k.number) },
    { weight: 4, arbitrary: numberLit },
    { weight: 1, arbitrary: fc.constantFrom(...NUMBER_MACROS).map(macro) },
    { weight: 1, arbitrary: fc.constant(placeholder('n')) },
  );
  const number: fc.Arbitrary<Operand> = fc.oneof({ weight: 12, arbitrary: plainNumber }, { weight: 1, arbitrary: geo });
  const bool: fc.Arbitrary<Operand> = fc.oneof(
    { weight: 4, arbitrary: field(k.bool) },
    { weight: 3, arbitrary: boolLit },
    { weight: 1, arbitrary: fc.constant(placeholder('b')) },
  );
  // Families (a), (b), (d), (e): values of different kinds, compared by SQLite's rules (affinity.ts).
  const literal: fc.Arbitrary<Operand> = fc.oneof(
    { weight: 4, arbitrary: stringLit },
    { weight: 3, arbitrary: numberLit },
    { weight: 1, arbitrary: boolLit },
    { weight: 1, arbitrary: fc.constantFrom(placeholder('s'), placeholder('n'), placeholder('b')) },
  );
  const column = field([...k.text, ...k.number, ...k.bool, ...k.json]);
  const scalar = fc.oneof({ weight: 3, arbitrary: text }, { weight: 2, arbitrary: plainNumber }, { weight: 1, arbitrary: bool });
  const ALL_OPS: readonly Op[] = [...COMPARE_OPS, ...ANY_OPS];
  const LIKE_OPS: readonly Op[] = ['~', '!~', '?~', '?!~'];

  const ops = (list: readonly Op[]) => fc.constantFrom(...list);
  const ORDERED: readonly Op[] = ['=', '!=', '>', '>=', '<', '<=', '?=', '?!=', '?>', '?>=', '?<', '?<='];
  const EQUALITY: readonly Op[] = ['=', '!=', '?=', '?!='];
  const pair = (a: fc.Arbitrary<Operand>, o: fc.Arbitrary<Op>, b: fc.Arbitrary<Operand>) =>
    fc.tuple(a, o, b).map(([l, x, r]) => compare(l, x, r));
  const eitherSide = (a: fc.Arbitrary<Operand>, o: fc.Arbitrary<Op>, lit: fc.Arbitrary<Operand>) =>
    fc.tuple(a, o, lit, fc.boolean()).map(([f, x, v, swap]) => (swap ? compare(v, x, f) : compare(f, x, v)));
  const anyField = field([...k.text, ...k.number, ...k.bool, ...k.json, ...k.multi]);

  return fc.oneof(
    { weight: 6, arbitrary: pair(text, ops([...COMPARE_OPS, ...ANY_OPS]), text) },
    { weight: 3, arbitrary: pair(number, ops(ORDERED), number) },
    { weight: 1, arbitrary: pair(bool, ops(ORDERED), bool) },
    // (a) JSON values against literals of every kind and against fields of every kind.
    { weight: 2, arbitrary: eitherSide(field(k.json), ops(ALL_OPS), literal) },
    { weight: 2, arbitrary: eitherSide(field(k.json), ops(ALL_OPS), column) },
    // (b) numbers and booleans against text, and against each other.
    { weight: 2, arbitrary: eitherSide(fc.oneof(plainNumber, bool), ops(ALL_OPS), fc.oneof(text, plainNumber, bool)) },
    // (d) multi-value fields, JSON documents and geoPoints as whole values (their JSON text).
    { weight: 2, arbitrary: eitherSide(field(k.multi), ops(ALL_OPS), fc.oneof(scalar, field(k.multi), literal)) },
    // (e) `~` with anything on either side.
    { weight: 1, arbitrary: pair(fc.oneof(scalar, column), ops(LIKE_OPS), fc.oneof(scalar, column)) },
    // `= ''` and `= null` on any field: PocketBase's "empty" idioms.
    { weight: 2, arbitrary: eitherSide(anyField, ops(EQUALITY), empty) },
  );
}

function treeFor(k: Kinds): fc.Arbitrary<Expr> {
  const comparison = kindsFor(k);
  const { tree } = fc.letrec<{ tree: Expr }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      comparison,
      fc.array(tie('tree'), { minLength: 2, maxLength: 3 }).map((items) => and(...items)),
      fc.array(tie('tree'), { minLength: 2, maxLength: 3 }).map((items) => or(...items)),
    ),
  }));
  return tree;
}


/** The requests a filter is compiled for, with how a failure names them. */
const requests: ReadonlyArray<readonly [label: string, request: RequestInfo]> = [
  ['a guest', guest()],
  ['u1 posting {title: "Hello", views: "10", published: true, tags: ["g1", "g2"], author: "u2", data: {s: "yes"}}, query q=5', authAs('u1', {
    method: 'POST',
    query: { q: '5' },
    body: { title: 'Hello', views: '10', published: true, tags: ['g1', 'g2'], author: 'u2', data: { s: 'yes' } },
  })],
  ['u3 sending {title: "", views: 2.5, tags: [], author: "zz", name: "10"}', authAs('u3', { body: { title: '', views: 2.5, tags: [], author: 'zz', name: '10' } })],
];

/** Values of the placeholders, one per kind: {:s} text (objects and arrays bind as JSON text), {:n} number, {:b} bool. */
const TEXT_PARAMS = ['', 'Hello', '10', ' 5', 'a', 'g1', '2024-01-15', null, { s: 'yes' }, ['g1']];
const NUMBER_PARAMS = [0, 5, 2.5, -1, 1705312800, null];
const BOOL_PARAMS = [true, false, null];

const settings = fc.record({
  allowHiddenFields: fc.boolean(),
  request: fc.integer({ min: 0, max: requests.length - 1 }),
  s: fc.constantFrom(...TEXT_PARAMS),
  n: fc.constantFrom(...NUMBER_PARAMS),
  b: fc.constantFrom(...BOOL_PARAMS),
});
type Settings = typeof settings extends fc.Arbitrary<infer T> ? T : never;

const COLLECTIONS: readonly Collection[] = [posts, users, comments];
const collectionName = fc.constantFrom(...COLLECTIONS.map((c) => c.name));
const TREES = Object.fromEntries(COLLECTIONS.map((c) => [c.name, treeFor(FIELDS[c.name])]));
const cases = collectionName.chain((name) => fc.tuple(fc.constant(name), TREES[name].map(printFilter), settings));

// ---- execution -----------------------------------------------------------------------------------

/** The selected ids, a 400 (its message), or a database error (never expected, on either side). */
type Outcome = { ids: string[] } | { refused: string } | { error: string };

async function outcome(db: FilterDatabase, c: Collection, filter: string, s: Settings): Promise<Outcome> {
  let where;
  try {
    where = compileFilter(filter, envFor(c, envOf(db, s)));
  } catch (e) {
    if (isApiError(e) && e.status === 400) return { refused: e.message };
    throw e;
  }
  try {
    return { ids: (await selectIds(db, c, where)).sort() };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

function envOf(db: FilterDatabase, s: Settings): Partial<FilterEnv> {
  return { dialect: db.dialect, allowHiddenFields: s.allowHiddenFields, request: requests[s.request][1], params: { s: s.s, n: s.n, b: s.b } };
}

/** The WHERE clause `filter` compiles to on `db`, for a failure message. */
function sqlOf(db: FilterDatabase, c: Collection, filter: string, s: Settings): string {
  try {
    const r = render(compileFilter(filter, envFor(c, envOf(db, s))), db.dialect);
    return `${r.text}  params: ${JSON.stringify(r.params)}`;
  } catch (e) {
    return `(refused: ${e instanceof Error ? e.message : String(e)})`;
  }
}

const summary = (o: Outcome) => ('ids' in o ? JSON.stringify(o.ids) : 'refused' in o ? `400 (${o.refused})` : `error: ${o.error.split('\n')[0]}`);
const sameOutcome = (a: Outcome, b: Outcome) =>
  'ids' in a ? 'ids' in b && a.ids.join() === b.ids.join() : 'refused' in a && 'refused' in b;

onlyIf(TEST_DIALECT !== 'sqlite', describe)(`differential: SQLite and ${TEST_DIALECT} select the same records`, () => {
  const reference = new FilterDatabase(all, sqliteDialect);
  const server = new FilterDatabase(all);
  let created: TestDatabase | undefined;

  beforeAll(async () => {
    await reference.open({ url: undefined, drop: async () => undefined });
    await reference.fill(rowsFor(true));
    created = await createTestDatabase();
    await server.open(created);
    await server.fill(rowsFor(false));
  });

  afterAll(async () => {
    await reference.close();
    await server.close();
    await created?.drop();
  });

  /** A failure report: the outcomes, and the comparisons of the filter that differ on their own, with their SQL. */
  async function report(name: string, filter: string, s: Settings, expected: Outcome, got: Outcome): Promise<string> {
    const c = COLLECTIONS.find((x) => x.name === name) as Collection;
    const who = `${s.allowHiddenFields ? 'a rule or superuser filter' : 'a client filter'}, for ${requests[s.request][0]}, {:s} = ${JSON.stringify(s.s)}, {:n} = ${s.n}, {:b} = ${s.b}`;
    const lines = [`${name}: ${filter}`, `  (${who})`, `  sqlite: ${summary(expected)}`, `  ${server.dialect.name}: ${summary(got)}`];
    const leaves = (e: Expr): Expr[] => (e.kind === 'compare' ? [e] : e.items.flatMap(leaves));
    const parts = leaves(parseFilter(filter)).map(printFilter);
    const differing: string[] = [];
    for (const part of parts.length > 1 ? parts : []) {
      if (differing.length === 3) break;
      const a = await outcome(reference, c, part, s);
      const b = await outcome(server, c, part, s);
      if (!sameOutcome(a, b)) differing.push(part);
    }
    if (parts.length > 1) lines.push(differing.length ? '  differing on their own:' : '  no comparison differs on its own');
    for (const part of parts.length > 1 ? differing : [filter]) {
      if (part !== filter) {
        lines.push(`  ${part}`, `    sqlite: ${summary(await outcome(reference, c, part, s))}`, `    ${server.dialect.name}: ${summary(await outcome(server, c, part, s))}`);
      }
      lines.push(`    sqlite WHERE ${sqlOf(reference, c, part, s)}`, `    ${server.dialect.name} WHERE ${sqlOf(server, c, part, s)}`);
    }
    return lines.join('\n');
  }

  async function check(name: string, filter: string, s: Settings): Promise<void> {
    const c = COLLECTIONS.find((x) => x.name === name) as Collection;
    const expected = await outcome(reference, c, filter, s);
    const got = await outcome(server, c, filter, s);
    if (!sameOutcome(expected, got)) expect.fail(await report(name, filter, s, expected, got));
  }

  /**
   * Sorting: JSON values (json fields and paths into them, through relations too) in SQLite's
   * order of what json_extract() gives (NULL, then numbers with true/false as 1/0, then text:
   * strings, and objects and arrays as their JSON text), and multi-value fields and geoPoints by
   * the JSON text SQLite holds. Ties by id, as the records API breaks none itself.
   */
  it.each<[string, string]>([
    ['posts', 'data'], ['posts', 'data.a'], ['posts', 'data.a.b'], ['posts', 'data.list'], ['posts', 'data.list.0'], ['posts', 'data.s'],
    ['posts', 'data.n'], ['posts', 'data.missing'], ['posts', 'loc.lon'], ['posts', 'loc.lat'], ['posts', 'tags'], ['posts', 'labels'],
    ['posts', 'files'], ['posts', 'loc'], ['posts', 'author.friends'], ['posts', 'title'], ['posts', 'status'], ['posts', 'views'],
    ['users', 'friends'], ['users', 'team.members'], ['comments', 'post.data'], ['comments', 'post.data.a'], ['comments', 'post.tags'],
    ['comments', 'post.loc'],
  ])('sorts %s by %s as SQLite does', async (name, path) => {
    const c = COLLECTIONS.find((x) => x.name === name) as Collection;
    for (const dir of ['ASC', 'DESC'] as const) {
      const expected = await sortedIds(reference, c, [[path, dir]]);
      expect(await sortedIds(server, c, [[path, dir]]), `${name} sort=${dir === 'DESC' ? '-' : ''}${path},id`).toEqual(expected);
    }
  });

  it('random filters', async () => {
    const seed = process.env.DIFFERENTIAL_SEED;
    await fc.assert(fc.asyncProperty(cases, ([name, filter, s]) => check(name, filter, s)), {
      numRuns: Number(process.env.DIFFERENTIAL_RUNS ?? NUM_RUNS),
      ...(seed !== undefined && { seed: Number(seed) }),
    });
  });
});
