import fc from 'fast-check';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_SERVER_URLS, type TestDatabase } from '../../../test/support/databases.ts';
import { IndexRenderError } from '../indexes.ts';
import { parseIndex } from '../indexes-parse.ts';
import type { Sql, SqlRenderer } from '../sql.ts';
import { checkScenario, ddlText, indexScenarios, KINDS, serverInsert } from './index-scenarios.test-support.ts';
import { createIndexSql, dropIndexSql, indexHelperColumnName, indexLookupKeyName, mysqlStringLiteral } from './mysql-indexes.ts';

// MySQL's quoting; the MySQL dialect renders the same way.
const MYSQL: SqlRenderer = { quoteIdent: (n) => `\`${n.replace(/`/g, '``')}\``, placeholder: () => '?' };

const text = ddlText(MYSQL);
const create = (index: string) => createIndexSql(parseIndex(index)!, 't', KINDS).map(text);
const drop = (index: string) => dropIndexSql(parseIndex(index)!, 't').map(text);
const LONGTEXT = 'LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin';
const EMPTY = "CONVERT(X'' USING utf8mb4) COLLATE utf8mb4_nopad_bin";

describe('MySQL index DDL', () => {
  it('indexes plain columns directly, with prefixes on TEXT columns of non-unique keys', () => {
    // A unique key over TEXT is a hash MariaDB cannot read by: its prefixed twin serves lookups.
    expect(create('CREATE UNIQUE INDEX u ON old (email, n DESC)')).toEqual([
      'ALTER TABLE `t` ADD UNIQUE INDEX `u` (`email`, `n` DESC), ADD INDEX `_idx_u_lookup` (`email`(255), `n` DESC)',
    ]);
    expect(create('CREATE UNIQUE INDEX u ON t (created, n)')).toEqual(['ALTER TABLE `t` ADD UNIQUE INDEX `u` (`created`, `n`)']);
    expect(create("CREATE INDEX i ON t (email, tags, created, id, n) WHERE email != ''")).toEqual([
      'ALTER TABLE `t` ADD INDEX `i` (`email`(192), `tags`(192), `created`, `id`, `n`)',
    ]);
    expect(create('CREATE INDEX i ON t (email)')).toEqual(['ALTER TABLE `t` ADD INDEX `i` (`email`(255))']);
  });

  it('puts NOCASE, lower() and partial unique keys in generated helper columns', () => {
    expect(create('CREATE UNIQUE INDEX u ON t (email COLLATE NOCASE DESC, n COLLATE NOCASE, upper(title))')).toEqual([
      `ALTER TABLE \`t\` ADD COLUMN \`_idx_u_1\` ${LONGTEXT} GENERATED ALWAYS AS (LOWER(\`email\`)) VIRTUAL INVISIBLE, ` +
        `ADD COLUMN \`_idx_u_3\` ${LONGTEXT} GENERATED ALWAYS AS (upper(\`title\`)) VIRTUAL INVISIBLE, ` +
        'ADD UNIQUE INDEX `u` (`_idx_u_1` DESC, `n`, `_idx_u_3`), ADD INDEX `_idx_u_lookup` (`_idx_u_1`(192) DESC, `n`, `_idx_u_3`(192))',
    ]);
    expect(create("CREATE UNIQUE INDEX u ON t (email COLLATE NOCASE, n) WHERE email != '' AND verified = 1")).toEqual([
      `ALTER TABLE \`t\` ADD COLUMN \`_idx_u_1\` ${LONGTEXT} GENERATED ALWAYS AS (IF(\`email\` != ${EMPTY} AND \`verified\` = 1, LOWER(\`email\`), NULL)) VIRTUAL INVISIBLE, ` +
        `ADD COLUMN \`_idx_u_2\` DOUBLE GENERATED ALWAYS AS (IF(\`email\` != ${EMPTY} AND \`verified\` = 1, \`n\`, NULL)) VIRTUAL INVISIBLE, ` +
        'ADD UNIQUE INDEX `u` (`_idx_u_1`, `_idx_u_2`), ADD INDEX `_idx_u_lookup` (`_idx_u_1`(255), `_idx_u_2`)',
    ]);
  });

  it('drops the index and every helper column it may have had', () => {
    expect(drop('CREATE INDEX i ON t (email, n)')).toEqual(['ALTER TABLE `t` DROP INDEX IF EXISTS `i`']);
    expect(drop("CREATE UNIQUE INDEX u ON t (email, n) WHERE email != ''")).toEqual([
      'ALTER TABLE `t` DROP INDEX IF EXISTS `u`, DROP INDEX IF EXISTS `_idx_u_lookup`, DROP COLUMN IF EXISTS `_idx_u_1`, DROP COLUMN IF EXISTS `_idx_u_2`',
    ]);
    expect(drop('CREATE INDEX i ON t (email, n COLLATE NOCASE, lower(title))')).toEqual([
      'ALTER TABLE `t` DROP INDEX IF EXISTS `i`, DROP COLUMN IF EXISTS `_idx_i_2`, DROP COLUMN IF EXISTS `_idx_i_3`',
    ]);
  });

  it('indexHelperColumnName is deterministic and fits in 64 characters', () => {
    expect(indexHelperColumnName('idx_email', 0)).toBe('_idx_idx_email_1');
    const long = 'x'.repeat(70);
    expect(indexHelperColumnName(long, 2)).toBe(indexHelperColumnName(long, 2));
    expect(indexHelperColumnName(long, 2).length).toBeLessThanOrEqual(64);
    expect(indexHelperColumnName(long, 2)).not.toBe(indexHelperColumnName(`${'x'.repeat(69)}y`, 2));
    expect(indexLookupKeyName('idx_email')).toBe('_idx_idx_email_lookup');
    expect(indexLookupKeyName(long).length).toBeLessThanOrEqual(64);
    expect(indexLookupKeyName(long)).not.toBe(indexLookupKeyName(`${'x'.repeat(69)}y`));
  });

  it('mysqlStringLiteral hex-encodes the UTF-8 text with a binary collation', () => {
    const lit = (v: string) => text(mysqlStringLiteral(v));
    expect(lit('')).toBe(EMPTY);
    expect(lit("'\\é")).toBe("CONVERT(X'275cc3a9' USING utf8mb4) COLLATE utf8mb4_nopad_bin");
    expect(() => lit('a\0b')).toThrow(IndexRenderError);
  });
});

