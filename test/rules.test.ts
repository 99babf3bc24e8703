/**
 * API rules end to end: `null` (superusers only), `""` (anyone) and expressions for every CRUD
 * rule, the `@request.*` and `@collection.*` variables, relation paths in rules, and the ban on
 * `@collection`/`@request` in client filters and sorts.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { startServer, type TestServer } from './support/baton.ts';
import {
  CREATE_FAILED,
  NOT_FOUND,
  PUBLIC_RULES,
  SUPERUSERS_ONLY,
  bool,
  createCollection,
  createRecord,
  createUser,
  number,
  relation,
  rid,
  scenarios,
  text,
} from './support/builders.ts';

let server: TestServer;
const users: Record<string, { id: string; token: string }> = {};
const env = { server: () => server, tokens: () => ({ u1: users.u1.token, u2: users.u2.token }) };

const USERS = '_pb_users_auth_';
const L1 = rid('locked', 1), L2 = rid('locked', 2), O1 = rid('open', 1), O2 = rid('open', 2);
const G1 = rid('guard', 1), G2 = rid('guard', 2), G3 = rid('guard', 3);
const S1 = rid('staff', 1);
const B1 = rid('body', 1), H1 = rid('head', 1), D1 = rid('doc', 1), D2 = rid('doc', 2), PR1 = rid('proj', 1), PR2 = rid('proj', 2);

beforeAll(async () => {
  server = await startServer();
  const u1 = await createUser(server, 'alice@example.com', { name: 'Alice' });
  const u2 = await createUser(server, 'bob@example.com', { name: 'Bob' });
  Object.assign(users, { u1, u2 });

  await createCollection(server, { name: 'locked', fields: [text('title')] });
  await createCollection(server, { name: 'open', ...PUBLIC_RULES, fields: [text('title')] });
  const owned = 'owner = @request.auth.id';
  await createCollection(server, {
    name: 'guarded', fields: [text('title'), relation('owner', USERS), bool('public')],
    listRule: `${owned} || public = true`, viewRule: `${owned} || public = true`,
    createRule: `@request.auth.id != "" && ${owned}`, updateRule: owned, deleteRule: owned,
  });
  await createCollection(server, {
    name: 'bodyrules', fields: [text('title'), text('secret'), number('n')], listRule: '', viewRule: '',
    createRule: '@request.body.title != "forbidden" && @request.body.secret:isset = false',
    updateRule: '@request.body.n:isset = false || @request.body.n < 10',
    deleteRule: '@request.query.confirm = "yes"',
  });
  await createCollection(server, {
    name: 'headerrules', fields: [text('title')],
    listRule: '@request.method = "POST"', viewRule: '@request.headers.x_token = "abc" && @request.method = "GET"',
  });
  await createCollection(server, { name: 'members', fields: [relation('user', USERS), text('team')] });
  await createCollection(server, {
    name: 'teamdocs', fields: [text('team')],
    // Both conditions must hold for the same members row (one shared join, as in PocketBase).
    listRule: '@collection.members.user ?= @request.auth.id && @collection.members.team ?= team',
  });
  await createCollection(server, {
    id: 'pbc_projects', name: 'projects', fields: [relation('owner', USERS)],
    // users.listRule would hide the owner from a client filter; a rule reads through it.
    listRule: 'owner.name = "Alice"', viewRule: 'owner.email = @request.auth.email && @request.auth.name = "Bob"',
  });
  await createCollection(server, {
    name: 'tasks', fields: [relation('project', 'pbc_projects'), text('title')],
    createRule: 'project.owner = @request.auth.id && @collection.members.user ?= @request.auth.id',
  });
  await createCollection(server, {
    type: 'auth', name: 'accounts', createRule: '@request.body.password != "password123"',
    viewRule: 'id = @request.auth.id', updateRule: 'id = @request.auth.id && @request.body.password:isset = false',
  });
  await createCollection(server, {
    id: 'pbc_staff', type: 'auth', name: 'staff', listRule: '', viewRule: '',
    manageRule: '@request.auth.collectionName = "users" && @request.auth.name = "Alice"',
  });
  // A manageRule that trusts `verified` must not be satisfiable by sending verified=true.
  await createCollection(server, { type: 'auth', name: 'clubs', createRule: '', manageRule: 'verified = true' });
  // A manageRule met on create grants what only managers may set (verified).
  await createCollection(server, {
    type: 'auth', name: 'guilds', createRule: '', viewRule: '', fields: [text('role')], manageRule: '@request.body.role = "founder"',
  });
  await createCollection(server, { name: 'shifts', listRule: '', viewRule: '', fields: [relation('who', 'pbc_staff')] });

  await createRecord(server, 'locked', { id: L1, title: 'l1' });
  await createRecord(server, 'locked', { id: L2, title: 'l2' });
  await createRecord(server, 'open', { id: O1, title: 'o1' });
  await createRecord(server, 'open', { id: O2, title: 'o2' });
  await createRecord(server, 'guarded', { id: G1, title: 'g1', owner: u1.id });
  await createRecord(server, 'guarded', { id: G2, title: 'g2', owner: u2.id });
  await createRecord(server, 'guarded', { id: G3, title: 'g3', public: true });
  await createRecord(server, 'bodyrules', { id: B1, title: 'b1', n: 8 });
  await createRecord(server, 'headerrules', { id: H1, title: 'h1' });
  await createRecord(server, 'members', { user: u1.id, team: 'red' });
  await createRecord(server, 'members', { user: u2.id, team: 'blue' });
  await createRecord(server, 'members', { user: u2.id, team: 'red' });
  await createRecord(server, 'teamdocs', { id: D1, team: 'red' });
  await createRecord(server, 'teamdocs', { id: D2, team: 'blue' });
  await createRecord(server, 'staff', { id: S1, email: 'staff@example.com', password: 'staff-pass-1', passwordConfirm: 'staff-pass-1' });
  await createRecord(server, 'shifts', { who: S1 });
  await createRecord(server, 'projects', { id: PR1, owner: u1.id });
  await createRecord(server, 'projects', { id: PR2, owner: u2.id });
});

afterAll(() => server?.close());

const url = (collection: string, id = '', query = '') => `/api/collections/${collection}/records${id ? `/${id}` : ''}${query}`;
const ids = (...expected: string[]) => (b: any) => expect(b.items.map((r: any) => r.id)).toEqual(expected);

describe('null rules: superusers only', () => {
  for (const auth of [undefined, 'u1']) {
    const who = auth ? 'regular user' : 'guest';
    scenarios(env, [
      { name: `list (${who})`, url: url('locked'), auth, status: 403, expect: SUPERUSERS_ONLY },
      { name: `view (${who})`, url: url('locked', L1), auth, status: 403, expect: SUPERUSERS_ONLY },
      { name: `create (${who})`, method: 'POST', url: url('locked'), auth, body: { title: 'x' }, status: 403, expect: SUPERUSERS_ONLY },
      { name: `update (${who})`, method: 'PATCH', url: url('locked', L1), auth, body: {}, status: 403, expect: SUPERUSERS_ONLY },
      { name: `update of a missing record is 403 too (${who})`, method: 'PATCH', url: url('locked', rid('nope', 1)), auth,
        body: {}, status: 403, expect: SUPERUSERS_ONLY },
      { name: `delete (${who})`, method: 'DELETE', url: url('locked', L1), auth, status: 403, expect: SUPERUSERS_ONLY },
    ]);
  }
  scenarios(env, [
    { name: 'list (superuser)', url: url('locked'), auth: 'superuser', status: 200, check: ids(L1, L2) },
    { name: 'view (superuser)', url: url('locked', L1), auth: 'superuser', status: 200, expect: { id: L1 } },
    { name: 'create (superuser)', method: 'POST', url: url('locked'), auth: 'superuser', body: { title: 'x' }, status: 200,
      expect: { title: 'x' } },
    { name: 'update (superuser)', method: 'PATCH', url: url('locked', L1), auth: 'superuser', body: { title: 'y' }, status: 200,
      expect: { title: 'y' } },
    { name: 'delete (superuser)', method: 'DELETE', url: url('locked', L2), auth: 'superuser', status: 204 },
  ]);
});

describe('empty rules: anyone', () => {
  scenarios(env, [
    { name: 'list', url: url('open'), status: 200, check: ids(O1, O2) },
    { name: 'view', url: url('open', O1), status: 200, expect: { id: O1 } },
    { name: 'create', method: 'POST', url: url('open'), body: { title: 'guest' }, status: 200, expect: { title: 'guest' } },
    { name: 'update', method: 'PATCH', url: url('open', O1), body: { title: 'edited' }, status: 200, expect: { title: 'edited' } },
    { name: 'delete', method: 'DELETE', url: url('open', O2), status: 204 },
  ]);
});

describe('expression rules', () => {
  const G = 'guarded';
  scenarios(env, [
    { name: 'list: guests see the rows the rule allows', url: url(G), status: 200, check: ids(G3) },
    { name: 'list: a user sees own and public rows', url: url(G), auth: 'u1', status: 200, check: ids(G1, G3) },
    { name: 'list: the client filter is ANDed with the rule', url: url(G, '', '?filter=public%3Dfalse'), auth: 'u1', status: 200,
      check: ids(G1) },
    { name: 'list: a failing rule never errors, it just filters', url: url(G, '', '?filter=id%3D"' + G2 + '"'), auth: 'u1',
      status: 200, expect: { totalItems: 0, items: [] } },
    { name: 'list: superusers bypass', url: url(G), auth: 'superuser', status: 200, check: ids(G1, G2, G3) },
    { name: 'view: not matching is 404', url: url(G, G1), status: 404, expect: NOT_FOUND },
    { name: 'view: another user', url: url(G, G1), auth: 'u2', status: 404, expect: NOT_FOUND },
    { name: 'view: the owner', url: url(G, G1), auth: 'u1', status: 200, expect: { id: G1 } },
    { name: 'view: superusers bypass', url: url(G, G2), auth: 'superuser', status: 200, expect: { id: G2 } },
    { name: 'create: guest fails the rule', method: 'POST', url: url(G), body: { title: 'x' }, status: 400,
      expect: { status: 400, message: CREATE_FAILED, data: {} } },
    { name: 'create: a user creating for someone else', method: 'POST', url: url(G), auth: 'u1', body: () => ({ owner: users.u2.id }),
      status: 400, expect: { status: 400, message: CREATE_FAILED, data: {} } },
    { name: 'create: the rule fails before validation, so data stays empty', method: 'POST', url: url(G), auth: 'u2',
      body: { owner: 'not-a-user-id' }, status: 400, expect: { status: 400, message: CREATE_FAILED, data: {} } },
    { name: 'create: a user creating for themselves', method: 'POST', url: url(G), auth: 'u1', body: () => ({ title: 'mine', owner: users.u1.id }),
      status: 200, expect: { title: 'mine' } },
    { name: 'create: superusers bypass', method: 'POST', url: url(G), auth: 'superuser', body: { title: 'su' }, status: 200 },
    { name: 'update: not matching is 404', method: 'PATCH', url: url(G, G1), auth: 'u2', body: { title: 'hijack' }, status: 404,
      expect: NOT_FOUND },
    { name: 'update: guest is 404', method: 'PATCH', url: url(G, G1), body: { title: 'x' }, status: 404, expect: NOT_FOUND },
    // A guest's @request.auth.id is empty, and PocketBase compares empty with empty as equal.
    { name: 'update: a guest matches `owner = @request.auth.id` when owner is empty', method: 'PATCH', url: url(G, G3),
      body: { title: 'g3!' }, status: 200, expect: { title: 'g3!' } },
    { name: 'update: the owner', method: 'PATCH', url: url(G, G1), auth: 'u1', body: { title: 'g1!' }, status: 200,
      expect: { title: 'g1!' } },
    { name: 'update: superusers bypass', method: 'PATCH', url: url(G, G2), auth: 'superuser', body: { title: 'su' }, status: 200 },
    { name: 'delete: not matching is 404', method: 'DELETE', url: url(G, G2), auth: 'u1', status: 404, expect: NOT_FOUND },
    { name: 'delete: the record survived', url: url(G, G2), auth: 'u2', status: 200 },
    { name: 'delete: the owner', method: 'DELETE', url: url(G, G2), auth: 'u2', status: 204 },
    { name: 'delete: superusers bypass', method: 'DELETE', url: url(G, G3), auth: 'superuser', status: 204 },
  ]);
});

describe('@request.* in rules', () => {
  scenarios(env, [
    { name: '@request.body.x: rejected value', method: 'POST', url: url('bodyrules'), body: { title: 'forbidden' }, status: 400,
      expect: { status: 400, message: CREATE_FAILED, data: {} } },
    { name: '@request.body.x: accepted value', method: 'POST', url: url('bodyrules'), body: { title: 'fine' }, status: 200 },
    { name: '@request.body.x:isset rejects a sent key, even empty', method: 'POST', url: url('bodyrules'),
      body: { title: 'fine', secret: '' }, status: 400, expect: { message: CREATE_FAILED, data: {} } },
    { name: '@request.body.n:isset = false allows a body without n', method: 'PATCH', url: url('bodyrules', B1),
      body: { title: 'renamed' }, status: 200, expect: { title: 'renamed' } },
    { name: '@request.body.n sees a small value', method: 'PATCH', url: url('bodyrules', B1), body: { n: 9 }, status: 200,
      expect: { n: 9 } },
    { name: '@request.body.n sees a big value: 404', method: 'PATCH', url: url('bodyrules', B1), body: { n: 10 }, status: 404,
      expect: NOT_FOUND },
    { name: '@request.body.n sees the value after the n+ modifier (9+5)', method: 'PATCH', url: url('bodyrules', B1),
      body: { 'n+': 5 }, status: 404, expect: NOT_FOUND },
    { name: '@request.body.n after n- (9-5)', method: 'PATCH', url: url('bodyrules', B1), body: { 'n-': 5 }, status: 200,
      expect: { n: 4 } },
    { name: '@request.query.x: missing', method: 'DELETE', url: url('bodyrules', B1), status: 404, expect: NOT_FOUND },
    { name: '@request.query.x: wrong value', method: 'DELETE', url: url('bodyrules', B1, '?confirm=no'), status: 404 },
    { name: '@request.query.x: right value', method: 'DELETE', url: url('bodyrules', B1, '?confirm=yes'), status: 204 },
    { name: '@request.method on list', url: url('headerrules'), status: 200, expect: { totalItems: 0, items: [] } },
    { name: '@request.headers.x without the header', url: url('headerrules', H1), status: 404, expect: NOT_FOUND },
    { name: '@request.headers.x (X-Token read as x_token)', url: url('headerrules', H1), headers: { 'X-Token': 'abc' },
      status: 200, expect: { id: H1 } },
    { name: '@request.headers.x with a wrong value', url: url('headerrules', H1), headers: { 'X-Token': 'abd' }, status: 404 },
  ]);
});

describe('@request.body.password in rules', () => {
  const ACCOUNTS = url('accounts');
  const account = (email: string, password: string) => ({ email, password, passwordConfirm: password });
  let token = '';
  let id = '';
  scenarios(env, [
    { name: 'the rule reads the submitted plaintext: rejected', method: 'POST', url: ACCOUNTS, status: 400,
      body: account('weak@example.com', 'password123'), expect: { status: 400, message: CREATE_FAILED, data: {} } },
    { name: 'the rule reads the submitted plaintext: accepted', method: 'POST', url: ACCOUNTS, status: 200,
      body: account('strong@example.com', 'password1234'), check: (b) => (id = b.id) },
    { name: 'log in', method: 'POST', url: '/api/collections/accounts/auth-with-password', status: 200,
      body: { identity: 'strong@example.com', password: 'password1234' }, check: (b) => (token = b.token) },
  ]);
  scenarios({ ...env, tokens: () => ({ account: token }) }, [
    { name: ':isset = false allows an update without a password', method: 'PATCH', url: () => `${ACCOUNTS}/${id}`, auth: 'account', status: 200,
      body: {}, check: (b) => expect(b.id).toBe(id) },
    { name: ':isset = false refuses a password change', method: 'PATCH', url: () => `${ACCOUNTS}/${id}`, auth: 'account', status: 404, expect: NOT_FOUND,
      body: { password: 'password5678', passwordConfirm: 'password5678', oldPassword: 'password1234' } },
  ]);
});

describe('@collection.* and relation paths in rules', () => {
  scenarios(env, [
    { name: '@collection: guests match nothing', url: url('teamdocs'), status: 200, check: ids() },
    { name: '@collection: one members row must match both conditions', url: url('teamdocs'), auth: 'u1', status: 200, check: ids(D1) },
    { name: '@collection: a member of both teams', url: url('teamdocs'), auth: 'u2', status: 200, check: ids(D1, D2) },
    { name: 'relation path in a rule reads past the target listRule', url: url('projects'), status: 200, check: ids(PR1) },
    { name: 'relation path against @request.auth fields: no match', url: url('projects', PR1), auth: 'u1', status: 404 },
    { name: 'relation path against @request.auth fields: match', url: url('projects', PR2), auth: 'u2', status: 200,
      expect: { id: PR2 } },
  ]);
});

describe('createRule against the record about to be created', () => {
  scenarios(env, [
    { name: 'relation path on the new record: match', method: 'POST', url: url('tasks'), auth: 'u1',
      body: { project: PR1, title: 't' }, status: 200, expect: { project: PR1 } },
    { name: 'relation path on the new record: no match', method: 'POST', url: url('tasks'), auth: 'u1',
      body: { project: PR2, title: 't' }, status: 400, expect: { status: 400, message: CREATE_FAILED, data: {} } },
    { name: 'relation path on the new record: empty relation', method: 'POST', url: url('tasks'), auth: 'u1',
      body: { title: 't' }, status: 400, expect: { status: 400, message: CREATE_FAILED, data: {} } },
  ]);
});

describe("the related collection's rules in client filters and expand", () => {
  const f = (filter: string) => url('projects', '', `?${new URLSearchParams({ filter })}`);
  const e = url('projects', '', '?expand=owner');
  scenarios(env, [
    // users.listRule is `id = @request.auth.id`: a client filter through `owner` sees only the caller's own user.
    { name: 'filter: guests cannot see the owner', url: f('owner.name = "Alice"'), status: 200, check: ids() },
    { name: 'filter: Alice sees herself', url: f('owner.name = "Alice"'), auth: 'u1', status: 200, check: ids(PR1) },
    { name: 'filter: Bob cannot see Alice', url: f('owner.name = "Alice"'), auth: 'u2', status: 200, check: ids() },
    { name: 'filter: superusers see everyone', url: f('owner.name = "Alice"'), auth: 'superuser', status: 200, check: ids(PR1) },
    { name: 'expand: guests get an empty expand', url: e, status: 200, check: (b) => expect(b.items[0].expand).toEqual({}) },
    { name: 'expand: Bob cannot view Alice', url: e, auth: 'u2', status: 200, check: (b) => expect(b.items[0].expand).toEqual({}) },
    { name: 'expand: Alice views herself, email included', url: e, auth: 'u1', status: 200,
      check: (b) => expect(b.items[0].expand.owner).toMatchObject({ id: users.u1.id, name: 'Alice', email: 'alice@example.com' }) },
    { name: 'expand: superusers see the owner and the email', url: e, auth: 'superuser', status: 200,
      check: (b) => expect(b.items[0].expand.owner).toMatchObject({ email: 'alice@example.com' }) },
    { name: 'users list: a user sees only themselves', url: url('users'), auth: 'u2', status: 200,
      check: (b) => expect(b.items.map((r: any) => r.email)).toEqual(['bob@example.com']) },
    { name: 'users list: guests see nobody', url: url('users'), status: 200, expect: { totalItems: 0 } },
  ]);
});

describe('manageRule', () => {
  const hasEmail = (shown: boolean) => (b: any) => {
    const staff = b.items ? (b.items[0].expand?.who ?? b.items[0]) : b;
    expect(staff.email).toBe(shown ? 'staff@example.com' : undefined);
  };
  scenarios(env, [
    { name: 'list: hidden from guests', url: url('staff'), status: 200, check: hasEmail(false) },
    { name: 'list: hidden from a user the rule does not match', url: url('staff'), auth: 'u2', status: 200, check: hasEmail(false) },
    { name: 'list: shown to a manager', url: url('staff'), auth: 'u1', status: 200, check: hasEmail(true) },
    { name: 'view: shown to a manager', url: url('staff', S1), auth: 'u1', status: 200, check: hasEmail(true) },
    { name: 'view: hidden from others', url: url('staff', S1), auth: 'u2', status: 200, check: hasEmail(false) },
    { name: 'expand: shown to a manager', url: url('shifts', '', '?expand=who'), auth: 'u1', status: 200, check: hasEmail(true) },
    { name: 'expand: hidden from others', url: url('shifts', '', '?expand=who'), auth: 'u2', status: 200, check: hasEmail(false) },
    { name: 'create: the rules see verified=false, whatever was sent', method: 'POST', url: url('clubs'), status: 400,
      body: { email: 'club@example.com', password: 'club-pass-1', passwordConfirm: 'club-pass-1', verified: true },
      expect: { status: 400, message: CREATE_FAILED,
        data: { verified: { code: 'validation_values_mismatch', message: "Values don't match." } } } },
    { name: 'create: a met manageRule lets the creator set verified', method: 'POST', url: url('guilds'), status: 200,
      body: { email: 'founder@example.com', password: 'guild-pass-1', passwordConfirm: 'guild-pass-1', role: 'founder', verified: true },
      expect: { verified: true, email: 'founder@example.com' } },
    { name: 'create: an unmet manageRule does not', method: 'POST', url: url('guilds'), status: 400,
      body: { email: 'member@example.com', password: 'guild-pass-1', passwordConfirm: 'guild-pass-1', role: 'member', verified: true },
      expect: { status: 400, message: CREATE_FAILED,
        data: { verified: { code: 'validation_values_mismatch', message: "Values don't match." } } } },
  ]);
});

describe('@collection and @request in client filters and sorts', () => {
  const byRequest = { status: 403, message: 'Only superusers can filter by @request.', data: {} };
  const byCollection = { status: 403, message: 'Only superusers can filter by @collection.', data: {} };
  const f = (filter: string) => url('open', '', `?${new URLSearchParams({ filter })}`);
  const s = (sort: string) => url('open', '', `?${new URLSearchParams({ sort })}`);
  scenarios(env, [
    { name: 'guest: @request in filter', url: f('@request.auth.id = ""'), status: 403, expect: byRequest },
    { name: 'user: @request in filter', url: f('@request.auth.id != ""'), auth: 'u1', status: 403, expect: byRequest },
    { name: 'guest: @collection in filter', url: f('@collection.members.team ?= "red"'), status: 403, expect: byCollection },
    { name: 'user: @collection in filter', url: f('@collection.members.team ?= "red"'), auth: 'u2', status: 403, expect: byCollection },
    { name: 'even inside a quoted string', url: f('title = "@request.method"'), status: 403, expect: byRequest },
    { name: 'guest: @request in sort', url: s('@request.auth.id'), status: 403, expect: byRequest },
    { name: 'user: @collection in sort', url: s('@collection.members.team'), auth: 'u1', status: 403, expect: byCollection },
    { name: 'superuser: @request in filter', url: f('@request.auth.id != ""'), auth: 'superuser', status: 200,
      expect: { totalItems: 2 } },
    { name: 'superuser: @request.auth.collectionName', url: f('@request.auth.collectionName = "_superusers"'), auth: 'superuser',
      status: 200, expect: { totalItems: 2 } },
    { name: 'superuser: @collection in filter', url: f('@collection.members.team ?= "blue"'), auth: 'superuser', status: 200,
      expect: { totalItems: 2 } },
    { name: 'superuser: @collection with no match', url: f('@collection.members.team ?= "green"'), auth: 'superuser', status: 200,
      expect: { totalItems: 0 } },
  ]);
});
