/**
 * Every field type's validation through the records API, with PocketBase's exact codes and
 * messages: `{status: 400, message: "Failed to create record.", data: {field: {code, message}}}`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import {
  PUBLIC_RULES,
  UPDATE_FAILED,
  autodates,
  bool,
  createCollection,
  createRecord,
  createUser,
  field,
  fieldFailure,
  json,
  number,
  relation,
  rid,
  scenarios,
  select,
  text,
  type Scenario,
} from './support/builders.ts';

let server: TestServer;
let user: { id: string; token: string };
const env = { server: () => server, tokens: () => ({ user: user.token }) };

const T = [1, 2, 3, 4].map((n) => rid('target', n));
const V1 = rid('valid', 1);
const MIN_DATE = '2020-01-01 00:00:00.000Z';
const MAX_DATE = '2030-01-01 00:00:00.000Z';

beforeAll(async () => {
  server = await startServer();
  await createCollection(server, { id: 'col_targets', name: 'targets', ...PUBLIC_RULES, fields: [text('name')] });
  await createCollection(server, {
    name: 'checks', ...PUBLIC_RULES,
    fields: [
      text('t_min', { min: 3 }), text('t_max', { max: 5 }), text('t_pat', { pattern: '^[a-z]+$' }),
      number('n_min', { min: 1 }), number('n_max', { max: 10 }), number('n_int', { onlyInt: true }),
      field('email', 'e'), field('email', 'e_only', { onlyDomains: ['example.com'] }),
      field('email', 'e_except', { exceptDomains: ['spam.com'] }),
      field('url', 'u'), field('url', 'u_only', { onlyDomains: ['example.com'] }),
      field('editor', 'ed', { maxSize: 20 }),
      field('date', 'd', { min: MIN_DATE, max: MAX_DATE }),
      select('s', ['a', 'b', 'c']), select('s_multi', ['a', 'b', 'c'], { maxSelect: 2 }),
      json('j', { maxSize: 20 }),
      relation('r', 'col_targets', { minSelect: 2, maxSelect: 3 }),
      field('file', 'f', { maxSelect: 2 }),
      field('geoPoint', 'g'),
      ...autodates(),
    ],
  });
  await createCollection(server, {
    name: 'required_checks', ...PUBLIC_RULES,
    fields: ['text', 'number', 'bool', 'email', 'url', 'editor', 'date', 'select', 'json', 'relation', 'file', 'geoPoint'].map(
      (type) => field(type, `${type}_req`, {
        required: true, ...(type === 'select' ? { values: ['a'] } : {}), ...(type === 'relation' ? { collectionId: 'col_targets' } : {}),
      }),
    ),
  });
  for (const id of T) await createRecord(server, 'targets', { id });
  await createRecord(server, 'checks', { id: V1 });
  user = await createUser(server, 'owner@example.com', {}, 'old-password-1');
});

afterAll(() => server?.close());

const CHECKS = '/api/collections/checks/records';
/** A create that fails on exactly one field. */
const invalid = (name: string, body: Record<string, unknown>, fieldName: string, code: string, message: string, params?: object): Scenario => ({
  name, method: 'POST', url: CHECKS, body, status: 400,
  expect: fieldFailure(fieldName, code, message),
  check: params ? (b) => expect(b.data[fieldName].params).toEqual(params) : (b) => expect(b.data[fieldName]).not.toHaveProperty('params'),
});
const valid = (name: string, body: Record<string, unknown>, expected: Record<string, unknown>): Scenario => ({
  name, method: 'POST', url: CHECKS, body, status: 200, expect: expected,
});

describe('text', () => {
  scenarios(env, [
    invalid('min', { t_min: 'ab' }, 't_min', 'validation_min_text_constraint', 'Must be at least 3 character(s).', { min: 3 }),
    invalid('max', { t_max: 'abcdef' }, 't_max', 'validation_max_text_constraint', 'Must be no more than 5 character(s).', { max: 5 }),
    invalid('pattern', { t_pat: 'abc1' }, 't_pat', 'validation_invalid_format', 'Invalid value format.'),
    valid('length counts characters, not bytes', { t_max: 'ééééé' }, { t_max: 'ééééé' }),
    valid('empty skips min and pattern', { t_min: '', t_pat: '' }, { t_min: '', t_pat: '' }),
    valid('numbers are stored as text', { t_min: 12345 }, { t_min: '12345' }),
  ]);
});

