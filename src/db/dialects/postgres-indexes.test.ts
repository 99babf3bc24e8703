import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_SERVER_URLS, type TestDatabase } from '../../../test/support/databases.ts';
import type { ColumnKind } from '../dialect.ts';
import { IndexRenderError, parseIndex } from '../indexes.ts';
import { render, type Sql, type SqlRenderer } from '../sql.ts';
import { createIndexSql, dropIndexSql, postgresStringLiteral } from './postgres-indexes.ts';

// PostgreSQL's quoting; the PostgreSQL dialect renders the same way.
const POSTGRES: SqlRenderer = { quoteIdent: (n) => `"${n.replace(/"/g, '""')}"`, placeholder: (n) => `$${n}` };

const KINDS: Record<string, ColumnKind> = {
  id: 'textPrimaryKey',
  email: 'text',
  title: 'text',
  n: 'number',
  verified: 'bool',
  tags: 'jsonArray',
  created: 'date',
};

const text = (q: Sql) => {
  const r = render(q, POSTGRES);
  expect(r.params).toEqual([]);
  return r.text;
};

describe('PostgreSQL index DDL', () => {
  it('renders NOCASE as lower(), converts literals for typed columns and keeps WHERE', () => {
    const spec = parseIndex(
      "CREATE UNIQUE INDEX idx ON old (email COLLATE NOCASE DESC, lower(title), n COLLATE NOCASE, tags COLLATE NOCASE) WHERE email != 'it''s \\' AND verified = 1 AND tags != '[]' AND title > 5",
    )!;
    expect(createIndexSql(spec, 't', KINDS).map(text)).toEqual([
      `CREATE UNIQUE INDEX "idx" ON "t" ((lower("email" COLLATE "C")) DESC, (lower("title" COLLATE "C")), "n", (lower("tags"::text COLLATE "C"))) ` +
        `WHERE "email" != E'it''s \\\\' AND CAST("verified" AS INTEGER) = 1 AND ("tags"::text COLLATE "C") != '[]' AND "title" > '5'`,
    ]);
    expect(dropIndexSql(spec, 't').map(text)).toEqual(['DROP INDEX IF EXISTS "idx"']);
  });

  it('uses the column names of the table, matched case-insensitively as SQLite does', () => {
    expect(createIndexSql(parseIndex('CREATE INDEX i ON t (EMAIL) WHERE Title IS NULL')!, 't', KINDS).map(text)).toEqual([
      'CREATE INDEX "i" ON "t" ("email") WHERE "title" IS NULL',
    ]);
    expect(() => createIndexSql(parseIndex('CREATE INDEX i ON t (nope)')!, 't', KINDS)).toThrow(IndexRenderError);
  });

  it('postgresStringLiteral quotes, and switches to E-strings for backslashes', () => {
    const lit = (v: string) => text(postgresStringLiteral(v));
    expect(lit("it's")).toBe("'it''s'");
    expect(lit('a\\b')).toBe("E'a\\\\b'");
    expect(lit('é ✓')).toBe("'é ✓'");
    expect(() => lit('a\0b')).toThrow(IndexRenderError);
  });
});

// ---- the same behaviour on every database (see sqlite-indexes.test.ts, the reference)

type Row = { email?: string; title?: string; n?: number; verified?: boolean; tags?: string };
type Scenario = [what: string, index: string, rows: [Row, accepted: boolean][]];

const HOSTILE = `it's \\ "x" -- /* é ✓ \`; DROP TABLE t`;
const SCENARIOS: Scenario[] = [
  ['a unique index refuses duplicates', 'CREATE UNIQUE INDEX u ON t (email)', [[{ email: 'a' }, true], [{ email: 'a' }, false], [{ email: 'A' }, true], [{ email: 'a ' }, true]]],
  ['a partial unique index allows duplicates outside its WHERE', "CREATE UNIQUE INDEX u ON t (email) WHERE email != ''", [[{ email: '' }, true], [{ email: '' }, true], [{ email: 'x' }, true], [{ email: 'x' }, false], [{ email: 'X' }, true], [{ email: 'x ' }, true]]],
  // NOCASE folds ASCII letters only.
  ['a NOCASE unique index refuses A next to a', 'CREATE UNIQUE INDEX u ON t (email COLLATE NOCASE)', [[{ email: 'A' }, true], [{ email: 'a' }, false], [{ email: 'b' }, true], [{ email: 'É' }, true], [{ email: 'é' }, true]]],
  ['a NOCASE partial composite unique index', "CREATE UNIQUE INDEX u ON t (email COLLATE NOCASE DESC, n) WHERE email != ''", [[{ email: 'A', n: 1 }, true], [{ email: 'a', n: 2 }, true], [{ email: 'a', n: 1 }, false], [{ email: '', n: 1 }, true], [{ email: '', n: 1 }, true]]],
  ['a unique lower() index', 'CREATE UNIQUE INDEX u ON t (lower(title))', [[{ title: 'Ab' }, true], [{ title: 'aB' }, false]]],
  ['an RTRIM unique index', 'CREATE UNIQUE INDEX u ON t (email COLLATE RTRIM)', [[{ email: 'a' }, true], [{ email: 'a  ' }, false]]],
  ['a WHERE on a bool column', 'CREATE UNIQUE INDEX u ON t (email) WHERE verified = 1', [[{ email: 'x' }, true], [{ email: 'x' }, true], [{ email: 'x', verified: true }, true], [{ email: 'x', verified: true }, false]]],
  ['a WHERE on a JSON array column', "CREATE UNIQUE INDEX u ON t (tags) WHERE tags != '[]'", [[{ tags: '[]' }, true], [{ tags: '[]' }, true], [{ tags: '["a"]' }, true], [{ tags: '["a"]' }, false]]],
  ['a hostile string literal', `CREATE UNIQUE INDEX u ON t (email) WHERE email != '${HOSTILE.replace(/'/g, "''")}'`, [[{ email: HOSTILE }, true], [{ email: HOSTILE }, true], [{ email: 'z' }, true], [{ email: 'z' }, false]]],
  ['a number column against text (always true)', "CREATE UNIQUE INDEX u ON t (email) WHERE n != 'abc'", [[{ email: 'a' }, true], [{ email: 'a' }, false]]],
  ['a number column against text (never true)', "CREATE UNIQUE INDEX u ON t (email) WHERE n = 'abc' OR 'abc' < n", [[{ email: 'a' }, true], [{ email: 'a' }, true]]],
  ['a number column against a numeric string', "CREATE UNIQUE INDEX u ON t (email) WHERE n >= ' 2 '", [[{ email: 'a', n: 1 }, true], [{ email: 'a', n: 1 }, true], [{ email: 'a', n: 2 }, true], [{ email: 'a', n: 3 }, false]]],
  ['a text column against a number', 'CREATE UNIQUE INDEX u ON t (title) WHERE title != 5', [[{ title: '5' }, true], [{ title: '5' }, true], [{ title: 'x' }, true], [{ title: 'x' }, false]]],
  ['AND, OR, NOT and IS NULL', "CREATE UNIQUE INDEX u ON t (email) WHERE NOT (n < 0) AND (title = 'a' OR title IS NULL)", [[{ email: 'e', n: 1, title: 'a' }, true], [{ email: 'e', n: 1, title: 'a' }, false], [{ email: 'e', n: -1, title: 'a' }, true], [{ email: 'e', n: 1, title: 'b' }, true]]],
  ['a non-unique partial index', "CREATE INDEX i ON t (title, created DESC) WHERE title != ''", [[{ title: 'a' }, true], [{ title: 'a' }, true]]],
  ['a non-unique index over many text columns', 'CREATE INDEX i ON t (email, title, tags, lower(email), upper(title) DESC, created, id, n COLLATE NOCASE)', [[{ email: 'a'.repeat(3000) }, true], [{ email: 'a'.repeat(3000) }, true]]],
];

