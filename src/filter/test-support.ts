/**
 * Test fixtures for the filter compiler: a small PocketBase-shaped schema and a real in-memory
 * SQLite database laid out like PocketBase's (single relation = TEXT id, multi = JSON array text,
 * dates as `YYYY-MM-DD HH:MM:SS.000Z`). Used by the *.test.ts files only.
 */
import Database from 'better-sqlite3';
import { SqliteDialect } from '../db/dialects/sqlite.ts';
import { ident, join, raw, render, type Sql, sql } from '../db/sql.ts';
import { type Collection, type FieldDef, isMultiValue } from '../db/schema.ts';
import { compileFilter, compileSortField, emptyRequestInfo, type FilterEnv, type RequestInfo } from './index.ts';

export const dialect = new SqliteDialect();

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

function columnDdl(f: FieldDef): string {
  if (f.name === 'id') return 'TEXT PRIMARY KEY NOT NULL';
  if (isMultiValue(f)) return "JSON DEFAULT '[]' NOT NULL";
  switch (f.type) {
    case 'number': return 'NUMERIC DEFAULT 0 NOT NULL';
    case 'bool': return 'BOOLEAN DEFAULT FALSE NOT NULL';
    case 'json': return 'JSON DEFAULT NULL';
    case 'geoPoint': return `JSON DEFAULT '{"lon":0,"lat":0}' NOT NULL`;
    default: return "TEXT DEFAULT '' NOT NULL";
  }
}

export type Row = Record<string, unknown>;
const toColumn = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : Array.isArray(v) || (v !== null && typeof v === 'object') ? JSON.stringify(v) : v);

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

export function createDb(): Database.Database {
  return createDbWith(all, data);
}

/** An in-memory database with one PocketBase-shaped table per collection, filled with `rows`. */
export function createDbWith(collections: readonly Collection[], rows: Record<string, readonly Row[]>): Database.Database {
  const db = new Database(':memory:');
  for (const c of collections) {
    db.exec(`CREATE TABLE "${c.name}" (${c.fields.map((f) => `"${f.name}" ${columnDdl(f)}`).join(', ')})`);
    for (const row of rows[c.name] ?? []) {
      const cols = Object.keys(row);
      db.prepare(`INSERT INTO "${c.name}" (${cols.map((k) => `"${k}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`)
        .run(...cols.map((k) => toColumn(row[k])));
    }
  }
  return db;
}

/** Sets `values` on row `id` of `table` (values encoded as createDbWith stores them). */
export function updateRow(db: Database.Database, table: string, id: string, values: Row): void {
  const cols = Object.keys(values);
  if (cols.length === 0) return;
  db.prepare(`UPDATE "${table}" SET ${cols.map((k) => `"${k}" = ?`).join(', ')} WHERE "id" = ?`).run(...cols.map((k) => toColumn(values[k])), id);
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

/** better-sqlite3 binds numbers, strings, bigints, buffers and null only (as the app's executor). */
const bindable = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

export function selectIds(db: Database.Database, c: Collection, where: Sql, order?: Sql): string[] {
  const q = sql`SELECT ${ident(c.name, 'id')} AS id FROM ${ident(c.name)}${where.isEmpty ? raw('') : sql` WHERE ${where}`}${order ? sql` ORDER BY ${order}` : raw('')}`;
  const r = render(q, dialect);
  return (db.prepare(r.text).all(...r.params.map(bindable)) as Array<{ id: string }>).map((x) => x.id);
}

/** Ids of `c`'s rows matching `filter`, sorted. */
export function matching(db: Database.Database, c: Collection, filter: string, over: Partial<FilterEnv> = {}): string[] {
  return selectIds(db, c, compileFilter(filter, envFor(c, over))).sort();
}

export function sortedIds(db: Database.Database, c: Collection, sort: Array<[string, 'ASC' | 'DESC']>, over: Partial<FilterEnv> = {}): string[] {
  const order = join(sort.map(([p, dir]) => sql`${compileSortField(p, envFor(c, over))} ${raw(dir)}, ${ident(c.name, 'id')} ASC`));
  return selectIds(db, c, sql``, order);
}
