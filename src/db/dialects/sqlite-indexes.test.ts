import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIndex } from '../indexes-parse.ts';
import type { Sql } from '../sql.ts';
import { checkScenario, ddlText, indexScenarios, KINDS, type Row } from './index-scenarios.test-support.ts';
import { sqliteDialect } from './sqlite.ts';
import { createIndexSql, dropIndexSql } from './sqlite-indexes.ts';

const text = ddlText(sqliteDialect);
const create = (index: string, table = 't') => createIndexSql(parseIndex(index)!, table, KINDS).map(text);

describe('SQLite index DDL', () => {
  it('renders the spec as SQLite writes it, on the table it is given', () => {
    expect(create("CREATE UNIQUE INDEX idx ON old (email COLLATE NOCASE DESC, lower(title), n) WHERE email != 'it''s' AND n > -1.5")).toEqual([
      "CREATE UNIQUE INDEX `idx` ON `t` (\n  `email` COLLATE NOCASE DESC,\n  lower(`title`),\n  `n`\n) WHERE `email` != 'it''s' AND `n` > -1.5",
    ]);
    expect(dropIndexSql(parseIndex('CREATE INDEX idx ON t (a)')!, 't').map(text)).toEqual(['DROP INDEX IF EXISTS "idx"']);
  });
});

// ---- SQLite: the same behaviour on every database (index-scenarios.test-support.ts; see
// postgres-indexes.test.ts, mysql-indexes.test.ts)

const db = new Database(':memory:');
afterAll(() => db.close());
const run = (q: Sql) => db.prepare(text(q)).run();
let nextId = 0;

function reset(): void {
  db.exec('DROP TABLE IF EXISTS t');
  run(sqliteDialect.createTable('t', Object.entries(KINDS).map(([name, kind]) => ({ name, kind }))));
}

function insert(row: Row): boolean {
  try {
    db.prepare('INSERT INTO t (id, email, title, n, verified, tags) VALUES (?, ?, ?, ?, ?, ?)').run(
      `r${++nextId}`,
      row.email ?? '',
      row.title ?? '',
      row.n ?? 0,
      row.verified ? 1 : 0,
      row.tags ?? '[]',
    );
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
    throw e;
  }
}

describe('SQLite indexes, executed', () => {
  it.each(indexScenarios())('%s', async (_what, index, rows) => {
    reset();
    await checkScenario({ createIndexSql, dropIndexSql, run, insert }, index, rows);
  });

  it('a unique index over duplicate values is refused', () => {
    reset();
    insert({ email: 'a' });
    insert({ email: 'A' });
    expect(() => createIndexSql(parseIndex('CREATE UNIQUE INDEX u ON t (email COLLATE NOCASE)')!, 't', KINDS).forEach(run)).toThrow(/UNIQUE/);
  });
});
