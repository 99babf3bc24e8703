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

describe('indexes', () => {
  it('two indexes of the same definition (names and table aside) are refused', async () => {
    const res = await su('POST', '/api/collections', {
      name: 'twice', fields: [text('a'), text('b')],
      indexes: ['CREATE INDEX idx_twice_a ON twice (a)', 'CREATE INDEX idx_twice_b ON twice (b)', 'create index idx_twice_a2 on other (`a`)'],
    });
    expect(res.body).toEqual(failed('Failed to create collection.', {
      indexes: { 2: { code: 'validation_duplicated_index_definition', message: 'The index definition already exists.' } },
    }));
  });

  it('the unique index of a system field may change its collation, order and condition, not go or stop being unique', async () => {
    await createCollection(server, {
      name: 'sys_idx', fields: [text('code', { system: true }), text('other')], indexes: ['CREATE UNIQUE INDEX idx_sys_code ON sys_idx (code)'],
    });
    const refused = failed('Failed to update collection.', {
      indexes: { code: 'validation_invalid_unique_system_field_index', message: 'Unique index definition on system fields (code) is invalid or missing.', params: { fieldName: 'code' } },
    });
    for (const indexes of [[], ['CREATE INDEX idx_sys_code ON sys_idx (code)'], ['CREATE UNIQUE INDEX idx_sys_code ON sys_idx (code, other)']]) {
      expect((await su('PATCH', '/api/collections/sys_idx', { indexes })).body).toEqual(refused);
    }
    const changed = await su('PATCH', '/api/collections/sys_idx', { indexes: ["CREATE UNIQUE INDEX idx_sys_code2 ON sys_idx (code COLLATE NOCASE DESC) WHERE code != ''"] });
    expect(changed.status).toBe(200);
  });

  it('an auth collection\'s tokenKey index made non-unique: its unique index comes back, and the name is then taken twice', async () => {
    // As PocketBase, which adds the missing unique index (same name) before validating.
    const users = (await su('GET', '/api/collections/users')).body;
    const indexes = users.indexes.map((s: string) => (s.includes('tokenKey') ? s.replace('UNIQUE ', '') : s));
    const res = await su('PATCH', '/api/collections/users', { indexes });
    expect(res.body).toEqual(failed('Failed to update collection.', {
      indexes: { [String(indexes.length)]: { code: 'validation_duplicated_index_name', message: expect.any(String) } },
    }));
  });
});

describe('system fields', () => {
  it('renaming one is a system field change', async () => {
    const users = (await su('GET', '/api/collections/users')).body;
    for (const name of ['verified', 'id', 'email']) {
      const fields = users.fields.map((f: { name: string }) => (f.name === name ? { ...f, name: `${name}2` } : f));
      const res = await su('PATCH', '/api/collections/users', { fields });
      expect(res.body).toEqual(failed('Failed to update collection.', {
        fields: { code: 'validation_system_field_change', message: 'System fields cannot be deleted or renamed.' },
      }));
    }
  });
});
