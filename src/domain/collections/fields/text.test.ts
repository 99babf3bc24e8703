import { describe, expect, test } from 'vitest';
import { autogenerateText, textField } from './text.ts';
import { collection, created, field, optionsCtx } from './test-support.ts';
import { idField } from './system.ts';

describe('text normalize: cast to string, never trimmed', () => {
  test.each<[unknown, string]>([
    ['  hello  ', '  hello  '],
    [12, '12'],
    [true, 'true'],
    [null, ''],
    [{ a: 1 }, ''],
    [['a'], ''],
  ])('%j -> %j', (raw, out) => expect(textField.normalize(field('text'), raw)).toBe(out));

  test('decode/encode round trip', () => {
    const f = field('text');
    expect(textField.decode(f, null)).toBe('');
    expect(textField.encode(f, textField.decode(f, 'abc'))).toBe('abc');
  });
});

describe('text validate', () => {
  test.each<[Record<string, unknown>, string, string | undefined, string | undefined, unknown]>([
    [{}, '', undefined, undefined, undefined],
    [{ required: true }, '', 'validation_required', 'Cannot be blank.', undefined],
    [{ required: true }, ' ', undefined, undefined, undefined],
    [{ min: 3 }, 'ab', 'validation_min_text_constraint', 'Must be at least 3 character(s).', { min: 3 }],
    [{ min: 3 }, '🔑🔑🔑', undefined, undefined, undefined],
    [{ max: 2 }, 'abc', 'validation_max_text_constraint', 'Must be no more than 2 character(s).', { max: 2 }],
    [{}, 'a'.repeat(5001), 'validation_max_text_constraint', 'Must be no more than 5000 character(s).', { max: 5000 }],
    [{ pattern: '^\\d+$' }, '12a', 'validation_invalid_format', 'Invalid value format.', undefined],
    [{ pattern: '^\\d+$' }, '123', undefined, undefined, undefined],
    [{ min: 3 }, '', undefined, undefined, undefined],
  ])('%j with %j -> %s', (options, value, code, message, params) => {
    const err = textField.validate(field('text', options), value, created);
    expect(err?.code).toBe(code);
    expect(err?.message).toBe(message);
    expect(err?.params).toEqual(params);
  });
});

describe('primary key (id field)', () => {
  const custom = field('text', { name: 'id', primaryKey: true, required: true, pattern: '^.+$' });

  test.each<[string, string | undefined, string | undefined]>([
    ['', 'validation_required', 'Cannot be blank.'],
    ['abc/def', 'validation_forbidden_pk_character', "'/' is not a valid primary key character."],
    ['a b', 'validation_forbidden_pk_character', "' ' is not a valid primary key character."],
    ['con', 'validation_reserved_pk', "The primary key 'CON' is reserved and cannot be used."],
    ['lpt1', 'validation_reserved_pk', "The primary key 'LPT1' is reserved and cannot be used."],
    ['console', undefined, undefined],
  ])('custom pattern, new %j -> %s', (value, code, message) => {
    const err = textField.validate(custom, value, created);
    expect(err?.code).toBe(code);
    expect(err?.message).toBe(message);
  });

  test('the default id pattern skips the file-name safety checks', () => {
    expect(textField.validate(idField(), 'abcdefghijklmno', created)).toBeUndefined();
    expect(textField.validate(idField(), 'ABCDEFGHIJKLMNO', created)?.code).toBe('validation_invalid_format');
    expect(textField.validate(idField(), 'abc', created)?.message).toBe('Must be at least 15 character(s).');
  });

  test('an update cannot change the id; a stored id is not re-validated', () => {
    expect(textField.validate(idField(), 'bbbbbbbbbbbbbbb', { isNew: false, original: 'aaaaaaaaaaaaaaa' })).toEqual({
      code: 'validation_pk_change',
      message: 'The record primary key cannot be changed.',
    });
    expect(textField.validate(idField(), 'x', { isNew: false, original: 'x' })).toBeUndefined();
  });
});

describe('autogenerate', () => {
  test('draws from autogeneratePattern, or gives "" without one', () => {
    expect(autogenerateText(idField())).toMatch(/^[a-z0-9]{15}$/);
    expect(autogenerateText(field('text'))).toBe('');
  });

  test('`field:autogenerate` appends a generated value to the given prefix', () => {
    const f = field('text', { autogeneratePattern: '[0-9]{4}' });
    expect(textField.applyModifier!(f, 'old', 'autogenerate', 'pre-')).toMatch(/^pre-\d{4}$/);
  });
});

