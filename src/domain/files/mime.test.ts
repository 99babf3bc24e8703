// Content-type detection of formats PocketBase's detection library (Go's mimetype) recognises,
// from real file bytes built here: archives (tar, bzip2, xz, 7z), Office 97-2003 compound files,
// RTF, comma- and tab-separated values, and SVG that opens with a comment.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tarOf } from '../../../test/support/files.ts';
import { detectMimeType, extensionFor, mimeTypeAliases, SNIFF_BYTES } from './mime.ts';

/**
 * A compound file (OLE2, version 3: 512-byte sectors) whose root directory entry, in sector
 * `directorySector`, carries `classId` (as the bytes stand in the file, hex).
 */
function compoundFile(classId: string, directorySector = 0): Buffer {
  const file = Buffer.alloc(512 * (directorySector + 3));
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(file, 0);
  file.writeUInt16LE(0x3e, 24); // minor version
  file.writeUInt16LE(0x03, 26); // major version 3
  file.writeUInt16LE(0xfffe, 28); // little-endian
  file.writeUInt16LE(9, 30); // 2^9 = 512-byte sectors
  file.writeUInt32LE(directorySector, 48);
  const entry = 512 * (1 + directorySector);
  file.write('Root Entry', entry, 'utf16le');
  file.writeUInt16LE(22, entry + 64);
  file[entry + 66] = 5; // root storage
  Buffer.from(classId, 'hex').copy(file, entry + 80);
  return file;
}

const detect = (bytes: Buffer | string) => detectMimeType(Buffer.from(bytes).subarray(0, SNIFF_BYTES));

