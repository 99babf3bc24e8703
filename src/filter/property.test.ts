import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestDatabase } from '../../test/support/databases.ts';
import { ident as sqlIdent, render, sql } from '../db/sql.ts';
import { isApiError } from '../kernel/errors.ts';
import {
  type Expr, type Op, type Operand, ANY_OPS, COMPARE_OPS, MACRO_NAMES, and, compare, func, ident, macro, num, or, placeholder, str,
} from './ast.ts';
import { compileFilter, compileSortField, parseFilter } from './index.ts';
import { authAs, dialect, envFor, guest, posts, rowsOf, useDatabase, printFilter } from './test-support.ts';
import { onlyIf } from '../../test/support/only-if.ts';

/**
 * Random expressions and hostile strings thrown at the parser and compiler. Every outcome must be
 * either a clean 400 ApiError, or SQL that the run's database executes without error and whose
 * text never contains a user-supplied value (values travel as bound parameters only).
 */
const MARK = 'ZQ9'; // every generated user value contains it; SQL text never may

const hostileFragment = fc.oneof(
  fc.constantFrom("'", '"', '\\', '--', ';', '\0', '/*', '*/', '%', '_', '`', '[', ']', '{:p}', '||', '&&', ')', '(',
    "' OR 1=1 --", '"; DROP TABLE posts; --', 'é', '🙂', '\u202e', '\r\n', 'NULL', '$1', '?'),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const hostile = fc.array(hostileFragment, { maxLength: 6 }).map((parts) => MARK + parts.join(''));

const FIELDS = [
  'id', 'title', 'views', 'published', 'author', 'author.name', 'author.email', 'author.team.name', 'author.secret', 'tags', 'tags.name',
  'tags:each', 'tags:length', 'labels:each', 'labels:length', 'files:each', 'status:lower', 'data', 'data.a.b', 'data.list.0', 'loc.lon',
  'loc.lat', 'created', 'comments_via_post.message', 'comments_via_post.user.name', 'playlists_via_posts.name', '@collection.tags.name',
  '@collection.comments:c.message', '@request.auth.id', '@request.auth.name', '@request.auth.friends.name', '@request.auth.team.members.id',
  '@request.body.title', '@request.body.title:isset', '@request.body.title:changed', '@request.body.tags:each', '@request.body.tags:length',
  '@request.body.author.name', '@request.query.q', '@request.headers.h', '@request.method', '@request.context', 'null', 'true', 'false',
  'nope', 'title.nope', 'author.nope:lower', '@collection.nope.x', 'tags:upper',
];

const field = fc.constantFrom(...FIELDS).map(ident);
const value: fc.Arbitrary<Operand> = fc.oneof(
  hostile.map(str),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(num),
  fc.integer().map(num),
  fc.constantFrom(...MACRO_NAMES).map(macro),
  fc.constantFrom('p', 'n', 'b', 'o', 'missing').map(placeholder),
);
const simple = fc.oneof({ weight: 3, arbitrary: field }, { weight: 2, arbitrary: value });
const operand: fc.Arbitrary<Operand> = fc.oneof(
  { weight: 6, arbitrary: simple },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('strftime', 'geoDistance', 'nope'), fc.array(simple, { maxLength: 5 })).map(([n, a]) => func(n, a)) },
);
const op = fc.constantFrom<Op>(...COMPARE_OPS, ...ANY_OPS);
const comparison = fc.tuple(operand, op, operand).map(([l, o, r]) => compare(l, o, r));
const { tree } = fc.letrec<{ tree: Expr }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparison,
    fc.array(tie('tree'), { minLength: 2, maxLength: 3 }).map((items) => and(...items)),
    fc.array(tie('tree'), { minLength: 2, maxLength: 3 }).map((items) => or(...items)),
  ),
}));


const db = useDatabase(createTestDatabase);

const requests = [
  guest(),
  authAs('u1', { body: { title: `${MARK}'--`, tags: [`${MARK}"`, 'g1'], author: `${MARK};` }, query: { q: `${MARK}\0` }, headers: { h: `${MARK}🙂` } }),
];

