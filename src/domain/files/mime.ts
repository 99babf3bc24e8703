/**
 * Content types of uploads, detected from their first bytes as PocketBase does (with the Go
 * mimetype library), for the common formats: the type stored with a file, checked against a
 * field's `mimeTypes` (where the library's other names for a type count too, `mimeTypeAliases`),
 * and the extension of a file uploaded without one. Anything not recognised is
 * `application/octet-stream`, or `text/plain; charset=utf-8` for UTF-8 text.
 */
import { isSeparatedValues } from './separated-values.ts';

/** How much of a file detection reads (the Go library's default). */
export const SNIFF_BYTES = 3072;

export const OCTET_STREAM = 'application/octet-stream';

const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/png': '.png', 'image/jpeg': '.jpg', 'image/gif': '.gif', 'image/webp': '.webp', 'image/bmp': '.bmp',
  'image/x-icon': '.ico', 'image/tiff': '.tiff', 'image/avif': '.avif', 'image/heic': '.heic', 'image/svg+xml': '.svg',
  'application/pdf': '.pdf', 'application/zip': '.zip', 'application/gzip': '.gz', 'application/x-7z-compressed': '.7z',
  'application/x-rar-compressed': '.rar', 'application/json': '.json', 'application/wasm': '.wasm',
  'application/x-tar': '.tar', 'application/x-bzip2': '.bz2', 'application/x-xz': '.xz',
  'application/msword': '.doc', 'application/vnd.ms-excel': '.xls', 'application/vnd.ms-powerpoint': '.ppt',
  'application/x-ms-installer': '.msi', 'application/vnd.ms-outlook': '.msg', 'application/vnd.ms-publisher': '.pub',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': '.docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': '.xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': '.pptx',
  'video/mp4': '.mp4', 'video/quicktime': '.mov', 'video/webm': '.webm', 'video/x-matroska': '.mkv', 'video/3gpp': '.3gp',
  'video/x-msvideo': '.avi', 'audio/mpeg': '.mp3', 'audio/wav': '.wav', 'audio/ogg': '.ogg', 'audio/flac': '.flac',
  'audio/x-m4a': '.m4a', 'text/plain': '.txt', 'text/html': '.html', 'text/xml': '.xml', 'text/rtf': '.rtf',
  'text/csv': '.csv', 'text/tab-separated-values': '.tsv',
};

/**
 * The other names the library knows a detected type by, which its `Is` (PocketBase's check of a
 * field's `mimeTypes`) accepts as well: a field allowing `application/x-gzip` takes a gzip file.
 */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  'application/gzip': ['application/x-gzip', 'application/x-gunzip', 'application/gzipped', 'application/gzip-compressed', 'application/x-gzip-compressed', 'gzip/document'],
  'application/zip': ['application/x-zip', 'application/x-zip-compressed'],
  'application/pdf': ['application/x-pdf'],
  'application/x-rar-compressed': ['application/x-rar'],
  'application/msword': ['application/vnd.ms-word'],
  'application/vnd.ms-excel': ['application/msexcel'],
  'application/vnd.ms-powerpoint': ['application/mspowerpoint'],
  'application/x-ms-installer': ['application/x-windows-installer', 'application/x-msi'],
  'text/rtf': ['application/rtf'],
  'text/xml': ['application/xml'],
  'image/bmp': ['image/x-bmp', 'image/x-ms-bmp'],
  'audio/mpeg': ['audio/x-mpeg', 'audio/mp3'],
  'audio/wav': ['audio/x-wav', 'audio/vnd.wave', 'audio/wave'],
  'video/webm': ['audio/webm'],
  'video/3gpp': ['video/3gp', 'audio/3gpp'],
  'video/x-msvideo': ['video/avi', 'video/msvideo'],
};

const startsWith = (b: Buffer, bytes: readonly number[], at = 0): boolean => bytes.every((v, i) => b[at + i] === v);
const ascii = (b: Buffer, from: number, to: number): string => b.toString('latin1', from, to);

