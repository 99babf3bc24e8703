import { describe, expect, test } from 'vitest';
import { editorField } from './editor.ts';
import { created, field, optionsCtx } from './test-support.ts';

describe('editor', () => {
  test('stores HTML as given', () => {
    const f = field('editor');
    expect(editorField.normalize(f, ' <p>hi</p> ')).toBe(' <p>hi</p> ');
    expect(editorField.decode(f, editorField.encode(f, '<b>x</b>'))).toBe('<b>x</b>');
  });

  test.each<[Record<string, unknown>, string, string | undefined, string | undefined, unknown]>([
    [{}, '', undefined, undefined, undefined],
    [{ required: true }, '', 'validation_required', 'Cannot be blank.', undefined],
    [{ maxSize: 4 }, 'abcd', undefined, undefined, undefined],
    [{ maxSize: 4 }, 'abcde', 'validation_content_size_limit', 'The maximum allowed content size is 4 bytes.', { maxSize: 4 }],
    [{ maxSize: 4 }, 'ééé', 'validation_content_size_limit', 'The maximum allowed content size is 4 bytes.', { maxSize: 4 }],
    [{}, 'x'.repeat((5 << 20) + 1), 'validation_content_size_limit', 'The maximum allowed content size is 5242880 bytes.', { maxSize: 5242880 }],
  ])('%j with %#-th value -> %s', (options, value, code, message, params) => {
    const err = editorField.validate(field('editor', options), value, created);
    expect(err?.code).toBe(code);
    expect(err?.message).toBe(message);
    expect(err?.params).toEqual(params);
  });

  test('maxSize option must not be negative', () => {
    const f = field('editor', { maxSize: -1 });
    expect(editorField.validateOptions(f, optionsCtx(f))?.maxSize).toMatchObject({ code: 'validation_min_greater_equal_than_required' });
  });
});
