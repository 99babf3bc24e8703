import { randomInt } from 'node:crypto';

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A cryptographically random string of `length` characters drawn from `alphabet`. */
export function randomString(length: number, alphabet = LOWER_ALNUM): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** PocketBase's default record id: 15 characters of [a-z0-9]. */
export const newRecordId = (): string => randomString(15);

const ID_RE = /^[a-z0-9]+$/;
export const isDefaultRecordId = (id: string): boolean => id.length === 15 && ID_RE.test(id);

/**
 * Generates a string matching a small regex subset, as PocketBase's `autogeneratePattern`
 * uses it: literals, escaped chars, character classes with ranges (`[a-zA-Z0-9_]`),
 * `\d`/`\w`, and `{n}` / `{n,m}` quantifiers. Anything richer is rejected when the field is saved.
 */
export function randomFromPattern(pattern: string): string {
  const tokens = parsePattern(pattern);
  let out = '';
  for (const t of tokens) {
    const count = t.min === t.max ? t.min : t.min + randomInt(t.max - t.min + 1);
    for (let i = 0; i < count; i++) out += t.chars[randomInt(t.chars.length)];
  }
  return out;
}

interface PatternToken {
  chars: string;
  min: number;
  max: number;
}

const CLASS_ESCAPES: Record<string, string> = {
  d: '0123456789',
  w: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_',
};

export function parsePattern(pattern: string): PatternToken[] {
  const tokens: PatternToken[] = [];
  let i = 0;
  while (i < pattern.length) {
    let chars: string;
    const c = pattern[i];
    if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new Error('unterminated character class');
      chars = expandClass(pattern.slice(i + 1, end));
      i = end + 1;
    } else if (c === '\\') {
      const e = pattern[i + 1];
      if (e === undefined) throw new Error('trailing escape');
      chars = CLASS_ESCAPES[e] ?? e;
      i += 2;
    } else if ('^$'.includes(c)) {
      i++;
      continue;
    } else if ('(|)*+?.{}'.includes(c)) {
      throw new Error(`unsupported pattern syntax "${c}"`);
    } else {
      chars = c;
      i++;
    }
    let min = 1;
    let max = 1;
    if (pattern[i] === '{') {
      const end = pattern.indexOf('}', i);
      const m = /^(\d+)(?:,(\d+))?$/.exec(pattern.slice(i + 1, end));
      if (end < 0 || !m) throw new Error('invalid quantifier');
      min = Number(m[1]);
      max = m[2] === undefined ? min : Number(m[2]);
      if (max < min || max > 1000) throw new Error('invalid quantifier');
      i = end + 1;
    }
    if (!chars) throw new Error('empty character class');
    tokens.push({ chars, min, max });
  }
  return tokens;
}

function expandClass(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && i + 1 < body.length) {
      out += CLASS_ESCAPES[body[i + 1]] ?? body[i + 1];
      i++;
    } else if (body[i + 1] === '-' && i + 2 < body.length) {
      const from = c.charCodeAt(0);
      const to = body.charCodeAt(i + 2);
      if (to < from) throw new Error('invalid range');
      for (let k = from; k <= to; k++) out += String.fromCharCode(k);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}
