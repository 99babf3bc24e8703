/**
 * `PUT /api/collections/import` of collections exported from another instance, whose fields have
 * the same names and types but other ids (PocketBase's core/collection_import.go): an existing
 * field the import misses by id stays, in place of the imported field of its name and type, so
 * its column and the values in it are kept. That holds for system fields always, and for the
 * others unless deleteMissing, which drops them as PocketBase does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord, createUser, number, text } from './support/builders.ts';

type Field = { id: string; name: string; type: string };
let server: TestServer;
const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });
const put = (body: unknown) => su('PUT', '/api/collections/import', body);
const exported = async (name: string) => (await su('GET', `/api/collections/${name}`)).body;
/** The collection as another instance would export it: every field under an id of its own. */
const fromElsewhere = (c: { fields: Field[] }) => ({ ...c, fields: c.fields.map((f) => ({ ...f, id: `elsewhere_${f.name}` })) });
const fieldIds = (c: { fields: Field[] }) => Object.fromEntries(c.fields.map((f) => [f.name, f.id]));

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

describe('import of fields known under other ids', () => {
  it('without deleteMissing, every field of the same name and type keeps its id, column and values', async () => {
    const before = await createCollection(server, { name: 'moved', fields: [text('a'), number('n')] });
    const record = await createRecord(server, 'moved', { a: 'keep-me', n: 42 });
    const imported = fromElsewhere(before as never);
    imported.fields = imported.fields.map((f) => (f.name === 'a' ? { ...f, max: 5 } : f));
    const res = await put({ collections: [imported] });
    expect(res.status).toBe(204);
    const after = await exported('moved');
    expect(fieldIds(after)).toEqual(fieldIds(before as never));
    // As PocketBase: the existing field stays as it was, the imported one's options are not taken.
    expect(after.fields.find((f: Field) => f.name === 'a')).toMatchObject({ max: 0 });
    expect((await su('GET', `/api/collections/moved/records/${record.id}`)).body).toMatchObject({ a: 'keep-me', n: 42 });
  });

  it('an imported field of the same name but another type is not matched: the import fails', async () => {
    const before = await exported('moved');
    const changed = fromElsewhere(before);
    changed.fields = changed.fields.map((f) => (f.name === 'n' ? { ...f, type: 'text' } : f));
    const res = await put({ collections: [changed] });
    expect(res.status).toBe(400);
    expect(res.body.data.collections.code).toBe('validation_collections_import_failure');
    expect(res.body.data.collections.message).toContain('validation_duplicated_field_name');
    expect(await exported('moved')).toEqual(before);
  });

  it('with deleteMissing, system fields keep their ids and values; the others are made anew', async () => {
    const user = await createUser(server, 'kept@example.com', { name: 'Kept' });
    const users = await exported('users');
    const moved = await exported('moved');
    const res = await put({ deleteMissing: true, collections: [fromElsewhere(users), fromElsewhere(moved)] });
    expect(res.status).toBe(204);
    const systemIds = (c: { fields: Array<Field & { system: boolean }> }) => fieldIds({ fields: c.fields.filter((f) => f.system) });
    expect(systemIds(await exported('users'))).toEqual(systemIds(users));
    expect(systemIds(await exported('moved'))).toEqual(systemIds(moved));
    // A new `name` field: PocketBase drops the column of the field it no longer knows.
    expect(fieldIds(await exported('users')).name).toBe('elsewhere_name');
    const login = await api(server, 'POST', '/api/collections/users/auth-with-password', { body: { identity: 'kept@example.com', password: 'user-password-123' } });
    expect(login.status).toBe(200);
    expect(login.body.record).toMatchObject({ id: user.id, email: 'kept@example.com', name: '' });
  });
});