describe('number', () => {
  scenarios(env, [
    invalid('min', { n_min: 0.5 }, 'n_min', 'validation_min_number_constraint', 'Must be greater or equal than 1.', { min: 1 }),
    invalid('max', { n_max: 10.5 }, 'n_max', 'validation_max_number_constraint', 'Must be less or equal than 10.', { max: 10 }),
    invalid('onlyInt', { n_int: 1.5 }, 'n_int', 'validation_only_int_constraint', 'Decimal numbers are not allowed.'),
    valid('zero is empty and skips min', { n_min: 0 }, { n_min: 0 }),
    valid('numeric strings are read as numbers', { n_max: '7' }, { n_max: 7 }),
    valid('onlyInt accepts 2.0', { n_int: 2.0 }, { n_int: 2 }),
  ]);
});

describe('email and url', () => {
  scenarios(env, [
    invalid('email format', { e: 'not-an-email' }, 'e', 'validation_is_email', 'Must be a valid email address.'),
    invalid('email onlyDomains', { e_only: 'a@other.com' }, 'e_only', 'validation_email_domain_not_allowed', 'Email domain is not allowed.'),
    invalid('email exceptDomains', { e_except: 'a@spam.com' }, 'e_except', 'validation_email_domain_not_allowed',
      'Email domain is not allowed.'),
    valid('email allowed domains', { e_only: 'a@example.com', e_except: 'a@ham.com' }, { e_only: 'a@example.com' }),
    invalid('url format', { u: 'not a url' }, 'u', 'validation_invalid_url', 'Must be a valid url.'),
    invalid('url onlyDomains', { u_only: 'https://other.com/x' }, 'u_only', 'validation_url_domain_not_allowed', 'Url domain is not allowed.'),
    valid('url ok', { u: 'https://example.com/a?b=c', u_only: 'https://example.com' }, { u: 'https://example.com/a?b=c' }),
  ]);
});

describe('editor, date, autodate', () => {
  scenarios(env, [
    invalid('editor maxSize (bytes)', { ed: '<p>' + 'x'.repeat(20) + '</p>' }, 'ed', 'validation_content_size_limit',
      'The maximum allowed content size is 20 bytes.', { maxSize: 20 }),
    valid('editor within maxSize', { ed: '<p>short</p>' }, { ed: '<p>short</p>' }),
    invalid('date min', { d: '2019-12-31 23:59:59.999Z' }, 'd', 'validation_min_greater_equal_than_required',
      'Must be no less than 2020-01-01 00:00:00 +0000 UTC.', { threshold: '2020-01-01T00:00:00Z' }),
    invalid('date max', { d: '2030-01-01 00:00:00.001Z' }, 'd', 'validation_max_less_equal_than_required',
      'Must be no greater than 2030-01-01 00:00:00 +0000 UTC.', { threshold: '2030-01-01T00:00:00Z' }),
    valid('date in range, normalized', { d: '2024-05-06T07:08:09Z' }, { d: '2024-05-06 07:08:09.000Z' }),
    valid('an unparsable date is stored empty', { d: 'not a date' }, { d: '' }),
    { name: 'autodate input is ignored on create', method: 'POST', url: CHECKS, status: 200,
      body: { created: '2001-01-01 00:00:00.000Z', updated: '2001-01-01 00:00:00.000Z' },
      check: (b) => {
        expect(b.created).not.toContain('2001');
        expect(b.updated).not.toContain('2001');
      } },
    { name: 'autodate input is ignored on update', method: 'PATCH', url: `${CHECKS}/${V1}`, status: 200,
      body: { created: '2001-01-01 00:00:00.000Z' }, check: (b) => expect(b.created).not.toContain('2001') },
  ]);
});

