// Realtime end to end: a real server, the official SDK (with the `eventsource` package) and a raw
// SSE reader. PB_CONNECT, topic names as subscribed, create/update/delete events, each
// subscriber's listRule/viewRule evaluated as that subscriber, the subscription options (filter,
// expand, fields), binding a client's auth, PocketBase's validation of POST /api/realtime, and no
// event for a write that failed or rolled back. Events reach one client in order, so "nothing
// came" is checked with a sentinel: a later event the same client does get.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord, createUser, PUBLIC_RULES, relation, text } from './support/builders.ts';
import { collect, openStream, sdk, setSubscriptions, until } from './support/realtime.ts';

let server: TestServer;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let publicId: string;
let tagId: string;
const su = () => sdk(server.url, server.superuserToken);

beforeAll(async () => {
  server = await startServer();
  alice = await createUser(server, 'alice@rt.test');
  bob = await createUser(server, 'bob@rt.test');
  const usersId = (await api(server, 'GET', '/api/collections/users', { token: server.superuserToken })).body.id;
  publicId = (await createCollection(server, { name: 'rt_public', fields: [text('title')], ...PUBLIC_RULES })).id;
  const tags = await createCollection(server, { name: 'rt_tags', fields: [text('name')], ...PUBLIC_RULES });
  tagId = (await createRecord(server, 'rt_tags', { name: 'red' })).id;
  const own = 'owner = @request.auth.id';
  await createCollection(server, {
    name: 'rt_posts',
    fields: [text('title'), text('secret', { hidden: true }), relation('owner', usersId, { maxSelect: 1 }), relation('tag', tags.id, { maxSelect: 1 })],
    listRule: own,
    viewRule: own,
    createRule: '',
    updateRule: own,
    deleteRule: own,
  });
  await createCollection(server, { name: 'rt_private', fields: [text('title')] });
  await createCollection(server, {
    name: 'rt_children',
    fields: [relation('parent', publicId, { maxSelect: 1, cascadeDelete: true })],
    ...PUBLIC_RULES,
  });
  await createCollection(server, { name: 'rt_links', fields: [relation('posts', publicId, { maxSelect: 5 })], ...PUBLIC_RULES });
  await createCollection(server, {
    name: 'rt_required',
    fields: [relation('post', publicId, { maxSelect: 1, required: true })],
    ...PUBLIC_RULES,
  });
});
afterAll(async () => {
  await server?.close();
});

/** Creates an rt_public record as superuser: an event every subscriber of rt_public/* gets. */
async function sentinel(title: string) {
  return createRecord(server, 'rt_public', { title });
}

describe('GET /api/realtime', () => {
  it('opens an event stream whose first event is PB_CONNECT, with the client id as the event id', async () => {
    const s = await openStream(server.url);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('text/event-stream');
    expect(s.headers['cache-control']).toBe('no-store');
    expect(s.headers['x-accel-buffering']).toBe('no');
    expect(s.headers['x-content-type-options']).toBe('nosniff');
    expect(s.clientId).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(s.events[0]).toEqual({ id: s.clientId, event: 'PB_CONNECT', data: `{"clientId":"${s.clientId}"}` });
    const other = await openStream(server.url);
    expect(other.clientId).not.toBe(s.clientId);
  });
});

