import { describe, expect, test } from 'vitest';
import { boolField } from './bool.ts';
import { normalizeValue } from './registry.ts';
import { created, field } from './test-support.ts';

describe('bool', () => {
  test.each<[unknown, boolean]>([
    [true, true],
    ['true', true],
    ['1', true],
    [1, true],
    ['t', true],
    ['on', false], // PocketBase's ParseBool does not know "on"
    ['false', false],
    ['', false],
    [null, false],
  ])('normalize %j -> %s', (raw, out) => expect(boolField.normalize(field('bool'), raw)).toBe(out));

  test('multipart strings read the same way', () => {
    expect(normalizeValue(field('bool'), 'true', { source: 'form' })).toBe(true);
    expect(normalizeValue(field('bool'), '0', { source: 'form' })).toBe(false);
  });

  test('decode 0/1 from SQLite; encode keeps a boolean for the SQL layer', () => {
    const f = field('bool');
    expect(boolField.decode(f, 1)).toBe(true);
    expect(boolField.decode(f, 0)).toBe(false);
    expect(boolField.decode(f, null)).toBe(false);
    expect(boolField.encode(f, true)).toBe(true);
  });

  test('required means true', () => {
    expect(boolField.validate(field('bool', { required: true }), false, created)).toEqual({ code: 'validation_required', message: 'Cannot be blank.' });
    expect(boolField.validate(field('bool', { required: true }), true, created)).toBeUndefined();
    expect(boolField.validate(field('bool'), false, created)).toBeUndefined();
  });
});
