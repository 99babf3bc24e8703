import type { FastifyRequest } from 'fastify';
import { hasNonFiniteNumber } from '../domain/collections/fields/json.ts';
import { MAX_JSON_DEPTH, MAX_JSON_ITEMS, SUPERUSER_MAX_JSON_ITEMS } from './limits.ts';

export { MAX_JSON_DEPTH, MAX_JSON_ITEMS };

export interface JsonShapeLimits {
  maxDepth: number;
  maxItems: number;
}

/** A server's JSON body limits: one for guests and users, one for superusers. */
export interface JsonShapes {
  readonly client: JsonShapeLimits;
  readonly superuser: JsonShapeLimits;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** This server's JSON body limits (`jsonShapes`, set by server.ts). */
    jsonShapes: JsonShapes;
  }
}

/**
 * The JSON body limits for a client item cap (`--max-json-items`). Superusers import whole
 * schemas, so they may send more items: SUPERUSER_MAX_JSON_ITEMS, or the client cap if higher.
 */
export function jsonShapes(maxItems = MAX_JSON_ITEMS): JsonShapes {
  return Object.freeze({
    client: Object.freeze({ maxDepth: MAX_JSON_DEPTH, maxItems }),
    superuser: Object.freeze({ maxDepth: MAX_JSON_DEPTH, maxItems: Math.max(maxItems, SUPERUSER_MAX_JSON_ITEMS) }),
  });
}

const DEFAULT_SHAPE = jsonShapes().client;

/** The shape limits for a request's JSON: its server's, for its principal. */
export const jsonShapeFor = (request: FastifyRequest): JsonShapeLimits =>
  request.ctx?.principal.kind === 'superuser' ? request.server.jsonShapes.superuser : request.server.jsonShapes.client;

/** JSON refused for its shape or its values rather than its syntax. */
export class JsonBodyError extends SyntaxError {
  override name = 'JsonBodyError';
}

/**
 * JSON refused for passing a limit on its shape (depth, items). Unlike malformed JSON, which keeps
 * PocketBase's generic 400, its message is the client's: it names the limit, as the other limits'
 * 400s do, so a client can tell "too much" from "broken" (errors.ts `toApiError`).
 */
export class JsonLimitError extends JsonBodyError {
  override name = 'JsonLimitError';
}

const tooDeep = (max: number) => new JsonLimitError(`The JSON body is nested deeper than ${max} levels, the limit per request.`);
const tooManyItems = (max: number) =>
  new JsonLimitError(`The JSON body has more than ${max} items (values, arrays and objects), the limit per request (--max-json-items). Send fewer values.`);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const hexAt = (text: string, at: number): number => (/^[0-9a-fA-F]{4}$/.test(text.slice(at, at + 4)) ? parseInt(text.slice(at, at + 4), 16) : -1);

/**
 * At a backslash inside a string: how many characters the escape takes, or -1 when it is a
 * `\uXXXX` escape of a UTF-16 surrogate that is not part of a pair (`"\ud800"`). Such an escape
 * decodes to a string that is not valid Unicode, which the databases store as invalid UTF-8 or
 * refuse with an error. A text made from UTF-8 bytes cannot hold a lone surrogate any other way
 * (the decoder replaces bad sequences).
 */
function escapeLength(text: string, at: number): number {
  if (text.charCodeAt(at + 1) !== 0x75 /* u */) return 2;
  const unit = hexAt(text, at + 2);
  if (unit < 0xd800 || unit > 0xdfff) return 2; // not a surrogate (or not hex: JSON.parse decides)
  if (unit >= 0xdc00) return -1; // a low surrogate with no high one before it
  const low = text.charCodeAt(at + 6) === BACKSLASH && text.charCodeAt(at + 7) === 0x75 ? hexAt(text, at + 8) : -1;
  return low >= 0xdc00 && low <= 0xdfff ? 12 : -1;
}

/**
 * The index of the quote closing a string, read from `at` (a backslash inside it) character by
 * character; -1 at a lone surrogate escape. Past the end of the text when it is never closed.
 */
function stringEnd(text: string, at: number): number {
  const n = text.length;
  let j = at;
  while (j < n) {
    const d = text.charCodeAt(j);
    if (d === QUOTE) return j;
    if (d !== BACKSLASH) j++;
    else if (text.charCodeAt(j + 1) !== 0x75 /* u */) j += 2;
    else {
      const length = escapeLength(text, j);
      if (length < 0) return -1;
      j += length;
    }
  }
  return j;
}

