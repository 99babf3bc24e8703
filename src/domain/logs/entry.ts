import { formatDate } from '../../kernel/time.ts';
import { isApiError } from '../../kernel/errors.ts';

/** slog's levels, which PocketBase stores in `_logs.level`. */
export const LOG_LEVEL = Object.freeze({ debug: -4, info: 0, warn: 4, error: 8 });

/**
 * What the HTTP layer hands over for one finished request: plain values, gathered in the response
 * hook without formatting anything. The entry's message and JSON are built at flush time.
 */
export interface RequestLogInput {
  /** Epoch milliseconds when the response finished. */
  readonly at: number;
  readonly method: string;
  /** The request URI (path and query), as received. */
  readonly url: string;
  readonly status: number;
  /** Milliseconds from the request's arrival to its response. */
  readonly execTime: number;
  readonly referer: string;
  readonly userAgent: string;
  /** The authenticated record's collection name, or '' for guests. */
  readonly auth: string;
  /** Present only when settings.logs.logAuthId was on. */
  readonly authId?: string;
  /** Present only when settings.logs.logIP was on. */
  readonly userIP?: string;
  readonly remoteIP?: string;
  /**
   * The failure that produced the response, when one did (PocketBase's `err != nil`): the
   * response error as the client saw it, and the original error when it was not an ApiError.
   */
  readonly failure?: RequestFailure;
}

export interface RequestFailure {
  /** The error as thrown. */
  readonly error: unknown;
  /** What the client was answered: status, message, data. */
  readonly answered: { readonly status: number; readonly message: string; readonly data: unknown };
}

/**
 * Successful requests that were counted, not logged one by one: past the writer's `maxPerSecond`
 * (`--request-log-rate`). Epoch milliseconds of the first and the last.
 */
export interface UnloggedRequests {
  readonly count: number;
  readonly from: number;
  readonly to: number;
  /** The rate in force: requests logged one by one a second. */
  readonly limit: number;
}

/** One `_logs` row, ready to insert. */
export interface LogRow {
  readonly id: string;
  readonly level: number;
  readonly message: string;
  /** The `data` column as JSON text. */
  readonly data: string;
  readonly created: string;
}

/** PocketBase's bounds (apis/middlewares.go): longer values are cut and marked with "...". */
const MAX_METHOD = 50;
const MAX_URL = 3000;
const MAX_HEADER = 2000;

