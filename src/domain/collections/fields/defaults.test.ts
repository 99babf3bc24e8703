import { describe, expect, test } from 'vitest';
import type { FieldType } from '../../../db/schema.ts';
import { crc32, generateFieldId, optionTypeErrors } from './options.ts';
import { columnKindOf, FIELD_HANDLERS, FIELD_TYPES, fieldDefaults } from './registry.ts';

/** What PocketBase stores for `{"type": T, "name": "f"}` (id masked): every option, zero values, sorted keys. */
// prettier-ignore
const STORED: Record<FieldType, string> = {
  text: '{"autogeneratePattern":"","help":"","hidden":false,"id":"ID","max":0,"min":0,"name":"f","pattern":"","presentable":false,"primaryKey":false,"required":false,"system":false,"type":"text"}',
  number: '{"help":"","hidden":false,"id":"ID","max":null,"min":null,"name":"f","onlyInt":false,"presentable":false,"required":false,"system":false,"type":"number"}',
  bool: '{"help":"","hidden":false,"id":"ID","name":"f","presentable":false,"required":false,"system":false,"type":"bool"}',
  email: '{"exceptDomains":null,"help":"","hidden":false,"id":"ID","name":"f","onlyDomains":null,"presentable":false,"required":false,"system":false,"type":"email"}',
  url: '{"exceptDomains":null,"help":"","hidden":false,"id":"ID","name":"f","onlyDomains":null,"presentable":false,"required":false,"system":false,"type":"url"}',
  editor: '{"convertURLs":false,"help":"","hidden":false,"id":"ID","maxSize":0,"name":"f","presentable":false,"required":false,"system":false,"type":"editor"}',
  date: '{"help":"","hidden":false,"id":"ID","max":"","min":"","name":"f","presentable":false,"required":false,"system":false,"type":"date"}',
  autodate: '{"hidden":false,"id":"ID","name":"f","onCreate":false,"onUpdate":false,"presentable":false,"system":false,"type":"autodate"}',
  select: '{"help":"","hidden":false,"id":"ID","maxSelect":0,"name":"f","presentable":false,"required":false,"system":false,"type":"select","values":null}',
  json: '{"help":"","hidden":false,"id":"ID","maxSize":0,"name":"f","presentable":false,"required":false,"system":false,"type":"json"}',
  relation: '{"cascadeDelete":false,"collectionId":"","help":"","hidden":false,"id":"ID","maxSelect":0,"minSelect":0,"name":"f","presentable":false,"required":false,"system":false,"type":"relation"}',
  file: '{"help":"","hidden":false,"id":"ID","maxSelect":0,"maxSize":0,"mimeTypes":null,"name":"f","presentable":false,"protected":false,"required":false,"system":false,"thumbs":null,"type":"file"}',
  password: '{"cost":0,"help":"","hidden":false,"id":"ID","max":0,"min":0,"name":"f","pattern":"","presentable":false,"required":false,"system":false,"type":"password"}',
  geoPoint: '{"help":"","hidden":false,"id":"ID","name":"f","presentable":false,"required":false,"system":false,"type":"geoPoint"}',
};

describe('fieldDefaults', () => {
  test.each(FIELD_TYPES)('%s: every option at its zero value, keys sorted, id from type and name', (type) => {
    const field = fieldDefaults({ type, name: 'f' });
    expect(field.id).toBe(`${type}${crc32('f')}`);
    expect(JSON.stringify({ ...field, id: 'ID' })).toBe(STORED[type]);
  });

  test('given options are kept, unknown keys dropped, a given id kept', () => {
    const field = fieldDefaults({ type: 'text', name: 'title', id: 'abc', max: 20, bogus: 1 } as never);
    expect(field).toMatchObject({ id: 'abc', max: 20 });
    expect(field).not.toHaveProperty('bogus');
  });

  test('date options are normalized; [] stays [] while null stays null', () => {
    expect(fieldDefaults({ type: 'date', name: 'd', min: '2024-01-02' }).min).toBe('2024-01-02 00:00:00.000Z');
    expect(fieldDefaults({ type: 'date', name: 'd', min: 'nope' }).min).toBe('');
    expect(fieldDefaults({ type: 'select', name: 's', values: [] }).values).toEqual([]);
    expect(fieldDefaults({ type: 'select', name: 's', values: null }).values).toBeNull();
  });

  test('mistyped options fall back to their default', () => {
    expect(fieldDefaults({ type: 'number', name: 'n', min: '5' as never }).min).toBeNull();
  });
});

describe('field ids', () => {
  test.each<[string, string, string]>([
    ['text', 'id', 'text3208210256'],
    ['password', 'password', 'password901924565'],
    ['text', 'tokenKey', 'text2504183744'],
    ['email', 'email', 'email3885137012'],
    ['bool', 'emailVisibility', 'bool1547992806'],
    ['bool', 'verified', 'bool256245529'],
    ['autodate', 'created', 'autodate2990389176'],
    ['autodate', 'updated', 'autodate3332085495'],
    ['geoPoint', 'point', 'geoPoint3081106212'],
  ])('%s %s -> %s (as in the fixture)', (type, name, id) => expect(generateFieldId(type, name)).toBe(id));

  test('a taken id gets 2, 3 … appended', () => {
    expect(generateFieldId('text', 'id', new Set(['text3208210256', 'text32082102562']))).toBe('text32082102563');
  });
});

describe('optionTypeErrors (what PocketBase cannot load)', () => {
  test.each<[FieldType, Record<string, unknown>, number]>([
    ['text', { name: 'a', max: 10 }, 0],
    ['text', { name: 'a', max: 1.5 }, 1],
    ['text', { name: 5 }, 1],
    ['number', { min: '1' }, 1],
    ['number', { min: null, max: 2.5 }, 0],
    ['bool', { required: 'true' }, 1],
    ['select', { values: ['a', 1] }, 1],
    ['date', { min: 5 }, 1],
  ])('%s %j: %d problem(s)', (type, partial, count) => {
    expect(optionTypeErrors(FIELD_HANDLERS[type].options, partial)).toHaveLength(count);
  });
});

describe('columnKind', () => {
  test.each<[Record<string, unknown>, string]>([
    [{ type: 'text', name: 'a' }, 'text'],
    [{ type: 'text', name: 'id', primaryKey: true }, 'textPrimaryKey'],
    [{ type: 'number', name: 'a' }, 'number'],
    [{ type: 'bool', name: 'a' }, 'bool'],
    [{ type: 'email', name: 'a' }, 'text'],
    [{ type: 'url', name: 'a' }, 'text'],
    [{ type: 'editor', name: 'a' }, 'text'],
    [{ type: 'password', name: 'a' }, 'text'],
    [{ type: 'date', name: 'a' }, 'date'],
    [{ type: 'autodate', name: 'a' }, 'date'],
    [{ type: 'json', name: 'a' }, 'json'],
    [{ type: 'geoPoint', name: 'a' }, 'geoPoint'],
    [{ type: 'select', name: 'a', maxSelect: 1 }, 'text'],
    [{ type: 'select', name: 'a', maxSelect: 2 }, 'jsonArray'],
    [{ type: 'relation', name: 'a', maxSelect: 0 }, 'text'],
    [{ type: 'relation', name: 'a', maxSelect: 5 }, 'jsonArray'],
    [{ type: 'file', name: 'a', maxSelect: 1 }, 'text'],
    [{ type: 'file', name: 'a', maxSelect: 99 }, 'jsonArray'],
  ])('%j -> %s', (partial, kind) => {
    expect(columnKindOf(fieldDefaults(partial as never))).toBe(kind);
  });
});