/** The ISO base media brands (the `ftyp` box) and what they mean. */
function isoMedia(b: Buffer): string | undefined {
  if (b.length < 12 || ascii(b, 4, 8) !== 'ftyp') return undefined;
  const brand = ascii(b, 8, 12);
  if (brand === 'avif' || brand === 'avis') return 'image/avif';
  if (['heic', 'heix', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return 'image/heic';
  if (brand === 'qt  ') return 'video/quicktime';
  if (brand === 'M4A ' || brand === 'M4B ') return 'audio/x-m4a';
  if (brand.startsWith('3g')) return 'video/3gpp';
  return 'video/mp4';
}

/** Office Open XML documents are zip files whose first entries name their part folders. */
function zipType(b: Buffer): string {
  const head = ascii(b, 0, b.length);
  if (head.includes('word/')) return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  if (head.includes('xl/')) return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  if (head.includes('ppt/')) return 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
  return 'application/zip';
}

const OLE_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** Office 97-2003 documents and other compound files, by the class id of their root storage. */
const OLE_CLASSES: ReadonlyArray<readonly [type: string, classIdPrefixes: readonly string[]]> = [
  ['application/x-ms-installer', ['84100c0000000000c000000000000046']],
  ['application/vnd.ms-outlook', ['0b0d020000000000c000000000000046']],
  ['application/vnd.ms-excel', ['1008020000000000', '2008020000000000']],
  ['application/vnd.ms-publisher', ['0112020000000000c000000000000046']],
  ['application/vnd.ms-powerpoint', ['108d81649b4fcf1186ea00aa00b929e8', '70ae7bea3bfbcd11a90300aa00510ea3']],
  ['application/msword', ['0609020000000000c000000000000046', '0009020000000000c000000000000046', '0709020000000000c000000000000046']],
];

/**
 * A compound file's type: the root directory entry (in the sector the header names, 512 or 4096
 * bytes long by the format's version) holds a class id at byte 80. Excel and PowerPoint often
 * write theirs at the end of the file, so the start of their first stream is recognised too.
 */
function oleType(b: Buffer): string {
  const sectorSize = b[26] === 0x04 && b[27] === 0x00 ? 4096 : 512;
  if (b.length >= 512) {
    const classAt = sectorSize * (1 + b.readUInt32LE(48)) + 80;
    if (classAt + 16 < b.length) {
      const classId = b.toString('hex', classAt, classAt + 16);
      for (const [type, prefixes] of OLE_CLASSES) if (prefixes.some((p) => classId.startsWith(p))) return type;
    }
  }
  if (b.length >= 520) {
    const stream = b.subarray(512);
    const streamStart = (...bytes: number[]) => startsWith(stream, bytes);
    if (streamStart(0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00) || [0x10, 0x1f, 0x22, 0x23, 0x28, 0x29].some((v) => streamStart(0xfd, 0xff, 0xff, 0xff, v))) {
      return 'application/vnd.ms-excel';
    }
    if (streamStart(0xa0, 0x46, 0x1d, 0xf0) || streamStart(0x00, 0x6e, 0x1e, 0xf0) || streamStart(0x0f, 0x00, 0xe8, 0x03)) return 'application/vnd.ms-powerpoint';
    if (streamStart(0xfd, 0xff, 0xff, 0xff) && b[518] === 0 && b[519] === 0) return 'application/vnd.ms-powerpoint';
  }
  if (b.length > 1152) {
    const names = b.toString('utf16le', 1152, Math.min(4096, b.length) & ~1);
    if (names.includes('WksSSWorkBook')) return 'application/vnd.ms-excel';
    if (names.includes('PowerPoint Document')) return 'application/vnd.ms-powerpoint';
  }
  return 'application/x-ole-storage';
}

/**
 * A tar archive's first 512-byte header, by its checksum: the octal number at 148..155 equals
 * the sum of the header's bytes with that field counted as spaces (unsigned, or signed as old
 * Sun tar summed them). Holds for ustar and for pre-POSIX (v7) archives alike.
 */
function isTarHeader(b: Buffer): boolean {
  if (b.length < 512) return false;
  // Gentoo's binary packages (GLEP 78) are tar files of their own type.
  if (ascii(b, 0, 100).includes('/gpkg-1\0')) return false;
  const field = ascii(b, 148, 156).replace(/^[ \0]+|[ \0]+$/g, '').split('\0')[0];
  if (!/^[0-7]+$/.test(field)) return false;
  const recorded = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += c;
    signed += c < 0x80 ? c : c - 0x100;
  }
  return recorded === unsigned || recorded === signed;
}

function binaryType(b: Buffer): string | undefined {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') return 'image/gif';
  // Before the signatures a first member's name could spell (BM, BZh, ID3…), as the library orders them.
  if (isTarHeader(b)) return 'application/x-tar';
  if (ascii(b, 0, 4) === 'RIFF') {
    const kind = ascii(b, 8, 12);
    if (kind === 'WEBP') return 'image/webp';
    if (kind === 'WAVE') return 'audio/wav';
    if (kind === 'AVI ') return 'video/x-msvideo';
  }
  if (ascii(b, 0, 2) === 'BM' && b.length >= 14) return 'image/bmp';
  if (startsWith(b, [0x00, 0x00, 0x01, 0x00])) return 'image/x-icon';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  if (ascii(b, 0, 5) === '%PDF-') return 'application/pdf';
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return zipType(b);
  if (startsWith(b, [0x1f, 0x8b])) return 'application/gzip';
  if (startsWith(b, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return 'application/x-7z-compressed';
  if (startsWith(b, OLE_SIGNATURE)) return oleType(b);
  if (ascii(b, 0, 3) === 'BZh') return 'application/x-bzip2';
  if (startsWith(b, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'application/x-xz';
  if (ascii(b, 0, 4) === 'Rar!') return 'application/x-rar-compressed';
  if (startsWith(b, [0x00, 0x61, 0x73, 0x6d])) return 'application/wasm';
  if (ascii(b, 0, 4) === 'OggS') return 'audio/ogg';
  if (ascii(b, 0, 4) === 'fLaC') return 'audio/flac';
  if (ascii(b, 0, 3) === 'ID3' || (b[0] === 0xff && b.length > 1 && (b[1] & 0xe0) === 0xe0 && (b[1] & 0x06) !== 0)) return 'audio/mpeg';
  if (startsWith(b, [0x1a, 0x45, 0xdf, 0xa3])) return ascii(b, 0, b.length).includes('webm') ? 'video/webm' : 'video/x-matroska';
  return isoMedia(b);
}

/** Control bytes that never appear in text (the Go library's rule). */
const isBinaryByte = (c: number): boolean => c <= 0x08 || c === 0x0b || (c >= 0x0e && c <= 0x1a) || (c >= 0x1c && c <= 0x1f);

const HTML_START = /^<(!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--)[\s>]/i;

const SVG_NAMESPACE = 'http://www.w3.org/2000/svg';

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';

/**
 * The attributes of the tag whose name ends at `from`, as `[name, value]` (value '' when it has
 * none), up to the tag's end; a quoted value left open ends the list.
 */
function* tagAttributes(text: string, from: number): Generator<[string, string]> {
  let i = from;
  for (;;) {
    while (isSpace(text[i]) || text[i] === '/') i++;
    if (i >= text.length || text[i] === '>') return;
    const nameStart = i;
    while (i < text.length && !isSpace(text[i]) && text[i] !== '=' && text[i] !== '/' && text[i] !== '>') i++;
    const name = text.slice(nameStart, i);
    while (isSpace(text[i])) i++;
    if (text[i] !== '=') {
      yield [name, ''];
      continue;
    }
    i++;
    while (isSpace(text[i])) i++;
    const quote = text[i];
    if (quote === '"' || quote === "'") {
      const end = text.indexOf(quote, i + 1);
      if (end < 0) return;
      yield [name, text.slice(i + 1, end)];
      i = end + 1;
    } else {
      const valueStart = i;
      while (i < text.length && !isSpace(text[i]) && text[i] !== '>') i++;
      yield [name, text.slice(valueStart, i)];
    }
  }
}

/**
 * SVG as the library tells it, before HTML (an SVG opening with a comment is no HTML page): after
 * leading whitespace either an XML declaration with a version and `<svg` further on, or `<svg`
 * with the SVG namespace as its `xmlns`, straight after any comments. (The library skips no
 * whitespace after a comment: `<!-- x -->\n<svg …` is HTML to PocketBase, and so to Baton.)
 */
function isSvg(text: string): boolean {
  let i = 0;
  while (isSpace(text[i])) i++;
  if (text.startsWith('<?xml', i)) {
    for (const [name] of tagAttributes(text, i + 5)) if (name === 'version') return text.includes('<svg', i);
    return false;
  }
  while (text.startsWith('<!--', i)) {
    const end = text.indexOf('-->', i + 2);
    if (end < 0) break;
    i = end + 3;
  }
  if (!text.startsWith('<svg', i)) return false;
  for (const [name, value] of tagAttributes(text, i + 4)) if (name === 'xmlns' && value === SVG_NAMESPACE) return true;
  return false;
}

function textType(b: Buffer): string | undefined {
  for (const c of b) if (isBinaryByte(c)) return undefined;
  let text: string;
  const truncated = b.length >= SNIFF_BYTES;
  try {
    // `fatal` refuses bytes that are not UTF-8; a sample cut inside a character is fine.
    text = new TextDecoder('utf-8', { fatal: true }).decode(truncated ? trimPartialChar(b) : b);
  } catch {
    return undefined;
  }
  // The library's order: SVG, HTML, XML, JSON, RTF, then comma- and tab-separated values.
  if (isSvg(text)) return 'image/svg+xml';
  const start = text.replace(/^\uFEFF/, '').replace(/^[ \t\n\r\f]+/, '');
  if (HTML_START.test(start)) return 'text/html; charset=utf-8';
  if (/^<\?xml[\s>]/i.test(start)) return 'text/xml; charset=utf-8';
  if ((start.startsWith('{') || start.startsWith('[')) && !truncated) {
    try {
      JSON.parse(start);
      return 'application/json';
    } catch {
      /* plain text */
    }
  }
  if (text.startsWith('{\\rtf')) return 'text/rtf';
  if (isSeparatedValues(text, ',', truncated)) return 'text/csv';
  if (isSeparatedValues(text, '\t', truncated)) return 'text/tab-separated-values';
  return 'text/plain; charset=utf-8';
}

/** The sample without a UTF-8 sequence cut off at its end. */
function trimPartialChar(b: Buffer): Buffer {
  let end = b.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const c = b[end - back];
    if ((c & 0xc0) === 0x80) continue;
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (need > back) end -= back;
    break;
  }
  return b.subarray(0, end);
}

/** The content type of a file whose first bytes (up to SNIFF_BYTES) are `head`. */
export function detectMimeType(head: Buffer): string {
  if (head.length === 0) return 'text/plain; charset=utf-8';
  return binaryType(head) ?? textType(head) ?? OCTET_STREAM;
}

const baseType = (mimeType: string): string => mimeType.split(';')[0].trim().toLowerCase();

/** The extension (with its dot) for a detected type; '' when there is none. */
export function extensionFor(mimeType: string): string {
  return EXTENSIONS[baseType(mimeType)] ?? '';
}

/** The other names a detected type answers to in a field's `mimeTypes` (none for most). */
export function mimeTypeAliases(mimeType: string): readonly string[] {
  return ALIASES[baseType(mimeType)] ?? [];
}