describe('detectMimeType: formats PocketBase recognises', () => {
  it('tar, by the header checksum (ustar and pre-POSIX); .tar', () => {
    expect(detect(tarOf('notes.txt', 'hello\n'))).toBe('application/x-tar');
    expect(detect(tarOf('old.txt', 'v7', { ustar: false }))).toBe('application/x-tar');
    // A first member named like another format's signature is still a tar file.
    expect(detect(tarOf('BMP picture.bmp', 'x'))).toBe('application/x-tar');
    expect(extensionFor('application/x-tar')).toBe('.tar');
    // A header whose checksum does not add up is not.
    const damaged = tarOf('notes.txt', 'hello\n');
    damaged[0] ^= 1;
    expect(detect(damaged)).not.toBe('application/x-tar');
  });

  it('bzip2, xz and 7z by their signatures, gzip as before', () => {
    // The first bytes of `bzip2`, `xz` and `7z` output (stream headers).
    expect(detect(Buffer.from('425a683931415926535962c1b5d5000001', 'hex'))).toBe('application/x-bzip2');
    expect(detect(Buffer.from('fd377a585a000004e6d6b4460200210116000000742fe5a3', 'hex'))).toBe('application/x-xz');
    expect(detect(Buffer.from('377abcaf271c0004', 'hex'))).toBe('application/x-7z-compressed');
    expect(detect(gzipSync('hello'))).toBe('application/gzip');
    expect([extensionFor('application/x-bzip2'), extensionFor('application/x-xz'), extensionFor('application/x-7z-compressed')]).toEqual(['.bz2', '.xz', '.7z']);
  });

  it.each([
    ['0609020000000000c000000000000046', 'application/msword', '.doc'],
    ['1008020000000000c000000000000046', 'application/vnd.ms-excel', '.xls'],
    ['108d81649b4fcf1186ea00aa00b929e8', 'application/vnd.ms-powerpoint', '.ppt'],
    ['84100c0000000000c000000000000046', 'application/x-ms-installer', '.msi'],
    ['0b0d020000000000c000000000000046', 'application/vnd.ms-outlook', '.msg'],
    ['00000000000000000000000000000000', 'application/x-ole-storage', ''],
  ])('a compound file of class %s is %s', (classId, type, ext) => {
    expect(detect(compoundFile(classId))).toBe(type);
    expect(detect(compoundFile(classId, 2))).toBe(type);
    expect(extensionFor(type)).toBe(ext);
  });

  it('RTF; .rtf', () => {
    expect(detect('{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0 Hello, world.\\par}\n')).toBe('text/rtf');
    expect(extensionFor('text/rtf')).toBe('.rtf');
  });

  it.each([
    ['name,age\nann,3\nbob,4\n', 'text/csv'],
    ['name,age\r\nann,3\r\nbob,4', 'text/csv'],
    ['# exported\nid,"note, quoted",n\n1,"two\nlines, with ""quotes""",3\n\n2,x,4\n', 'text/csv'],
    ['name\tage\nann\t3\n', 'text/tab-separated-values'],
    // One row is not enough, nor rows of one field, nor rows that disagree.
    ['name,age\n', 'text/plain; charset=utf-8'],
    ['one\ntwo\nthree\n', 'text/plain; charset=utf-8'],
    ['a,b\nc,d,e\n', 'text/plain; charset=utf-8'],
    // JSON and HTML come first.
    ['[1,2]', 'application/json'],
    ['<p>a,b</p>\nc,d\n', 'text/html; charset=utf-8'],
  ])('separated values: %j is %s', (text, type) => {
    expect(detect(text)).toBe(type);
  });

  it('separated values in a sample cut short: the cut line is left out, ten rows decide', () => {
    const rows = ['id,name,score', ...Array.from({ length: 400 }, (_, i) => `${i},name ${i},${i * 7}`)].join('\n');
    expect(Buffer.byteLength(rows)).toBeGreaterThan(SNIFF_BYTES);
    expect(detect(rows)).toBe('text/csv');
    // Past the tenth row nothing more is looked at.
    expect(detect(`${'a,b\n'.repeat(10)}a,b,c\n`)).toBe('text/csv');
    expect(extensionFor('text/csv')).toBe('.csv');
    expect(extensionFor('text/tab-separated-values')).toBe('.tsv');
  });

  it('SVG opening with comments, before the HTML test; an <svg> without the SVG namespace is no SVG', () => {
    const svg = '<svg width="24" height="24" viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"><path d="M0 0h24v24H0z"/></svg>\n';
    expect(detect(`<!-- Generator: Sketch --><svg xmlns="http://www.w3.org/2000/svg" width="10"/>`)).toBe('image/svg+xml');
    expect(detect(`  <!-- a --><!-- b -->${svg}`)).toBe('image/svg+xml');
    expect(detect(`<?xml version="1.0" encoding="UTF-8"?>\n<!-- Generator: Sketch -->\n${svg}`)).toBe('image/svg+xml');
    expect(detect(`<svg xmlns='http://www.w3.org/2000/svg'/>`)).toBe('image/svg+xml');
    // As the library: no whitespace is skipped after a comment, so this is HTML to PocketBase too.
    expect(detect(`<!-- Generator: Sketch -->\n${svg}`)).toBe('text/html; charset=utf-8');
    expect(detect('<svg width="1"></svg>')).toBe('text/plain; charset=utf-8');
    expect(detect('<?xml version="1.0"?><note>a</note>')).toBe('text/xml; charset=utf-8');
  });
});

describe('mimeTypeAliases', () => {
  it.each([
    ['application/gzip', 'application/x-gzip'],
    ['application/zip', 'application/x-zip-compressed'],
    ['text/rtf', 'application/rtf'],
    ['text/xml; charset=utf-8', 'application/xml'],
    ['audio/wav', 'audio/x-wav'],
  ])('%s answers to %s', (type, alias) => {
    expect(mimeTypeAliases(type)).toContain(alias);
  });

  it('has none for most types', () => {
    expect(mimeTypeAliases('text/csv')).toEqual([]);
    expect(mimeTypeAliases('application/x-tar')).toEqual([]);
  });
});