describe('record events', () => {
  it('names each event with the topic exactly as subscribed: by name or id, `/*`, `/ID`, the bare collection, with options', async () => {
    const record = await createRecord(server, 'rt_public', { title: 'before' });
    const s = await openStream(server.url);
    const withOptions = `rt_public/*?options=${encodeURIComponent(JSON.stringify({ query: { fields: 'id,title' } }))}`;
    const topics = ['rt_public/*', `${publicId}/*`, `rt_public/${record.id}`, `${publicId}/${record.id}`, 'rt_public', withOptions, 'rt_public/other'];
    expect((await setSubscriptions(server.url, s.clientId, topics)).status).toBe(204);

    await api(server, 'PATCH', `/api/collections/rt_public/records/${record.id}`, { token: server.superuserToken, body: { title: 'after' } });
    const updates = await until(() => (s.events.length >= 7 ? s.events.slice(1) : undefined), 5000, 'six update events');
    expect(updates.map((e) => e.event).sort()).toEqual(topics.filter((t) => t !== 'rt_public/other').sort());
    // Record events carry their position and the client (`<stream>.<sequence>.<clientId>`, for Last-Event-ID), one per change.
    expect(new Set(updates.map((e) => e.id)).size).toBe(1);
    for (const e of updates) {
      expect(e.id).toMatch(new RegExp(`^[A-Za-z0-9]{8}\\.\\d+\\.${s.clientId}$`));
      // PocketBase's key order: the record, then the action.
      expect(e.data.startsWith('{"record":{')).toBe(true);
      const data = JSON.parse(e.data);
      expect(data.action).toBe('update');
      if (e.event === withOptions) expect(data.record).toEqual({ id: record.id, title: 'after' });
      else expect(data.record).toMatchObject({ id: record.id, title: 'after', collectionName: 'rt_public', collectionId: publicId });
    }

    // Another record: only the collection-wide topics.
    s.events.length = 0;
    const created = await sentinel('new');
    const creates = await until(() => (s.events.length >= 4 ? s.events : undefined), 5000, 'four create events');
    await new Promise((r) => setTimeout(r, 100));
    expect(s.events.map((e) => e.event).sort()).toEqual(['rt_public', 'rt_public/*', `${publicId}/*`, withOptions].sort());
    expect(JSON.parse(creates[0].data)).toMatchObject({ action: 'create', record: { id: created.id, title: 'new' } });
  });

  it('delivers create, update and delete through the SDK, for `*` and for one record', async () => {
    const admin = su();
    const watcher = sdk(server.url);
    const all = await collect(watcher, 'rt_public', '*');
    const created = await admin.collection('rt_public').create({ title: 'one' });
    const one = await collect(watcher, 'rt_public', created.id);
    await admin.collection('rt_public').update(created.id, { title: 'two' });
    await admin.collection('rt_public').delete(created.id);
    await until(() => all.length >= 3 && one.length >= 2, 5000, 'events');
    expect(all.map((e) => [e.action, e.record.id, e.record.title])).toEqual([
      ['create', created.id, 'one'],
      ['update', created.id, 'two'],
      ['delete', created.id, 'two'],
    ]);
    expect(one.map((e) => [e.action, e.record.title])).toEqual([
      ['update', 'two'],
      ['delete', 'two'],
    ]);
    await watcher.collection('rt_public').unsubscribe(created.id);
    await watcher.collection('rt_public').unsubscribe('*');
    expect(watcher.realtime.isConnected).toBe(false);
  });
});

