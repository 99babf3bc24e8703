/**
 * Checks against PocketBase's own test data directory (v0.39.11): its bcrypt hashes verify with
 * the password its test suite uses, and the long-lived tokens hard-coded in its API tests verify
 * with our code, so an existing data directory and existing client sessions keep working.
 *
 * The pasted tokens below are deliberate: they are PocketBase's output, which builders cannot make.
 */
import { beforeAll, expect, test } from 'vitest';
import { describeFixture, readFixtureDb } from '../../../test/support/fixture.ts';
import type { Collection } from '../../db/schema.ts';
import { needsRehash, verifyPassword } from './passwords.ts';
import { newTokenKey } from './keys.ts';
import {
  isRefreshable,
  parseTokenClaims,
  signAuthToken,
  signRecordToken,
  TokenType,
  verifyAuthToken,
  verifyRecordToken,
  type TokenCollection,
} from './tokens.ts';

const PB_TEST_PASSWORD = '1234567890';
const SUPERUSERS_ID = 'pbc_3142635823';
const USERS_ID = '_pb_users_auth_';
const CLIENTS_ID = 'v851q4r790rhknl';

interface AuthRow {
  id: string;
  email: string;
  password: string;
  tokenKey: string;
}

let superusers: AuthRow[];
let users: AuthRow[];
let clients: AuthRow[];
const collections = new Map<string, TokenCollection>();

beforeAll(() => {
  readFixtureDb((db) => {
    const rows = db.prepare(`SELECT id, type, options FROM _collections WHERE type = 'auth'`).all() as { id: string; type: Collection['type']; options: string }[];
    for (const r of rows) collections.set(r.id, { id: r.id, type: r.type, options: JSON.parse(r.options) });
    const authRows = (table: string) => db.prepare(`SELECT id, email, password, tokenKey FROM ${table} ORDER BY id`).all() as AuthRow[];
    superusers = authRows('_superusers');
    users = authRows('users');
    clients = authRows('clients');
  });
});

const collection = (id: string) => {
  const c = collections.get(id);
  if (!c) throw new Error(`fixture has no auth collection ${id}`);
  return c;
};
const row = (rows: AuthRow[], id: string) => {
  const r = rows.find((x) => x.id === id);
  if (!r) throw new Error(`fixture has no record ${id}`);
  return r;
};

describeFixture('PocketBase bcrypt hashes', () => {
  test('the fixture has the expected accounts', () => {
    expect(superusers.map((r) => r.email).sort()).toEqual(['test2@example.com', 'test3@example.com', 'test4@example.com', 'test@example.com']);
    expect(users).toHaveLength(3);
    for (const r of [...superusers, ...users]) expect(r.password).toMatch(/^\$2a\$(10|13)\$/);
  });

  test(`every _superusers and users hash verifies "${PB_TEST_PASSWORD}" and nothing else`, async () => {
    const rows = [...superusers, ...users];
    const right = await Promise.all(rows.map((r) => verifyPassword(PB_TEST_PASSWORD, r.password)));
    expect(right).toEqual(rows.map(() => true));
    // a bcrypt check at cost 13 takes ~0.6 s, so wrong passwords are tried on two rows only
    expect(await verifyPassword('1234567891', superusers[0].password)).toBe(false);
    expect(await verifyPassword(PB_TEST_PASSWORD + ' ', users[0].password)).toBe(false);
    // Under bcrypt (the default) PocketBase's hashes stay as they are; argon2id, opted in, upgrades them.
    for (const r of rows) expect(needsRehash(r.password)).toBe(false);
    for (const r of rows) expect(needsRehash(r.password, { algorithm: 'argon2id', cost: 10 })).toBe(true);
  });
});