// ---- PostgreSQL

const PG_URL = TEST_SERVER_URLS.postgres;

/** Whether the server answers; if not, one line says so and the executed tests skip. */
async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch (e) {
    console.log(`skipped: PostgreSQL not reachable at ${PG_URL} (${e instanceof Error ? e.message : e}); set BATON_TEST_PG`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe.skipIf(!(await reachable()))('PostgreSQL indexes, executed', () => {
  let database: TestDatabase;
  let client: pg.Client;
  let nextId = 0;
  const run = async (q: Sql) => {
    await client.query(text(q));
  };

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  // Text columns as postgres.ts makes them; the JSON kinds as JSONB (postgres.ts) and as plain TEXT.
  async function reset(jsonType: string): Promise<void> {
    await client.query('DROP TABLE IF EXISTS t');
    await client.query(`CREATE TABLE t (
      id TEXT COLLATE "C" PRIMARY KEY, email TEXT COLLATE "C" NOT NULL DEFAULT '', title TEXT COLLATE "C" NOT NULL DEFAULT '',
      n DOUBLE PRECISION NOT NULL DEFAULT 0, verified BOOLEAN NOT NULL DEFAULT FALSE,
      tags ${jsonType} NOT NULL DEFAULT '[]', created TEXT COLLATE "C" NOT NULL DEFAULT '')`);
  }

  async function insert(row: Row): Promise<boolean> {
    try {
      await client.query('INSERT INTO t (id, email, title, n, verified, tags) VALUES ($1, $2, $3, $4, $5, $6)', [
        `r${++nextId}`,
        row.email ?? '',
        row.title ?? '',
        row.n ?? 0,
        row.verified ?? false,
        row.tags ?? '[]',
      ]);
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === '23505') return false;
      throw e;
    }
  }

  describe.each(['JSONB', 'TEXT'])('JSON columns as %s', (jsonType) => {
    it.each(SCENARIOS)('%s', async (_what, index, rows) => {
      await reset(jsonType);
      const spec = parseIndex(index)!;
      for (const q of createIndexSql(spec, 't', KINDS)) await run(q);
      const accepted: boolean[] = [];
      for (const [row] of rows) accepted.push(await insert(row));
      expect(accepted).toEqual(rows.map(([, ok]) => ok));
      for (const q of dropIndexSql(spec, 't')) await run(q);
      for (const [row] of rows) expect(await insert(row)).toBe(true);
    });
  });

  it('a unique index over duplicate values is refused', async () => {
    await reset('JSONB');
    await insert({ email: 'a' });
    await insert({ email: 'A' });
    const spec = parseIndex('CREATE UNIQUE INDEX u ON t (email COLLATE NOCASE)')!;
    await expect(run(createIndexSql(spec, 't', KINDS)[0])).rejects.toMatchObject({ code: '23505' });
  });

  it.each(['on', 'off'])('string literals read back unchanged (standard_conforming_strings %s)', async (setting) => {
    await client.query(`SET standard_conforming_strings = ${setting}`);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')),
          async (s) => {
            const { rows } = await client.query(`SELECT ${text(postgresStringLiteral(s))}::text AS v`);
            expect(rows[0].v).toBe(s);
          },
        ),
        { numRuns: 300, examples: [["'"], ['\\'], ["\\'"], ["'\\"], ['\\\\\''], ["'; DROP TABLE t; --"], ['é\u{1F600}']] },
      );
    } finally {
      await client.query('RESET standard_conforming_strings');
    }
  });
});