describe('rules, evaluated as each subscriber', () => {
  async function subscribers() {
    const clients = { alice: sdk(server.url, alice.token), bob: sdk(server.url, bob.token), guest: sdk(server.url), superuser: su() };
    const posts: Record<string, Array<{ action: string; record: any }>> = {};
    const publics: Record<string, Array<{ action: string; record: any }>> = {};
    for (const [name, pb] of Object.entries(clients)) {
      posts[name] = await collect(pb, 'rt_posts', '*');
      publics[name] = await collect(pb, 'rt_public', '*');
    }
    return { clients, posts, publics };
  }

  /** Waits until every client got the sentinel: anything sent before it has arrived too. */
  async function settle(publics: Record<string, unknown[]>, title: string) {
    const mark = await sentinel(title);
    await until(() => Object.values(publics).every((list) => list.some((e: any) => e.record.id === mark.id)), 5000, 'the sentinel');
  }

  it('listRule: a user sees only their own records, a guest nothing, a superuser everything with hidden fields', async () => {
    const { posts, publics } = await subscribers();
    const post = await createRecord(server, 'rt_posts', { title: 'mine', secret: 's3cret', owner: alice.id });
    await settle(publics, 'list settled');
    expect(posts.alice.map((e) => [e.action, e.record.id])).toEqual([['create', post.id]]);
    expect(posts.alice[0].record).not.toHaveProperty('secret');
    expect(posts.bob).toEqual([]);
    expect(posts.guest).toEqual([]);
    expect(posts.superuser.map((e) => e.record.id)).toEqual([post.id]);
    expect(posts.superuser[0].record.secret).toBe('s3cret');
  });

  it('viewRule for `coll/ID`, checked against the record as written (a delete included)', async () => {
    const post = await createRecord(server, 'rt_posts', { title: 'watched', owner: alice.id });
    const a = sdk(server.url, alice.token);
    const b = sdk(server.url, bob.token);
    const aliceGot = await collect(a, 'rt_posts', post.id);
    const bobGot = await collect(b, 'rt_posts', post.id);
    const bobPublic = await collect(b, 'rt_public', '*');
    await api(server, 'PATCH', `/api/collections/rt_posts/records/${post.id}`, { token: alice.token, body: { title: 'changed' } });
    // Handed to bob: from now on bob may see it, alice may not.
    await api(server, 'PATCH', `/api/collections/rt_posts/records/${post.id}`, { token: server.superuserToken, body: { owner: bob.id } });
    await api(server, 'DELETE', `/api/collections/rt_posts/records/${post.id}`, { token: bob.token });
    const mark = await sentinel('view settled');
    await until(() => bobPublic.some((e) => e.record.id === mark.id), 5000, 'the sentinel');
    expect(aliceGot.map((e) => [e.action, e.record.title])).toEqual([['update', 'changed']]);
    expect(bobGot.map((e) => [e.action, e.record.owner])).toEqual([
      ['update', bob.id],
      ['delete', bob.id],
    ]);
  });

  it('a null rule lets only superusers see events', async () => {
    const { clients, publics } = await subscribers();
    const got = await collect(clients.alice, 'rt_private', '*');
    const superGot = await collect(clients.superuser, 'rt_private', '*');
    const r = await createRecord(server, 'rt_private', { title: 'hidden' });
    await settle(publics, 'private settled');
    expect(got).toEqual([]);
    expect(superGot.map((e) => e.record.id)).toEqual([r.id]);
  });

  it('clients bound to an auth record follow it: a new password (tokenKey) leaves them unauthenticated', async () => {
    const carol = await createUser(server, 'carol@rt.test');
    const pb = sdk(server.url, carol.token);
    const got = await collect(pb, 'rt_posts', '*');
    const marks = await collect(pb, 'rt_public', '*');
    const first = await createRecord(server, 'rt_posts', { title: 'carol 1', owner: carol.id });
    await until(() => got.length === 1, 5000, 'carol\'s first post');
    expect(got[0].record.id).toBe(first.id);
    const res = await api(server, 'PATCH', `/api/collections/users/records/${carol.id}`, {
      token: server.superuserToken,
      body: { password: 'another-password-1', passwordConfirm: 'another-password-1' },
    });
    expect(res.status).toBe(200);
    await createRecord(server, 'rt_posts', { title: 'carol 2', owner: carol.id });
    const mark = await sentinel('carol settled');
    await until(() => marks.some((e) => e.record.id === mark.id), 5000, 'the sentinel');
    expect(got.map((e) => e.record.title)).toEqual(['carol 1']);
  });
});

