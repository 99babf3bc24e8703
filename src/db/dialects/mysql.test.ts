import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnKind, ColumnSpec, Database, Dialect, ExprType, RowShape, TypedSql } from '../dialect.ts';
import { translateDbError } from '../errors.ts';
import { ident, raw, sql, value, type Sql, type ValueType } from '../sql.ts';
import { MysqlDatabase } from './mysql-database.ts';
import { mysqlDialect } from './mysql.ts';
import { SqliteDatabase } from './sqlite-database.ts';

/**
 * The MySQL dialect against a real MariaDB, each expression checked against the SQLite dialect's
 * result on the same rows (SQLite is the reference). Needs a server: BATON_TEST_MYSQL, by default
 * the one on 127.0.0.1; without one the suite is skipped with one line.
 */
const SERVER = process.env.BATON_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306/test';

async function answers(url: string): Promise<boolean> {
  try {
    const c = await mysql.createConnection({ uri: url, connectTimeout: 1500 });
    await c.end();
    return true;
  } catch {
    return false;
  }
}

const available = await answers(SERVER);
if (!available) console.log(`skipped: MySQL dialect tests, no server answers at ${new URL(SERVER).host} (set BATON_TEST_MYSQL)`);

const withDatabase = (url: string, name: string): string => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

const COLUMNS: ColumnSpec[] = [
  { name: 'id', kind: 'textPrimaryKey' },
  { name: 'title', kind: 'text' },
  { name: 'n', kind: 'number' },
  { name: 'b', kind: 'bool' },
  { name: 'data', kind: 'json' },
  { name: 'tags', kind: 'jsonArray' },
  { name: 'one', kind: 'text' },
  { name: 'geo', kind: 'geoPoint' },
  { name: 'created', kind: 'date' },
];

const SHAPE: RowShape = { id: 'text', title: 'text', n: 'number', b: 'bool', data: 'json', tags: 'json', one: 'text', geo: 'json', created: 'text' };

const ROWS: Record<string, unknown>[] = [
  { id: 'r1', title: 'Hello', n: 5, b: true, data: { a: { b: [1, 'Z', null, true] }, s: 'x', n: 5 }, tags: ['p', 'q'], one: 'p', geo: { lon: 13.4, lat: 52.5 }, created: '2024-01-31 10:20:30.456Z' },
  { id: 'r2', title: 'hello', n: 0, b: false, data: null, tags: [], one: '', geo: { lon: 2.35, lat: 48.86 }, created: '' },
  { id: 'r3', title: 'hello ', n: 2.5, b: false, data: { a: null, s: 'X', n: 5.5 }, tags: ['q'], one: 'q', geo: { lon: -73.98, lat: 40.75 }, created: '2023-03-05 23:59:59.999Z' },
  { id: 'r4', title: '', n: -1, b: true, data: 'just text', tags: ['a%b', 'c_d'], one: 'x', geo: { lon: 0, lat: 0 }, created: '2024-02-29 12:00:00.000Z' },
  { id: 'r5', title: 'a%b_c\\d', n: 1000, b: false, data: [1, 2, 3], tags: ['r1', 'r2'], one: 'r1', geo: { lon: 151.2, lat: -33.87 }, created: '1999-12-31 23:59:59.000Z' },
  { id: 'r6', title: 'abc', n: 10, b: false, data: { s: 'abc', n: '10', t: true, f: false }, tags: ['x'], one: 'x', geo: { lon: 0, lat: 0 }, created: '2021-01-03 00:00:00.000Z' },
  { id: 'r7', title: '5', n: 5, b: true, data: { n: 5 }, tags: ['5'], one: '5', geo: { lon: 0, lat: 0 }, created: '2024-12-30 08:00:00.000Z' },
  { id: 'r8', title: 'Ärger', n: 0.5, b: false, data: { s: 'ärger' }, tags: ['ä'], one: 'Ä', geo: { lon: 0, lat: 0 }, created: '2024-07-04 18:30:00.000Z' },
];

const stored = (kind: ColumnKind, v: unknown): unknown => (kind === 'json' ? (v === null ? null : JSON.stringify(v)) : v);

async function createItems(db: Database): Promise<void> {
  const d = db.dialect;
  await db.run(d.createTable('items', COLUMNS));
  for (const row of ROWS) {
    const cols = COLUMNS.map((c) => sql`${ident(c.name)}`);
    const vals = COLUMNS.map((c) => sql`${stored(c.kind === 'json' || c.kind === 'jsonArray' || c.kind === 'geoPoint' ? 'json' : c.kind, row[c.name])}`);
    await db.run(sql`INSERT INTO ${ident('items')} (${joinSql(cols)}) VALUES (${joinSql(vals)})`);
  }
}

const joinSql = (parts: Sql[]): Sql => new (parts[0].constructor as typeof Sql)(parts.flatMap((p, i) => (i ? [', ', ...p.parts] : [...p.parts])));

const col = (name: string, type: ExprType): TypedSql => ({ sql: sql`${ident('items', name)}`, type, column: true });
const lit = (v: unknown, type: ValueType): TypedSql => ({ sql: sql`${value(v, type)}`, type, constant: { value: v } });
const compare = (d: Dialect, l: TypedSql, op: string, r: TypedSql): Sql => {
  const c = d.comparable(l, r);
  return sql`${c.left} ${raw(op)} ${c.right}`;
};