/** Compile, render, execute; a thrown error must be a 400 ApiError. */
async function check(filter: string | Expr, secrets: readonly string[], opts: { client: boolean; request: number; p: string }): Promise<void> {
  let fragment;
  let rendered;
  try {
    const env = envFor(posts, {
      dialect: db.dialect,
      allowHiddenFields: !opts.client,
      request: requests[opts.request],
      params: { p: opts.p, n: 42, b: true, o: { x: opts.p } },
    });
    fragment = compileFilter(filter, env);
    if (fragment.isEmpty) {
      expect(typeof filter === 'string' && filter.trim()).toBe(''); // only blank text filters nothing
      return;
    }
    rendered = render(fragment, db.dialect);
  } catch (e) {
    if (!isApiError(e) || e.status !== 400) throw e;
    expect(e.message).toMatch(/^Invalid filter: /);
    return;
  }
  expect(rendered.text).not.toContain(MARK);
  for (const s of secrets) expect(rendered.text).not.toContain(s);
  await rowsOf(db, sql`SELECT ${sqlIdent('posts', 'id')} FROM ${sqlIdent('posts')} WHERE ${fragment}`);
}

const opts = fc.record({ client: fc.boolean(), request: fc.integer({ min: 0, max: 1 }), p: hostile });

describe('property: random trees and hostile strings', () => {
  it('compiled trees are 400s or safe, executable SQL', async () => {
    await fc.assert(fc.asyncProperty(tree, opts, (t, o) => check(t, [], o)), { numRuns: 600 });
  });

  it('printed trees are 400s or safe, executable SQL', async () => {
    await fc.assert(fc.asyncProperty(tree, opts, (t, o) => check(printFilter(t), [], o)), { numRuns: 600 });
  });

  it('arbitrary text is a 400 or safe SQL', async () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.array(fc.oneof(fc.constantFrom(...FIELDS, '=', '!=', '?=', '~', '&&', '||', '(', ')', "'", '"', '{:p}', '//', '\n', ' ', ','), hostile), { maxLength: 30 })
        .map((parts) => parts.join(' ')),
    );
    await fc.assert(fc.asyncProperty(text, opts, (t, o) => check(t, [], o)), { numRuns: 1500 });
  });

  it('hostile string literals and placeholder values never reach the SQL text', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, fc.constantFrom('title', 'author.name', 'tags.name', 'data.s', '@request.body.title', 'comments_via_post.message'), op, opts, async (s, f, o, x) => {
        const literal = `'${s.replaceAll('\\', '').replaceAll("'", "\\'")}'`;
        await check(`${f} ${o} ${literal}`, [s.replaceAll('\\', '')], x);
        await check(`${f} ${o} {:p}`, [x.p], x);
        await check(and(compare(ident(f), o, str(s)), compare(ident(f), o, placeholder('p'))), [s, x.p], x);
      }),
      { numRuns: 600 },
    );
  });

  // The parser alone, no database: it runs once, in the sqlite project.
  onlyIf(dialect.name === 'sqlite', it)('huge inputs are rejected quickly, not parsed', () => {
    for (const big of [`title = '${'x'.repeat(10_000)}'`, 'a'.repeat(10_000), '('.repeat(10_000), `${'title = 1 && '.repeat(2000)}title = 1`]) {
      const started = performance.now();
      expect(() => parseFilter(big)).toThrow(/^Invalid filter: too long/);
      expect(performance.now() - started).toBeLessThan(200);
    }
  });

  it('10k-character values bound through placeholders and the request stay parameters', async () => {
    const long = MARK + "'; DROP TABLE posts; --".repeat(450);
    await check("title ~ {:p} || author.name = {:p} || tags.name ?~ {:p} || @request.body.title ~ title", [long], { client: true, request: 1, p: long });
    const request = authAs('u1', { body: { title: long } });
    const where = compileFilter('title ~ @request.body.title', envFor(posts, { dialect: db.dialect, request }));
    expect(render(where, db.dialect).text).not.toContain(MARK);
    expect(await rowsOf(db, sql`SELECT id FROM posts WHERE ${where}`)).toEqual([]);
    expect(() => compileFilter('title ~ {:p}', envFor(posts, { params: { p: 'x'.repeat(60_000) } }))).toThrow('Invalid filter: value too long for the ~ operator (max 50000 bytes)');
  });

  it('sort fields: 400 or a safe expression', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(...FIELDS), hostile, fc.string({ maxLength: 40 })), fc.boolean(), async (path, client) => {
        let order;
        try {
          order = compileSortField(path, envFor(posts, { dialect: db.dialect, allowHiddenFields: !client, request: requests[1] }));
        } catch (e) {
          if (!isApiError(e) || e.status !== 400) throw e;
          return;
        }
        expect(render(order, db.dialect).text).not.toContain(MARK);
        await rowsOf(db, sql`SELECT id FROM posts ORDER BY ${order}`);
      }),
      { numRuns: 500 },
    );
  });
});
