// PocketBase's own test data directory, served as-is from a copy, read through the SDK and raw HTTP.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import PocketBase, { ClientResponseError } from 'pocketbase';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { describeFixture, fixtureDir } from './support/fixture.ts';

/**
 * Long-lived tokens from PocketBase's Go API tests (apis/*_test.go), all expiring in 2050.
 * They are signed with the tokenKeys and collection secrets stored in the fixture, so accepting
 * them proves token compatibility rather than just our own round trip.
 */
const PB_TOKENS = {
  // _superusers sywbhecnh46rhm0 (test@example.com)
  superuser:
    'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6InN5d2JoZWNuaDQ2cmhtMCIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoicGJjXzMxNDI2MzU4MjMiLCJleHAiOjI1MjQ2MDQ0NjEsInJlZnJlc2hhYmxlIjp0cnVlfQ.UXgO3j-0BumcugrFjbd7j0M4MQvbrLggLlcu_YNGjoY',
  // users 4q1xlclmfloku33 (test@example.com)
  user: 'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjRxMXhsY2xtZmxva3UzMyIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoiX3BiX3VzZXJzX2F1dGhfIiwiZXhwIjoyNTI0NjA0NDYxLCJyZWZyZXNoYWJsZSI6dHJ1ZX0.ZT3F0Z3iM-xbGgSG3LEKiEzHrPHr8t8IuHLZGGNuxLo',
  // the same user, "refreshable": false
  userStatic:
    'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjRxMXhsY2xtZmxva3UzMyIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoiX3BiX3VzZXJzX2F1dGhfIiwiZXhwIjoyNTI0NjA0NDYxLCJyZWZyZXNoYWJsZSI6ZmFsc2V9.4IsO6YMsR19crhwl_YWzvRH8pfq2Ri4Gv2dzGyneLak',
  // the same user, expired in 2022
  userExpired:
    'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjRxMXhsY2xtZmxva3UzMyIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoiX3BiX3VzZXJzX2F1dGhfIiwiZXhwIjoxNjQwOTkxNjYxLCJyZWZyZXNoYWJsZSI6dHJ1ZX0.2D3tmqPn3vc5LoqqCz8V-iCDVXo9soYiH0d32G7FQT4',
  // clients gk390qegs4y47wn (test@example.com, verified)
  client:
    'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6ImdrMzkwcWVnczR5NDd3biIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoidjg1MXE0cjc5MHJoa25sIiwiZXhwIjoyNTI0NjA0NDYxLCJyZWZyZXNoYWJsZSI6dHJ1ZX0.0ONnm_BsvPRZyDNT31GN1CKUB6uQRxvVvQ-Wc9AZfG0',
  // clients o1y0dd0spd786md (test2@example.com, not verified; clients.authRule is `verified=true`)
  clientUnverified:
    'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6Im8xeTBkZDBzcGQ3ODZtZCIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoidjg1MXE0cjc5MHJoa25sIiwiZXhwIjoyNTI0NjA0NDYxLCJyZWZyZXNoYWJsZSI6dHJ1ZX0.Zi0yXE-CNmnbTdVaQEzYZVuECqRdn3LgEM6pmB3XWBE',
};
const PASSWORD = '1234567890'; // every account in the fixture

interface DbSnapshot {
  collections: unknown[];
  schema: unknown[];
  params: unknown[];
  migrations: unknown[];
  counts: Record<string, number>;
}