describe('select, json, relation, file, geoPoint', () => {
  scenarios(env, [
    invalid('select value outside the list', { s: 'x' }, 's', 'validation_invalid_value', 'Invalid value x.', { value: 'x' }),
    valid('single select given two values keeps the last', { s: ['a', 'b'] }, { s: 'b' }),
    invalid('multi select maxSelect', { s_multi: ['a', 'b', 'c'] }, 's_multi', 'validation_too_many_values', 'Select no more than 2.',
      { maxSelect: 2 }),
    valid('multi select duplicates collapse', { s_multi: ['a', 'a', 'b'] }, { s_multi: ['a', 'b'] }),
    invalid('json maxSize', { j: { key: 'x'.repeat(20) } }, 'j', 'validation_json_size_limit',
      'The maximum allowed JSON size is 20 bytes.', { maxSize: 20 }),
    valid('a string that is not JSON is stored as a JSON string', { j: '{bad' }, { j: '{bad' }),
    valid('a string that is JSON is parsed', { j: '[1,2]' }, { j: [1, 2] }),
    invalid('relation minSelect', { r: [T[0]] }, 'r', 'validation_not_enough_values', 'Select at least 2.', { minSelect: 2 }),
    invalid('relation maxSelect', { r: T }, 'r', 'validation_too_many_values', 'Select no more than 3.', { maxSelect: 3 }),
    valid('relation within bounds', { r: [T[0], T[1]] }, { r: [T[0], T[1]] }),
    invalid('file: names that were not uploaded', { f: ['a.png'] }, 'f', 'validation_invalid_file', 'Invalid new files: [a.png].',
      { invalidFiles: ['a.png'] }),
    valid('file: empty is fine', { f: [] }, { f: [] }),
    invalid('geoPoint latitude', { g: { lon: 10, lat: 91 } }, 'g', 'validation_invalid_latitude',
      'Latitude must be between -90 and 90 degrees.'),
    invalid('geoPoint longitude', { g: { lon: -181, lat: 10 } }, 'g', 'validation_invalid_longitude',
      'Longitude must be between -180 and 180 degrees.'),
    valid('geoPoint in range', { g: { lon: 180, lat: -90 } }, { g: { lon: 180, lat: -90 } }),
  ]);
});

describe('several errors, required fields, updates', () => {
  scenarios(env, [
    { name: 'every invalid field is reported', method: 'POST', url: CHECKS, status: 400, body: { t_min: 'a', n_max: 11, s: 'x' },
      expect: { status: 400, message: 'Failed to create record.', data: {
        t_min: { code: 'validation_min_text_constraint' }, n_max: { code: 'validation_max_number_constraint' },
        s: { code: 'validation_invalid_value' } } } },
    { name: 'required: every empty value of every type', method: 'POST', url: '/api/collections/required_checks/records', body: {},
      status: 400, check: (b) => {
        expect(b.message).toBe('Failed to create record.');
        const types = ['text', 'number', 'bool', 'email', 'url', 'editor', 'date', 'select', 'json', 'relation', 'file', 'geoPoint'];
        expect(b.data).toEqual(Object.fromEntries(types.map((t) => [`${t}_req`, { code: 'validation_required', message: 'Cannot be blank.' }])));
      } },
    { name: 'required: false, 0, [] and {} are blank', method: 'POST', url: '/api/collections/required_checks/records', status: 400,
      body: { text_req: 'x', number_req: 0, bool_req: false, email_req: 'a@b.co', url_req: 'https://a.co', editor_req: 'x',
        date_req: MIN_DATE, select_req: 'a', json_req: {}, relation_req: T[0], geoPoint_req: { lon: 0, lat: 0 } },
      check: (b) => expect(Object.keys(b.data).sort()).toEqual(['bool_req', 'file_req', 'geoPoint_req', 'json_req', 'number_req']) },
    { name: 'an update reports "Failed to update record."', method: 'PATCH', url: `${CHECKS}/${V1}`, status: 400, body: { t_max: 'toolong' },
      expect: fieldFailure('t_max', 'validation_max_text_constraint', 'Must be no more than 5 character(s).', UPDATE_FAILED) },
  ]);
});