describe('auth collections that change', () => {
  /** An auth collection of its own (its secret is rotated here), with notes only their owner sees, and a member signed in. */
  async function members(prefix: string) {
    const c = await createCollection(server, { name: `${prefix}_members`, type: 'auth', fields: [], listRule: 'id = @request.auth.id', viewRule: 'id = @request.auth.id', deleteRule: 'id = @request.auth.id' });
    await createCollection(server, { name: `${prefix}_notes`, fields: [text('title'), relation('owner', c.id, { maxSelect: 1 })], listRule: 'owner = @request.auth.id', viewRule: 'owner = @request.auth.id' });
    const password = 'member-password-1';
    const member = await createRecord(server, `${prefix}_members`, { email: `m@${prefix}.test`, password, passwordConfirm: password });
    const login = await api(server, 'POST', `/api/collections/${prefix}_members/auth-with-password`, { body: { identity: `m@${prefix}.test`, password } });
    expect(login.status).toBe(200);
    return { collectionId: c.id, member, token: login.body.token as string };
  }

  it('a new auth token secret leaves the collection\'s clients unauthenticated, and free to bind another auth (PocketBase)', async () => {
    const { member, token } = await members('rt_sec');
    const s = await openStream(server.url);
    expect((await setSubscriptions(server.url, s.clientId, ['rt_sec_notes/*', 'rt_public/*'], token)).status).toBe(204);
    const before = await createRecord(server, 'rt_sec_notes', { title: 'before', owner: member.id });
    await until(() => s.events.some((e) => e.event === 'rt_sec_notes/*' && JSON.parse(e.data).record.id === before.id), 5000, 'the first note');
    const rotated = await api(server, 'PATCH', '/api/collections/rt_sec_members', { token: server.superuserToken, body: { authToken: { secret: 'a-brand-new-secret-of-thirty-chars-or-more' } } });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    // The member's own record changing afterwards must not bind the old auth again.
    await api(server, 'PATCH', `/api/collections/rt_sec_members/records/${member.id}`, { token: server.superuserToken, body: { emailVisibility: true } });
    const after = await createRecord(server, 'rt_sec_notes', { title: 'after', owner: member.id });
    const mark = await sentinel('secret settled');
    await until(() => s.events.some((e) => e.event === 'rt_public/*' && JSON.parse(e.data).record.id === mark.id), 5000, 'the sentinel');
    expect(s.events.filter((e) => e.event === 'rt_sec_notes/*').map((e) => JSON.parse(e.data).record.id)).toEqual([before.id]);
    expect(after.id).toBeTruthy();
    // Unauthenticated now: another auth may bind the client.
    expect((await setSubscriptions(server.url, s.clientId, ['rt_public/*'], bob.token)).status).toBe(204);
  });

  it('an auth record\'s own clients get its delete, as PocketBase settles the subscribers before unsetting their auth', async () => {
    const { member, token } = await members('rt_del');
    const s = await openStream(server.url);
    expect((await setSubscriptions(server.url, s.clientId, ['rt_del_members/*', `rt_del_members/${member.id}`], token)).status).toBe(204);
    await api(server, 'PATCH', `/api/collections/rt_del_members/records/${member.id}`, { token: server.superuserToken, body: { emailVisibility: true } });
    await until(() => s.events.filter((e) => JSON.parse(e.data).action === 'update').length === 2, 5000, 'the updates');
    expect((await api(server, 'DELETE', `/api/collections/rt_del_members/records/${member.id}`, { token })).status).toBe(204);
    await until(() => s.events.filter((e) => JSON.parse(e.data).action === 'delete').length === 2, 5000, 'the deletes');
    expect(s.events.filter((e) => JSON.parse(e.data).action === 'delete').map((e) => e.event).sort()).toEqual([`rt_del_members/${member.id}`, 'rt_del_members/*'].sort());
  });
});

