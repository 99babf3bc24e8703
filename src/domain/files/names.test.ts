import { describe, expect, it } from 'vitest';
import { detectMimeType, extensionFor } from './mime.ts';
import { uploadName } from './names.ts';

describe('uploadName (PocketBase normalizeName)', () => {
  it.each([
    ['test.txt', 'text/plain', /^test_[a-z0-9]{10}\.txt$/],
    ['image_!@ special', 'text/plain; charset=utf-8', /^image_special_[a-z0-9]{10}\.txt$/],
    ['myTestDB.Tar.GZ', 'application/gzip', /^my_test_db_[a-z0-9]{10}\.Tar\.GZ$/],
    ['a.b.c.d.png', 'image/png', /^a_b_c_[a-z0-9]{10}\.d\.png$/],
    ['.hidden', 'text/plain', /^[a-z0-9]{10}_[a-z0-9]{10}\.hidden$/],
    ['x', 'image/png', /^x[a-z0-9]{10}_[a-z0-9]{10}\.png$/],
    ['no_ext', 'application/octet-stream', /^no_ext_[a-z0-9]{10}$/],
    ['été été.jpg', 'image/jpeg', /^t_t_[a-z0-9]{10}\.jpg$/],
    ['bad.ext$%^', 'text/plain', /^bad_[a-z0-9]{10}\.ext$/],
  ])('%s', (name, type, pattern) => {
    expect(uploadName(name, type)).toMatch(pattern);
  });

  it('keeps at most 100 name characters and a 20 character extension', () => {
    const name = uploadName(`${'a'.repeat(150)}.${'e'.repeat(30)}`, 'text/plain');
    expect(name).toMatch(/^a{100}_[a-z0-9]{10}\.e{20}$/);
  });
});

describe('detectMimeType', () => {
  it.each([
    [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0], 'image/png'],
    [[0xff, 0xd8, 0xff, 0xe0], 'image/jpeg'],
    ['GIF89a....', 'image/gif'],
    ['RIFF\0\0\0\0WEBPVP8 ', 'image/webp'],
    ['%PDF-1.7\n', 'application/pdf'],
    ['hello world\n', 'text/plain; charset=utf-8'],
    ['<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', 'image/svg+xml'],
    ['<svg xmlns="http://www.w3.org/2000/svg"></svg>', 'image/svg+xml'],
    ['<!DOCTYPE html><html></html>', 'text/html; charset=utf-8'],
    ['{"a": 1}', 'application/json'],
    [[0x00, 0x01, 0x02, 0x03, 0x10], 'application/octet-stream'],
    [[0xc3, 0x28, 0x41], 'application/octet-stream'],
    ['\0\0\0\x18ftypmp42', 'video/mp4'],
  ])('%j -> %s', (bytes, type) => {
    expect(detectMimeType(Buffer.from(bytes as never))).toBe(type);
    expect(extensionFor(type)).toMatch(/^(\.\w+)?$/);
  });
});