describeFixture('tokens for fixture records', () => {
  test('a superuser token signed with the collection secret round-trips', async () => {
    const su = row(superusers, 'sywbhecnh46rhm0');
    const token = await signAuthToken(su, collection(SUPERUSERS_ID));
    const claims = await verifyAuthToken(token, su, collection(SUPERUSERS_ID));
    expect(claims).toMatchObject({ id: su.id, collectionId: SUPERUSERS_ID, type: 'auth', refreshable: true });
    // the duration comes from the collection options (1209600 s in the fixture)
    expect(claims!.exp! - Date.now() / 1000).toBeGreaterThan(1_209_600 - 5);
  });

  test('rejected with a wrong key, expired, with a wrong type, or for another record', async () => {
    const su = row(superusers, 'sywbhecnh46rhm0');
    const other = row(superusers, 'sbmbsdb40jyxf7h');
    const superusersCollection = collection(SUPERUSERS_ID);
    const token = await signAuthToken(su, superusersCollection);

    expect(await verifyAuthToken(token, { ...su, tokenKey: other.tokenKey }, superusersCollection)).toBeUndefined();
    const usersSecret = { ...superusersCollection, options: { ...superusersCollection.options, authToken: collection(USERS_ID).options.authToken } };
    expect(await verifyAuthToken(token, su, usersSecret)).toBeUndefined();

    const expired = await signAuthToken(su, superusersCollection, { duration: 60, now: new Date(Date.now() - 120_000) });
    expect(await verifyAuthToken(expired, su, superusersCollection)).toBeUndefined();

    const fileToken = await signRecordToken(su, superusersCollection, TokenType.file);
    expect(await verifyAuthToken(fileToken, su, superusersCollection)).toBeUndefined();

    expect(await verifyAuthToken(token, other, superusersCollection)).toBeUndefined();
  });

  test('changing the record tokenKey invalidates its old tokens', async () => {
    const su = row(superusers, 'sywbhecnh46rhm0');
    const token = await signAuthToken(su, collection(SUPERUSERS_ID));
    expect(await verifyAuthToken(token, { ...su, tokenKey: newTokenKey() }, collection(SUPERUSERS_ID))).toBeUndefined();
  });
});

/**
 * Tokens hard-coded across PocketBase's apis/*_test.go, signed with exp 2524604461 (2050-01-01)
 * or, for the expired variants, 1640991661 (2022-01-01).
 */
const PB_TOKENS = {
  superuserAuth:
    'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6InN5d2JoZWNuaDQ2cmhtMCIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoicGJjXzMxNDI2MzU4MjMiLCJleHAiOjI1MjQ2MDQ0NjEsInJlZnJlc2hhYmxlIjp0cnVlfQ.UXgO3j-0BumcugrFjbd7j0M4MQvbrLggLlcu_YNGjoY',
  superuserAuthExpired:
    'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6InN5d2JoZWNuaDQ2cmhtMCIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoicGJjXzMxNDI2MzU4MjMiLCJleHAiOjE2NDA5OTE2NjEsInJlZnJlc2hhYmxlIjp0cnVlfQ.0pDcBPGDpL2Khh76ivlRi7ugiLBSYvasct3qpHV3rfs',
  superuserFile:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6InN5d2JoZWNuaDQ2cmhtMCIsImV4cCI6MjUyNDYwNDQ2MSwidHlwZSI6ImZpbGUiLCJjb2xsZWN0aW9uSWQiOiJwYmNfMzE0MjYzNTgyMyJ9.Lupz541xRvrktwkrl55p5pPCF77T69ZRsohsIcb2dxc',
  userAuth:
    'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjRxMXhsY2xtZmxva3UzMyIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoiX3BiX3VzZXJzX2F1dGhfIiwiZXhwIjoyNTI0NjA0NDYxLCJyZWZyZXNoYWJsZSI6dHJ1ZX0.ZT3F0Z3iM-xbGgSG3LEKiEzHrPHr8t8IuHLZGGNuxLo',
  userAuthStatic:
    'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjRxMXhsY2xtZmxva3UzMyIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoiX3BiX3VzZXJzX2F1dGhfIiwiZXhwIjoyNTI0NjA0NDYxLCJyZWZyZXNoYWJsZSI6ZmFsc2V9.4IsO6YMsR19crhwl_YWzvRH8pfq2Ri4Gv2dzGyneLak',
  userVerification:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6IjRxMXhsY2xtZmxva3UzMyIsImV4cCI6MjUyNDYwNDQ2MSwidHlwZSI6InZlcmlmaWNhdGlvbiIsImNvbGxlY3Rpb25JZCI6Il9wYl91c2Vyc19hdXRoXyIsImVtYWlsIjoidGVzdEBleGFtcGxlLmNvbSJ9.SetHpu2H-x-q4TIUz-xiQjwi7MNwLCLvSs4O0hUSp0E',
  userPasswordReset:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6IjRxMXhsY2xtZmxva3UzMyIsImV4cCI6MjUyNDYwNDQ2MSwidHlwZSI6InBhc3N3b3JkUmVzZXQiLCJjb2xsZWN0aW9uSWQiOiJfcGJfdXNlcnNfYXV0aF8iLCJlbWFpbCI6InRlc3RAZXhhbXBsZS5jb20ifQ.xR-xq1oHDy0D8Q4NDOAEyYKGHWd_swzoiSoL8FLFBHY',
  userEmailChange:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6IjRxMXhsY2xtZmxva3UzMyIsImNvbGxlY3Rpb25JZCI6Il9wYl91c2Vyc19hdXRoXyIsInR5cGUiOiJlbWFpbENoYW5nZSIsImVtYWlsIjoidGVzdEBleGFtcGxlLmNvbSIsIm5ld0VtYWlsIjoiY2hhbmdlQGV4YW1wbGUuY29tIiwiZXhwIjoyNTI0NjA0NDYxfQ.Y7mVlaEPhJiNPoIvIqbIosZU4c4lEhwysOrRR8c95iU',
  clientAuth:
    'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6ImdrMzkwcWVnczR5NDd3biIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoidjg1MXE0cjc5MHJoa25sIiwiZXhwIjoyNTI0NjA0NDYxLCJyZWZyZXNoYWJsZSI6dHJ1ZX0.0ONnm_BsvPRZyDNT31GN1CKUB6uQRxvVvQ-Wc9AZfG0',
} as const;