const cut = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max)}...` : s);

/**
 * Node's HTTP parser gives the request line and header values as latin1 text, one character per
 * byte, where PocketBase keeps the bytes (UTF-8 in its JSON): text with a byte past ASCII is read
 * again as UTF-8, bytes that are not valid UTF-8 becoming U+FFFD as in Go's JSON. Cutting before
 * (by characters, so by bytes) cuts where PocketBase does.
 */
const bytesAsUtf8 = (s: string): string => (/[\x80-\xff]/.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s);

const isEmptyObject = (value: unknown): boolean =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;

/** The level of a request's entry: ERROR for a failed request, INFO otherwise (PocketBase's rule). */
export const requestLevel = (input: Pick<RequestLogInput, 'failure'>): number =>
  input.failure ? LOG_LEVEL.error : LOG_LEVEL.info;

/**
 * Go's url.PathUnescape, with the raw text kept when an escape is malformed (`%G1`, a cut `%F`),
 * as PocketBase keeps it. Escapes that decode to bytes that are not UTF-8 (`%FF`) are not an
 * error there: the bytes are kept, and read back as U+FFFD, as here.
 */
function unescapePath(uri: string): string {
  if (!uri.includes('%')) return uri;
  try {
    return decodeURIComponent(uri);
  } catch {
    if (/%(?![0-9a-fA-F]{2})/.test(uri)) return uri;
    const bytes: Buffer[] = [];
    let at = 0;
    for (const escape of uri.matchAll(/(?:%[0-9a-fA-F]{2})+/g)) {
      bytes.push(Buffer.from(uri.slice(at, escape.index), 'utf8'), Buffer.from(escape[0].replaceAll('%', ''), 'hex'));
      at = escape.index + escape[0].length;
    }
    bytes.push(Buffer.from(uri.slice(at), 'utf8'));
    return Buffer.concat(bytes).toString('utf8');
  }
}

/**
 * The entry PocketBase's logRequest writes: message `METHOD /uri` (unescaped), and the
 * attributes in `data`, in Go's map order (alphabetical).
 */
export function requestLogRow(input: RequestLogInput, id: string): LogRow {
  const method = cut(input.method.toUpperCase(), MAX_METHOD);
  const url = bytesAsUtf8(cut(input.url, MAX_URL));
  const data: Record<string, unknown> = { auth: input.auth };
  if (input.authId !== undefined) data.authId = input.authId;
  if (input.failure) {
    const { error, answered } = input.failure;
    if (isApiError(error) || answered.status < 500) {
      // PocketBase's details are the error's raw data: the wrapped error's text where there is
      // one (`cause`, e.g. the reason behind a generic 400), else the data the client saw, and
      // null where that is empty (PocketBase's errors made without data: a 404 route, a 403).
      const cause = error instanceof Error ? error.cause : undefined;
      data.details = cause instanceof Error ? cause.message : isEmptyObject(answered.data) ? null : answered.data;
      data.error = answered.message;
    } else {
      // An unexpected error: PocketBase logs its own text (err.Error()). Only superusers read
      // logs, so the internal message is kept here while the client saw a plain 500.
      data.error = error instanceof Error ? error.message : String(error);
    }
  }
  data.execTime = input.execTime;
  data.method = method;
  data.referer = bytesAsUtf8(cut(input.referer, MAX_HEADER));
  if (input.remoteIP !== undefined) data.remoteIP = input.remoteIP;
  data.status = input.status;
  data.type = 'request';
  data.url = url;
  data.userAgent = bytesAsUtf8(cut(input.userAgent, MAX_HEADER));
  if (input.userIP !== undefined) data.userIP = input.userIP;
  return {
    id,
    level: requestLevel(input),
    // Percent-decoding yields no lone surrogate (bad UTF-8 keeps the raw text), but may yield NUL.
    message: withoutNul(`${method} ${unescapePath(url)}`),
    data: storableJson(data),
    created: createdAt(input.at),
  };
}

/**
 * PostgreSQL refuses NUL in text and JSON (a URL's `%00`, decoded in the message, failed the whole
 * batch's INSERT there), and a lone surrogate in JSON (`toWellFormed` below). Either becomes
 * U+FFFD, on every database alike.
 */
const withoutNul = (s: string): string => (s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s);

/**
 * `data` as JSON text every database stores (see `withoutNul`). Its keys and values are cleaned
 * only when the text shows a NUL or a lone surrogate: JSON.stringify writes both as escapes
 * (`\u0000`, `\udXXX`), and an escaped backslash before such text only costs the slow path.
 */
function storableJson(data: Record<string, unknown>): string {
  const json = JSON.stringify(data);
  if (!json.includes('\\u0000') && !json.includes('\\ud')) return json;
  return JSON.stringify(storableValue(JSON.parse(json)));
}

function storableValue(value: unknown): unknown {
  if (typeof value === 'string') return withoutNul(value).toWellFormed();
  if (Array.isArray(value)) return value.map(storableValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableValue(k) as string, storableValue(v)]));
  }
  return value;
}

/** `created` for an entry: a busy server finishes many requests in one millisecond, formatted once. */
function createdAt(at: number): string {
  if (at !== lastAt) {
    lastAt = at;
    lastCreated = formatDate(new Date(at));
  }
  return lastCreated;
}
let lastAt = Number.NaN;
let lastCreated = '';

/**
 * The entry that counts requests not logged one by one: INFO, as their own entries would have
 * been; `data.type` "requestsNotLogged" tells it from a request's ("request"), for filters.
 */
export function unloggedRequestsRow(input: UnloggedRequests, id: string): LogRow {
  const { count, limit } = input;
  return {
    id,
    level: LOG_LEVEL.info,
    message: `${count} successful ${count === 1 ? 'request' : 'requests'} not logged one by one (past ${limit} a second, --request-log-rate)`,
    data: JSON.stringify({ type: 'requestsNotLogged', count, limit, from: formatDate(new Date(input.from)), to: formatDate(new Date(input.to)) }),
    created: createdAt(input.to),
  };
}
