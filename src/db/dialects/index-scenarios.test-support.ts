/**
 * Test support for the index DDL of the three dialects: the table the indexes go on, the scenarios
 * every database must pass alike (SQLite, as sqlite-indexes.test.ts runs it, is the reference) and
 * the check that executes one of them on a database.
 * Used by sqlite-indexes.test.ts, postgres-indexes.test.ts and mysql-indexes.test.ts only.
 */
import { expect } from 'vitest';
import type { ColumnKind } from '../dialect.ts';
import type { IndexSpec } from '../indexes.ts';
import { parseIndex } from '../indexes-parse.ts';
import { render, type Sql, type SqlRenderer } from '../sql.ts';

/** The columns of table `t`, which every scenario indexes. */
export const KINDS: Record<string, ColumnKind> = {
  id: 'textPrimaryKey',
  email: 'text',
  title: 'text',
  n: 'number',
  verified: 'bool',
  tags: 'jsonArray',
  created: 'date',
};

/** The text of DDL as `renderer` writes it; DDL carries no parameters. */
export const ddlText =
  (renderer: SqlRenderer) =>
  (q: Sql): string => {
    const r = render(q, renderer);
    expect(r.params).toEqual([]);
    return r.text;
  };

export type Row = { email?: string; title?: string; n?: number; verified?: boolean; tags?: string };
export type Scenario = [what: string, index: string, rows: [Row, accepted: boolean][]];

/** Where a database's results depart from SQLite's in these scenarios. */
export interface Differences {
  /** NOCASE (LOWER() on MySQL/MariaDB) folds non-ASCII letters too: 'é' collides with 'É'. */
  foldsNonAsciiCase?: boolean;
}

const HOSTILE = `it's \\ "x" -- /* é ✓ \`; DROP TABLE t`;

/** An index, and rows inserted one after the other with whether the index lets each in. */
export function indexScenarios(differences: Differences = {}): Scenario[] {
  return [
    ['a unique index refuses duplicates', 'CREATE UNIQUE INDEX u ON t (email)', [[{ email: 'a' }, true], [{ email: 'a' }, false], [{ email: 'A' }, true], [{ email: 'a ' }, true]]],
    ['a partial unique index allows duplicates outside its WHERE', "CREATE UNIQUE INDEX u ON t (email) WHERE email != ''", [[{ email: '' }, true], [{ email: '' }, true], [{ email: 'x' }, true], [{ email: 'x' }, false], [{ email: 'X' }, true], [{ email: 'x ' }, true]]],
    // NOCASE folds ASCII letters only; MySQL's LOWER() folds 'É' too (a documented difference: stricter).
    ['a NOCASE unique index refuses A next to a', 'CREATE UNIQUE INDEX u ON t (email COLLATE NOCASE)', [[{ email: 'A' }, true], [{ email: 'a' }, false], [{ email: 'b' }, true], [{ email: 'É' }, true], [{ email: 'é' }, !differences.foldsNonAsciiCase]]],
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
}

/** A dialect's index DDL over a freshly made table `t` on one database. */
export interface ScenarioTarget {
  createIndexSql(spec: IndexSpec, table: string, columnKinds: Record<string, ColumnKind>): Sql[];
  dropIndexSql(spec: IndexSpec, table: string): Sql[];
  /** Executes one DDL statement. */
  run(q: Sql): unknown;
  /** Inserts a row into `t`: false when a unique index refuses it, throws on any other error. */
  insert(row: Row): boolean | Promise<boolean>;
  /** Further checks while the index is there, and once it is dropped. */
  whileIndexed?(): Promise<void>;
  afterDrop?(): Promise<void>;
}

/**
 * The `insert` of a server database: `execute` runs `INSERT INTO t (id, email, title, n, verified,
 * tags)` with the values it is given; the driver's error code `uniqueViolation` is a refused row.
 */
export function serverInsert(execute: (values: (string | number | boolean)[]) => Promise<unknown>, uniqueViolation: string): (row: Row) => Promise<boolean> {
  let nextId = 0;
  return async (row) => {
    try {
      await execute([`r${++nextId}`, row.email ?? '', row.title ?? '', row.n ?? 0, row.verified ?? false, row.tags ?? '[]']);
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === uniqueViolation) return false;
      throw e;
    }
  };
}

/**
 * Creates the index, inserts the rows and compares which it accepted; then drops the index, after
 * which every row goes in.
 */
export async function checkScenario(target: ScenarioTarget, index: string, rows: Scenario[2]): Promise<void> {
  const spec = parseIndex(index)!;
  for (const q of target.createIndexSql(spec, 't', KINDS)) await target.run(q);
  const accepted: boolean[] = [];
  for (const [row] of rows) accepted.push(await target.insert(row));
  expect(accepted).toEqual(rows.map(([, ok]) => ok));
  await target.whileIndexed?.();
  for (const q of target.dropIndexSql(spec, 't')) await target.run(q);
  await target.afterDrop?.();
  for (const [row] of rows) expect(await target.insert(row)).toBe(true);
}
