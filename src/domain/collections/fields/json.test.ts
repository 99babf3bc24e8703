import { describe, expect, test } from 'vitest';
import { jsonField } from './json.ts';
import { normalizeValue } from './registry.ts';
import { created, field, fromDb, optionsCtx } from './test-support.ts';

const f = field('json');

describe('json normalize', () => {
  test.each<[unknown, unknown]>([
    [null, null],
    [undefined, null],
    [{ b: 1, a: [1, { d: 1, c: 2 }] }, { a: [1, { c: 2, d: 1 }], b: 1 }],
    [[1, 'x'], [1, 'x']],
    [12, 12],
    [true, true],
    ['', ''],
    ['hello', 'hello'],
    ['{"b":1,"a":2}', { b: 1, a: 2 }], // JSON text keeps its own key order
    ['[1,2]', [1, 2]],
    ['12', 12],
    ['-1.5', -1.5],
    ['"quoted"', 'quoted'],
    ['null', null],
    ['true', true],
    ['{invalid', '{invalid'],
    [' {"a":1}', ' {"a":1}'], // must start like JSON
    ['12abc', '12abc'],
  ])('%j -> %j', (raw, out) => expect(jsonField.normalize(f, raw)).toEqual(out));

  test('key order of body objects follows PocketBase (sorted)', () => {
    expect(Object.keys(jsonField.normalize(f, { z: 1, a: 2 }) as object)).toEqual(['a', 'z']);
  });

  test('multipart strings', () => {
    expect(normalizeValue(f, '{"a":1}', { source: 'form' })).toEqual({ a: 1 });
    expect(normalizeValue(f, '5', { source: 'form' })).toBe(5);
    expect(normalizeValue(f, 'text', { source: 'form' })).toBe('text');
  });
});

describe('json decode / encode', () => {
  test.each<[unknown, unknown]>([
    [null, null],
    ['[1,2,3]', [1, 2, 3]],
    ['{"a":{"b":"test"}}', { a: { b: 'test' } }],
    ['""', ''],
    ['null', null],
    [123, 123], // NUMERIC affinity of JSON columns turns '123' into an integer
    ['not json', 'not json'],
  ])('decode %j -> %j', (db, out) => expect(jsonField.decode(f, fromDb(f, db))).toEqual(out));

  test.each<[unknown, unknown]>([
    [null, null],
    [{ a: 1 }, '{"a":1}'],
    ['', '""'],
    [0, '0'],
    [[], '[]'],
  ])('encode %j -> %j', (value, db) => expect(jsonField.encode(f, value as never)).toBe(db));
});

describe('json validate', () => {
  test.each<[Record<string, unknown>, unknown, string | undefined, string | undefined]>([
    [{}, null, undefined, undefined],
    [{ required: true }, null, 'validation_required', 'Cannot be blank.'],
    [{ required: true }, '', 'validation_required', 'Cannot be blank.'],
    [{ required: true }, [], 'validation_required', 'Cannot be blank.'],
    [{ required: true }, {}, 'validation_required', 'Cannot be blank.'],
    [{ required: true }, 0, undefined, undefined],
    [{ required: true }, false, undefined, undefined],
    [{ maxSize: 5 }, [1, 2], undefined, undefined],
    [{ maxSize: 5 }, [1, 2, 3], 'validation_json_size_limit', 'The maximum allowed JSON size is 5 bytes.'],
    // JSON cannot hold them (a form value "[1e400]" parses to them); stringify would store null.
    [{}, [1, Infinity], 'validation_invalid_json', 'Must be a valid json value.'],
    [{}, { a: { b: -Infinity } }, 'validation_invalid_json', 'Must be a valid json value.'],
    [{}, NaN, 'validation_invalid_json', 'Must be a valid json value.'],
  ])('%j with %j -> %s', (options, value, code, message) => {
    const err = jsonField.validate(field('json', options), value as never, created);
    expect(err?.code).toBe(code);
    expect(err?.message).toBe(message);
  });

  test('default size limit is 1 MiB', () => {
    const err = jsonField.validate(f, 'x'.repeat(1 << 20), created);
    expect(err).toEqual({ code: 'validation_json_size_limit', message: 'The maximum allowed JSON size is 1048576 bytes.', params: { maxSize: 1048576 } });
  });

  test('maxSize option', () => {
    const bad = field('json', { maxSize: -5 });
    expect(jsonField.validateOptions(bad, optionsCtx(bad))?.maxSize).toMatchObject({ message: 'Must be no less than 0.' });
  });
});
