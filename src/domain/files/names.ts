/**
 * The name an upload is stored under, as PocketBase makes it: the client's name in snake case
 * (ASCII word characters only, at most 100; padded with random characters when shorter than 3),
 * `_`, 10 random characters, and the cleaned extension (a double one such as `.tar.gz` kept, at
 * most 20 characters; detected from the content when the name has none).
 */
import { randomString } from '../../kernel/ids.ts';
import { extensionFor } from './mime.ts';

const NAME_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const EXT_INVALID = /[^\w.*\-+=#]+/g;

/** The extension with its dot, a double one included (`.tar.gz`); '' when there is none. */
function extensionOf(name: string): string {
  const primary = name.lastIndexOf('.');
  if (primary < 0) return '';
  const secondary = name.lastIndexOf('.', primary - 1);
  return name.slice(secondary >= 0 ? secondary : primary);
}

const trimDots = (s: string): string => s.replace(/^\.+|\.+$/g, '');

/** PocketBase's Snakecase: words split at non-word characters, camelCase split, lower-cased. */
function snakecase(s: string): string {
  const words = s.split(/[\W_]+/).filter(Boolean);
  return words
    .map((word) => word.replace(/(?<=[a-z0-9])([A-Z])/g, '_$1'))
    .join('_')
    .toLowerCase();
}

export function uploadName(originalName: string, detectedMimeType: string): string {
  const name = originalName.length > 300 ? originalName.slice(-300) : originalName;
  const originalExt = extensionOf(name);
  let ext = `.${trimDots(originalExt.replace(EXT_INVALID, ''))}`;
  if (ext === '.') ext = extensionFor(detectedMimeType);
  if (ext.length > 20) ext = `.${trimDots(ext.slice(-20))}`;
  let base = snakecase(trimDots(originalExt ? name.slice(0, -originalExt.length) : name));
  if (base.length < 3) base += randomString(10, NAME_ALPHABET);
  else if (base.length > 100) base = base.slice(0, 100);
  return `${base}_${randomString(10, NAME_ALPHABET)}${ext}`;
}