describe.skipIf(!available)('MySQL dialect on MariaDB, compared with SQLite', () => {
  const name = `baton_my_${randomBytes(6).toString('hex')}`;
  let admin: mysql.Connection;
  let my: MysqlDatabase;
  let lite: SqliteDatabase;
  const both = (): Database[] => [lite, my];

  /** The ids of `items` rows matching `where`, on one database. */
  const idsOn = async (db: Database, where: (d: Dialect) => Sql): Promise<string[]> =>
    (await db.all<{ id: string }>(sql`SELECT ${ident('items', 'id')} AS id FROM ${ident('items')} WHERE ${where(db.dialect)} ORDER BY ${ident('items', 'id')}`)).map((r) => r.id);

  /** The ids matching on SQLite, checked equal on MariaDB. */
  const sameIds = async (where: (d: Dialect) => Sql): Promise<string[]> => {
    const expected = await idsOn(lite, where);
    expect(await idsOn(my, where), 'MariaDB matches the rows SQLite matches').toEqual(expected);
    return expected;
  };

  /** One value per row (ordered by id) on both databases, checked equal. */
  const sameValues = async (expr: (d: Dialect) => Sql, shape: RowShape = { v: 'text' }): Promise<unknown[]> => {
    const run = async (db: Database) =>
      (await db.all<{ v: unknown }>(sql`SELECT ${expr(db.dialect)} AS v FROM ${ident('items')} ORDER BY ${ident('items', 'id')}`, shape)).map((r) => r.v);
    const expected = await run(lite);
    expect(await run(my)).toEqual(expected);
    return expected;
  };

  beforeAll(async () => {
    admin = await mysql.createConnection(SERVER);
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    my = new MysqlDatabase(withDatabase(SERVER, name), { poolSize: 4 });
    lite = new SqliteDatabase(':memory:');
    for (const db of both()) {
      for (const s of db.dialect.systemTables().data) await db.run(s);
      for (const s of db.dialect.systemTables().aux) await db.run(s);
      await createItems(db);
    }
  });

  afterAll(async () => {
    await my?.close();
    await lite?.close();
    await admin?.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin?.end();
  });

  it('creates the system tables idempotently, with working defaults', async () => {
    for (const s of mysqlDialect.systemTables().data) await my.run(s);
    for (const s of mysqlDialect.systemTables().aux) await my.run(s);
    await my.run(sql`INSERT INTO _collections (name) VALUES (${'posts'})`);
    const c = await my.get<Record<string, unknown>>(sql`SELECT * FROM _collections`, { system: 'bool', fields: 'json', indexes: 'json', options: 'json' });
    expect(c).toMatchObject({ name: 'posts', type: 'base', system: false, fields: [], indexes: [], options: {}, listRule: null });
    expect(c?.id).toMatch(/^r[0-9a-f]{14}$/);
    await my.run(sql`INSERT INTO _logs (message) VALUES (${'m'})`);
    const log = await my.get<{ created: string; data: unknown }>(sql`SELECT * FROM _logs`, { data: 'json' });
    expect(log?.created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(log?.data).toEqual({});
    await my.run(sql`INSERT INTO _migrations (file, applied) VALUES (${'1_init.js'}, ${Date.now() * 1000})`);
    expect(await my.get(sql`SELECT applied FROM _migrations`)).toEqual({ applied: expect.any(Number) });
  });

  it('normalises rows: JSON as values, booleans, numbers', async () => {
    const rowOf = (db: Database) => db.get(sql`SELECT * FROM ${ident('items')} WHERE ${ident('id')} = ${value('r1', 'text')}`, SHAPE);
    const row = await rowOf(my);
    expect(row).toEqual(await rowOf(lite));
    expect(row).toEqual(ROWS[0]);
    expect(await my.all(sql`SELECT * FROM ${ident('items')} ORDER BY ${ident('id')}`, SHAPE)).toEqual(await lite.all(sql`SELECT * FROM ${ident('items')} ORDER BY ${ident('id')}`, SHAPE));
    // Counts and sums are numbers; a BOOLEAN column is a boolean once its shape says so (the
    // contract: code above db/ names the types it reads), and 0/1 without.
    const grouped = sql`SELECT ${ident('b')}, COUNT(*) AS c, SUM(${ident('n')}) AS s FROM ${ident('items')} WHERE ${ident('id')} = 'r1' GROUP BY ${ident('b')}`;
    expect(await my.get(grouped, { b: 'bool' })).toEqual({ b: true, c: 1, s: 5 });
    expect(await my.get(grouped)).toEqual({ b: 1, c: 1, s: 5 });
    expect((await my.all<{ name: string }>(mysqlDialect.tableColumns('items'))).map((r) => r.name)).toEqual(COLUMNS.map((c) => c.name));
  });

  it('compares text case-sensitively, with trailing spaces significant, as SQLite', async () => {
    expect(await sameIds((d) => compare(d, col('title', 'text'), '=', lit('hello', 'text')))).toEqual(['r2']);
    expect(await sameIds((d) => compare(d, col('title', 'text'), '=', lit('hello ', 'text')))).toEqual(['r3']);
    await sameIds((d) => compare(d, col('title', 'text'), '>', lit('Hello', 'text')));
    await sameIds((d) => compare(d, col('title', 'text'), '<', lit('a', 'text')));
    await sameIds((d) => compare(d, col('one', 'text'), '=', lit('Ä', 'text')));
    await sameIds((d) => sql`${ident('items', 'title')} = ${ident('items', 'one')}`);
    // Ordering by code point.
    const order = async (db: Database) =>
      (await db.all<{ id: string }>(sql`SELECT id FROM ${ident('items')} ORDER BY ${db.dialect.orderBy(sql`${ident('title')}`, false)}, id`)).map((r) => r.id);
    expect(await order(my)).toEqual(await order(lite));
  });

  it('LIKE is case-insensitive with \\ escapes, as SQLite', async () => {
    const like = (pattern: string, negate = false) => (d: Dialect) => d.like(sql`${ident('items', 'title')}`, sql`${value(pattern, 'text')}`, negate);
    expect(await sameIds(like('%ELLO%'))).toEqual(['r1', 'r2', 'r3']);
    expect(await sameIds(like('%ELLO'))).toEqual(['r1', 'r2']);
    expect(await sameIds(like('%ELLO%', true))).toEqual(['r4', 'r5', 'r6', 'r7', 'r8']);
    expect(await sameIds(like('%\\%%'))).toEqual(['r5']);
    expect(await sameIds(like('%\\_%'))).toEqual(['r5']);
    expect(await sameIds(like('%\\\\%'))).toEqual(['r5']);
    expect(await sameIds(like('a_b%'))).toEqual(['r5']);
    expect(await sameIds(like('_'))).toEqual(['r7']);
    // Only ASCII letters fold, as in SQLite ('Ä' is not 'ä'; MySQL's own LOWER would fold it).
    expect(await sameIds(like('ä%'))).toEqual([]);
    // A number read as text, and a concatenated pattern.
    await sameIds((d) => d.like(d.cast(sql`${ident('items', 'n')}`, 'number', 'text'), d.concat([raw("'%'"), sql`${value('5', 'text')}`, raw("'%'")]), false));
    await sameIds((d) => d.like(sql`${ident('items', 'tags')}`, sql`${value('%A\\%B%', 'text')}`, false));
  });

  it('treats NULL and empty text apart through comparable and nullSafeEqual', async () => {
    const missing = (d: Dialect) => d.jsonValue(sql`${ident('items', 'data')}`, ['missing']);
    expect(await sameIds((d) => d.nullSafeEqual(missing(d), raw('NULL'), false))).toHaveLength(8);
    expect(await sameIds((d) => d.nullSafeEqual(sql`${ident('items', 'title')}`, sql`${value('', 'text')}`, false))).toEqual(['r4']);
    expect(await sameIds((d) => d.nullSafeEqual(sql`${ident('items', 'title')}`, sql`${value('', 'text')}`, true))).toHaveLength(7);
    // data.a is JSON null in r3 and absent in others: both read as NULL.
    await sameIds((d) => d.nullSafeEqual(d.jsonValue(sql`${ident('items', 'data')}`, ['a']), raw('NULL'), true));
    await sameIds((d) => compare(d, { sql: d.jsonValue(sql`${ident('items', 'data')}`, ['s']), type: 'dynamic' }, '=', lit('', 'text')));
    await sameIds((d) => compare(d, col('n', 'number'), '=', lit('', 'text')));
    await sameIds((d) => sql`COALESCE(${d.jsonValue(sql`${ident('items', 'data')}`, ['s'])}, '') = ''`);
  });

  it('never equates a number with non-numeric text (MySQL would read "abc" as 0)', async () => {
    expect(await sameIds((d) => compare(d, col('n', 'number'), '=', lit('abc', 'text')))).toEqual([]);
    expect(await sameIds((d) => compare(d, col('n', 'number'), '!=', lit('abc', 'text')))).toHaveLength(8);
    expect(await sameIds((d) => compare(d, col('n', 'number'), '=', lit(' 5 ', 'text')))).toEqual(['r1', 'r7']);
    expect(await sameIds((d) => compare(d, col('n', 'number'), '=', lit('1e3', 'text')))).toEqual(['r5']);
    expect(await sameIds((d) => compare(d, col('n', 'number'), '>', lit('2', 'text')))).toEqual(['r1', 'r3', 'r5', 'r6', 'r7']);
    // A text column converts the number to text (affinity), so '5' matches 5.
    expect(await sameIds((d) => compare(d, col('title', 'text'), '=', lit(5, 'number')))).toEqual(['r7']);
    expect(await sameIds((d) => compare(d, col('title', 'text'), '=', lit(0, 'number')))).toEqual([]);
    expect(await sameIds((d) => compare(d, col('b', 'bool'), '=', lit(1, 'number')))).toEqual(['r1', 'r4', 'r7']);
    expect(await sameIds((d) => compare(d, col('b', 'bool'), '=', lit('1', 'text')))).toEqual(['r1', 'r4', 'r7']);
    expect(await sameIds((d) => compare(d, col('b', 'bool'), '=', lit('true', 'text')))).toEqual([]);
    expect(await sameIds((d) => compare(d, col('n', 'number'), '=', lit(true, 'bool')))).toEqual([]);
  });

  it('reads JSON values: JSON null as NULL, nested paths, typed comparisons', async () => {
    const at = (...path: string[]) => (d: Dialect): TypedSql => ({ sql: d.jsonValue(sql`${ident('items', 'data')}`, path), type: 'dynamic' });
    expect(await sameIds((d) => compare(d, at('a', 'b', '1')(d), '=', lit('Z', 'text')))).toEqual(['r1']);
    expect(await sameIds((d) => compare(d, at('a', 'b', '0')(d), '=', lit(1, 'number')))).toEqual(['r1']);
    expect(await sameIds((d) => sql`${at('a', 'b', '2')(d).sql} IS NULL`)).toHaveLength(8);
    expect(await sameIds((d) => compare(d, at('a', 'b', '3')(d), '=', lit(true, 'bool')))).toEqual(['r1']);
    expect(await sameIds((d) => compare(d, at('s')(d), '=', lit('x', 'text')))).toEqual(['r1']);
    expect(await sameIds((d) => compare(d, at('s')(d), '=', lit('X', 'text')))).toEqual(['r3']);
    expect(await sameIds((d) => compare(d, at('n')(d), '=', lit(5.5, 'number')))).toEqual(['r3']);
    // SQLite orders any text after every number (affinity.ts), so the JSON string "10" (r6) is > 5.
    expect(await sameIds((d) => compare(d, at('n')(d), '>', lit(5, 'number')))).toEqual(['r3', 'r6']);
    expect(await sameIds((d) => compare(d, at('n')(d), '=', lit(10, 'number')))).toEqual([]); // "10" is a string
    expect(await sameIds((d) => compare(d, at('n')(d), '=', lit('10', 'text')))).toEqual(['r6']);
    expect(await sameIds((d) => compare(d, at('t')(d), '=', lit(true, 'bool')))).toEqual(['r6']);
    expect(await sameIds((d) => compare(d, at('f')(d), '=', lit(false, 'bool')))).toEqual(['r6']);
    expect(await sameIds((d) => compare(d, at('0')(d), '=', lit(1, 'number')))).toEqual(['r5']);
    // The whole document: a JSON string as its text, JSON null (r2) as NULL.
    expect(await sameIds((d) => compare(d, at()(d), '=', lit('just text', 'text')))).toEqual(['r4']);
    expect(await sameIds((d) => sql`${at()(d).sql} IS NULL`)).toEqual(['r2']);
    await sameIds((d) => compare(d, at('s')(d), '=', { sql: d.jsonValue(sql`${ident('items', 'data')}`, ['s']), type: 'dynamic' }));
    await sameIds((d) => compare(d, at('n')(d), '=', at('n')(d)));
    // Sorting by a JSON value: NULLs first, strings by code point (all of data.s are strings).
    const sorted = async (db: Database, descending: boolean) =>
      (await db.all<{ id: string }>(sql`SELECT id FROM ${ident('items')} ORDER BY ${db.dialect.orderBy(at('s')(db.dialect).sql, descending)}, id${db.dialect.limitOffset(6, 1)}`)).map((r) => r.id);
    expect(await sorted(my, false)).toEqual(await sorted(lite, false));
    expect(await sorted(my, true)).toEqual(await sorted(lite, true));
    await sameValues((d) => d.lower(d.cast(at('s')(d).sql, 'dynamic', 'text')));
    await sameValues((d) => d.cast(at('a', 'b', '0')(d).sql, 'dynamic', 'number'), { v: 'number' });
    // Text that is not JSON reads as a string at the root and as nothing below it.
    await sameValues((d) => d.cast(d.jsonValue(sql`${ident('items', 'title')}`, []), 'dynamic', 'text'));
    await sameValues((d) => d.jsonValue(sql`${ident('items', 'title')}`, ['a']));
  });

  it('counts and iterates multi-value columns (jsonArrayLength, jsonEach)', async () => {
    await sameValues((d) => d.jsonArrayLength(sql`${ident('items', 'tags')}`, true), { v: 'number' });
    await sameValues((d) => d.jsonArrayLength(sql`${ident('items', 'one')}`, false), { v: 'number' });
    const pairs = async (db: Database, from: (d: Dialect) => Sql) =>
      db.all<{ id: string; value: string | null }>(sql`SELECT ${ident('items', 'id')} AS id, ${ident('je', 'value')} AS value FROM ${from(db.dialect)} ORDER BY 1, 2`);
    const same = async (from: (d: Dialect) => Sql) => {
      const expected = await pairs(lite, from);
      expect(await pairs(my, from)).toEqual(expected);
      return expected;
    };
    const leftJoin = await same((d) => sql`${ident('items')} LEFT JOIN ${d.jsonEach(sql`${ident('items', 'tags')}`, 'je', true)} ON 1=1`);
    expect(leftJoin).toContainEqual({ id: 'r2', value: null });
    expect(leftJoin.filter((r) => r.id === 'r1').map((r) => r.value)).toEqual(['p', 'q']);
    await same((d) => sql`${ident('items')}, ${d.jsonEach(sql`${ident('items', 'tags')}`, 'je', true)}`);
    const single = await same((d) => sql`${ident('items')} LEFT JOIN ${d.jsonEach(sql`${ident('items', 'one')}`, 'je', false)} ON 1=1`);
    expect(single).toHaveLength(8);
    await same((d) => sql`${ident('items')}, ${d.jsonEach(sql`${value(['r1', 'r3'], 'json')}`, 'je', true)} WHERE ${ident('je', 'value')} = ${ident('items', 'id')}`);
    // Correlated from a subquery, as the filter's all-of checks use it.
    expect(await sameIds((d) => sql`EXISTS (SELECT 1 FROM ${d.jsonEach(sql`${ident('items', 'tags')}`, '__je', true)} WHERE ${ident('__je', 'value')} = ${value('q', 'text')})`)).toEqual(['r1', 'r3']);
    expect(await sameIds((d) => sql`NOT EXISTS (SELECT 1 FROM ${d.jsonEach(sql`${ident('items', 'tags')}`, '__je', true)} WHERE NOT (${ident('__je', 'value')} = ${value('q', 'text')}))`)).toEqual(['r2', 'r3']);
    expect(await sameIds((d) => d.inValues(sql`${ident('items', 'id')}`, ['r2', 'r5', 'R1', 'nope']))).toEqual(['r2', 'r5']);
    expect(await sameIds((d) => d.inValues(sql`${ident('items', 'id')}`, []))).toEqual([]);
  });

  it('computes geoDistance as SQLite does', async () => {
    const dist = (d: Dialect) => {
      const geo = (k: string): TypedSql => ({ sql: d.jsonValue(sql`${ident('items', 'geo')}`, [k]), type: 'dynamic' });
      return d.geoDistance(geo('lon'), geo('lat'), lit(13.4, 'number'), lit(52.52, 'number'));
    };
    const run = async (db: Database) => (await db.all<{ v: number }>(sql`SELECT ${dist(db.dialect)} AS v FROM ${ident('items')} ORDER BY id`, { v: 'number' })).map((r) => r.v);
    const expected = await run(lite);
    const actual = await run(my);
    expect(actual).toHaveLength(expected.length);
    actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 9));
    expect(expected[0]).toBeCloseTo(2.2239, 3);
  });

  const STRFTIME: Array<[format: string, time: string | number, ...modifiers: string[]]> = [
    ['%Y-%m-%d %H:%M:%S', '2024-01-31 10:20:30.456Z'],
    ['%f', '2024-01-31 10:20:30.456Z'],
    ['%f', '2024-01-02 03:04:05.6789'],
    ['%j %w %W %s', '2024-01-07'],
    ['%j %w %W %U %V %G %g %u', '2021-01-03'],
    ['%j %w %W %U %V %G %g %u', '2024-12-30 23:00'],
    ['%j %w %W %U %V %G %g %u', '2023-01-01'],
    ['%J', '2024-01-02 03:04:05'],
    ['%J', '2024-01-02'],
    ['%s', '1960-01-01 00:00:00.5'],
    ['%e|%F|%I|%k|%l|%p|%P|%R|%T|%H|%M|%d|%m', '2024-01-07 15:04:05'],
    ['%e|%I|%k|%l|%p|%P', '2024-01-07 00:04:05'],
    ['a%%b', '2024-01-31'],
    ['no letters', '2024-01-31'],
    ['', '2024-01-31'],
    ['%Q', '2024-01-31'],
    ['x%', '2024-01-31'],
    ['%Y-%m-%d', '2024-02-30'],
    ['%Y-%m-%d', '2024-13-01'],
    ['%Y-%m-%d', ' 2024-01-02'],
    ['%Y-%m-%d', '2024-01-02 '],
    ['%Y-%m-%d', '2024-01-02T'],
    ['%Y-%m-%d', '2024-1-5'],
    ['%H:%M', '2024-01-02T03:04'],
    ['%Y-%m-%d %H:%M', '2024-01-02 03:04+02:00'],
    ['%Y-%m-%d %H:%M', '2024-01-01 01:04 -05:30'],
    ['%H', '2024-01-02 03:04+0200'],
    ['%H', '2024-01-02 03:04:05 Z'],
    ['%Y-%m-%d', '2024-01-02+02:00'],
    ['%Y-%m-%d %H:%M:%f', '12:30'],
    ['%Y-%m-%d %H:%M:%f', '12:30:15.5Z'],
    ['%Y', 'abc'],
    ['%Y', ''],
    ['%Y-%m-%d %H:%M:%S', '2460311.5'],
    ['%Y-%m-%d %H:%M:%S', '2460311.627835648'],
    ['%Y-%m-%d %H:%M:%S', '1700000000', 'unixepoch'],
    ['%Y-%m-%d %H:%M:%f', '1700000000.5', 'unixepoch'],
    ['%Y-%m-%d %H:%M:%S', 1700000000, 'unixepoch'],
    ['%Y-%m-%d', '-1000', 'unixepoch'],
    ['%Y-%m-%d', 1700000000, 'auto'],
    ['%Y-%m-%d', 2460311.5, 'auto'],
    ['%Y-%m-%d', '2460311.5', 'julianday'],
    ['%Y-%m-%d', '2024-01-31', 'julianday'],
    ['%Y-%m-%d', '2024-01-31', 'unixepoch'],
    ['%Y-%m-%d', '1700000000', '+1 day'],
    ['%Y-%m-%d', '1700000000', 'unixepoch', 'start of day', '+1 month'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:20:30.456Z', 'start of month'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:20:30.456Z', 'start of month', '+1 day'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:20:30.456Z', 'START OF YEAR'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:20:30.456Z', 'start of day'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:20:30.456Z', '+1 day'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:20:30.456Z', '-1 days'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:20:30.456Z', '+1.5 day'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:20:30.456Z', '+1 month'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:20:30.456Z', '-1 months'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:20:30.456Z', '+1.5 months'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:20:30.456Z', '+13 months'],
    ['%Y-%m-%d %H:%M:%f', '2024-03-31', '-1 month'],
    ['%Y-%m-%d', '2024-02-29', '+1 year'],
    ['%Y-%m-%d', '2024-02-29', '-4 years'],
    ['%Y-%m-%d', '2024-01-31', '+1 month', 'floor'],
    ['%Y-%m-%d', '2024-01-31', '+1 month', 'ceiling'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:00', '+2 hours', '-30 minutes', '+15 seconds', '+0.5 seconds'],
    ['%Y-%m-%d %H:%M:%S', '2024-01-31 10:00', '2 hour'],
    ['%Y-%m-%d', '2024-01-31', 'weekday 0'],
    ['%Y-%m-%d', '2024-01-28', 'weekday 0'],
    ['%Y-%m-%d', '2024-01-28', 'weekday 3'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:00', '+01:30'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:00', '-01:30:15.25'],
    ['%Y-%m-%d %H:%M:%f', '2024-01-31 10:00', '+0001-02-03'],
    ['%Y-%m-%d %H:%M:%f', '2024-03-31 10:00', '-0000-01-00 12:00'],
    ['%Y-%m-%d %H:%M:%S', '2024-01-31 10:00', 'localtime'],
    ['%Y-%m-%d %H:%M:%S', '2024-01-31 10:00', 'utc'],
    ['%s', '2024-01-02 03:04:05.5', 'subsec'],
    ['%s', '1960-01-01 00:00:00.5', 'subsec'],
    ['%Y', '2024-01-31', 'bogus'],
    ['%Y', '2024-01-31', ' +1 day'],
    ['%Y', '2024-01-31', '+ 1 day'],
    ['%Y', '2024-01-31', '+1 day '],
    ['%Y', '2024-01-31', '+1 month 2 days'],
    ['%Y', '2024-01-31', '+1 fortnight'],
    ['%Y', '2024-01-31', 'start of week'],
  ];

  it.each(STRFTIME)('strftime(%j, %j, …) as SQLite', async (format, time, ...modifiers) => {
    const expr = (d: Dialect) =>
      d.strftime({ sql: sql`${format}`, text: format }, sql`${time}`, modifiers.map((m) => ({ sql: sql`${m}`, text: m })));
    const run = async (db: Database) => (await db.get<{ v: unknown }>(sql`SELECT ${expr(db.dialect)} AS v`))?.v;
    expect(await run(my)).toEqual(await run(lite));
  });

  it('strftime over a date column, with a modifier chain, and without a time (now)', async () => {
    await sameValues((d) => d.strftime({ sql: sql`${'%Y-%m-%d %H:%M:%f %j %w %W'}`, text: '%Y-%m-%d %H:%M:%f %j %w %W' }, sql`${ident('items', 'created')}`));
    const mods = ['start of month', '+1 month', '-1 day', 'weekday 1'].map((m) => ({ sql: sql`${m}`, text: m }));
    await sameValues((d) => d.strftime({ sql: sql`${'%Y-%m-%d %H:%M:%S'}`, text: '%Y-%m-%d %H:%M:%S' }, sql`${ident('items', 'created')}`, mods));
    const year = (db: Database) => db.get(sql`SELECT ${db.dialect.strftime({ sql: sql`${'%Y'}`, text: '%Y' })} AS v`);
    expect(await year(my)).toEqual(await year(lite));
    expect(() => mysqlDialect.strftime({ sql: sql`${ident('items', 'title')}` }, sql`${'2024-01-01'}`)).toThrow(/format must be a constant/);
    expect(() => mysqlDialect.strftime({ sql: sql`${'%Y'}`, text: '%Y' }, sql`${'2024-01-01'}`, [{ sql: sql`${ident('items', 'title')}` }])).toThrow(/modifier 1 must be a constant/);
  });

  it('converts columns between one value and a list (text <-> jsonArray) as SQLite', async () => {
    const convert = async (db: Database) => {
      const d = db.dialect;
      await db.run(d.createTable('conv', [{ name: 'id', kind: 'textPrimaryKey' }, { name: 'one', kind: 'text' }, { name: 'many', kind: 'jsonArray' }]));
      const rows: Array<[string, string, string]> = [['c1', 'a', '["a","b"]'], ['c2', '', '[]'], ['c3', '["x","y"]', '["z"]'], ['c4', 'with "quote"', '[1,2]'], ['c5', '5', '["only"]']];
      for (const [id, one, many] of rows) await db.run(sql`INSERT INTO conv (id, one, many) VALUES (${id}, ${one}, ${many})`);
      await db.run(d.addColumn('conv', { name: 'one2', kind: 'jsonArray' }));
      await db.run(d.addColumn('conv', { name: 'many2', kind: 'text' }));
      await db.run(sql`UPDATE conv SET one2 = ${d.convertColumn(sql`${ident('one')}`, 'text', 'jsonArray')}, many2 = ${d.convertColumn(sql`${ident('many')}`, 'jsonArray', 'text')}`);
      return db.all(sql`SELECT id, one2, many2 FROM conv ORDER BY id`, { one2: 'json', many2: 'text' });
    };
    const expected = await convert(lite);
    expect(await convert(my)).toEqual(expected);
    expect(expected).toEqual([
      { id: 'c1', one2: ['a'], many2: 'b' },
      { id: 'c2', one2: [], many2: '' },
      { id: 'c3', one2: ['x', 'y'], many2: 'z' },
      { id: 'c4', one2: ['with "quote"'], many2: '2' },
      { id: 'c5', one2: ['5'], many2: 'only' },
    ]);
  });

  it('converts values between other kinds as SQLite stores them', async () => {
    const kinds: ColumnKind[] = ['text', 'number', 'bool', 'json'];
    const values: Array<[ColumnKind, unknown]> = [
      ['text', 'abc'], ['text', ''], ['text', '12.5'], ['text', 'true'], ['text', '{"a":1}'],
      ['number', 5], ['number', 2.5], ['number', 0], ['number', 1000],
      ['bool', true], ['bool', false],
      ['json', { a: [1, 'x'] }], ['json', 'str'], ['json', 7], ['json', true],
    ];
    // Known differences, where SQLite keeps a value its column cannot hold: text that is not a
    // number in a number column (MySQL: 0) and a JSON string in a number column (MySQL: 0).
    const skip = (from: ColumnKind, v: unknown, to: ColumnKind) =>
      to === 'number' && ((from === 'text' && !/^[\d.]+$/.test(String(v))) || (from === 'json' && typeof v !== 'number'));
    const run = async (db: Database, i: number) => {
      const d = db.dialect;
      const cols: ColumnSpec[] = [{ name: 'id', kind: 'textPrimaryKey' }, ...kinds.map((k): ColumnSpec => ({ name: `from_${k}`, kind: k }))];
      await db.run(d.createTable(`cv${i}`, cols));
      const results: unknown[] = [];
      for (const [j, [from, v]] of values.entries()) {
        await db.run(sql`INSERT INTO ${ident(`cv${i}`)} (id, ${ident(`from_${from}`)}) VALUES (${`v${j}`}, ${from === 'json' ? JSON.stringify(v) : v})`);
      }
      for (const to of kinds) {
        await db.run(d.addColumn(`cv${i}`, { name: `to_${to}`, kind: to }));
        for (const [j, [from, v]] of values.entries()) {
          if (from === to || skip(from, v, to)) continue;
          await db.run(sql`UPDATE ${ident(`cv${i}`)} SET ${ident(`to_${to}`)} = ${d.convertColumn(sql`${ident(`from_${from}`)}`, from, to)} WHERE id = ${`v${j}`}`);
          const row = await db.get<{ v: unknown }>(sql`SELECT ${ident(`to_${to}`)} AS v FROM ${ident(`cv${i}`)} WHERE id = ${`v${j}`}`, { v: to === 'json' ? 'json' : to === 'number' ? 'number' : to === 'bool' ? 'bool' : 'text' });
          results.push([from, v, to, row?.v]);
        }
      }
      return results;
    };
    expect(await run(my, 1)).toEqual(await run(lite, 1));
  });

  it('keeps U+0000 in text (caps.nulInText)', async () => {
    expect(mysqlDialect.caps.nulInText).toBe(true);
    await my.run(sql`INSERT INTO items (id, title) VALUES ('nul', ${'a\0b'})`);
    try {
      expect(await my.get(sql`SELECT title FROM items WHERE title = ${value('a\0b', 'text')}`)).toEqual({ title: 'a\0b' });
    } finally {
      await my.run(sql`DELETE FROM items WHERE id = 'nul'`);
    }
  });

  it('returns unsorted rows in insertion order, as the rowid order of SQLite', async () => {
    const order = async (db: Database) => {
      await db.run(db.dialect.createTable('ordered', [{ name: 'id', kind: 'textPrimaryKey' }, { name: 'x', kind: 'text' }]));
      for (const id of ['zz', 'aa', 'mm']) await db.run(sql`INSERT INTO ordered (id, x) VALUES (${id}, 'v')`);
      await db.run(sql`UPDATE ordered SET x = 'w' WHERE id = 'zz'`);
      return (await db.all<{ id: string }>(sql`SELECT ordered.* FROM ordered`)).map((r) => r.id);
    };
    expect(await order(my)).toEqual(await order(lite));
    expect(await order(my).catch(() => 'exists')).toBe('exists');
    const dup = await my.run(sql`INSERT INTO ordered (id) VALUES ('aa')`).then(() => undefined, (e: unknown) => e);
    expect(mysqlDialect.classifyError(dup)).toEqual({ kind: 'unique', columns: ['id'] });
  });

  it('runs the DDL: add, rename, drop columns; rename and drop tables; views', async () => {
    const d = mysqlDialect;
    await my.run(d.createTable('ddl_a', [{ name: 'id', kind: 'textPrimaryKey' }, { name: 'x', kind: 'text' }]));
    await my.run(sql`INSERT INTO ddl_a (id, x) VALUES ('a1', 'v')`);
    for (const kind of ['number', 'bool', 'json', 'jsonArray', 'geoPoint', 'date'] as const) await my.run(d.addColumn('ddl_a', { name: `c_${kind}`, kind }));
    expect(await my.get(sql`SELECT * FROM ddl_a`, { c_number: 'number', c_bool: 'bool', c_json: 'json', c_jsonArray: 'json', c_geoPoint: 'json' })).toEqual({
      id: 'a1', x: 'v', c_number: 0, c_bool: false, c_json: null, c_jsonArray: [], c_geoPoint: { lon: 0, lat: 0 }, c_date: '',
    });
    await my.run(d.renameColumn('ddl_a', 'x', 'y'));
    await my.run(d.dropColumn('ddl_a', 'c_json'));
    for (const s of d.renameTables([['ddl_a', 'ddl_b'], ['_params', '_params_tmp']])) await my.run(s);
    for (const s of d.renameTables([['_params_tmp', '_params']])) await my.run(s);
    await my.run(d.renameTable('ddl_b', 'ddl_c'));
    expect((await my.all<{ name: string }>(d.tableColumns('ddl_c'))).map((r) => r.name)).toEqual(['id', 'y', 'c_number', 'c_bool', 'c_jsonArray', 'c_geoPoint', 'c_date']);
    await my.run(d.createView('ddl_v', 'SELECT id, y || \'!\' AS z FROM ddl_c -- a comment'));
    expect(await my.all(sql`SELECT * FROM ddl_v`)).toEqual([{ id: 'a1', z: 'v!' }]);
    expect(await my.all(d.tableColumns('ddl_v'))).toEqual([expect.objectContaining({ name: 'id', type: 'varchar' }), expect.objectContaining({ name: 'z' })]);
    await my.run(d.dropView('ddl_v'));
    await my.run(d.dropTable('ddl_c'));
    await my.run(d.dropTable('ddl_c'));
    expect(await my.all(d.tableColumns('ddl_c'))).toEqual([]);
  });

  it('classifies driver errors: duplicate keys with their columns, NOT NULL, bad statements, timeouts', async () => {
    const d = mysqlDialect;
    const failure = async (q: Sql, db: Database = my) => db.run(q).then(() => expect.fail('should have failed'), (e: unknown) => e);
    const dup = await failure(sql`INSERT INTO items (id) VALUES ('r1')`);
    expect(d.classifyError(dup)).toEqual({ kind: 'unique', columns: ['id'] });
    expect(translateDbError(d, dup)?.data).toEqual({ id: { code: 'validation_not_unique', message: 'Value must be unique.' } });
    await my.run(sql`INSERT INTO _collections (name) VALUES ('dup')`);
    expect(d.classifyError(await failure(sql`INSERT INTO _collections (name) VALUES ('dup')`))).toEqual({ kind: 'unique', columns: ['name'] });
    // A partial unique index on an expression, emulated with a helper column, reports the column it reads.
    const { parseIndex } = await import('../indexes-parse.ts');
    const spec = parseIndex("CREATE UNIQUE INDEX idx_created_nocase ON items (created COLLATE NOCASE) WHERE created != ''")!;
    for (const s of d.createIndex(spec, 'items', Object.fromEntries(COLUMNS.map((c) => [c.name, c.kind])))) await my.run(s);
    try {
      await my.run(sql`INSERT INTO items (id, created) VALUES ('r9', '')`);
      const e = await failure(sql`INSERT INTO items (id, created) VALUES ('r10', '2024-01-31 10:20:30.456z')`);
      expect(d.classifyError(e)).toEqual({ kind: 'unique', columns: ['created'] });
      await my.run(sql`DELETE FROM items WHERE id = 'r9'`);
    } finally {
      for (const s of d.dropIndex(spec, 'items')) await my.run(s);
    }
    const notNull = await failure(sql`INSERT INTO items (id, title) VALUES ('r9', NULL)`);
    expect(d.classifyError(notNull)).toEqual({ kind: 'notNull', columns: ['title'] });
    expect(d.classifyError(await failure(sql`INSERT INTO items (id, data) VALUES ('r9', 'not json')`))).toEqual({ kind: 'check' });
    expect(d.classifyError(await failure(sql`SELECT nope FROM items`))).toEqual({ kind: 'statement' });
    expect(d.classifyError(await failure(sql`SELEC 1`))).toEqual({ kind: 'statement' });
    expect(d.classifyError(await failure(sql`SELECT * FROM no_such_table`))).toEqual({ kind: 'statement' });
    expect(d.classifyError(new Error('not the database'))).toBeUndefined();
    const slow = new MysqlDatabase(withDatabase(SERVER, name), { poolSize: 1, statementTimeoutMs: 300 });
    try {
      const e = await slow.all(sql`SELECT SLEEP(2) AS s`).then(() => expect.fail('should time out'), (err: unknown) => err);
      expect(d.classifyError(e)).toEqual({ kind: 'timeout' });
    } finally {
      await slow.close();
    }
  });

  it('serializes transactions, rolls back on error, and reopens the transaction after DDL', async () => {
    await my.run(sql`CREATE TABLE counter (id INT PRIMARY KEY, n INT NOT NULL)`);
    await my.run(sql`INSERT INTO counter VALUES (1, 0)`);
    const other = new MysqlDatabase(withDatabase(SERVER, name), { poolSize: 2 });
    try {
      // Read-modify-write from two processes (two pools): only serialization keeps every increment.
      const bump = (db: Database) =>
        db.transaction(async (tx) => {
          const row = await tx.get<{ n: number }>(sql`SELECT n FROM counter WHERE id = 1`);
          await new Promise((r) => setTimeout(r, 2));
          await tx.run(sql`UPDATE counter SET n = ${(row?.n ?? 0) + 1} WHERE id = 1`);
        });
      await Promise.all(Array.from({ length: 20 }, (_, i) => bump(i % 2 ? my : other)));
      expect(await my.get(sql`SELECT n FROM counter`)).toEqual({ n: 20 });
    } finally {
      await other.close();
    }
    await expect(my.transaction(async (tx) => {
      await tx.run(sql`UPDATE counter SET n = 100`);
      // Uncommitted changes are not visible outside the transaction.
      expect(await my.get(sql`SELECT n FROM counter`)).toEqual({ n: 20 });
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await my.get(sql`SELECT n FROM counter`)).toEqual({ n: 20 });
    await expect(my.transaction(async (tx) => {
      await tx.run(sql`UPDATE counter SET n = 21`); // committed by the DDL below (MySQL)
      await tx.run(sql`CREATE TABLE ddl_in_tx (id INT)`);
      await tx.run(sql`UPDATE counter SET n = 22`); // in the reopened transaction: rolled back
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await my.get(sql`SELECT n FROM counter`)).toEqual({ n: 21 });
    expect(await my.run(sql`UPDATE counter SET n = n`)).toEqual({ changes: 1 });
    await my.run(sql`DROP TABLE ddl_in_tx`);
  });
});
