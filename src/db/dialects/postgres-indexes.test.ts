import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_SERVER_URLS, type TestDatabase } from '../../../test/support/databases.ts';
import { IndexRenderError } from '../indexes.ts';
import { parseIndex } from '../indexes-parse.ts';
import type { Sql, SqlRenderer } from '../sql.ts';
import { checkScenario, ddlText, indexScenarios, KINDS, serverInsert } from './index-scenarios.test-support.ts';
import { createIndexSql, dropIndexSql, postgresStringLiteral } from './postgres-indexes.ts';

// PostgreSQL's quoting; the PostgreSQL dialect renders the same way.
const POSTGRES: SqlRenderer = { quoteIdent: (n) => `"${n.replace(/"/g, '""')}"`, placeholder: (n) => `$${n}` };

const text = ddlText(POSTGRES);

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

// ---- PostgreSQL: the same behaviour on every database (index-scenarios.test-support.ts; SQLite,
// in sqlite-indexes.test.ts, is the reference)

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

  const insert = serverInsert((values) => client.query('INSERT INTO t (id, email, title, n, verified, tags) VALUES ($1, $2, $3, $4, $5, $6)', values), '23505');

  describe.each(['JSONB', 'TEXT'])('JSON columns as %s', (jsonType) => {
    it.each(indexScenarios())('%s', async (_what, index, rows) => {
      await reset(jsonType);
      await checkScenario({ createIndexSql, dropIndexSql, run, insert }, index, rows);
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
