import { randomFillSync, randomInt } from 'node:crypto';

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Cryptographically random bytes, drawn from a pool refilled 4 KiB at a time: one call into the
 * CSPRNG per few hundred ids instead of one per character (`crypto.randomInt` per character was
 * a measurable share of a create).
 */
const pool = new Uint8Array(4096);
let poolAt = pool.length;

function randomByte(): number {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++];
}

/** A uniformly random integer in [0, n), n <= 256: bytes past the last whole multiple of n are redrawn. */
function randomBelow(n: number): number {
  if (n <= 1) return 0;
  const limit = 256 - (256 % n);
  for (;;) {
    const b = randomByte();
    if (b < limit) return b % n;
  }
}

/** A cryptographically random string of `length` characters drawn from `alphabet` (at most 256 characters). */
export function randomString(length: number, alphabet = LOWER_ALNUM): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomBelow(alphabet.length)];
  return out;
}

/** PocketBase's default record id: 15 characters of [a-z0-9]. */
export const newRecordId = (): string => randomString(15);

/**
 * Ids of a record id's shape (15 characters of [a-z0-9]) that sort by creation time: 9 characters
 * of the base-36 millisecond clock (9 digits hold it until the year 5188), then 6 that start at a
 * random value in each millisecond and count up within it (as ULID's monotonic mode). For rows
 * written in bulk (request logs): each insert lands at the end of the primary-key B-tree instead
 * of a random page, about half the cost of a random id in a large table. Ids from one generator
 * never repeat (a batch of hundreds is made in one millisecond: independent random tails collided
 * often enough to lose a batch to the primary key), and they keep increasing when the clock steps
 * back; another process's ids in the same millisecond start elsewhere in the 36^6 range.
 */
export function timeOrderedIds(clock: () => number = Date.now): () => string {
  let at = -Infinity;
  let digits = '';
  let tail = 0;
  const startMillisecond = (ms: number) => {
    at = ms;
    digits = ms.toString(36).padStart(9, '0');
    // The lower half: room to count up without running out within the millisecond.
    tail = randomInt(0, TAIL_SPACE / 2);
  };
  return () => {
    const now = clock();
    if (now > at) startMillisecond(now);
    else if (++tail >= TAIL_SPACE) startMillisecond(at + 1);
    return digits + tail.toString(36).padStart(6, '0');
  };
}
const TAIL_SPACE = 36 ** 6;

/** The process's generator of time-ordered ids (request log rows). */
export const timeOrderedId = timeOrderedIds();

const MIXED_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A password nobody knows (30 mixed-case letters and digits), set where PocketBase sets a random one. */
export const randomPassword = (): string => randomString(30, MIXED_ALNUM);

/** Mixed-case letters and digits, as PocketBase's `security.RandomString` (OAuth2 states, PKCE verifiers). */
export const randomAlphanumeric = (length: number): string => randomString(length, MIXED_ALNUM);

const ID_RE = /^[a-z0-9]+$/;
export const isDefaultRecordId = (id: string): boolean => id.length === 15 && ID_RE.test(id);

/**
 * Generates a string matching a small regex subset, as PocketBase's `autogeneratePattern`
 * uses it: literals, escaped chars, character classes with ranges (`[a-zA-Z0-9_]`),
 * `\d`/`\w`, and `{n}` / `{n,m}` quantifiers. Anything richer is rejected when the field is saved.
 */
export function randomFromPattern(pattern: string): string {
  let out = '';
  for (const t of parsedPattern(pattern)) {
    const count = t.min === t.max ? t.min : t.min + randomUpTo(t.max - t.min);
    for (let i = 0; i < count; i++) out += t.chars[randomUpTo(t.chars.length - 1)];
  }
  return out;
}

/** A uniformly random integer in [0, max]. */
function randomUpTo(max: number): number {
  if (max < 256) return randomBelow(max + 1);
  // Wide classes (ranges of thousands of characters) are rare: the CSPRNG's own helper.
  if (max >= 65536) return randomInt(max + 1);
  const n = max + 1;
  const limit = 65536 - (65536 % n);
  for (;;) {
    const v = (randomByte() << 8) | randomByte();
    if (v < limit) return v % n;
  }
}

/** Parsed patterns, by text: a collection has a handful, and every new record needs its id's. */
const PATTERNS = new Map<string, readonly PatternToken[]>();
const MAX_PATTERNS = 500;

function parsedPattern(pattern: string): readonly PatternToken[] {
  let tokens = PATTERNS.get(pattern);
  if (!tokens) {
    tokens = parsePattern(pattern);
    if (PATTERNS.size >= MAX_PATTERNS) PATTERNS.clear();
    PATTERNS.set(pattern, tokens);
  }
  return tokens;
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