describe('text validateOptions', () => {
  const run = (options: Record<string, unknown>) => {
    const f = field('text', options);
    return textField.validateOptions(f, optionsCtx(f));
  };

  test('defaults are valid', () => expect(run({ name: 'title' })).toBeUndefined());

  test.each<[Record<string, unknown>, string, string, string]>([
    [{ name: '' }, 'name', 'validation_required', 'Cannot be blank.'],
    [{ name: 'a-b' }, 'name', 'validation_match_invalid', 'Must be in a valid format.'],
    [{ name: 'expand' }, 'name', 'validation_not_in_invalid', 'Must not be in list.'],
    [{ name: '__proto__' }, 'name', 'validation_not_in_invalid', 'Must not be in list.'],
    [{ name: 'constructor' }, 'name', 'validation_not_in_invalid', 'Must not be in list.'],
    [{ name: 'prototype' }, 'name', 'validation_not_in_invalid', 'Must not be in list.'],
    [{ name: 'a_VIA_b' }, 'name', 'validation_found_via', 'The value cannot contain "_via_".'],
    [{ name: 'x'.repeat(101) }, 'name', 'validation_length_out_of_range', 'The length must be between 1 and 100.'],
    [{ id: 'i'.repeat(101) }, 'id', 'validation_length_out_of_range', 'The length must be between 1 and 100.'],
    [{ help: 'h'.repeat(301) }, 'help', 'validation_length_out_of_range', 'The length must be between 1 and 300.'],
    [{ min: -1 }, 'min', 'validation_min_greater_equal_than_required', 'Must be no less than 0.'],
    [{ min: 10, max: 5 }, 'max', 'validation_min_greater_equal_than_required', 'Must be no less than 10.'],
    [{ max: 2 ** 53 }, 'max', 'validation_max_less_equal_than_required', 'Must be no greater than 9007199254740991.'],
    [{ pattern: '(' }, 'pattern', 'validation_invalid_regex', expect.any(String) as never],
    [{ autogeneratePattern: '(' }, 'autogeneratePattern', 'validation_invalid_regex', expect.any(String) as never],
    [{ autogeneratePattern: 'a+' }, 'autogeneratePattern', 'validation_invalid_autogenerate_pattern', expect.any(String) as never],
    [
      { autogeneratePattern: '[a-z]{3}', min: 5 },
      'autogeneratePattern',
      'validation_invalid_autogenerate_pattern_value',
      expect.stringMatching(/^The provided autogenerate pattern could produce invalid field values, ex\.: "[a-z]{3}"\.$/) as never,
    ],
    [{ name: 'code', primaryKey: true, pattern: '^x$', required: true }, 'name', 'validation_in_invalid', 'The primary key must be named "id".'],
    [{ name: 'id', primaryKey: true, required: true }, 'pattern', 'validation_required', 'Cannot be blank.'],
    [{ name: 'id', primaryKey: true, pattern: '^x$', required: true, hidden: true }, 'hidden', 'validation_empty', 'Must be blank.'],
    [{ name: 'id', primaryKey: true, pattern: '^x$' }, 'required', 'validation_required', 'Cannot be blank.'],
  ])('%j -> %s %s', (options, key, code, message) => {
    expect(run(options)?.[key]).toMatchObject({ code, message });
  });

  test('a second primary key is refused', () => {
    const a = idField();
    const b = field('text', { name: 'id2', primaryKey: true, pattern: '^x$', required: true });
    const errors = textField.validateOptions(a, optionsCtx(a, { collection: collection({ fields: [a, b] }) }));
    expect(errors?.primaryKey).toEqual({
      code: 'validation_unsupported_composite_pk',
      message: 'Composite PKs are not supported and the collection must have only 1 PK.',
    });
  });

  test('threshold params are sent as numbers', () => {
    expect(run({ min: -1 })?.min).toEqual({
      code: 'validation_min_greater_equal_than_required',
      message: 'Must be no less than 0.',
      params: { threshold: 0 },
    });
  });
});

