import { describe, expect, test } from 'vitest';
import { readFixtureDb, testFixture } from '../../../../test/support/fixture.ts';
import type { FieldDef } from '../../../db/schema.ts';
import { authSystemFields, baseSystemFields, ensureSystemFields, idField } from './system.ts';
import { field } from './test-support.ts';

const storedFields = (name: string): unknown =>
  JSON.parse(readFixtureDb((db) => db.prepare('select fields from _collections where name = ?').pluck().get(name) as string));

/** Rows written by PocketBase before v0.36 lack `help`; v0.39 writes it on every field but autodate. */
const withHelp = (fields: FieldDef[]) => fields.map(({ help: _help, ...rest }) => rest);

describe('system fields as PocketBase v0.39 creates them', () => {
  testFixture('_superusers: the auth fields with system timestamps', () => {
    // The fixture row was written by the v0.23 upgrade migration, whose tokenKey pattern also
    // allowed '_'; collections created by v0.39 use [a-zA-Z0-9]{50}.
    const migrated = withHelp(authSystemFields({ systemTimestamps: true })).map((f) =>
      f.name === 'tokenKey' ? { ...f, autogeneratePattern: '[a-zA-Z0-9_]{50}' } : f,
    );
    expect(migrated).toEqual(storedFields('_superusers'));
  });

  test('auth fields, in order, with their ids', () => {
    expect(authSystemFields().map((f) => `${f.name}:${f.id}`)).toEqual([
      'id:text3208210256',
      'password:password901924565',
      'tokenKey:text2504183744',
      'email:email3885137012',
      'emailVisibility:bool1547992806',
      'verified:bool256245529',
      'created:autodate2990389176',
      'updated:autodate3332085495',
    ]);
    expect(authSystemFields().find((f) => f.name === 'tokenKey')?.autogeneratePattern).toBe('[a-zA-Z0-9]{50}');
  });

  test('base collection: id, then created/updated as regular fields (as the dashboard adds them)', () => {
    expect(JSON.stringify(baseSystemFields())).toBe(
      '[{"autogeneratePattern":"[a-z0-9]{15}","help":"","hidden":false,"id":"text3208210256","max":15,"min":15,"name":"id","pattern":"^[a-z0-9]+$","presentable":false,"primaryKey":true,"required":true,"system":true,"type":"text"},' +
        '{"hidden":false,"id":"autodate2990389176","name":"created","onCreate":true,"onUpdate":false,"presentable":false,"system":false,"type":"autodate"},' +
        '{"hidden":false,"id":"autodate3332085495","name":"updated","onCreate":true,"onUpdate":true,"presentable":false,"system":false,"type":"autodate"}]',
    );
  });
});

describe('ensureSystemFields (applied on every save)', () => {
  test('adds a missing id in front and the missing auth fields at the end', () => {
    const title = field('text', { name: 'title' });
    expect(ensureSystemFields('base', [title]).map((f) => f.name)).toEqual(['id', 'title']);
    expect(ensureSystemFields('auth', [title]).map((f) => f.name)).toEqual([
      'id',
      'title',
      'password',
      'tokenKey',
      'email',
      'emailVisibility',
      'verified',
    ]);
  });

  test('forces the flags of existing system fields', () => {
    const id = { ...idField(), system: false, hidden: true, required: false, primaryKey: false, pattern: '' };
    const password = { ...authSystemFields()[1], hidden: false, system: false };
    const email = { ...authSystemFields()[3], hidden: true };
    const out = ensureSystemFields('auth', [id, password, email]);
    expect(out[0]).toMatchObject({ system: true, hidden: false, required: true, primaryKey: true, pattern: '^[a-z0-9]+$' });
    expect(out[1]).toMatchObject({ system: true, hidden: true, required: true });
    expect(out[2]).toMatchObject({ system: true, hidden: false });
  });

  test('a same-named field of another type is replaced, keeping its id', () => {
    const fake = field('text', { name: 'verified', id: 'keepme' });
    const out = ensureSystemFields('auth', [idField(), fake]);
    expect(out.find((f) => f.name === 'verified')).toMatchObject({ id: 'keepme', type: 'bool', system: true });
  });

  test('does not mutate its input; leaves view fields alone', () => {
    const id = { ...idField(), hidden: true };
    ensureSystemFields('base', [id]);
    expect(id.hidden).toBe(true);
    expect(ensureSystemFields('view', [field('text', { name: 'x' })]).map((f) => f.name)).toEqual(['x']);
  });
});
