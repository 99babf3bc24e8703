import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowShape } from '../dialect.ts';
import { sql } from '../sql.ts';
import { SqliteDatabase } from './sqlite-database.ts';

// Reads run in better-sqlite3's raw mode and make their row objects in JavaScript
// (sqlite-database.ts, CachedStatement): the rows must be what the driver's own objects were,
// with the row shape's conversions applied.
describe('SQLite rows', () => {
  let dir: string;
  let db: SqliteDatabase;
  /** The driver's own object for the same statement, for comparison. */
  let plain: BetterSqlite3.Database;
  const shape: RowShape = { flag: 'bool', doc: 'json', n: 'number', t: 'text' };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-rows-'));
    db = new SqliteDatabase(path.join(dir, 'data.db'));
    await db.run(sql`CREATE TABLE t (id TEXT PRIMARY KEY, flag INTEGER, doc JSON, n TEXT, t INTEGER, other TEXT)`);
    await db.run(sql`INSERT INTO t VALUES ('a', 1, '{"x":[1,2]}', '12', 7, 'o1'), ('b', 0, 'not json', 'x', NULL, NULL)`);
    plain = new BetterSqlite3(path.join(dir, 'data.db'), { readonly: true });
  });

  afterAll(async () => {
    plain.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are the driver objects, with the same keys in the same order', async () => {
    const text = 'SELECT * FROM t ORDER BY id';
    const rows = await db.all<Record<string, unknown>>(sql`SELECT * FROM t ORDER BY id`);
    expect(rows).toEqual(plain.prepare(text).all());
    expect(rows.map((r) => Object.keys(r))).toEqual((plain.prepare(text).all() as object[]).map((r) => Object.keys(r)));
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
    expect(await db.get(sql`SELECT * FROM t WHERE id = ${'b'}`)).toEqual(plain.prepare("SELECT * FROM t WHERE id = 'b'").get());
    expect(await db.get(sql`SELECT * FROM t WHERE id = ${'none'}`)).toBeUndefined();
  });

  it('convert the columns the shape names, and only those', async () => {
    const [a, b] = await db.all<Record<string, unknown>>(sql`SELECT * FROM t ORDER BY id`, shape);
    expect(a).toEqual({ id: 'a', flag: true, doc: { x: [1, 2] }, n: 12, t: '7', other: 'o1' });
    // Text that is not JSON stays text; text that is not a number stays text; NULL stays NULL.
    expect(b).toEqual({ id: 'b', flag: false, doc: 'not json', n: 'x', t: null, other: null });
    expect(await db.get(sql`SELECT flag, doc FROM t WHERE id = ${'a'}`, shape)).toEqual({ flag: true, doc: { x: [1, 2] } });
    // The same statement with another shape (and with none) is converted by that shape.
    expect(await db.get(sql`SELECT flag, doc FROM t WHERE id = ${'a'}`, { doc: 'json' })).toEqual({ flag: 1, doc: { x: [1, 2] } });
    expect(await db.get(sql`SELECT flag, doc FROM t WHERE id = ${'a'}`)).toEqual({ flag: 1, doc: '{"x":[1,2]}' });
  });

  it('keep the last value of a repeated column name, as the driver does', async () => {
    const text = "SELECT 1 AS a, 2 AS b, 3 AS a, 4 AS \"0\"";
    const row = await db.get<Record<string, unknown>>(sql`SELECT 1 AS a, 2 AS b, 3 AS a, 4 AS "0"`);
    expect(row).toEqual(plain.prepare(text).get());
    expect(Object.keys(row!)).toEqual(Object.keys(plain.prepare(text).get() as object));
  });

  it('take any column name as a key, and never set a prototype', async () => {
    const row = await db.get<Record<string, unknown>>(
      sql`SELECT 2 AS "constructor", 3 AS "a""b", 4 AS "x\\y", 5 AS "}; throw 1; ({", 6 AS "toString"`,
      { constructor: 'bool' } as RowShape,
    );
    expect(row).toEqual({ constructor: true, 'a"b': 3, 'x\\y': 4, '}; throw 1; ({': 5, toString: 6 });
    // A BLOB named __proto__ (the driver's own object would take it as its prototype) is a value.
    const odd = await db.get<Record<string, unknown>>(sql`SELECT x'0102' AS "__proto__", 1 AS a, 2 AS a`);
    expect(Object.getPrototypeOf(odd)).toBe(Object.prototype);
    expect(Object.keys(odd!)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(odd, '__proto__')?.value).toEqual(Buffer.from([1, 2]));
    expect(odd!.a).toBe(2);
    // A shape that does not name a column leaves it alone, whatever Object.prototype holds.
    expect(await db.get(sql`SELECT 2 AS "constructor", 6 AS "toString"`, {})).toEqual({ constructor: 2, toString: 6 });
  });

  it('come back from writes with RETURNING, converted', async () => {
    const rows = await db.write<Record<string, unknown>>(sql`INSERT INTO t (id, flag, doc) VALUES (${'c'}, 1, '[1]') RETURNING id, flag, doc`, shape);
    expect(rows).toEqual([{ id: 'c', flag: true, doc: [1] }]);
  });
});