describe('deletes, settled before they commit (as PocketBase)', () => {
  it('a cascaded delete whose rule reads through the deleted parent, and a record whose rule reads a back-relation the cascade deletes', async () => {
    const usersId = (await api(server, 'GET', '/api/collections/users', { token: server.superuserToken })).body.id;
    const own = 'owner = @request.auth.id';
    const parents = await createCollection(server, { name: 'rt_dparents', fields: [text('title'), relation('owner', usersId, { maxSelect: 1 })], listRule: own, viewRule: own, deleteRule: own, createRule: '' });
    await createCollection(server, {
      name: 'rt_dchildren',
      fields: [relation('parent', parents.id, { maxSelect: 1, cascadeDelete: true })],
      listRule: 'parent.owner = @request.auth.id',
      viewRule: 'parent.owner = @request.auth.id',
    });
    const shared = 'owner = @request.auth.id || rt_dgrants_via_doc.user ?= @request.auth.id';
    const docs = await createCollection(server, { name: 'rt_ddocs', fields: [text('body'), relation('owner', usersId, { maxSelect: 1 })], deleteRule: own });
    await createCollection(server, { name: 'rt_dgrants', fields: [relation('doc', docs.id, { maxSelect: 1, cascadeDelete: true }), relation('user', usersId, { maxSelect: 1 })] });
    expect((await api(server, 'PATCH', '/api/collections/rt_ddocs', { token: server.superuserToken, body: { listRule: shared, viewRule: shared } })).status).toBe(200);

    const parent = await createRecord(server, 'rt_dparents', { title: 'p', owner: alice.id });
    const child = await createRecord(server, 'rt_dchildren', { parent: parent.id });
    const doc = await createRecord(server, 'rt_ddocs', { body: 'b', owner: alice.id });
    await createRecord(server, 'rt_dgrants', { doc: doc.id, user: bob.id });

    const a = await openStream(server.url);
    expect((await setSubscriptions(server.url, a.clientId, ['rt_dchildren/*', `rt_dchildren/${child.id}`], alice.token)).status).toBe(204);
    const b = await openStream(server.url);
    expect((await setSubscriptions(server.url, b.clientId, ['rt_ddocs/*', `rt_ddocs/${doc.id}`], bob.token)).status).toBe(204);

    expect((await api(server, 'DELETE', `/api/collections/rt_dparents/records/${parent.id}`, { token: alice.token })).status).toBe(204);
    expect((await api(server, 'DELETE', `/api/collections/rt_ddocs/records/${doc.id}`, { token: alice.token })).status).toBe(204);
    const deletes = (s: typeof a) => s.events.filter((e) => e.event !== 'PB_CONNECT').map((e) => [e.event, JSON.parse(e.data).action, JSON.parse(e.data).record.id]);
    await until(() => deletes(a).length >= 2 && deletes(b).length >= 2, 5000, 'the delete events');
    expect(deletes(a).sort()).toEqual([['rt_dchildren/*', 'delete', child.id], [`rt_dchildren/${child.id}`, 'delete', child.id]].sort());
    expect(deletes(b).sort()).toEqual([['rt_ddocs/*', 'delete', doc.id], [`rt_ddocs/${doc.id}`, 'delete', doc.id]].sort());
  });

  it('a delete that rolls back sends nothing, and a later delete of the record is settled again', async () => {
    await createCollection(server, { name: 'rt_dkept', fields: [text('title')], ...PUBLIC_RULES });
    await createCollection(server, { name: 'rt_dblock', fields: [relation('kept', (await api(server, 'GET', '/api/collections/rt_dkept', { token: server.superuserToken })).body.id, { maxSelect: 1, required: true })], ...PUBLIC_RULES });
    const kept = await createRecord(server, 'rt_dkept', { title: 'k' });
    const blocker = await createRecord(server, 'rt_dblock', { kept: kept.id });
    const s = await openStream(server.url);
    expect((await setSubscriptions(server.url, s.clientId, ['rt_dkept/*', 'rt_public/*'])).status).toBe(204);
    // A required reference refuses the delete: it rolls back.
    expect((await api(server, 'DELETE', `/api/collections/rt_dkept/records/${kept.id}`, { token: server.superuserToken })).status).toBe(400);
    const mark = await sentinel('rolled back settled');
    await until(() => s.events.some((e) => e.event === 'rt_public/*' && JSON.parse(e.data).record.id === mark.id), 5000, 'the sentinel');
    expect(s.events.filter((e) => e.event === 'rt_dkept/*')).toEqual([]);
    expect((await api(server, 'DELETE', `/api/collections/rt_dblock/records/${blocker.id}`, { token: server.superuserToken })).status).toBe(204);
    expect((await api(server, 'DELETE', `/api/collections/rt_dkept/records/${kept.id}`, { token: server.superuserToken })).status).toBe(204);
    await until(() => s.events.some((e) => e.event === 'rt_dkept/*'), 5000, 'the delete');
    expect(s.events.filter((e) => e.event === 'rt_dkept/*').map((e) => JSON.parse(e.data).action)).toEqual(['delete']);
  });
});