describeFixture("PocketBase's own hard-coded test tokens", () => {
  test('the long-lived superuser auth token verifies against the fixture', async () => {
    const su = row(superusers, 'sywbhecnh46rhm0');
    const claims = await verifyAuthToken(PB_TOKENS.superuserAuth, su, collection(SUPERUSERS_ID));
    expect(claims).toEqual({ id: su.id, type: 'auth', collectionId: SUPERUSERS_ID, exp: 2_524_604_461, refreshable: true });
  });

  test('and is refused for another superuser or after a tokenKey change', async () => {
    const su = row(superusers, 'sywbhecnh46rhm0');
    expect(await verifyAuthToken(PB_TOKENS.superuserAuth, row(superusers, 'sbmbsdb40jyxf7h'), collection(SUPERUSERS_ID))).toBeUndefined();
    expect(await verifyAuthToken(PB_TOKENS.superuserAuth, { ...su, tokenKey: newTokenKey() }, collection(SUPERUSERS_ID))).toBeUndefined();
  });

  test('its expired twin is refused, also by the unverified parse', async () => {
    const su = row(superusers, 'sywbhecnh46rhm0');
    expect(parseTokenClaims(PB_TOKENS.superuserAuthExpired)).toBeUndefined();
    expect(await verifyAuthToken(PB_TOKENS.superuserAuthExpired, su, collection(SUPERUSERS_ID))).toBeUndefined();
    // same claims and key, only a past exp: it is the clock that refuses it, not the signature
    const in2021 = { now: new Date('2021-06-01T00:00:00Z') };
    expect(await verifyAuthToken(PB_TOKENS.superuserAuthExpired, su, collection(SUPERUSERS_ID), in2021)).toBeDefined();
  });

  test('user and client auth tokens, refreshable and static', async () => {
    const user = row(users, '4q1xlclmfloku33');
    const refreshable = await verifyAuthToken(PB_TOKENS.userAuth, user, collection(USERS_ID));
    const fixed = await verifyAuthToken(PB_TOKENS.userAuthStatic, user, collection(USERS_ID));
    expect(refreshable && isRefreshable(refreshable)).toBe(true);
    expect(fixed && isRefreshable(fixed)).toBe(false);
    expect(await verifyAuthToken(PB_TOKENS.clientAuth, row(clients, 'gk390qegs4y47wn'), collection(CLIENTS_ID))).toBeDefined();
  });

  test.each([
    ['superuserFile', SUPERUSERS_ID, 'sywbhecnh46rhm0', TokenType.file],
    ['userVerification', USERS_ID, '4q1xlclmfloku33', TokenType.verification],
    ['userPasswordReset', USERS_ID, '4q1xlclmfloku33', TokenType.passwordReset],
    ['userEmailChange', USERS_ID, '4q1xlclmfloku33', TokenType.emailChange],
  ] as const)('%s verifies as its own type only', async (name, collectionId, recordId, type) => {
    const record = row(collectionId === SUPERUSERS_ID ? superusers : users, recordId);
    const token = PB_TOKENS[name];
    expect(await verifyRecordToken(token, record, collection(collectionId), type)).toMatchObject({ id: recordId, type });
    expect(await verifyAuthToken(token, record, collection(collectionId))).toBeUndefined();
  });
});