interface JsonScan {
  /** Why the text is refused, if it is. */
  problem?: JsonBodyError;
  /** A number may be beyond float64 (a three-digit exponent, or 309 digits): check the parsed values. */
  bigNumber: boolean;
}

/**
 * One pass over a JSON text before it is parsed: its nesting depth, its items (`[`, `{` and `,`
 * outside strings, the number of values within a factor of two) and its string escapes. It stops
 * as soon as a limit is passed, skips string contents with indexOf and number digits in a tight
 * loop, so it costs far less than the parse it guards. The text is not validated: JSON.parse does
 * that afterwards.
 */
function scanJson(text: string, limits: JsonShapeLimits): JsonScan {
  const n = text.length;
  let depth = 0;
  let items = 0;
  let bigNumber = false;
  let backslash = text.indexOf('\\'); // the next backslash at or after the string being read; -1: none left
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // A string with no escape is skipped with one indexOf; one with escapes is read character
      // by character from its first backslash, so dense escapes cost no more than plain text.
      const quote = text.indexOf('"', i + 1);
      if (quote < 0) return { bigNumber }; // unterminated: JSON.parse reports it
      if (backslash >= 0 && backslash <= i) backslash = text.indexOf('\\', i + 1);
      if (backslash < 0 || backslash > quote) {
        i = quote + 1;
        continue;
      }
      const end = stringEnd(text, backslash);
      if (end < 0) return { problem: new JsonBodyError('JSON with a lone UTF-16 surrogate escape'), bigNumber };
      i = end + 1;
      backslash = text.indexOf('\\', i);
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limits.maxDepth) return { problem: tooDeep(limits.maxDepth), bigNumber };
      if (++items > limits.maxItems) return { problem: tooManyItems(limits.maxItems), bigNumber };
      i++;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
      i++;
    } else if (c === 0x2c) {
      if (++items > limits.maxItems) return { problem: tooManyItems(limits.maxItems), bigNumber };
      i++;
    } else if (isDigit(c) || c === 0x2d) {
      let j = i + 1;
      while (isDigit(text.charCodeAt(j))) j++;
      if (j - i >= 309) bigNumber = true;
      if (text.charCodeAt(j) === 0x2e) for (j++; isDigit(text.charCodeAt(j)); ) j++;
      if ((text.charCodeAt(j) | 0x20) === 0x65 /* e or E */) {
        j++;
        const negative = text.charCodeAt(j) === 0x2d;
        if (negative || text.charCodeAt(j) === 0x2b) j++;
        while (text.charCodeAt(j) === 0x30) j++;
        const start = j;
        while (isDigit(text.charCodeAt(j))) j++;
        if (!negative && j - start >= 3) bigNumber = true;
      }
      i = j;
    } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      for (i++; text.charCodeAt(i) === 0x20; ) i++; // indentation comes in runs
    } else i++;
  }
  return { bigNumber };
}

/** What is wrong with the shape or escapes of `text`, read without parsing it. */
export function jsonShapeProblem(text: string, limits: JsonShapeLimits = DEFAULT_SHAPE): string | undefined {
  return scanJson(text, limits).problem?.message;
}

/** True when `text` nests arrays/objects deeper than `max` (strings are skipped, escapes honoured). */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  return scanJson(text, { maxDepth: max, maxItems: Infinity }).problem instanceof JsonLimitError;
}

/**
 * Reads a request body's JSON: '' is {}, as PocketBase reads an empty body. Throws a SyntaxError
 * for text that is not JSON, and a JsonBodyError for JSON refused before parsing (see scanJson:
 * too deep or too many items, a JsonLimitError; a lone surrogate escape) or after it: a number beyond float64
 * (`1e400`, which JSON.parse reads as Infinity; PocketBase's decoder refuses such a body too).
 */
export function parseJsonBody(body: string, limits: JsonShapeLimits = DEFAULT_SHAPE): unknown {
  const text = body.trim();
  if (text === '') return {};
  const scan = scanJson(text, limits);
  if (scan.problem) throw scan.problem;
  const value: unknown = JSON.parse(text);
  if (scan.bigNumber && hasNonFiniteNumber(value)) throw new JsonBodyError('JSON with a number out of range');
  return value;
}