describe('password (auth collection)', () => {
  const USERS = '/api/collections/users/records';
  const user = (name: string, body: Record<string, unknown>, data: Record<string, string>): Scenario => ({
    name, method: 'POST', url: USERS, body, status: 400,
    check: (b) => {
      expect(b.message).toBe('Failed to create record.');
      expect(Object.fromEntries(Object.entries(b.data).map(([k, v]: [string, any]) => [k, v.code]))).toEqual(data);
    },
  });
  scenarios(env, [
    user('password and passwordConfirm are required', { email: 'a@example.com' },
      { password: 'validation_required', passwordConfirm: 'validation_required' }),
    user('password too short', { email: 'a@example.com', password: 'short', passwordConfirm: 'short' },
      { password: 'validation_min_text_constraint' }),
    user('password too long', { email: 'a@example.com', password: 'x'.repeat(72), passwordConfirm: 'x'.repeat(72) },
      { password: 'validation_max_text_constraint' }),
    user('passwordConfirm mismatch', { email: 'a@example.com', password: 'long-enough-1', passwordConfirm: 'long-enough-2' },
      { passwordConfirm: 'validation_values_mismatch' }),
    user('email required on an auth collection', { password: 'long-enough-1', passwordConfirm: 'long-enough-1' },
      { email: 'validation_required' }),
    { name: 'password messages', method: 'POST', url: USERS, status: 400,
      body: { email: 'a@example.com', password: 'short', passwordConfirm: 'short' },
      expect: fieldFailure('password', 'validation_min_text_constraint', 'Must be at least 8 character(s).') },
    // PocketBase checks email, verified and the password fields first, and reports those errors alone.
    user('password field errors come alone', { email: 'bad', password: 'short', passwordConfirm: 'x' },
      { passwordConfirm: 'validation_values_mismatch' }),
    user('verified cannot be set by guests', { email: 'v@example.com', password: 'long-enough-1', passwordConfirm: 'long-enough-1',
      verified: true }, { verified: 'validation_values_mismatch' }),
    { name: 'a valid user; password and tokenKey never shown, email hidden from guests', method: 'POST', url: USERS, status: 200,
      body: { email: 'ok@example.com', password: 'long-enough-1', passwordConfirm: 'long-enough-1' },
      expect: { emailVisibility: false, verified: false }, notContains: ['"password"', '"tokenKey"', 'long-enough', '"email"'] },
    { name: 'superusers see the email', method: 'POST', url: USERS, auth: 'superuser', status: 200,
      body: { email: 'su@example.com', password: 'long-enough-1', passwordConfirm: 'long-enough-1' },
      expect: { email: 'su@example.com' }, notContains: ['"password"', '"tokenKey"'] },
  ]);
});

describe('password change (auth collection update)', () => {
  const me = () => `/api/collections/users/records/${user.id}`;
  const fails = (name: string, body: Record<string, unknown>, data: Record<string, string>): Scenario => ({
    name, method: 'PATCH', url: me, auth: 'user', body, status: 400,
    check: (b) => {
      expect(b.message).toBe(UPDATE_FAILED);
      expect(Object.fromEntries(Object.entries(b.data).map(([k, v]: [string, any]) => [k, v.code]))).toEqual(data);
    },
  });
  const table: Scenario[] = [
    fails('a new password needs passwordConfirm and oldPassword', { password: 'new-password-1' },
      { passwordConfirm: 'validation_required', oldPassword: 'validation_required' }),
    fails('passwordConfirm alone needs password and oldPassword', { passwordConfirm: 'x' },
      { password: 'validation_required', passwordConfirm: 'validation_values_mismatch', oldPassword: 'validation_required' }),
    fails('a missing oldPassword', { password: 'new-password-1', passwordConfirm: 'new-password-1' },
      { oldPassword: 'validation_required' }),
    fails('a wrong oldPassword', { password: 'new-password-1', passwordConfirm: 'new-password-1', oldPassword: 'nope' },
      { oldPassword: 'validation_invalid_old_password' }),
    fails('the email cannot be changed without manage access', { email: 'other@example.com' }, { email: 'validation_values_mismatch' }),
    fails('a short new password', { password: 'short', passwordConfirm: 'short', oldPassword: 'old-password-1' },
      { password: 'validation_min_text_constraint' }),
    { name: 'the right oldPassword', method: 'PATCH', url: me, auth: 'user', status: 200,
      body: { password: 'new-password-1', passwordConfirm: 'new-password-1', oldPassword: 'old-password-1' },
      expect: { email: 'owner@example.com' } },
  ];
  scenarios(env, table);

  it('the password change revoked the old token and the new password logs in', async () => {
    const stale = await api(server, 'GET', me(), { token: user.token });
    expect(stale.status).toBe(404);
    const login = await api(server, 'POST', '/api/collections/users/auth-with-password', {
      body: { identity: 'owner@example.com', password: 'new-password-1' },
    });
    expect(login.status).toBe(200);
  });
});
