import { describe, expect, it } from 'vitest';
import { contentDisposition, parseRange } from './serve-file.ts';

describe('parseRange (Go http.ServeContent rules)', () => {
  it.each([
    [undefined, { kind: 'none' }],
    ['bytes=0-9', { kind: 'ranges', ranges: [{ start: 0, end: 9 }] }],
    ['bytes=5-', { kind: 'ranges', ranges: [{ start: 5, end: 99 }] }],
    ['bytes=-10', { kind: 'ranges', ranges: [{ start: 90, end: 99 }] }],
    ['bytes=-1000', { kind: 'ranges', ranges: [{ start: 0, end: 99 }] }],
    ['bytes=90-1000', { kind: 'ranges', ranges: [{ start: 90, end: 99 }] }],
    ['bytes= 0-1 , 5-6 ,', { kind: 'ranges', ranges: [{ start: 0, end: 1 }, { start: 5, end: 6 }] }],
    ['bytes=100-', { kind: 'invalid', noOverlap: true }],
    ['bytes=100-200, 0-1', { kind: 'ranges', ranges: [{ start: 0, end: 1 }] }],
    ['bytes=-0', { kind: 'invalid', noOverlap: true }],
    ['bytes=5-1', { kind: 'invalid', noOverlap: false }],
    ['bytes=a-b', { kind: 'invalid', noOverlap: false }],
    ['bytes=5', { kind: 'invalid', noOverlap: false }],
    ['items=0-1', { kind: 'invalid', noOverlap: false }],
    ['bytes=', { kind: 'none' }],
  ])('%s of 100 bytes', (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected);
  });
});

describe('contentDisposition', () => {
  it("writes PocketBase's plain form for plain names, a quoted UTF-8 form otherwise", () => {
    expect(contentDisposition('inline', 'a_b-1.png')).toBe('inline; filename=a_b-1.png');
    expect(contentDisposition('attachment', 'my "file".txt')).toBe(`attachment; filename="my _file_.txt"; filename*=UTF-8''my%20%22file%22.txt`);
    expect(contentDisposition('attachment', 'été.txt')).toBe(`attachment; filename="_t_.txt"; filename*=UTF-8''%C3%A9t%C3%A9.txt`);
  });
});