describe('subscription options', () => {
  it('filter, expand and fields apply per subscription; subscribers without options get the whole record', async () => {
    const pb = sdk(server.url, alice.token);
    const filtered = await collect(pb, 'rt_posts', '*', { filter: "title ~ 'keep'", expand: 'tag', fields: 'id,title,expand.tag.name' });
    const plain = await collect(pb, 'rt_posts', '*');
    // A client filter may not read @request (PocketBase: no event at all).
    const forbidden = await collect(pb, 'rt_posts', '*', { filter: 'owner = @request.auth.id' });
    await createRecord(server, 'rt_posts', { title: 'drop me', owner: alice.id, tag: tagId });
    const kept = await createRecord(server, 'rt_posts', { title: 'keep me', owner: alice.id, tag: tagId });
    await until(() => filtered.length >= 1 && plain.length >= 2, 5000, 'events');
    expect(filtered.map((e) => e.record)).toEqual([{ id: kept.id, title: 'keep me', expand: { tag: { name: 'red' } } }]);
    expect(plain.map((e) => e.record.title)).toEqual(['drop me', 'keep me']);
    expect(plain[0].record).not.toHaveProperty('expand');
    expect(forbidden).toEqual([]);
  });

  it('checks many subscriber groups of one event together, each with its own answer', async () => {
    // 120 topics with filters of their own, over three clients (a client holds at most 50 distinct
    // options): 120 groups, checked in a few statements.
    const streams = await Promise.all([0, 1, 2].map(() => openStream(server.url)));
    const topic = (i: number) => `rt_public/*?options=${encodeURIComponent(JSON.stringify({ query: { filter: `title = 'n${i % 60}'`, fields: 'title', i } }))}`;
    for (const [n, s] of streams.entries()) {
      const topics = Array.from({ length: 40 }, (_, i) => topic(n * 40 + i));
      expect((await setSubscriptions(server.url, s.clientId, [...topics, 'rt_public/*'])).status).toBe(204);
    }
    await sentinel('n7');
    await sentinel('n59');
    await until(() => streams.every((s) => s.events.filter((e) => e.event === 'rt_public/*').length === 2), 5000, 'both plain events');
    const got = streams.flatMap((s) => s.events.filter((e) => e.event !== 'rt_public/*' && e.event !== 'PB_CONNECT'));
    expect(got.map((e) => [e.event, e.data]).sort()).toEqual(
      [
        [topic(7), '{"record":{"title":"n7"},"action":"create"}'],
        [topic(67), '{"record":{"title":"n7"},"action":"create"}'],
        [topic(59), '{"record":{"title":"n59"},"action":"create"}'],
        [topic(119), '{"record":{"title":"n59"},"action":"create"}'],
      ].sort(),
    );
    for (const s of streams) s.close();
  });

  it('options.headers reach the rules as @request.headers, snake-cased', async () => {
    await createCollection(server, { name: 'rt_headers', fields: [text('title')], listRule: "@request.headers.x_team = 'blue'", viewRule: '' });
    const pb = sdk(server.url);
    const blue = await collect(pb, 'rt_headers', '*', { headers: { 'X-Team': 'blue' } });
    const red = await collect(pb, 'rt_headers', '*', { headers: { 'X-Team': 'red' } });
    const marks = await collect(pb, 'rt_public', '*');
    await createRecord(server, 'rt_headers', { title: 'for blue' });
    const mark = await sentinel('headers settled');
    await until(() => marks.some((e) => e.record.id === mark.id), 5000, 'the sentinel');
    expect(blue.map((e) => e.record.title)).toEqual(['for blue']);
    expect(red).toEqual([]);
  });
});

