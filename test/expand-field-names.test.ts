// Back-relation expands (`x_via_y`) read helper columns beside the source table's own: a field
// named like one of them must neither take its place nor be lost (found by review: `__owner` and
// `__n` filed records under the wrong owner and dropped others).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';

let server: TestServer;
const ids: Record<string, string> = {};

beforeAll(async () => {
  server = await startServer();
  const token = server.superuserToken;
  const people = await api(server, 'POST', '/api/collections', {
    token,
    body: { name: 'people', type: 'base', listRule: '', viewRule: '', fields: [{ name: 'name', type: 'text' }] },
  });
  expect(people.status).toBe(200);
  for (const name of ['alice', 'bob']) {
    const res = await api(server, 'POST', '/api/collections/people/records', { token, body: { name } });
    ids[name] = res.body.id;
  }
  const notes = await api(server, 'POST', '/api/collections', {
    token,
    body: {
      name: 'notes', type: 'base', listRule: '', viewRule: '',
      fields: [
        // Names the expand's own columns once had.
        { name: '__owner', type: 'text' },
        { name: '__n', type: 'number' },
        { name: 'person', type: 'relation', collectionId: people.body.id, maxSelect: 1 },
        { name: 'people', type: 'relation', collectionId: people.body.id, maxSelect: 5 },
      ],
    },
  });
  expect(notes.status).toBe(200);
  for (const [i, body] of [
    { __owner: 'stored-owner', __n: 42, person: ids.alice, people: [ids.alice, ids.bob] },
    { __owner: ids.bob, __n: 1, person: ids.alice, people: [ids.alice] },
    { __owner: ids.alice, __n: 5000, person: ids.alice },
    { __owner: ids.alice, __n: 7, person: ids.alice },
  ].entries()) {
    const res = await api(server, 'POST', '/api/collections/notes/records', { token, body });
    expect(res.status).toBe(200);
    ids[`note${i}`] = res.body.id;
  }
});

afterAll(async () => {
  await server?.close();
});

describe('a back-relation expand over a collection with fields named like its helper columns', () => {
  it('files every record under its own owner, single and multiple relations alike', async () => {
    const res = await api(server, 'GET', '/api/collections/people/records?expand=notes_via_person,notes_via_people&sort=name');
    expect(res.status).toBe(200);
    const [alice, bob] = res.body.items;
    const idsOf = (list: Array<{ id: string }> | undefined) => (list ?? []).map((n) => n.id).sort();
    expect(idsOf(alice.expand.notes_via_person)).toEqual([ids.note0, ids.note1, ids.note2, ids.note3].sort());
    expect(bob.expand.notes_via_person).toBeUndefined();
    expect(idsOf(alice.expand.notes_via_people)).toEqual([ids.note0, ids.note1].sort());
    expect(idsOf(bob.expand.notes_via_people)).toEqual([ids.note0]);
    // The fields themselves come back as stored.
    expect(alice.expand.notes_via_person.find((n: { id: string }) => n.id === ids.note2)).toMatchObject({ __owner: ids.alice, __n: 5000 });
  });
});
