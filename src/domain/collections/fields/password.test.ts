import { describe, expect, test } from 'vitest';
import { passwordCost, passwordField } from './password.ts';
import { created, field, optionsCtx } from './test-support.ts';

describe('password', () => {
  test('normalize yields the plaintext; encode writes the given hash', () => {
    const f = field('password');
    expect(passwordField.normalize(f, 12345678)).toBe('12345678');
    expect(passwordField.encode(f, '$2a$10$hash')).toBe('$2a$10$hash');
    expect(passwordField.decode(f, '$2a$10$hash')).toBe('$2a$10$hash');
  });

  test.each<[Record<string, unknown>, string, { isNew: boolean; original?: string }, string | undefined, string | undefined]>([
    [{ required: true }, '', { isNew: true }, 'validation_required', 'Cannot be blank.'],
    [{ required: true }, '', { isNew: false, original: '$2a$10$stored' }, undefined, undefined],
    [{ min: 8 }, 'short', { isNew: true }, 'validation_min_text_constraint', 'Must be at least 8 character(s).'],
    [{ min: 8 }, 'пароль🔑12', { isNew: true }, undefined, undefined],
    [{}, 'x'.repeat(72), { isNew: true }, 'validation_max_text_constraint', 'Must be less than 71 character(s).'],
    [{ max: 10 }, 'x'.repeat(11), { isNew: true }, 'validation_max_text_constraint', 'Must be less than 10 character(s).'],
    [{ pattern: '\\d' }, 'nodigits', { isNew: true }, 'validation_invalid_format', 'Invalid value format.'],
    [{ pattern: '\\d' }, 'has1digit', { isNew: true }, undefined, undefined],
  ])('%j with %j -> %s', (options, plain, ctx, code, message) => {
    const err = passwordField.validate(field('password', options), plain, ctx);
    expect(err?.code).toBe(code);
    expect(err?.message).toBe(message);
    expect(err?.params).toBeUndefined();
  });

  test.each<[Record<string, unknown>, string | undefined, string | undefined]>([
    [{ min: 8, cost: 10 }, undefined, undefined],
    [{ min: 72 }, 'min', 'Must be no greater than 71.'],
    [{ min: 10, max: 5 }, 'max', 'Must be no less than 10.'],
    [{ cost: 3 }, 'cost', 'Must be no less than 4.'],
    [{ cost: 32 }, 'cost', 'Must be no greater than 31.'],
    [{ pattern: '[' }, 'pattern', undefined],
  ])('options %j -> %s', (options, key, message) => {
    const f = field('password', options);
    const errors = passwordField.validateOptions(f, optionsCtx(f));
    if (!key) expect(errors).toBeUndefined();
    else expect(errors?.[key]).toMatchObject(message ? { message } : { code: 'validation_invalid_regex' });
  });

  test('cost 0 means bcrypt default 10', () => {
    expect(passwordCost(field('password'))).toBe(10);
    expect(passwordCost(field('password', { cost: 12 }))).toBe(12);
    expect(passwordField.validate(field('password'), 'anything', created)).toBeUndefined();
  });
});
