// Resumable realtime streams: record events carry increasing ids (`<stream>.<sequence>.<clientId>`);
// a client that reconnects with the last id it got (SSE `Last-Event-ID`, WebSocket `?lastEventId=`)
// is sent, after its first subscription request, exactly the changes that connection was given
// (settled when they happened, with its auth and rules of then) and missed, then the live ones.
// Another auth or address, past the replay window (count or age), or an id this server cannot
// continue: PB_MISSED instead of a silent gap, or of events that were never the client's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord, PUBLIC_RULES, relation, text } from './support/builders.ts';
import { openSocket, openStream, ownedPostsFixture, setSubscriptions, sleep, until, type RawStream } from './support/realtime.ts';

let server: TestServer;
let alice: { id: string; token: string };
let bob: { id: string; token: string };

beforeAll(async () => {
  server = await startServer();
  ({ alice, bob } = await ownedPostsFixture(server, 'rs'));
});
afterAll(async () => {
  await server?.close();
});

const records = (s: RawStream) => s.events.filter((e) => !e.event.startsWith('PB_'));
const summary = (events: Array<{ event: string; data: string }>) =>
  events.map((e) => {
    const d = JSON.parse(e.data);
    return [e.event, d.action, d.record.title];
  });

describe('SSE: Last-Event-ID', () => {
  it('replays exactly the missed changes the reconnecting subscriber may see, in order, then goes on live', async () => {
    const first = await openStream(server.url);
    expect((await setSubscriptions(server.url, first.clientId, ['rs_posts/*', 'rs_public/*'], alice.token)).status).toBe(204);
    await createRecord(server, 'rs_public', { title: 'seen' });
    const [seen] = await until(() => (records(first).length >= 1 ? records(first) : undefined), 5000, 'the first event');
    first.close();
    await first.closed;
    await until(() => server.baton.services.realtime.clientCount === 0, 2000, 'the disconnect');

    // While away: alice's post, bob's post (hidden from alice by the listRule), a public record, an update.
    const mine = await createRecord(server, 'rs_posts', { title: 'alice 1', owner: alice.id });
    await createRecord(server, 'rs_posts', { title: 'bob 1', owner: bob.id });
    const pub = await createRecord(server, 'rs_public', { title: 'public 1' });
    await api(server, 'PATCH', `/api/collections/rs_posts/records/${mine.id}`, { token: alice.token, body: { title: 'alice 1b' } });

    const again = await openStream(server.url, seen.id);
    // Nothing before its subscription request says what it follows.
    await sleep(100);
    expect(records(again)).toEqual([]);
    expect((await setSubscriptions(server.url, again.clientId, ['rs_posts/*', 'rs_public/*'], alice.token)).status).toBe(204);
    await until(() => records(again).length >= 3, 5000, 'the replay');
    await createRecord(server, 'rs_public', { title: 'live' });
    await until(() => records(again).length >= 4, 5000, 'the live event');
    await sleep(100);
    expect(summary(records(again))).toEqual([
      ['rs_posts/*', 'create', 'alice 1'],
      ['rs_public/*', 'create', 'public 1'],
      ['rs_posts/*', 'update', 'alice 1b'],
      ['rs_public/*', 'create', 'live'],
    ]);
    expect(JSON.parse(records(again)[1].data).record.id).toBe(pub.id);
    const seqs = records(again).map((e) => Number(e.id.split('.')[1]));
    expect(seqs[0]).toBeGreaterThan(Number(seen.id.split('.')[1]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(again.events.some((e) => e.event === 'PB_MISSED')).toBe(false);
  });

  it('applies the options of the resumed subscription: fields', async () => {
    const first = await openStream(server.url);
    expect((await setSubscriptions(server.url, first.clientId, ['rs_posts/*', 'rs_public/*'], bob.token)).status).toBe(204);
    await createRecord(server, 'rs_public', { title: 'mark' });
    const [mark] = await until(() => (records(first).length >= 1 ? records(first) : undefined), 5000, 'the mark');
    first.close();

    await createRecord(server, 'rs_posts', { title: 'alice 2', owner: alice.id });
    await createRecord(server, 'rs_posts', { title: 'bob 2', owner: bob.id });
    await createRecord(server, 'rs_public', { title: 'public 2', note: 'n' });

    const again = await openStream(server.url, mark.id);
    const fields = `rs_public/*?options=${encodeURIComponent(JSON.stringify({ query: { fields: 'title' } }))}`;
    expect((await setSubscriptions(server.url, again.clientId, ['rs_posts/*', 'rs_public/*', fields], bob.token)).status).toBe(204);
    await until(() => records(again).length >= 3, 5000, 'the replay');
    await sleep(150);
    // A replayed event goes to every topic of the resumed connection it concerns, each with its own options.
    const got = records(again).map((e) => [e.event, JSON.parse(e.data).record]);
    expect(got[0]).toEqual(['rs_posts/*', expect.objectContaining({ title: 'bob 2', owner: bob.id })]);
    expect(got.slice(1).sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual(
      [
        ['rs_public/*', expect.objectContaining({ title: 'public 2', note: 'n' })],
        [fields, { title: 'public 2' }],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  });

  it('replays only what the connection was given when it happened: a grant made since shows nothing older', async () => {
    const { alice: owner, bob: reader } = await ownedPostsFixture(server, 'rg');
    const usersId = (await api(server, 'GET', '/api/collections/users', { token: server.superuserToken })).body.id;
    const docs = await createCollection(server, { name: 'rg_docs', fields: [text('body'), relation('owner', usersId, { maxSelect: 1 })], createRule: '', updateRule: 'owner = @request.auth.id' });
    await createCollection(server, { name: 'rg_grants', fields: [relation('doc', docs.id, { maxSelect: 1, cascadeDelete: true }), relation('user', usersId, { maxSelect: 1 })], createRule: '' });
    const rule = 'owner = @request.auth.id || rg_grants_via_doc.user ?= @request.auth.id';
    expect((await api(server, 'PATCH', '/api/collections/rg_docs', { token: server.superuserToken, body: { listRule: rule, viewRule: rule } })).status).toBe(200);

    const first = await openStream(server.url);
    expect((await setSubscriptions(server.url, first.clientId, ['rg_docs/*', 'rg_public/*'], reader.token)).status).toBe(204);
    await createRecord(server, 'rg_public', { title: 'mark' });
    const [mark] = await until(() => (records(first).length >= 1 ? records(first) : undefined), 5000, 'the mark');
    first.close();
    await until(() => !server.baton.services.realtime.client(first.clientId), 2000, 'the disconnect');

    // While away, and before the reader may see the doc: a draft, then its edit; then the grant.
    const doc = await createRecord(server, 'rg_docs', { body: 'DRAFT: the secret list', owner: owner.id });
    await api(server, 'PATCH', `/api/collections/rg_docs/records/${doc.id}`, { token: owner.token, body: { body: 'redacted' } });
    await createRecord(server, 'rg_grants', { doc: doc.id, user: reader.id });
    await api(server, 'PATCH', `/api/collections/rg_docs/records/${doc.id}`, { token: owner.token, body: { body: 'shared' } });

    const again = await openStream(server.url, mark.id);
    expect((await setSubscriptions(server.url, again.clientId, ['rg_docs/*', 'rg_public/*'], reader.token)).status).toBe(204);
    await until(() => records(again).length >= 1, 5000, 'the replay');
    await createRecord(server, 'rg_public', { title: 'live' });
    await until(() => records(again).length >= 2, 5000, 'the live event');
    expect(records(again).map((e) => [e.event, JSON.parse(e.data).record.body ?? JSON.parse(e.data).record.title])).toEqual([
      ['rg_docs/*', 'shared'],
      ['rg_public/*', 'live'],
    ]);
  });

  it("another auth, or a guest, cannot resume a user's connection: PB_MISSED, and the connection stays the user's", async () => {
    const first = await openStream(server.url);
    expect((await setSubscriptions(server.url, first.clientId, ['rs_posts/*'], alice.token)).status).toBe(204);
    await createRecord(server, 'rs_posts', { title: 'alice seen', owner: alice.id });
    const [seen] = await until(() => (records(first).length >= 1 ? records(first) : undefined), 5000, 'the first event');
    first.close();
    await until(() => !server.baton.services.realtime.client(first.clientId), 2000, 'the disconnect');
    await createRecord(server, 'rs_posts', { title: 'alice away', owner: alice.id });

    for (const token of [bob.token, undefined]) {
      const other = await openStream(server.url, seen.id);
      expect((await setSubscriptions(server.url, other.clientId, ['rs_posts/*'], token)).status).toBe(204);
      const missed = await until(() => other.events.find((e) => e.event === 'PB_MISSED'), 5000, 'PB_MISSED');
      expect(JSON.parse(missed.data)).toEqual({ lastEventId: seen.id });
      expect(records(other)).toEqual([]);
      other.close();
    }
    // Alice herself still resumes it.
    const again = await openStream(server.url, seen.id);
    expect((await setSubscriptions(server.url, again.clientId, ['rs_posts/*'], alice.token)).status).toBe(204);
    await until(() => records(again).length >= 1, 5000, 'the replay');
    expect(summary(records(again))).toEqual([['rs_posts/*', 'create', 'alice away']]);
  });

  it('resumes from a PB_CONNECT id too: the changes since that connection began', async () => {
    const first = await openStream(server.url);
    expect((await setSubscriptions(server.url, first.clientId, ['rs_public/*'])).status).toBe(204);
    first.close();
    await first.closed;
    await until(() => !server.baton.services.realtime.client(first.clientId), 2000, 'the disconnect');
    await createRecord(server, 'rs_public', { title: 'after connect' });
    const again = await openStream(server.url, first.clientId);
    expect((await setSubscriptions(server.url, again.clientId, ['rs_public/*'])).status).toBe(204);
    await until(() => records(again).length >= 1, 5000, 'the replay');
    expect(summary(records(again))).toEqual([['rs_public/*', 'create', 'after connect']]);
  });
});

describe('WebSocket: ?lastEventId=', () => {
  it('replays the missed changes after the first subscribe message', async () => {
    const first = await openSocket(server.url);
    expect((await first.subscribe(['rs_posts/*'], alice.token)).event).toBe('PB_SUBSCRIBED');
    await createRecord(server, 'rs_posts', { title: 'ws seen', owner: alice.id });
    const [seen] = await until(() => (first.events().length >= 1 ? first.events() : undefined), 5000, 'the first event');
    first.socket.close();
    await first.closed;

    await createRecord(server, 'rs_posts', { title: 'ws bob', owner: bob.id });
    await createRecord(server, 'rs_posts', { title: 'ws missed', owner: alice.id });
    const again = await openSocket(server.url, seen.id);
    expect((await again.subscribe(['rs_posts/*'], alice.token)).event).toBe('PB_SUBSCRIBED');
    await until(() => again.events().length >= 1, 5000, 'the replay');
    await createRecord(server, 'rs_posts', { title: 'ws live', owner: alice.id });
    await until(() => again.events().length >= 2, 5000, 'the live event');
    await sleep(100);
    expect(again.events().map((e) => [e.event, e.data.action, e.data.record.title])).toEqual([
      ['rs_posts/*', 'create', 'ws missed'],
      ['rs_posts/*', 'create', 'ws live'],
    ]);
  });
});

describe('past the replay window', () => {
  let small: TestServer;
  beforeAll(async () => {
    small = await startServer({ realtimeReplay: { maxEvents: 3, maxAgeMs: 60_000 } });
    await createCollection(small, { name: 'rw_public', fields: [text('title')], ...PUBLIC_RULES });
  });
  afterAll(async () => {
    await small?.close();
  });

  async function lastIdAfterOneEvent(): Promise<string> {
    return lastIdOn(small);
  }

  async function lastIdOn(small: TestServer): Promise<string> {
    const s = await openStream(small.url);
    expect((await setSubscriptions(small.url, s.clientId, ['rw_public/*'])).status).toBe(204);
    await createRecord(small, 'rw_public', { title: 'seen' });
    const [seen] = await until(() => (records(s).length >= 1 ? records(s) : undefined), 5000, 'an event');
    s.close();
    return seen.id;
  }

  /** Reconnects with `lastEventId`, subscribes, and returns what came, once PB_MISSED is in. */
  async function resumeMissing(lastEventId: string, on = small) {
    const small = on;
    const again = await openStream(small.url, lastEventId);
    expect((await setSubscriptions(small.url, again.clientId, ['rw_public/*'])).status).toBe(204);
    const missed = await until(() => again.events.find((e) => e.event === 'PB_MISSED'), 5000, 'PB_MISSED');
    expect(JSON.parse(missed.data)).toEqual({ lastEventId });
    expect(records(again)).toEqual([]);
    return { again, missed };
  }

  it('more changes than the window holds: PB_MISSED, whose id resumes from there', async () => {
    const last = await lastIdAfterOneEvent();
    for (let i = 0; i < 5; i++) await createRecord(small, 'rw_public', { title: `away ${i}` });
    const { again, missed } = await resumeMissing(last);
    // Its id is the position at the subscription: everything up to it is accounted for.
    expect(missed.id).toMatch(new RegExp(`^${last.split('.')[0]}\\.\\d+\\.${again.clientId}$`));
    expect(Number(missed.id.split('.')[1])).toBe(Number(last.split('.')[1]) + 5);
    again.close();
    await createRecord(small, 'rw_public', { title: 'after' });
    const third = await openStream(small.url, missed.id);
    expect((await setSubscriptions(small.url, third.clientId, ['rw_public/*'])).status).toBe(204);
    await until(() => records(third).length >= 1, 5000, 'the replay');
    expect(summary(records(third))).toEqual([['rw_public/*', 'create', 'after']]);
  });

  it('changes older than the window: PB_MISSED', async () => {
    const brief = await startServer({ realtimeReplay: { maxEvents: 1000, maxAgeMs: 300 } });
    try {
      await createCollection(brief, { name: 'rw_public', fields: [text('title')], ...PUBLIC_RULES });
      const last = await lastIdOn(brief);
      await createRecord(brief, 'rw_public', { title: 'old' });
      await sleep(500);
      await resumeMissing(last, brief);
    } finally {
      await brief.close();
    }
  });

  it('an id this server cannot continue (another process, garbage): PB_MISSED', async () => {
    await resumeMissing('someother.12.abc');
    await resumeMissing('not an id');
  });

  it('over WebSocket too', async () => {
    const last = await lastIdAfterOneEvent();
    for (let i = 0; i < 5; i++) await createRecord(small, 'rw_public', { title: `ws away ${i}` });
    const ws = await openSocket(small.url, last);
    expect((await ws.subscribe(['rw_public/*'])).event).toBe('PB_SUBSCRIBED');
    const missed = await until(() => ws.messages.find((m) => m.event === 'PB_MISSED'), 5000, 'PB_MISSED');
    expect(missed.data).toEqual({ lastEventId: last });
    expect(ws.events()).toEqual([]);
  });
});
