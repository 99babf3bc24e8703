/**
 * Passwords travel both ways: what Baton stores for a password set through the records API is a
 * bcrypt hash at the password field's cost, in the `$2a$` form PocketBase writes, and an
 * implementation other than Baton's own (bcryptjs) verifies it.
 */
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ident, sql } from '../src/db/sql.ts';
import { storedValues } from '../src/domain/records/write.ts';
import { verifyPassword } from '../src/domain/auth/passwords.ts';
import { unknownIdentityCost } from '../src/domain/auth/unknown-identity.ts';
import { api, SUPERUSER, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createUser, field } from './support/builders.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
  // An auth collection whose password field asks for cost 6 (PocketBase's default is 10).
  await createCollection(server, {
    type: 'auth',
    name: 'members',
    createRule: '',
    passwordAuth: { enabled: true, identityFields: ['email'] },
    fields: [field('password', 'password', { system: true, hidden: true, required: true, min: 8, cost: 6 })],
  });
});

afterAll(() => server?.close());

async function storedHash(collection: string, id: string): Promise<string> {
  const row = await server.baton.services.db.get<{ password: string }>(
    sql`SELECT ${ident('password')} AS password FROM ${ident(collection)} WHERE ${ident('id')} = ${id}`,
    { password: 'text' },
  );
  if (!row) throw new Error(`no ${collection} record ${id}`);
  return row.password;
}

const signIn = (collection: string, identity: string, password: string) =>
  api(server, 'POST', `/api/collections/${collection}/auth-with-password`, { body: { identity, password } });

describe('a password set through Baton', () => {
  it("is bcrypt at the field's cost, verified by bcryptjs", async () => {
    const password = 'members-password-1';
    const created = await api(server, 'POST', '/api/collections/members/records', {
      body: { email: 'm1@example.com', password, passwordConfirm: password },
    });
    expect(created.status).toBe(200);
    const hash = await storedHash('members', created.body.id);
    expect(hash).toMatch(/^\$2a\$06\$[./A-Za-z0-9]{53}$/);
    expect(bcrypt.getRounds(hash)).toBe(6);
    expect(bcrypt.compareSync(password, hash)).toBe(true);
    expect(bcrypt.compareSync('members-password-2', hash)).toBe(false);
    expect((await signIn('members', 'm1@example.com', password)).status).toBe(200);
  });

  it('keeps the cost when the password is changed', async () => {
    const first = 'members-password-1';
    const created = await api(server, 'POST', '/api/collections/members/records', {
      body: { email: 'm2@example.com', password: first, passwordConfirm: first },
    });
    const next = 'пароль-密码-🔑-changed';
    const updated = await api(server, 'PATCH', `/api/collections/members/records/${created.body.id}`, {
      token: server.superuserToken,
      body: { password: next, passwordConfirm: next },
    });
    expect(updated.status).toBe(200);
    const hash = await storedHash('members', created.body.id);
    expect(bcrypt.getRounds(hash)).toBe(6);
    expect(bcrypt.compareSync(next, hash)).toBe(true);
    expect(bcrypt.compareSync(first, hash)).toBe(false);
    expect((await signIn('members', 'm2@example.com', next)).status).toBe(200);
  });

  it("uses PocketBase's default cost 10 where the field's cost is 0 (users, _superusers)", async () => {
    const user = await createUser(server, 'u1@example.com', {}, 'user-password-123');
    const userHash = await storedHash('users', user.id);
    expect(userHash.slice(0, 7)).toBe('$2a$10$');
    expect(bcrypt.compareSync('user-password-123', userHash)).toBe(true);

    const superuser = await server.baton.services.db.get<{ password: string }>(
      sql`SELECT ${ident('password')} AS password FROM ${ident('_superusers')} WHERE ${ident('email')} = ${SUPERUSER.email}`,
      { password: 'text' },
    );
    expect(superuser?.password.slice(0, 7)).toBe('$2a$10$');
    expect(bcrypt.compareSync(SUPERUSER.password, superuser!.password)).toBe(true);
  });

  it('a hash bcryptjs made (as another implementation would) signs in on Baton', async () => {
    const created = await api(server, 'POST', '/api/collections/members/records', {
      body: { email: 'm3@example.com', password: 'placeholder-pw', passwordConfirm: 'placeholder-pw' },
    });
    const hash = bcrypt.hashSync('set-elsewhere-pw', 6).replace(/^\$2b\$/, '$2a$');
    await server.baton.services.db.run(sql`UPDATE ${ident('members')} SET ${ident('password')} = ${hash} WHERE ${ident('id')} = ${created.body.id}`);
    expect((await signIn('members', 'm3@example.com', 'set-elsewhere-pw')).status).toBe(200);
    expect((await signIn('members', 'm3@example.com', 'placeholder-pw')).status).toBe(400);
  });
});

describe('the write path with argon2id opted in', () => {
  it('hashes with argon2id, which still verifies', async () => {
    const members = server.baton.services.schema.find('members')!;
    const values = await storedValues(members, { data: { id: 'x' }, newPassword: 'opted-in-pw', changedFields: new Set(), errors: {} }, 'argon2id');
    expect(values.password).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword('opted-in-pw', String(values.password))).toBe(true);
  });
});

describe('what an unknown identity costs', () => {
  it("is a stored hash of the collection, with the field's settings beside it", async () => {
    const members = server.baton.services.schema.find('members')!;
    const dummy = await unknownIdentityCost(server.baton.services.db, members);
    expect(dummy.hashing).toEqual({ algorithm: 'bcrypt', cost: 6 });
    expect(dummy.like).toMatch(/^\$2a\$06\$/);
    expect(await verifyPassword('members-password-1', '', dummy)).toBe(false);
  });

  it("is the field's settings under the configured algorithm when the collection has no accounts", async () => {
    await createCollection(server, { type: 'auth', name: 'empty_auth', passwordAuth: { enabled: true, identityFields: ['email'] } });
    const empty = server.baton.services.schema.find('empty_auth')!;
    expect(await unknownIdentityCost(server.baton.services.db, empty, 'argon2id')).toEqual({ like: undefined, hashing: { algorithm: 'argon2id', cost: 10 } });
  });
});
