/**
 * Content types of uploads, detected from their first bytes as PocketBase does (with the Go
 * mimetype library), for the common formats: the type stored with a file, checked against a
 * field's `mimeTypes`, and the extension of a file uploaded without one. Anything not recognised
 * is `application/octet-stream`, or `text/plain; charset=utf-8` for UTF-8 text.
 */

/** How much of a file detection reads (the Go library's default). */
export const SNIFF_BYTES = 3072;

export const OCTET_STREAM = 'application/octet-stream';

const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/png': '.png', 'image/jpeg': '.jpg', 'image/gif': '.gif', 'image/webp': '.webp', 'image/bmp': '.bmp',
  'image/x-icon': '.ico', 'image/tiff': '.tiff', 'image/avif': '.avif', 'image/heic': '.heic', 'image/svg+xml': '.svg',
  'application/pdf': '.pdf', 'application/zip': '.zip', 'application/gzip': '.gz', 'application/x-7z-compressed': '.7z',
  'application/x-rar-compressed': '.rar', 'application/json': '.json', 'application/wasm': '.wasm',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': '.docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': '.xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': '.pptx',
  'video/mp4': '.mp4', 'video/quicktime': '.mov', 'video/webm': '.webm', 'video/x-matroska': '.mkv', 'video/3gpp': '.3gp',
  'video/x-msvideo': '.avi', 'audio/mpeg': '.mp3', 'audio/wav': '.wav', 'audio/ogg': '.ogg', 'audio/flac': '.flac',
  'audio/x-m4a': '.m4a', 'text/plain': '.txt', 'text/html': '.html', 'text/xml': '.xml',
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

function binaryType(b: Buffer): string | undefined {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') return 'image/gif';
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

function textType(b: Buffer): string | undefined {
  for (const c of b) if (isBinaryByte(c)) return undefined;
  let text: string;
  try {
    // `fatal` refuses bytes that are not UTF-8; a sample cut inside a character is fine.
    text = new TextDecoder('utf-8', { fatal: true }).decode(b.length >= SNIFF_BYTES ? trimPartialChar(b) : b);
  } catch {
    return undefined;
  }
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (/^<\?xml\b/i.test(start)) return /<svg[\s>]/i.test(start) ? 'image/svg+xml' : 'text/xml; charset=utf-8';
  if (/^<svg[\s>]/i.test(start)) return 'image/svg+xml';
  if (HTML_START.test(start)) return 'text/html; charset=utf-8';
  if ((start.startsWith('{') || start.startsWith('[')) && b.length < SNIFF_BYTES) {
    try {
      JSON.parse(start);
      return 'application/json';
    } catch {
      /* plain text */
    }
  }
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

/** The extension (with its dot) for a detected type; '' when there is none. */
export function extensionFor(mimeType: string): string {
  return EXTENSIONS[mimeType.split(';')[0].trim()] ?? '';
}
