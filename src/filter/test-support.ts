/**
 * Test fixtures for the filter compiler: a small PocketBase-shaped schema, its rows, and the run's
 * real database (BATON_TEST_DIALECT: SQLite in memory, or a server database of its own)
 * with the tables laid out as the dialect lays out a collection's table (single relation = text
 * id, multi = JSON array, dates as `YYYY-MM-DD HH:MM:SS.000Z`). Filters are compiled for that
 * dialect and executed there, so every test asserts rows, on every database.
 * Used by the *.test.ts files only.
 */
import { VALUE_TYPE_OF, type ColumnKind, type Database, type Dialect, type Executor, type RowShape, type RunResult } from '../db/dialect.ts';
import { postgresDialect } from '../db/dialects/postgres.ts';
import { mysqlDialect } from '../db/dialects/mysql.ts';
import { sqliteDialect } from '../db/dialects/sqlite.ts';
import { parseIndex } from '../db/indexes-parse.ts';
import { openDatabases } from '../db/open.ts';
import { type Collection, type FieldDef, isMultiValue } from '../db/schema.ts';
import { ident, join, raw, render, type Sql, sql, value } from '../db/sql.ts';
import { ensureDataTables } from '../db/system-tables.ts';
import { afterAll, beforeAll } from 'vitest';
import type { Expr, Operand as Node } from './ast.ts';
import { compileFilter, compileSortTerm, emptyRequestInfo, type FilterEnv, type RequestInfo } from './index.ts';

/**
 * The dialect of the run's database. vitest.config.ts sets BATON_TEST_DIALECT per project, as
 * test/support/databases.ts reads it (this file is in src/filter, which may import only db/ and
 * kernel/, so it reads the variable itself and takes the database from the test file).
 */
export const dialect: Dialect = dialectNamed(process.env.BATON_TEST_DIALECT ?? 'sqlite');
const runDialect = dialect;

function dialectNamed(name: string): Dialect {
  switch (name) {
    case 'sqlite': return sqliteDialect;
    case 'postgres': return postgresDialect;
    case 'mysql': return mysqlDialect;
    default: throw new Error(`src/filter/test-support.ts: no dialect for BATON_TEST_DIALECT=${name}; add it to dialectNamed()`);
  }
}

export const field = (name: string, type: FieldDef['type'], opts: Record<string, unknown> = {}): FieldDef =>
  ({ id: `f_${name}`, name, type, system: false, hidden: false, presentable: false, ...opts });

export function collection(name: string, fields: FieldDef[], opts: Partial<Collection> = {}): Collection {
  const system = opts.type === 'auth'
    ? [field('email', 'email'), field('emailVisibility', 'bool'), field('verified', 'bool'),
      field('password', 'password', { hidden: true }), field('tokenKey', 'text', { hidden: true })]
    : [];
  return {
    id: `c_${name}`, name, type: 'base', system: false, fields: [field('id', 'text'), ...system, ...fields], indexes: [],
    listRule: '', viewRule: '', createRule: '', updateRule: '', deleteRule: '', created: '', updated: '', options: {}, ...opts,
  };
}

export const users = collection('users', [
  field('name', 'text'),
  field('role', 'select', { maxSelect: 1, values: ['admin', 'member'] }),
  field('secret', 'text', { hidden: true }),
  field('team', 'relation', { collectionId: 'c_teams', maxSelect: 1 }),
  field('friends', 'relation', { collectionId: 'c_users', maxSelect: 10 }),
], { type: 'auth', listRule: 'verified = true' });

export const teams = collection('teams', [
  field('name', 'text'),
  field('members', 'relation', { collectionId: 'c_users', maxSelect: 10 }),
], { listRule: null });

export const tags = collection('tags', [field('name', 'text'), field('color', 'text')]);

export const posts = collection('posts', [
  field('title', 'text'),
  field('views', 'number'),
  field('published', 'bool'),
  field('author', 'relation', { collectionId: 'c_users', maxSelect: 1 }),
  field('tags', 'relation', { collectionId: 'c_tags', maxSelect: 5 }),
  field('status', 'select', { maxSelect: 1, values: ['draft', 'live'] }),
  field('labels', 'select', { maxSelect: 3, values: ['a', 'b', 'c'] }),
  field('files', 'file', { maxSelect: 3 }),
  field('data', 'json'),
  field('loc', 'geoPoint'),
  field('created', 'date'),
]);

