import { describe, expect, test } from 'vitest';
import { fileField, fileNamesToDelete, validateUpload } from './file.ts';
import { created, field, optionsCtx } from './test-support.ts';

const one = field('file', { maxSelect: 1 });
const many = field('file', { maxSelect: 3 });

describe('file values (names only)', () => {
  test.each<[unknown, string, string[]]>([
    ['a.txt', 'a.txt', ['a.txt']],
    [['a.txt', 'b.txt', 'a.txt'], 'b.txt', ['a.txt', 'b.txt']],
    ['["a.txt","b.txt"]', 'b.txt', ['a.txt', 'b.txt']],
    [['a.txt', '["x","y"]'], 'a.txt', ['a.txt']], // a nested item counts only if it is one name
    ['', '', []],
    [null, '', []],
  ])('normalize %j -> single %j, multi %j', (raw, single, multi) => {
    expect(fileField.normalize(one, raw)).toEqual(single);
    expect(fileField.normalize(many, raw)).toEqual(multi);
  });

  test('round trip', () => {
    expect(fileField.encode(many, ['a.txt'])).toBe('["a.txt"]');
    expect(fileField.encode(one, 'a.txt')).toBe('a.txt');
    expect(fileField.decode(many, '["a.txt","b.txt"]')).toEqual(['a.txt', 'b.txt']);
    expect(fileField.decode(many, 'legacy.txt')).toEqual(['legacy.txt']);
    expect(fileField.decode(one, '')).toBe('');
  });

  test.each<['append' | 'prepend' | 'subtract', string[], unknown, string[]]>([
    ['append', ['a'], 'b', ['a', 'b']],
    ['prepend', ['a'], ['b', 'c'], ['b', 'c', 'a']],
    ['subtract', ['a', 'b'], 'a', ['b']],
    ['subtract', ['a', 'b'], ['a', 'b'], []],
  ])('%s %j with %j -> %j', (modifier, current, raw, out) => {
    expect(fileField.applyModifier!(many, current, modifier, raw)).toEqual(out);
  });

  test('names to delete after a write', () => {
    expect(fileNamesToDelete(['a', 'b', 'c'], ['b'])).toEqual(['a', 'c']);
    expect(fileNamesToDelete('a', '')).toEqual(['a']);
  });
});

describe('file validate', () => {
  test.each<[Record<string, unknown>, unknown, { original?: unknown; uploaded?: string[] }, string | undefined, string | undefined]>([
    [{}, '', {}, undefined, undefined],
    [{ required: true }, '', {}, 'validation_required', 'Cannot be blank.'],
    [{ maxSelect: 3 }, ['a', 'b'], { original: ['a', 'b', 'c'] }, undefined, undefined],
    [{ maxSelect: 3 }, ['a', 'new'], { original: ['a'], uploaded: ['new'] }, undefined, undefined],
    [{ maxSelect: 3 }, ['a', 'x', 'y'], { original: ['a'] }, 'validation_invalid_file', 'Invalid new files: [x y].'],
    [{ maxSelect: 2 }, ['a', 'b', 'c'], { original: ['a', 'b', 'c'] }, 'validation_too_many_files', 'The maximum allowed files is 2.'],
    [{ maxSelect: 0 }, ['a', 'b'], { original: ['a', 'b'] }, 'validation_too_many_files', 'The maximum allowed files is 1.'],
    [{ maxSelect: 3, maxSize: 5 }, ['a', 'big'], { original: ['a'], uploaded: ['big'] }, 'validation_file_size_limit', 'Failed to upload big.txt - the maximum allowed file size is 5 bytes.'],
  ])('%j with %j (%j) -> %s', (options, value, ctx, code, message) => {
    // Uploads of 10 bytes, named by the test.
    const uploaded = ctx.uploaded?.map((name) => ({ name, originalName: `${name}.txt`, size: 10, mimeType: 'text/plain' }));
    const err = fileField.validate(field('file', options), value as string, { isNew: false, original: ctx.original, uploaded });
    expect(err?.code).toBe(code);
    expect(err?.message).toBe(message);
  });

  test('invalid files are listed in params', () => {
    expect(fileField.validate(one, 'x.txt', created)?.params).toEqual({ invalidFiles: ['x.txt'] });
  });
});

describe('validateUpload', () => {
  const images = field('file', { maxSize: 100, mimeTypes: ['image/png', 'image/jpeg'] });
  test.each<[Parameters<typeof validateUpload>[1], string | undefined, string | undefined]>([
    [{ name: 'a_x1.png', originalName: 'a.png', size: 10, mimeType: 'image/png' }, undefined, undefined],
    [{ name: 'a_x1.png', originalName: 'a.png', size: 10, mimeType: 'IMAGE/PNG; charset=binary' }, undefined, undefined],
    [
      { name: 'a_x1.png', originalName: 'a.png', size: 101, mimeType: 'image/png' },
      'validation_file_size_limit',
      'Failed to upload a.png - the maximum allowed file size is 100 bytes.',
    ],
    [
      { name: 'a_x1.gif', originalName: 'a.gif', size: 10, mimeType: 'image/gif' },
      'validation_invalid_mime_type',
      '"a_x1.gif" mime type must be one of: image/png, image/jpeg.',
    ],
    [
      { name: 'a_x1.bin', originalName: 'a.bin', size: 10 },
      'validation_invalid_mime_type',
      'Failed to upload "a.bin" due to unsupported file type.',
    ],
    [{ name: '.hidden', originalName: '.hidden', size: 1, mimeType: 'image/png' }, 'validation_match_invalid', 'Must be in a valid format.'],
    [{ name: `${'n'.repeat(151)}`, originalName: 'n', size: 1, mimeType: 'image/png' }, 'validation_length_out_of_range', 'The length must be between 1 and 150.'],
  ])('%j -> %s', (upload, code, message) => {
    const err = validateUpload(images, upload);
    expect(err?.code).toBe(code);
    expect(err?.message).toBe(message);
  });

  test('no mimeTypes: any type; default max size 5 MiB', () => {
    expect(validateUpload(many, { name: 'a.bin', originalName: 'a.bin', size: 5 << 20 })).toBeUndefined();
    expect(validateUpload(many, { name: 'a.bin', originalName: 'a.bin', size: (5 << 20) + 1 })?.code).toBe('validation_file_size_limit');
  });
});

describe('file validateOptions', () => {
  test.each<[Record<string, unknown>, Record<string, unknown> | undefined]>([
    [{ thumbs: ['100x100', '0x50', '70x50t'] }, undefined],
    [
      { thumbs: ['100x100', '0x0', 'big'] },
      {
        thumbs: {
          1: { code: 'validation_not_in_invalid', message: 'Must not be in list.' },
          2: { code: 'validation_match_invalid', message: 'Must be in a valid format.' },
        },
      },
    ],
    [{ maxSize: -1 }, { maxSize: { code: 'validation_min_greater_equal_than_required', message: 'Must be no less than 0.', params: { threshold: 0 } } }],
    [{ maxSelect: -1 }, { maxSelect: { code: 'validation_min_greater_equal_than_required', message: 'Must be no less than 0.', params: { threshold: 0 } } }],
  ])('%j', (options, errors) => {
    const f = field('file', options);
    expect(fileField.validateOptions(f, optionsCtx(f))).toEqual(errors);
  });
});
