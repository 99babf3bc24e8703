import { describe, expect, test } from 'vitest';
import type { Collection, FieldDef } from '../../../db/schema.ts';
import { loadFieldsList, MAX_FIELDS, validateFieldsList } from './list.ts';
import { generateFieldId } from './options.ts';
import { authSystemFields, baseSystemFields } from './system.ts';
import { collection, field, schemaOf } from './test-support.ts';

describe('loadFieldsList', () => {
  test('fills defaults and ids like PocketBase', () => {
    const res = loadFieldsList([{ type: 'text', name: 'title' }, { type: 'bool', name: 'done', id: 'custom' }]);
    expect(res.ok && res.fields.map((f) => f.id)).toEqual(['text724990059', 'custom']);
  });

  test('a field without id takes over the id of an earlier field with that name, in place', () => {
    const res = loadFieldsList([
      { type: 'text', name: 'a', id: 'keep' },
      { type: 'bool', name: 'b' },
      { type: 'number', name: 'a' },
    ]);
    expect(res.ok && res.fields.map((f) => [f.id, f.name, f.type])).toEqual([
      ['keep', 'a', 'number'],
      [generateFieldId('bool', 'b'), 'b', 'bool'],
    ]);
  });

  test('a repeated id replaces the earlier field in place', () => {
    const res = loadFieldsList([
      { type: 'text', name: 'a', id: 'x' },
      { type: 'text', name: 'b', id: 'y' },
      { type: 'bool', name: 'c', id: 'x' },
    ]);
    expect(res.ok && res.fields.map((f) => f.name)).toEqual(['c', 'b']);
  });

  test('a generated id already taken gets a suffix', () => {
    const taken = generateFieldId('bool', 'x');
    const res = loadFieldsList([
      { type: 'text', name: 'other', id: taken },
      { type: 'bool', name: 'x' },
    ]);
    expect(res.ok && res.fields.map((f) => f.id)).toEqual([taken, `${taken}2`]);
  });

  test.each<[unknown, string]>([
    [{ type: 'text' }, 'fields must be an array of objects'],
    [[{ type: 'nope', name: 'a' }], 'missing or unknown field type "nope"'],
    [[{ name: 'a' }], 'missing or unknown field type null'],
    [[{ type: 'text', name: 'a', max: '5' }], 'failed to load field: invalid value for "max" (expected int)'],
    [[null], 'fields must be an array of objects'],
  ])('refuses %j', (raw, error) => expect(loadFieldsList(raw)).toEqual({ ok: false, error }));

  test('null means no fields', () => expect(loadFieldsList(null)).toEqual({ ok: true, fields: [] }));
});

const ctx = (c: Collection, original?: Collection) => ({ schema: schemaOf(c), collection: c, original });
const base = (fields: FieldDef[], extra: Partial<Collection> = {}) => collection({ fields, ...extra });

describe('validateFieldsList', () => {
  test('fresh base and auth collections pass', () => {
    expect(validateFieldsList(ctx(base(baseSystemFields())))).toBeUndefined();
    expect(validateFieldsList(ctx(base(authSystemFields(), { type: 'auth' })))).toBeUndefined();
  });

  test.each<[string, () => Collection, unknown]>([
    ['no fields', () => base([]), { code: 'validation_required', message: 'Cannot be blank.' }],
    ['no id field', () => base([field('text', { name: 'title' })]), { code: 'validation_missing_primary_key', message: 'Missing or invalid "id" PK field.' }],
    [
      'duplicate id',
      () => base([...baseSystemFields(), field('text', { name: 'a', id: 'dup' }), field('bool', { name: 'b', id: 'dup' })]),
      { 4: { id: { code: 'validation_duplicated_field_id', message: 'Duplicated or invalid field id "dup".' } } },
    ],
    [
      'duplicate name, in any case',
      () => base([...baseSystemFields(), field('text', { name: 'Title' }), field('bool', { name: 'title' })]),
      { 4: { name: { code: 'validation_duplicated_field_name', message: 'Duplicated or invalid field name title.', params: { fieldName: 'title' } } } },
    ],
    [
      'auth without password',
      () => base(authSystemFields().filter((f) => f.name !== 'password'), { type: 'auth' }),
      { code: 'validation_missing_password_field', message: 'System "password" field is required.' },
    ],
    [
      'auth with a visible tokenKey',
      () => base(authSystemFields().map((f) => (f.name === 'tokenKey' ? { ...f, hidden: false } : f)), { type: 'auth' }),
      { tokenKey: { code: 'validation_must_be_system_and_hidden', message: 'The field must be marked as "System" and "Hidden".' } },
    ],
    [
      'auth with a non-system email',
      () => base(authSystemFields().map((f) => (f.name === 'email' ? { ...f, system: false } : f)), { type: 'auth' }),
      { email: { code: 'validation_must_be_system', message: 'The field must be marked as "System".' } },
    ],
    [
      'auth reserved names',
      () => base([...authSystemFields(), field('text', { name: 'passwordConfirm' })], { type: 'auth' }),
      { 8: { name: { code: 'validation_reserved_field_name', message: 'The field name is reserved and cannot be used.' } } },
    ],
    [
      'per-field option errors keyed by index',
      () => base([...baseSystemFields(), field('select', { name: 'tags' })]),
      { 3: { values: { code: 'validation_required', message: 'Cannot be blank.' } } },
    ],
    [
      'a bad name',
      () => base([...baseSystemFields(), field('text', { name: 'null' })]),
      { 3: { name: { code: 'validation_not_in_invalid', message: 'Must not be in list.' } } },
    ],
  ])('%s', (_name, make, expected) => expect(validateFieldsList(ctx(make()))).toEqual(expected));

  test.each<[string, (fields: FieldDef[]) => FieldDef[], unknown]>([
    [
      'a renamed system field',
      (fs) => fs.map((f) => (f.name === 'created' ? { ...f, name: 'made' } : f)),
      { code: 'validation_system_field_change', message: 'System fields cannot be deleted or renamed.' },
    ],
    [
      'a removed system field',
      (fs) => fs.filter((f) => f.name !== 'updated'),
      { code: 'validation_system_field_change', message: 'System fields cannot be deleted or renamed.' },
    ],
    [
      'a changed type',
      (fs) => fs.map((f) => (f.name === 'title' ? { ...f, type: 'number' as const } : f)),
      { 3: { code: 'validation_field_type_change', message: 'Field type cannot be changed.' } },
    ],
    ['a removed regular field', (fs) => fs.filter((f) => f.name !== 'title'), undefined],
  ])('on update: %s', (_name, change, expected) => {
    const original = base([...baseSystemFields({ systemTimestamps: true }), field('text', { name: 'title' })]);
    expect(validateFieldsList(ctx(base(change(original.fields)), original))).toEqual(expected);
  });

  test('a system field dropped while the id stays is a system field change', () => {
    const auth = base(authSystemFields(), { type: 'auth' });
    const withoutVerified = base([...auth.fields.filter((f) => f.name !== 'verified'), field('bool', { name: 'verified', system: true, id: 'other' })], {
      type: 'auth',
    });
    expect(validateFieldsList(ctx(withoutVerified, auth))).toEqual({ code: 'validation_system_field_change', message: 'System fields cannot be deleted or renamed.' });
  });

  test('field count is capped', () => {
    const many = [...baseSystemFields(), ...Array.from({ length: MAX_FIELDS }, (_, i) => field('bool', { name: `b${i}` }))];
    expect(validateFieldsList(ctx(base(many)))).toMatchObject({ code: 'validation_too_many_fields', params: { max: MAX_FIELDS } });
  });
});