export const comments = collection('comments', [
  field('post', 'relation', { collectionId: 'c_posts', maxSelect: 1 }),
  field('user', 'relation', { collectionId: 'c_users', maxSelect: 1 }),
  field('message', 'text'),
]);

/** A multi relation pointing at posts, for multi back-relations (posts.playlists_via_posts). */
export const playlists = collection('playlists', [
  field('name', 'text'),
  field('posts', 'relation', { collectionId: 'c_posts', maxSelect: 10 }),
], { indexes: ['CREATE UNIQUE INDEX idx_pl_name ON playlists (name)'] });

/** One profile per user (unique index): `users.profiles_via_user` yields at most one record. */
export const profiles = collection('profiles', [
  field('user', 'relation', { collectionId: 'c_users', maxSelect: 1 }),
  field('bio', 'text'),
], { indexes: ['CREATE UNIQUE INDEX idx_profiles_user ON profiles (user)'] });

export const all = [users, teams, tags, posts, comments, playlists, profiles];

export const schema = {
  find: (x: string) => all.find((c) => c.id === x || c.name.toLowerCase() === x.toLowerCase()),
  all: () => all,
};

export type Row = Record<string, unknown>;

export const data: Record<string, Row[]> = {
  users: [
    { id: 'u1', email: 'ann@x.io', emailVisibility: true, verified: true, name: 'Ann', role: 'admin', secret: 's1', team: 't1', friends: ['u2', 'u3'] },
    { id: 'u2', email: 'bob@x.io', emailVisibility: false, verified: true, name: 'Bob', role: 'member', secret: 's2', team: 't1', friends: [] },
    { id: 'u3', email: 'cid@x.io', emailVisibility: true, verified: false, name: 'Cid', role: 'member', secret: 's3', team: '', friends: ['u1'] },
  ],
  teams: [{ id: 't1', name: 'Core', members: ['u1', 'u2'] }],
  tags: [
    { id: 'g1', name: 'red', color: 'red' },
    { id: 'g2', name: 'blue', color: 'blue' },
    { id: 'g3', name: '50%_off', color: 'red' },
  ],
  posts: [
    { id: 'p1', title: 'Hello', views: 10, published: true, author: 'u1', tags: ['g1', 'g2'], status: 'live', labels: ['a', 'b'], files: ['x.png'], data: { a: { b: 1 }, list: [1, 2], s: 'yes' }, loc: { lon: 23.32, lat: 42.69 }, created: '2024-01-15 10:00:00.000Z' },
    { id: 'p2', title: '', views: 0, published: false, author: 'u2', tags: ['g1'], status: 'draft', labels: [], files: [], data: null, loc: { lon: 0, lat: 0 }, created: '2024-06-01 00:00:00.000Z' },
    { id: 'p3', title: 'Sale 50%_off', views: 5, published: true, author: '', tags: [], status: '', labels: ['c'], files: ['a.txt', 'b.txt'], data: 7, loc: { lon: 2.35, lat: 48.85 }, created: '2023-12-31 23:59:59.999Z' },
    { id: 'p4', title: "it's \"quoted\"", views: 100, published: false, author: 'u3', tags: ['g3'], status: 'live', labels: ['a'], files: [], data: { s: 'no' }, loc: { lon: 23.3, lat: 42.7 }, created: '' },
  ],
  comments: [
    { id: 'c1', post: 'p1', user: 'u2', message: 'nice' },
    { id: 'c2', post: 'p1', user: 'u3', message: 'meh' },
    { id: 'c3', post: 'p2', user: 'u1', message: 'nice' },
  ],
  playlists: [
    { id: 'l1', name: 'best', posts: ['p1', 'p2'] },
    { id: 'l2', name: 'old', posts: ['p2'] },
  ],
  profiles: [{ id: 'r1', user: 'u1', bio: 'hi' }],
};


/** A collection's column kinds, as the field handlers (domain/collections/fields) choose them. */
function columnKind(f: FieldDef): ColumnKind {
  if (f.name === 'id') return 'textPrimaryKey';
  switch (f.type) {
    case 'number': return 'number';
    case 'bool': return 'bool';
    case 'json': return 'json';
    case 'geoPoint': return 'geoPoint';
    case 'date': case 'autodate': return 'date';
    default: return isMultiValue(f) ? 'jsonArray' : 'text';
  }
}

/**
 * A value of `data`/`Row` as its column stores it: booleans as booleans, JSON columns as JSON text.
 * A string in a JSON column is text the row holds as it is on SQLite (PocketBase's legacy rows: a
 * bare id in a multi-value column); a JSON column elsewhere holds only JSON, so there it is the
 * JSON string, as `baton migrate` copies such text.
 */