describe('POST /api/realtime', () => {
  it('binds the first auth it sees; another auth, or none, is then a 403; a guest client may be upgraded', async () => {
    const s = await openStream(server.url);
    expect((await setSubscriptions(server.url, s.clientId, ['rt_public/*'], alice.token)).status).toBe(204);
    expect((await setSubscriptions(server.url, s.clientId, ['rt_public/*'], alice.token)).status).toBe(204);
    for (const token of [bob.token, server.superuserToken, undefined]) {
      const res = await setSubscriptions(server.url, s.clientId, [], token);
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ data: {}, message: "The current and the previous request authorization don't match.", status: 403 });
    }
    const guest = await openStream(server.url);
    expect((await setSubscriptions(server.url, guest.clientId, ['rt_posts/*'])).status).toBe(204);
    expect((await setSubscriptions(server.url, guest.clientId, ['rt_posts/*'], bob.token)).status).toBe(204);
    expect((await setSubscriptions(server.url, guest.clientId, ['rt_posts/*'], alice.token)).status).toBe(403);
    // Now bound to bob: bob's posts reach it.
    const post = await createRecord(server, 'rt_posts', { title: 'for bob', owner: bob.id });
    await until(() => guest.events.some((e) => e.event === 'rt_posts/*' && JSON.parse(e.data).record.id === post.id), 5000, 'bob\'s post');
  });

  it('bounds the distinct options a client, and an address, may subscribe with (each is its own check per event)', async () => {
    const filtered = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => `rt_public/*?options=${encodeURIComponent(JSON.stringify({ query: { filter: `title != '${tag}${i}'` } }))}`);
    const s = await openStream(server.url);
    // Topics without options, or repeating the same options, are not counted.
    expect((await setSubscriptions(server.url, s.clientId, [...filtered(50, 'a'), ...filtered(50, 'a').map((t) => t.replace('rt_public/*', 'rt_posts/*')), 'rt_posts/*'])).status).toBe(204);
    const over = await setSubscriptions(server.url, s.clientId, filtered(51, 'b'));
    expect(over.status).toBe(400);
    expect(over.body.data.subscriptions).toMatchObject({ code: 'validation_length_too_long', params: { max: 50 } });
    // Refused: the client keeps what it had.
    expect(server.baton.services.realtime.client(s.clientId)!.subscriptions.size).toBe(101);
    s.close();
  });

  it('clients of one address, ended ones kept for resuming included, share a bound of 200 distinct option sets', async () => {
    const own = await startServer();
    try {
      await createCollection(own, { name: 'rt_bound', fields: [text('title')], ...PUBLIC_RULES });
      const filtered = (n: number, tag: string) =>
        Array.from({ length: n }, (_, i) => `rt_bound/*?options=${encodeURIComponent(JSON.stringify({ query: { filter: `title != '${tag}${i}'` } }))}`);
      const clients = await Promise.all([0, 1, 2, 3].map(() => openStream(own.url)));
      const statuses = [];
      for (const [n, c] of clients.entries()) statuses.push((await setSubscriptions(own.url, c.clientId, filtered(50, `c${n}-`))).status);
      expect(statuses).toEqual([204, 204, 204, 204]);
      // An ended connection still counts while it may be resumed.
      clients[0].close();
      await until(() => !own.baton.services.realtime.client(clients[0].clientId), 2000, 'the disconnect');
      const fifth = await openStream(own.url);
      const over = await setSubscriptions(own.url, fifth.clientId, filtered(1, 'e'));
      expect(over.status).toBe(400);
      expect(over.body.data.subscriptions).toMatchObject({ code: 'validation_length_too_long', params: { max: 200 } });
      // The same options as a client already has cost nothing more.
      expect((await setSubscriptions(own.url, fifth.clientId, filtered(50, 'c1-'))).status).toBe(204);
      for (const c of [...clients, fifth]) c.close();
    } finally {
      await own.close();
    }
  });

  it('validates the body as PocketBase does', async () => {
    const s = await openStream(server.url);
    const post = (body: unknown, rawBody?: string) =>
      api(server, 'POST', '/api/realtime', rawBody === undefined ? { body } : { rawBody, headers: { 'content-type': 'application/json' } });
    const generic = 'Something went wrong while processing your request.';

    let res = await post({});
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ data: { clientId: { code: 'validation_required', message: 'Cannot be blank.' } }, message: generic, status: 400 });

    res = await post({ clientId: s.clientId, subscriptions: Array.from({ length: 1001 }, (_, i) => String(i)) });
    expect(res.status).toBe(400);
    expect(res.body.data).toEqual({ subscriptions: { code: 'validation_length_too_long', message: 'The length must be no more than 1000.', params: { max: 1000 } } });

    res = await post({ clientId: s.clientId, subscriptions: ['abc', 'a'.repeat(2501)] });
    expect(res.status).toBe(400);
    expect(res.body.data).toEqual({ subscriptions: { 1: { code: 'validation_length_too_long', message: 'The length must be no more than 2500.', params: { max: 2500 } } } });

    res = await post({ clientId: 'x'.repeat(256) });
    expect(res.body.data.clientId).toEqual({ code: 'validation_length_out_of_range', message: 'The length must be between 1 and 255.', params: { max: 255, min: 1 } });

    for (const body of [{ clientId: 1 }, { clientId: s.clientId, subscriptions: 'rt_public/*' }, { clientId: s.clientId, subscriptions: [1] }]) {
      res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toEqual({ data: {}, message: generic, status: 400 });
    }
    res = await post(undefined, '{"clientId":');
    expect(res.body).toEqual({ data: {}, message: generic, status: 400 });

    res = await post({ clientId: 'missing', subscriptions: ['a'] });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ data: {}, message: 'Missing or invalid client id.', status: 404 });

    expect((await post({ clientId: s.clientId, subscriptions: Array.from({ length: 1000 }, (_, i) => String(i)) })).status).toBe(204);
    expect((await post({ clientId: s.clientId, subscriptions: ['a'.repeat(2500), '', null] })).status).toBe(204);
    // A form works too, its repeated values being the list.
    const form = new URLSearchParams([['clientId', s.clientId], ['subscriptions', 'rt_public/*'], ['subscriptions', 'rt_public']]);
    const formRes = await fetch(`${server.url}/api/realtime`, { method: 'POST', body: form });
    expect(formRes.status).toBe(204);
    await sentinel('form');
    await until(() => s.events.filter((e) => e.event.startsWith('rt_public')).length === 2, 5000, 'both events');
  });
});