/** What starting a server must leave untouched: schema rows, SQL schema, settings, migrations, row counts. */
function snapshot(file: string): DbSnapshot {
  const db = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    return {
      collections: db.prepare('SELECT * FROM _collections ORDER BY rowid').all(),
      schema: db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all(),
      params: db.prepare('SELECT * FROM _params ORDER BY id').all(),
      migrations: db.prepare('SELECT * FROM _migrations ORDER BY file').all(),
      counts: Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT COUNT(*) FROM "${t}"`).pluck().get() as number])),
    };
  } finally {
    db.close();
  }
}

let server: TestServer;
let before: DbSnapshot;

/** An SDK client acting with the given token (or as a guest). */
function client(token?: string): PocketBase {
  const pb = new PocketBase(server.url);
  pb.autoCancellation(false);
  if (token) pb.authStore.save(token);
  return pb;
}

const ids = (items: Array<{ id: string }>) => items.map((r) => r.id);

beforeAll(async () => {
  // A private pristine copy: the shared fixture itself is read-only and must never be opened for writing.
  const pristine = mkdtempSync(path.join(tmpdir(), 'baton-pristine-'));
  try {
    cpSync(fixtureDir(), pristine, { recursive: true });
    before = snapshot(path.join(pristine, 'data.db'));
  } finally {
    rmSync(pristine, { recursive: true, force: true });
  }
  server = await startServer({ fixture: true });
});

afterAll(async () => {
  await server?.close();
});

describeFixture('fixture: served as-is', () => {
  it('starting the server does not modify data.db', () => {
    const after = snapshot(path.join(server.dataDir, 'data.db'));
    expect(after.collections).toEqual(before.collections);
    expect(after.schema).toEqual(before.schema);
    expect(after.params).toEqual(before.params);
    expect(after.migrations).toEqual(before.migrations);
    expect(after.counts).toEqual(before.counts);
    expect(before.collections.length).toBe(16);
  });

  it('lists every collection of the fixture', async () => {
    const list = await client(PB_TOKENS.superuser).collections.getFullList();
    expect(list.map((c) => c.name).sort()).toEqual(
      [
        '_authOrigins', '_externalAuths', '_mfas', '_otps', '_superusers', 'clients', 'demo1', 'demo2', 'demo3',
        'demo4', 'demo5', 'nologin', 'numeric_id_view', 'users', 'view1', 'view2',
      ].sort(),
    );
    const view1 = list.find((c) => c.name === 'view1')!;
    expect(view1).toMatchObject({ id: 'v9gwnfh02gjq1q0', type: 'view' });
    expect(view1.viewQuery).toContain('from demo1');
    const users = list.find((c) => c.name === 'users')!;
    expect(users.passwordAuth).toEqual({ enabled: true, identityFields: ['email', 'username'] });
    // Token secrets never leave the server.
    expect(JSON.stringify(list)).not.toContain('"secret"');
  });
});

describeFixture('fixture: PocketBase tokens and password logins', () => {
  it("accepts PocketBase's superuser token, bare and with Bearer", async () => {
    for (const authorization of [PB_TOKENS.superuser, `Bearer ${PB_TOKENS.superuser}`]) {
      const res = await api(server, 'GET', '/api/collections?perPage=1', { headers: { authorization } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ page: 1, perPage: 1, totalItems: 16 });
    }
  });

  it('treats an expired or a tampered token as a guest', async () => {
    const tampered = PB_TOKENS.superuser.slice(0, -2) + (PB_TOKENS.superuser.endsWith('aa') ? 'bb' : 'aa');
    for (const token of [PB_TOKENS.userExpired, tampered]) {
      const res = await api(server, 'GET', '/api/collections', { token });
      expect(res.status).toBe(401);
    }
    const res = await api(server, 'GET', '/api/collections', { token: PB_TOKENS.user });
    expect(res.status).toBe(403);
  });

  it("logs a superuser in with the fixture's bcrypt hash", async () => {
    const pb = client();
    const auth = await pb.collection('_superusers').authWithPassword('test@example.com', PASSWORD);
    expect(auth.record).toMatchObject({ id: 'sywbhecnh46rhm0', email: 'test@example.com' });
    expect(pb.authStore.isSuperuser).toBe(true);
    expect((await pb.collections.getOne('demo1')).id).toBe('wsmn24bux7wo113');
    const wrong = await pb.collection('_superusers').authWithPassword('test@example.com', 'nope').catch((e) => e);
    expect(wrong).toBeInstanceOf(ClientResponseError);
    expect(wrong.status).toBe(400);
  });

  it('logs users and clients in by email or username; users has MFA on, so a password alone gets an MFA session', async () => {
    const pb = client();
    // As PocketBase's own "with mfa first auth check": 401 with the session id alone, no token.
    const first = await api(server, 'POST', '/api/collections/users/auth-with-password', { body: { identity: 'users75657', password: PASSWORD } });
    expect(first.status).toBe(401);
    expect(Object.keys(first.body)).toEqual(['mfaId']);
    expect(first.body.mfaId).toMatch(/^[a-z0-9]{15}$/);
    const sdk = await pb.collection('users').authWithPassword('test@example.com', PASSWORD).catch((e) => e);
    expect(sdk).toBeInstanceOf(ClientResponseError);
    expect(sdk.status).toBe(401);
    expect(pb.authStore.isValid).toBe(false);
    // The second factor must be another method: a second password is refused.
    const again = await api(server, 'POST', `/api/collections/users/auth-with-password?mfaId=${first.body.mfaId}`, {
      body: { identity: 'users75657', password: PASSWORD },
    });
    expect(again.status).toBe(400);
    expect(again.body.message).toBe('A different authentication method is required.');
    const byEmail = await pb.collection('clients').authWithPassword('test@example.com', PASSWORD);
    expect(byEmail.record).toMatchObject({ id: 'gk390qegs4y47wn', username: 'clients57772' });
    expect(byEmail.record).not.toHaveProperty('password');
    expect(byEmail.record).not.toHaveProperty('tokenKey');
  });

  it('enforces authRule and disabled password auth', async () => {
    const unverified = await client().collection('clients').authWithPassword('test2@example.com', PASSWORD).catch((e) => e);
    expect(unverified.status).toBe(403);
    expect(unverified.response.message).toBe("The request doesn't satisfy the collection requirements to authenticate.");
    const nologin = await client().collection('nologin').authWithPassword('test@example.com', PASSWORD).catch((e) => e);
    expect(nologin.status).toBe(403);
    const notAuth = await client().collection('demo1').authWithPassword('test@example.com', PASSWORD).catch((e) => e);
    expect(notAuth.status).toBe(404);
  });

  it('auth-refresh issues a new token, keeps a static one, and checks the collection', async () => {
    const refreshed = await api(server, 'POST', '/api/collections/users/auth-refresh', { token: PB_TOKENS.user });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.record).toMatchObject({ id: '4q1xlclmfloku33', email: 'test@example.com', emailVisibility: false });
    expect(refreshed.body.token).not.toBe(PB_TOKENS.user);
    const again = await api(server, 'GET', '/api/collections/users/records/4q1xlclmfloku33', { token: refreshed.body.token });
    expect(again.status).toBe(200);

    const kept = await api(server, 'POST', '/api/collections/users/auth-refresh', { token: PB_TOKENS.userStatic });
    expect(kept.status).toBe(200);
    expect(kept.body.token).toBe(PB_TOKENS.userStatic);

    const other = await api(server, 'POST', '/api/collections/clients/auth-refresh', { token: PB_TOKENS.user });
    expect(other.status).toBe(403);
    expect(other.body.message).toBe('The request requires auth record from users collection.');
    const unverified = await api(server, 'POST', '/api/collections/clients/auth-refresh', { token: PB_TOKENS.clientUnverified });
    expect(unverified.status).toBe(403);
    const guest = await api(server, 'POST', '/api/collections/users/auth-refresh');
    expect(guest.status).toBe(401);

    const pb = client(PB_TOKENS.superuser);
    const sdk = await pb.collection('_superusers').authRefresh();
    expect(sdk.record.id).toBe('sywbhecnh46rhm0');
    expect(pb.authStore.token).not.toBe(PB_TOKENS.superuser);
  });

  it('auth responses honour expand and fields', async () => {
    const refreshed = await api(server, 'POST', '/api/collections/users/auth-refresh?expand=rel,missing', { token: PB_TOKENS.user });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.record.expand).toEqual({ rel: expect.objectContaining({ id: 'llvuca81nly1qls', collectionName: 'demo2' }) });
    // users has MFA on: the sign-in with expand and fields is on clients.
    const login = await client()
      .collection('clients')
      .authWithPassword('test@example.com', PASSWORD, { expand: 'missing', fields: 'token,record.id,record.username' });
    expect(login.record).toEqual({ id: 'gk390qegs4y47wn', username: 'clients57772' });
    expect(typeof login.token).toBe('string');
  });
});

describeFixture('fixture: records', () => {
  it('lists and filters demo1 (text ~ "test", sort -bool)', async () => {
    const res = await client(PB_TOKENS.superuser).collection('demo1').getList(1, 30, { filter: 'text~"test"', sort: '-bool' });
    expect(res).toMatchObject({ page: 1, perPage: 30, totalItems: 2, totalPages: 1 });
    expect(ids(res.items)).toEqual(['84nmscqy84lsi1t', 'al1h9ijdeojtsjy']);
    expect(res.items[0]).toMatchObject({ text: 'test', bool: true, select_many: ['optionB', 'optionC'], number: 123456 });
  });

  it('filters through relation paths', async () => {
    const pb = client(PB_TOKENS.superuser);
    const byRelOne = await pb.collection('demo1').getFullList({ filter: 'rel_one.text = "test"' });
    expect(ids(byRelOne)).toEqual(['al1h9ijdeojtsjy']);
    const byRelMany = await pb.collection('demo1').getFullList({ filter: 'rel_many.email ?= "test3@example.com"' });
    expect(ids(byRelMany)).toEqual(['al1h9ijdeojtsjy']);
    const twoHops = await pb.collection('demo1').getFullList({ filter: 'rel_many.rel.title ?= "test3"' });
    expect(ids(twoHops)).toEqual(['al1h9ijdeojtsjy']);
  });

  it('lists demo2 publicly and filters by bool', async () => {
    const res = await client().collection('demo2').getList(1, 30, { filter: 'active = true', sort: 'title' });
    expect(ids(res.items)).toEqual(['achvryl401bhse3', '0yxhwia2amd8gec']);
  });

  it('users: the listRule is null for guests, superusers see all', async () => {
    const guest = await client().collection('users').getList().catch((e) => e);
    expect(guest.status).toBe(403);
    const all = await client(PB_TOKENS.superuser).collection('users').getFullList({ sort: 'username' });
    expect(ids(all)).toEqual(['oap640cot4yru2s', 'bgs820n361vj1qd', '4q1xlclmfloku33']);
    // Superusers see every email; the owner sees their own.
    expect(all.every((u) => typeof u.email === 'string' && u.email.includes('@'))).toBe(true);
    const own = await client(PB_TOKENS.user).collection('users').getOne('4q1xlclmfloku33');
    expect(own.email).toBe('test@example.com');
    const other = await client(PB_TOKENS.user).collection('users').getOne('oap640cot4yru2s').catch((e) => e);
    expect(other.status).toBe(404);
  });

  it('view collections: view2 publicly, view1 by rule, numeric ids', async () => {
    const view2 = await client().collection('view2').getList(1, 30, { filter: 'state=false', sort: 'id' });
    expect(view2).toMatchObject({ totalItems: 2, totalPages: 1 });
    expect(ids(view2.items)).toEqual(['al1h9ijdeojtsjy', 'imy661ixudk5izi']);
    expect(view2.items[0]).not.toHaveProperty('created');

    const guest = await client().collection('view1').getList();
    expect(guest).toMatchObject({ totalItems: 0, totalPages: 0, items: [] });
    const user = await client(PB_TOKENS.user).collection('view1').getList();
    expect(ids(user.items)).toEqual(['84nmscqy84lsi1t']);
    expect(user.items[0].bool).toBe(true);

    const numeric = await client().collection('numeric_id_view').getList(1, 30, { sort: 'id' });
    expect(ids(numeric.items)).toEqual(['1', '2']);
  });

  it('expands relations (as superuser, with nested paths)', async () => {
    const res = await client(PB_TOKENS.superuser)
      .collection('demo1')
      .getList(1, 2, { expand: 'rel_one,rel_many.rel,missing', sort: 'created' });
    expect(res).toMatchObject({ perPage: 2, totalItems: 3, totalPages: 2 });
    const al = res.items.find((r) => r.id === 'al1h9ijdeojtsjy')!;
    expect(al.expand?.rel_one).toMatchObject({ id: '84nmscqy84lsi1t', collectionName: 'demo1' });
    const many = al.expand?.rel_many as Array<{ id: string; email: string; expand?: { rel?: { id: string } } }>;
    expect(many.map((u) => u.id)).toEqual(['bgs820n361vj1qd', '4q1xlclmfloku33', 'oap640cot4yru2s']);
    expect(many.map((u) => u.email)).toEqual(['test3@example.com', 'test@example.com', 'test2@example.com']);
    expect(many.map((u) => u.expand?.rel?.id)).toEqual(['0yxhwia2amd8gec', 'llvuca81nly1qls', undefined]);
    expect(al.expand).not.toHaveProperty('missing');
  });

  it("expand applies the target's viewRule", async () => {
    // demo4 is public; its relations point at demo3, which only non-users auth records may view.
    // A resolved path gives every record an `expand` key, empty when nothing is visible.
    const query = { expand: 'rel_one_no_cascade' };
    const guest = await client().collection('demo4').getOne('qzaqccwrmva4o1n', query);
    expect(guest.expand).toEqual({});
    const user = await client(PB_TOKENS.user).collection('demo4').getOne('qzaqccwrmva4o1n', query);
    expect(user.expand).toEqual({});
    const viaClient = await client(PB_TOKENS.client).collection('demo4').getOne('qzaqccwrmva4o1n', query);
    expect(viaClient.expand?.rel_one_no_cascade).toMatchObject({ id: 'mk5fmymtx4wsprk', title: 'test4' });
  });

  it('demo3 rules: only auth records outside users may list, view and create', async () => {
    expect((await client().collection('demo3').getList()).totalItems).toBe(0);
    expect((await client(PB_TOKENS.user).collection('demo3').getList()).totalItems).toBe(0);

    const pb = client();
    await pb.collection('clients').authWithPassword('clients57772', PASSWORD);
    const list = await pb.collection('demo3').getFullList({ sort: 'title' });
    expect(ids(list)).toEqual(['1tmknxy2868d869', 'lcl9d87w22ml6jy', '7nwo8tuiatetxdm', 'mk5fmymtx4wsprk']);
    expect((await pb.collection('demo3').getOne('lcl9d87w22ml6jy')).title).toBe('test2');
    const userView = await client(PB_TOKENS.user).collection('demo3').getOne('lcl9d87w22ml6jy').catch((e) => e);
    expect(userView.status).toBe(404);

    const denied = await client(PB_TOKENS.user).collection('demo3').create({ title: 'nope' }).catch((e) => e);
    expect(denied.status).toBe(400);
    expect(denied.response.message).toBe('Failed to create record.');
    const created = await pb.collection('demo3').create({ title: 'from a client' });
    expect(created).toMatchObject({ title: 'from a client', collectionName: 'demo3' });
  });
});