function columnValue(v: unknown, kind: ColumnKind, d: Dialect): Sql {
  const type = VALUE_TYPE_OF[kind];
  if (v === null || v === undefined) return sql`${value(null, type)}`;
  if (type !== 'json') return sql`${value(v, type)}`;
  return sql`${value(typeof v === 'string' && d.name === 'sqlite' ? v : JSON.stringify(v), 'json')}`;
}

/** What test/support/databases.ts's createTestDatabase gives: a server database's URL (none for SQLite). */
export interface ServerDatabase {
  readonly url: string | undefined;
  drop(): Promise<void>;
}

/**
 * The run's database holding one table per collection. It is a `Database` from the first test of
 * the file on (see `useDatabase`); `fill` and `updateAll` change its rows between tests.
 */
export class FilterDatabase implements Database {
  private opened?: { db: Database; close(): Promise<void> };
  private readonly kinds: ReadonlyMap<string, Readonly<Record<string, ColumnKind>>>;

  /** `dialect`: the database `open` must get (by default the run's). */
  constructor(
    private readonly collections: readonly Collection[],
    readonly dialect: Dialect = runDialect,
  ) {
    this.kinds = new Map(collections.map((c) => [c.name, Object.fromEntries(c.fields.map((f) => [f.name, columnKind(f)]))]));
  }

  private get db(): Database {
    if (!this.opened) throw new Error('the test database opens in beforeAll: use it inside tests and hooks');
    return this.opened.db;
  }

  /** Opens the server database (or an in-memory SQLite one) and creates the system and collection tables. */
  async open(server: ServerDatabase): Promise<void> {
    if (server.url) {
      const dbs = await openDatabases({ url: server.url, dataDir: '' });
      this.opened = { db: dbs.data, close: () => dbs.close() };
    } else {
      const { SqliteDatabase } = await import('../db/dialects/sqlite-database.ts');
      const db = new SqliteDatabase(':memory:');
      this.opened = { db, close: () => db.close() };
    }
    const got = this.db.dialect;
    if (got !== this.dialect) {
      await this.close();
      throw new Error(`expected a ${this.dialect.name} database (BATON_TEST_DIALECT), got ${got.name}`);
    }
    await ensureDataTables(this.db); // PostgreSQL's date functions (baton_strftime) live there
    const d = this.db.dialect;
    await this.db.transaction(async (tx) => {
      for (const c of this.collections) {
        const kinds = this.kinds.get(c.name)!;
        await tx.run(d.createTable(c.name, c.fields.map((f) => ({ name: f.name, kind: kinds[f.name] }))));
        for (const text of c.indexes) {
          const index = parseIndex(text);
          if (!index) throw new Error(`unparsable index of ${c.name}: ${text}`);
          for (const statement of d.createIndex(index, c.name, kinds)) await tx.run(statement);
        }
      }
    });
    this.db.schemaChanged();
  }

  /** Replaces the rows of every collection's table with `rows` (in their order). */
  async fill(rows: Record<string, readonly Row[]>): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const c of this.collections) {
        await tx.run(sql`DELETE FROM ${ident(c.name)}`);
        for (const row of rows[c.name] ?? []) {
          const cols = Object.keys(row);
          const values = cols.map((k) => this.column(c.name, k, row[k]));
          await tx.run(sql`INSERT INTO ${ident(c.name)} (${join(cols.map((k) => ident(k)))}) VALUES (${join(values)})`);
        }
      }
    });
  }

  /** Sets each `[table, id, values]`, in one transaction. */
  async updateAll(changes: ReadonlyArray<readonly [table: string, id: string, values: Row]>): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const [table, id, values] of changes) {
        const sets = Object.keys(values).map((k) => sql`${ident(k)} = ${this.column(table, k, values[k])}`);
        if (sets.length) await tx.run(sql`UPDATE ${ident(table)} SET ${join(sets)} WHERE ${ident('id')} = ${value(id, 'text')}`);
      }
    });
  }

  private column(table: string, name: string, v: unknown): Sql {
    const kind = this.kinds.get(table)?.[name];
    if (!kind) throw new Error(`no column ${table}.${name} in the test schema`);
    return columnValue(v, kind, this.db.dialect);
  }

  all<T = Record<string, unknown>>(query: Sql, shape?: RowShape): Promise<T[]> {
    return this.db.all<T>(query, shape);
  }

  get<T = Record<string, unknown>>(query: Sql, shape?: RowShape): Promise<T | undefined> {
    return this.db.get<T>(query, shape);
  }

  run(query: Sql): Promise<RunResult> {
    return this.db.run(query);
  }

  write<T = Record<string, unknown>>(query: Sql, shape?: RowShape): Promise<T[]> {
    return this.db.write<T>(query, shape);
  }

  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  forClients(): Executor {
    return this.db.forClients();
  }

  schemaChanged(): void {
    this.db.schemaChanged();
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    await opened?.close();
  }
}

