import { describe, expect, test } from 'vitest';
import { numberField } from './number.ts';
import { created, field, optionsCtx } from './test-support.ts';

describe('number normalize / decode / encode', () => {
  test.each<[unknown, number]>([
    [12.5, 12.5],
    ['12.5', 12.5],
    ['', 0],
    ['abc', 0],
    [true, 1],
    [null, 0],
    [[3], 0],
    // Beyond float64: the infinity ParseFloat returns beside its range error, which validation
    // refuses (PocketBase's cast stores 0).
    ['1e400', Infinity],
    ['-1e400', -Infinity],
    ['1e-400', 0],
  ])('normalize %j -> %d', (raw, out) => expect(numberField.normalize(field('number'), raw)).toBe(out));

  test('a modifier beyond float64 is not a number either', () => {
    const f = field('number');
    expect(numberField.applyModifier!(f, 1, 'add', '1e400')).toBe(Infinity);
    expect(numberField.validate(f, Infinity, created)?.code).toBe('validation_not_a_number');
  });

  test('round trip through the database', () => {
    const f = field('number');
    expect(numberField.decode(f, numberField.encode(f, -4.25))).toBe(-4.25);
    expect(numberField.decode(f, null)).toBe(0);
    expect(numberField.decode(f, 7n)).toBe(7);
  });
});

describe('number validate', () => {
  test.each<[Record<string, unknown>, number, string | undefined, string | undefined, unknown]>([
    [{}, 0, undefined, undefined, undefined],
    [{ required: true }, 0, 'validation_required', 'Cannot be blank.', undefined],
    [{ required: true }, -1, undefined, undefined, undefined],
    [{}, NaN, 'validation_not_a_number', 'The submitted number is not properly formatted.', undefined],
    [{}, Infinity, 'validation_not_a_number', 'The submitted number is not properly formatted.', undefined],
    [{ onlyInt: true }, 1.5, 'validation_only_int_constraint', 'Decimal numbers are not allowed.', undefined],
    [{ onlyInt: true }, 2, undefined, undefined, undefined],
    [{ min: 5 }, 4, 'validation_min_number_constraint', 'Must be greater or equal than 5.', { min: 5 }],
    [{ min: 5 }, 0, undefined, undefined, undefined], // 0 is "empty" and skips the range
    [{ max: 2.5 }, 3, 'validation_max_number_constraint', 'Must be less or equal than 2.5.', { max: 2.5 }],
    [{ min: -1, max: 1 }, 1, undefined, undefined, undefined],
  ])('%j with %d -> %s', (options, value, code, message, params) => {
    const err = numberField.validate(field('number', options), value, created);
    expect(err?.code).toBe(code);
    expect(err?.message).toBe(message);
    expect(err?.params).toEqual(params);
  });
});

describe('number modifiers', () => {
  test.each<['add' | 'subtract', unknown, unknown, number]>([
    ['add', 10, 5, 15],
    ['add', 10, '2.5', 12.5],
    ['subtract', 10, 3, 7],
    ['subtract', 0, 'x', 0],
  ])('%s: %j and %j -> %d', (modifier, current, raw, out) => {
    expect(numberField.applyModifier!(field('number'), current as number, modifier, raw)).toBe(out);
  });
});

describe('number validateOptions', () => {
  const run = (options: Record<string, unknown>) => {
    const f = field('number', options);
    return numberField.validateOptions(f, optionsCtx(f));
  };
  test.each<[Record<string, unknown>, string | undefined, string | undefined]>([
    [{}, undefined, undefined],
    [{ min: 1, max: 1 }, undefined, undefined],
    [{ min: 5, max: 1 }, 'max', 'Must be greater or equal than 5.'],
    [{ onlyInt: true, min: 1.5 }, 'min', 'Decimal numbers are not allowed.'],
    [{ onlyInt: true, max: 2.5 }, 'max', 'Decimal numbers are not allowed.'],
  ])('%j -> %s %s', (options, key, message) => {
    const errors = run(options);
    if (!key) expect(errors).toBeUndefined();
    else expect(errors?.[key]).toMatchObject({ message });
  });
});
