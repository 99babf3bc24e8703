import { describe, expect, test } from 'vitest';
import { autodateField, autodateValue } from './autodate.ts';
import { dateField } from './date.ts';
import { collection, created, field, optionsCtx } from './test-support.ts';

describe('date normalize', () => {
  test.each<[unknown, string]>([
    ['2024-01-02 03:04:05.678Z', '2024-01-02 03:04:05.678Z'],
    ['2024-01-02T03:04:05Z', '2024-01-02 03:04:05.000Z'],
    ['2024-01-02T05:04:05+02:00', '2024-01-02 03:04:05.000Z'],
    ['2024-01-02', '2024-01-02 00:00:00.000Z'],
    ['', ''],
    ['invalid', ''], // PocketBase stores unparsable input as empty
    [1700000000, ''], // numbers are read as text and fail to parse
    [new Date(Date.UTC(2024, 0, 2)), '2024-01-02 00:00:00.000Z'],
    [null, ''],
  ])('%j -> %j', (raw, out) => expect(dateField.normalize(field('date'), raw)).toBe(out));

  test('decode keeps the canonical string, NULL becomes ""', () => {
    const f = field('date');
    expect(dateField.decode(f, '2022-10-01 12:00:00.000Z')).toBe('2022-10-01 12:00:00.000Z');
    expect(dateField.decode(f, '2022-10-01 12:00:00')).toBe('2022-10-01 12:00:00.000Z');
    expect(dateField.decode(f, null)).toBe('');
    expect(dateField.encode(f, '2022-10-01 12:00:00.000Z')).toBe('2022-10-01 12:00:00.000Z');
  });
});

describe('date validate', () => {
  const ranged = field('date', { min: '2020-01-01 00:00:00.000Z', max: '2030-01-01 00:00:00.500Z' });
  test.each<[string, string | undefined, string | undefined, unknown]>([
    ['2025-01-01 00:00:00.000Z', undefined, undefined, undefined],
    ['2020-01-01 00:00:00.000Z', undefined, undefined, undefined],
    ['', undefined, undefined, undefined],
    [
      '2010-01-01 00:00:00.000Z',
      'validation_min_greater_equal_than_required',
      'Must be no less than 2020-01-01 00:00:00 +0000 UTC.',
      { threshold: '2020-01-01T00:00:00Z' },
    ],
    [
      '2040-01-01 00:00:00.000Z',
      'validation_max_less_equal_than_required',
      'Must be no greater than 2030-01-01 00:00:00.5 +0000 UTC.',
      { threshold: '2030-01-01T00:00:00.5Z' },
    ],
  ])('%j -> %s', (value, code, message, params) => {
    const err = dateField.validate(ranged, value, created);
    expect(err?.code).toBe(code);
    expect(err?.message).toBe(message);
    expect(err?.params).toEqual(params);
  });

  test('required', () => {
    expect(dateField.validate(field('date', { required: true }), '', created)?.code).toBe('validation_required');
  });

  test('options: max before min is out of range', () => {
    const f = field('date', { min: '2024-01-02', max: '2024-01-01' });
    expect(dateField.validateOptions(f, optionsCtx(f))).toEqual({
      max: { code: 'validation_date_out_of_range', message: 'The date is out of range.' },
    });
    const ok = field('date', { min: '2024-01-01', max: '2024-01-01' });
    expect(dateField.validateOptions(ok, optionsCtx(ok))).toBeUndefined();
  });
});

describe('autodate', () => {
  const createdField = field('autodate', { name: 'created', onCreate: true });
  const updatedField = field('autodate', { name: 'updated', onCreate: true, onUpdate: true });

  test('client input is ignored: the current value is kept', () => {
    expect(autodateField.normalize(createdField, '2000-01-01 00:00:00.000Z', { current: '2024-01-01 00:00:00.000Z' })).toBe(
      '2024-01-01 00:00:00.000Z',
    );
    expect(autodateField.normalize(createdField, 'x')).toBe('');
    expect(autodateField.validate(createdField, '', created)).toBeUndefined();
  });

  test.each<[string, boolean, string]>([
    ['created', true, 'NOW'],
    ['created', false, 'OLD'],
    ['updated', true, 'NOW'],
    ['updated', false, 'NOW'],
  ])('%s on %s create -> %s', (name, isNew, expected) => {
    const f = name === 'created' ? createdField : updatedField;
    expect(autodateValue(f, { isNew, current: 'OLD', now: 'NOW' })).toBe(expected);
  });

  test('options: one of onCreate/onUpdate must be on', () => {
    const f = field('autodate', { name: 'stamp' });
    const neither = { code: 'validation_required', message: 'Either onCreate or onUpdate must be enabled.' };
    expect(autodateField.validateOptions(f, optionsCtx(f))).toEqual({ onCreate: neither, onUpdate: neither });
    expect(autodateField.validateOptions(updatedField, optionsCtx(updatedField))).toBeUndefined();
  });

  test('options: a system autodate keeps its behaviour', () => {
    const before = field('autodate', { name: 'created', system: true, onCreate: true });
    const after = { ...before, onUpdate: true };
    const ctx = optionsCtx(after, { original: collection({ fields: [before] }) });
    expect(autodateField.validateOptions(after, ctx)).toEqual({
      onUpdate: { code: 'validation_values_mismatch', message: "Values don't match." },
    });
  });
});
