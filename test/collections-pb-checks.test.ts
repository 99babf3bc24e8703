/**
 * Collection saves that PocketBase normalises or refuses in its own way (core/collection_validate.go,
 * onCollectionSave): OAuth2 mapped fields naming no field, two indexes of one definition, the
 * unique index of a system field, a renamed system field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, text } from './support/builders.ts';

let server: TestServer;
const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });
const failed = (message: string, data: object) => ({ status: 400, message, data });

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

describe('oauth2.mappedFields', () => {
  it('a mapped field the collection does not have is cleared on save, as PocketBase does', async () => {
    const mappedFields = { id: 'nope', name: 'name', username: 'missing', avatarURL: 'avatar' };
    const res = await su('PATCH', '/api/collections/users', { oauth2: { mappedFields } });
    expect(res.status).toBe(200);
    const expected = { id: '', name: 'name', username: '', avatarURL: 'avatar' };
    expect(res.body.oauth2.mappedFields).toEqual(expected);
    expect((await su('GET', '/api/collections/users')).body.oauth2.mappedFields).toEqual(expected);
  });
});