// ---- MariaDB / MySQL: the same behaviour on every database (index-scenarios.test-support.ts;
// SQLite, in sqlite-indexes.test.ts, is the reference)

const MYSQL_URL = TEST_SERVER_URLS.mysql;

/** Whether the server answers; if not, one line says so and the executed tests skip. */
async function reachable(): Promise<boolean> {
  try {
    await (await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 3000 })).end();
    return true;
  } catch (e) {
    console.log(`skipped: MySQL/MariaDB not reachable at ${MYSQL_URL} (${e instanceof Error ? e.message : e}); set BATON_TEST_MYSQL`);
    return false;
  }
}

describe.skipIf(!(await reachable()))('MySQL indexes, executed', () => {
  let database: TestDatabase;
  let c: mysql.Connection;
  const run = async (q: Sql) => {
    await c.query(text(q));
  };
  const helperColumns = async () => {
    const [rows] = await c.query("SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME LIKE '\\_idx\\_%'");
    return (rows as { name: string }[]).map((r) => r.name);
  };

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
    c = await mysql.createConnection({ uri: database.url });
  });

  afterAll(async () => {
    await c?.end();
    await database?.drop();
  });

  // utf8mb4_nopad_bin: what the MySQL dialect should use for SQLite's BINARY comparisons.
  async function reset(collation = 'utf8mb4_nopad_bin'): Promise<void> {
    await c.query('DROP TABLE IF EXISTS t');
    await c.query(`CREATE TABLE t (
      id VARCHAR(255) NOT NULL PRIMARY KEY, email TEXT NOT NULL DEFAULT '', title TEXT NOT NULL DEFAULT '',
      n DOUBLE NOT NULL DEFAULT 0, verified BOOLEAN NOT NULL DEFAULT FALSE,
      tags JSON NOT NULL DEFAULT '[]', created VARCHAR(32) NOT NULL DEFAULT ''
    ) DEFAULT CHARSET utf8mb4 COLLATE ${collation}`);
  }

  const insert = serverInsert((values) => c.execute('INSERT INTO t (id, email, title, n, verified, tags) VALUES (?, ?, ?, ?, ?, ?)', values), 'ER_DUP_ENTRY');

  it.each(indexScenarios({ foldsNonAsciiCase: true }))('%s', async (_what, index, rows) => {
    await reset();
    await checkScenario(
      {
        createIndexSql,
        dropIndexSql,
        run,
        insert,
        // Helper columns stay out of SELECT *.
        whileIndexed: async () => {
          const [all] = await c.query('SELECT * FROM t LIMIT 1');
          expect(Object.keys((all as object[])[0]).sort()).toEqual(Object.keys(KINDS).sort());
        },
        afterDrop: async () => expect(await helperColumns()).toEqual([]),
      },
      index,
      rows,
    );
  });

  it('a unique index over duplicate values is refused and leaves no helper column behind', async () => {
    await reset();
    await insert({ email: 'a' });
    await insert({ email: 'A' });
    const spec = parseIndex("CREATE UNIQUE INDEX u ON t (email COLLATE NOCASE) WHERE email != ''")!;
    await expect(run(createIndexSql(spec, 't', KINDS)[0])).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    expect(await helperColumns()).toEqual([]);
  });

  it('dropping an index that is not there is harmless', async () => {
    await reset();
    for (const q of dropIndexSql(parseIndex("CREATE UNIQUE INDEX u ON t (email COLLATE NOCASE) WHERE email != ''")!, 't')) await run(q);
  });

  it('helper columns and literals compare as SQLite does, even on a case-insensitive table', async () => {
    await reset('utf8mb4_unicode_ci');
    const spec = parseIndex("CREATE UNIQUE INDEX u ON t (email) WHERE email != 'b'")!;
    for (const q of createIndexSql(spec, 't', KINDS)) await run(q);
    const accepted: boolean[] = [];
    for (const email of ['a', 'A', 'a ', 'B', 'B', 'b', 'b', 'a']) accepted.push(await insert({ email }));
    expect(accepted).toEqual([true, true, true, true, false, true, true, false]);
  });

  // The form that matters: a literal inside a generated column, which MariaDB stores by printing
  // the expression again and reads back when it opens the table.
  it.each(['', 'NO_BACKSLASH_ESCAPES'])("string literals survive a generated column (sql_mode '%s')", async (mode) => {
    const [[{ saved }]] = (await c.query('SELECT @@SESSION.sql_mode AS saved')) as unknown as [[{ saved: string }]];
    await c.query(`SET SESSION sql_mode = '${mode}'`);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !s.includes('\0')),
          async (s) => {
            await c.query('DROP TABLE IF EXISTS lit');
            await c.query(
              `CREATE TABLE lit (v TEXT, same INT AS (v = ${text(mysqlStringLiteral(s))}) VIRTUAL, back LONGTEXT AS (${text(mysqlStringLiteral(s))}) VIRTUAL) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci`,
            );
            await c.query('FLUSH TABLES lit');
            await c.execute('INSERT INTO lit (v) VALUES (?), (?)', [s, `${s}x`]);
            const [rows] = await c.query('SELECT same, back FROM lit');
            expect(rows).toEqual([
              { same: 1, back: s },
              { same: 0, back: s },
            ]);
          },
        ),
        { numRuns: 60, examples: [["'"], ['\\'], ["\\'"], ["'\\"], ['\\\\\''], ["'; DROP TABLE t; --"], ['é\u{1F600}'], ['a '], ['']] },
      );
    } finally {
      await c.query('SET SESSION sql_mode = ?', [saved]);
      await c.query('DROP TABLE IF EXISTS lit');
    }
  });
});
