import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { ColumnKind } from '../dialect.ts';
import { parseIndex } from '../indexes.ts';
import { render, type Sql } from '../sql.ts';
import { sqliteDialect } from './sqlite.ts';
import { createIndexSql, dropIndexSql } from './sqlite-indexes.ts';

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
  const r = render(q, sqliteDialect);
  expect(r.params).toEqual([]);
  return r.text;
};
const create = (index: string, table = 't') => createIndexSql(parseIndex(index)!, table, KINDS).map(text);

describe('SQLite index DDL', () => {
  it('renders the spec as SQLite writes it, on the table it is given', () => {
    expect(create("CREATE UNIQUE INDEX idx ON old (email COLLATE NOCASE DESC, lower(title), n) WHERE email != 'it''s' AND n > -1.5")).toEqual([
      "CREATE UNIQUE INDEX `idx` ON `t` (\n  `email` COLLATE NOCASE DESC,\n  lower(`title`),\n  `n`\n) WHERE `email` != 'it''s' AND `n` > -1.5",
    ]);
    expect(dropIndexSql(parseIndex('CREATE INDEX idx ON t (a)')!, 't').map(text)).toEqual(['DROP INDEX IF EXISTS "idx"']);
  });
});

// ---- the same behaviour on every database (see postgres-indexes.test.ts, mysql-indexes.test.ts)

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

// ---- SQLite

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
  it.each(SCENARIOS)('%s', (_what, index, rows) => {
    reset();
    const spec = parseIndex(index)!;
    createIndexSql(spec, 't', KINDS).forEach(run);
    expect(rows.map(([row]) => insert(row))).toEqual(rows.map(([, accepted]) => accepted));
    dropIndexSql(spec, 't').forEach(run);
    for (const [row] of rows) expect(insert(row)).toBe(true);
  });

  it('a unique index over duplicate values is refused', () => {
    reset();
    insert({ email: 'a' });
    insert({ email: 'A' });
    expect(() => createIndexSql(parseIndex('CREATE UNIQUE INDEX u ON t (email COLLATE NOCASE)')!, 't', KINDS).forEach(run)).toThrow(/UNIQUE/);
  });
});
