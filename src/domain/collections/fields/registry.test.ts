import { describe, expect, test } from 'vitest';
import { describeFixture, FIXTURE_DIR, readFixtureDb } from '../../../../test/support/fixture.ts';
import type { FieldDef, FieldType } from '../../../db/schema.ts';
import { loadFieldsList } from './list.ts';
import {
  apiValue,
  applyModifier,
  columnKindOf,
  decodeRow,
  encodeRow,
  FIELD_HANDLERS,
  FIELD_TYPES,
  fieldHandler,
  isHiddenField,
  normalizeValue,
  validateValue,
  zeroValue,
} from './registry.ts';
import { created, field, fromDb, rowFromDb } from './test-support.ts';

describe('every type: normalize -> validate -> encode -> decode round trip', () => {
  const samples: [FieldType, Record<string, unknown>, unknown, unknown][] = [
    ['text', {}, ' hi ', ' hi '],
    ['number', {}, '12.5', 12.5],
    ['bool', {}, 'true', true],
    ['email', {}, 'a@example.com', 'a@example.com'],
    ['url', {}, 'https://example.com', 'https://example.com'],
    ['editor', {}, '<p>x</p>', '<p>x</p>'],
    ['date', {}, '2024-05-06T07:08:09Z', '2024-05-06 07:08:09.000Z'],
    ['select', { values: ['a', 'b'], maxSelect: 2 }, ['b', 'a', 'b'], ['b', 'a']],
    ['select', { values: ['a', 'b'], maxSelect: 1 }, ['a', 'b'], 'b'],
    ['json', {}, { b: [1, null], a: 'x' }, { a: 'x', b: [1, null] }],
    ['relation', { maxSelect: 9 }, 'abc', ['abc']],
    ['file', { maxSelect: 1 }, 'a.txt', 'a.txt'],
    ['password', {}, 'secret123', 'secret123'],
    ['geoPoint', {}, { lon: 1.5, lat: -2 }, { lon: 1.5, lat: -2 }],
  ];
  test.each(samples)('%s %j: %j -> %j', (type, options, raw, value) => {
    const f = field(type, options);
    const normalized = normalizeValue(f, raw);
    expect(normalized).toEqual(value);
    expect(validateValue(f, normalized, { ...created, original: type === 'file' ? 'a.txt' : undefined })).toBeUndefined();
    const handler = fieldHandler(type);
    expect(handler.decode(f, fromDb(f, handler.encode(f, normalized)))).toEqual(value);
  });

  test('autodate ignores input and keeps the current value', () => {
    expect(normalizeValue(field('autodate'), 'x', { current: '2024-01-01 00:00:00.000Z' })).toBe('2024-01-01 00:00:00.000Z');
  });

  test.each(FIELD_TYPES)('%s: the zero value encodes and decodes to itself', (type) => {
    const f = field(type, type === 'select' ? { values: ['a'] } : {});
    const handler = fieldHandler(type);
    expect(handler.decode(f, fromDb(f, handler.encode(f, zeroValue(f))))).toEqual(zeroValue(f));
  });
});

describe('registry helpers', () => {
  test('every type is registered under its own name', () => {
    for (const type of FIELD_TYPES) expect(FIELD_HANDLERS[type].type).toBe(type);
    expect(() => fieldHandler('nope' as FieldType)).toThrow(TypeError);
  });

  test('form input is read like PocketBase form data in every handler', () => {
    expect(fieldHandler('number').normalize(field('number'), '7', { source: 'form' })).toBe(7);
    expect(fieldHandler('json').normalize(field('json'), ['1', 'x'], { source: 'form' })).toEqual([1, 'x']);
    expect(fieldHandler('json').normalize(field('json'), ['1', 'x'])).toEqual(['1', 'x']);
  });

  test.each<[FieldType, string, unknown]>([
    ['number', 'add', 3],
    ['text', 'append', undefined],
    ['bool', 'append', undefined],
    ['number', 'prepend', undefined],
  ])('%s %s modifier -> %j (undefined: not supported, the key is ignored)', (type, modifier, out) => {
    expect(applyModifier(field(type), 1, modifier as never, 2)).toBe(out);
  });

  test('hidden fields and password output', () => {
    expect(isHiddenField(field('text', { hidden: true }))).toBe(true);
    expect(isHiddenField(field('password'))).toBe(false);
    expect(apiValue(field('password'), '$2a$hash')).toBe('');
    expect(apiValue(field('text'), 'x')).toBe('x');
  });
});

describeFixture('PocketBase test data', () => {
  // Read while collecting, to name a test per collection; vitest collects skipped blocks too, hence the guard.
  const collections = FIXTURE_DIR
    ? readFixtureDb((db) => db.prepare('select name, type, fields from _collections').all() as { name: string; type: string; fields: string }[])
    : [];
  const loaded = collections.map((c) => {
    const res = loadFieldsList(JSON.parse(c.fields));
    if (!res.ok) throw new Error(res.error);
    return { ...c, defs: res.fields };
  });

  test.each(loaded.map((c) => [c.name, c] as const))('%s: fields load and serialize back unchanged', (_name, c) => {
    const stripHelp = (s: string) => s.replace(/"help":"",/g, '');
    expect(stripHelp(JSON.stringify(c.defs))).toBe(stripHelp(c.fields));
  });

  const tables = loaded.filter((c) => c.type !== 'view');
  test.each(tables.map((c) => [c.name, c] as const))('%s: column kinds match the table PocketBase created', (name, c) => {
    const columns = readFixtureDb((db) => db.prepare('select name, type from pragma_table_info(?)').all(name) as { name: string; type: string }[]);
    const kinds: Record<string, string[]> = {
      text: ['TEXT'],
      textPrimaryKey: ['TEXT'],
      date: ['TEXT'],
      number: ['NUMERIC', 'REAL'],
      bool: ['BOOLEAN'],
      json: ['JSON'],
      jsonArray: ['JSON', 'TEXT'], // old multi columns were TEXT
      geoPoint: ['JSON'],
    };
    for (const f of c.defs as FieldDef[]) {
      const column = columns.find((col) => col.name === f.name);
      expect(column, `${name}.${f.name}`).toBeDefined();
      expect(kinds[columnKindOf(f)]).toContain(column!.type.toUpperCase());
    }
  });

  test.each(tables.map((c) => [c.name, c] as const))('%s: every row decodes and round-trips through encode', (name, c) => {
    const rows = readFixtureDb((db) => db.prepare(`select * from "${name}"`).all() as Record<string, unknown>[]);
    for (const row of rows) {
      const values = decodeRow(c.defs, rowFromDb(c.defs, row));
      const again = decodeRow(c.defs, rowFromDb(c.defs, encodeRow(c.defs, values)));
      expect(again).toEqual(values);
    }
  });

  test('demo1 sample row decodes to the API shapes', () => {
    const demo1 = loaded.find((c) => c.name === 'demo1')!;
    const row = readFixtureDb((db) => db.prepare('select * from demo1 where id = ?').get('al1h9ijdeojtsjy') as Record<string, unknown>);
    expect(decodeRow(demo1.defs, rowFromDb(demo1.defs, row))).toMatchObject({
      bool: false,
      select_one: 'optionB',
      select_many: ['optionB'],
      file_many: [],
      number: 456,
      datetime: '',
      json: null,
      rel_many: ['bgs820n361vj1qd', '4q1xlclmfloku33', 'oap640cot4yru2s'],
      point: { lon: 23.333157, lat: 42.654318 },
    });
  });
});