/**
 * The run's database for the calling test file (or describe block): opened with `collections`'
 * tables and `rows` before its first test, closed and dropped after its last.
 * `create` is test/support/databases.ts's createTestDatabase.
 */
export function useDatabase(
  create: () => Promise<ServerDatabase>,
  collections: readonly Collection[] = all,
  rows: Record<string, readonly Row[]> = data,
): FilterDatabase {
  const db = new FilterDatabase(collections);
  let server: ServerDatabase | undefined;
  beforeAll(async () => {
    server = await create();
    await db.open(server);
    await db.fill(rows);
  });
  afterAll(async () => {
    await db.close();
    await server?.drop();
  });
  return db;
}

export const guest = (over: Partial<RequestInfo> = {}): RequestInfo => ({ ...emptyRequestInfo(), ...over });

export function authAs(id: string, over: Partial<RequestInfo> = {}): RequestInfo {
  const record = data.users.find((u) => u.id === id) as Row;
  return guest({ auth: { collection: users, record }, ...over });
}

export const NOW = new Date('2024-06-15T12:34:56.789Z');

export function envFor(c: Collection, over: Partial<FilterEnv> = {}): FilterEnv {
  return { dialect, schema, collection: c, request: guest(), allowHiddenFields: true, now: NOW, ...over };
}

/** Runs `query`; a database error names the SQL it came from, as the dialect rendered it. */
export async function rowsOf<T = Record<string, unknown>>(db: Executor, query: Sql): Promise<T[]> {
  try {
    return await db.all<T>(query);
  } catch (e) {
    const { text, params } = render(query, db.dialect);
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(`${db.dialect.name}: ${message}\n  SQL: ${text}\n  params: ${JSON.stringify(params)}`, { cause: e });
  }
}

/** Ids of `c`'s rows matching `where`, in the database's order (sorted by `order` if given). */
export async function selectIds(db: Executor, c: Collection, where: Sql, order?: Sql): Promise<string[]> {
  const q = sql`SELECT ${ident(c.name, 'id')} AS id FROM ${ident(c.name)}${where.isEmpty ? raw('') : sql` WHERE ${where}`}${order ? sql` ORDER BY ${order}` : raw('')}`;
  return (await rowsOf<{ id: string }>(db, q)).map((x) => x.id);
}

/** Ids of `c`'s rows matching `filter` (compiled for `db`'s dialect), sorted. */
export async function matching(db: Executor, c: Collection, filter: string, over: Partial<FilterEnv> = {}): Promise<string[]> {
  return (await selectIds(db, c, compileFilter(filter, envFor(c, { dialect: db.dialect, ...over })))).sort();
}

/** Ids of `c`'s rows ordered by `sort` as the records API orders them (ties by id). */
export async function sortedIds(db: Executor, c: Collection, sort: Array<[string, 'ASC' | 'DESC']>, over: Partial<FilterEnv> = {}): Promise<string[]> {
  const env = envFor(c, { dialect: db.dialect, ...over });
  const terms = sort.map(([p, dir]) => compileSortTerm(p, env, dir === 'DESC'));
  return selectIds(db, c, sql``, join([...terms, db.dialect.orderBy(sql`${ident(c.name, 'id')}`, false)]));
}

/** Filter text for a syntax tree (what a report shows; compiling it makes the parser take part). */
export function printFilter(e: Expr): string {
  if (e.kind !== 'compare') return `(${e.items.map(printFilter).join(e.kind === 'and' ? ' && ' : ' || ')})`;
  return `${printOperand(e.left)} ${e.op} ${printOperand(e.right)}`;
}

function printOperand(o: Node): string {
  switch (o.kind) {
    case 'ident': case 'macro': return o.name;
    case 'string': return `'${o.value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
    case 'number': return String(o.value);
    case 'placeholder': return `{:${o.name}}`;
    case 'func': return `${o.name}(${o.args.map(printOperand).join(', ')})`;
  }
}