describe('writes that do not happen send nothing', () => {
  it('no event for a refused create, a refused update, or a delete rolled back by a required reference', async () => {
    const admin = su();
    const events: string[] = [];
    const marks = await collect(admin, 'rt_public', '*');
    for (const c of ['rt_required', 'rt_posts', 'rt_children', '_superusers']) {
      await admin.collection(c).subscribe('*', (e) => events.push(`${c}:${e.action}:${e.record.id}`));
    }
    const post = await createRecord(server, 'rt_posts', { title: 'owned', owner: alice.id });
    const referenced = await sentinel('referenced');
    await createRecord(server, 'rt_required', { post: referenced.id });
    await until(() => events.length === 2 && marks.length === 1, 5000, 'the setup events');
    events.length = 0;
    marks.length = 0;

    expect((await api(server, 'POST', '/api/collections/rt_required/records', { token: server.superuserToken, body: {} })).status).toBe(400);
    expect((await api(server, 'PATCH', `/api/collections/rt_posts/records/${post.id}`, { token: bob.token, body: { title: 'x' } })).status).toBe(404);
    expect((await api(server, 'PATCH', `/api/collections/rt_posts/records/${post.id}`, { token: alice.token, body: { owner: 'nobody' } })).status).toBe(400);
    expect((await api(server, 'DELETE', `/api/collections/rt_public/records/${referenced.id}`, { token: server.superuserToken })).status).toBe(400);
    // The last superuser cannot go: that delete rolls back inside its transaction.
    const superusers = await api(server, 'GET', '/api/collections/_superusers/records', { token: server.superuserToken });
    expect(superusers.body.items).toHaveLength(1);
    const last = await api(server, 'DELETE', `/api/collections/_superusers/records/${superusers.body.items[0].id}`, { token: server.superuserToken });
    expect(last.status).toBe(400);
    const mark = await sentinel('after the failures');
    await until(() => marks.some((e) => e.record.id === mark.id), 5000, 'the sentinel');
    expect(events).toEqual([]);
    expect(marks.map((e) => [e.action, e.record.id])).toEqual([['create', mark.id]]);
  });

  it('a batch announces its writes only once it has committed; a batch that rolls back announces none', async () => {
    const settings = await api(server, 'PATCH', '/api/settings', { token: server.superuserToken, body: { batch: { enabled: true, maxRequests: 10, timeout: 3 } } });
    expect(settings.status).toBe(200);
    const admin = su();
    const events = await collect(admin, 'rt_public', '*');
    const failed = admin.createBatch();
    failed.collection('rt_public').create({ title: 'rolled back 1' });
    failed.collection('rt_public').create({ title: 'rolled back 2' });
    failed.collection('rt_public').update('missing0000000', { title: 'fails' });
    await expect(failed.send()).rejects.toMatchObject({ status: 400 });
    const ok = admin.createBatch();
    ok.collection('rt_public').create({ title: 'batched 1' });
    ok.collection('rt_public').create({ title: 'batched 2' });
    const results = await ok.send();
    const mark = await sentinel('after the batches');
    await until(() => events.some((e) => e.record.id === mark.id), 5000, 'the sentinel');
    expect(events.map((e) => [e.action, e.record.title])).toEqual([
      ['create', 'batched 1'],
      ['create', 'batched 2'],
      ['create', 'after the batches'],
    ]);
    expect(events[0].record.id).toBe((results[0].body as { id: string }).id);
  });

  it('a delete that cascades sends the cascaded deletes and the unlinking updates after its own', async () => {
    const admin = su();
    const events: Array<[string, string, string, unknown]> = [];
    for (const c of ['rt_public', 'rt_children', 'rt_links']) {
      await admin.collection(c).subscribe('*', (e) => events.push([c, e.action, e.record.id, e.record.posts]));
    }
    const parent = await sentinel('parent');
    const other = await sentinel('other');
    const child = await createRecord(server, 'rt_children', { parent: parent.id });
    const link = await createRecord(server, 'rt_links', { posts: [parent.id, other.id] });
    await until(() => events.length === 4, 5000, 'the setup events');
    events.length = 0;
    await admin.collection('rt_public').delete(parent.id);
    await until(() => events.length === 3, 5000, 'three events');
    expect(events).toEqual([
      ['rt_public', 'delete', parent.id, undefined],
      ['rt_children', 'delete', child.id, undefined],
      ['rt_links', 'update', link.id, [other.id]],
    ]);
  });
});
