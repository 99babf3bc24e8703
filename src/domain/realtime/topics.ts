/**
 * Subscription topics as PocketBase reads them (tools/subscriptions/client.go): the topic string
 * is the event name, its part before the first `?` says what it follows, and an `options` query
 * parameter may carry JSON `{"query": {...}, "headers": {...}}` for the rules and the record
 * (filter, expand, fields). Topics are parsed once, when a client subscribes.
 */
import { toGoString } from '../collections/fields/cast.ts';

export interface SubscriptionOptions {
  /** Query parameters the subscription's rules and record see (`filter`, `expand`, `fields` …). */
  readonly query: Readonly<Record<string, string>>;
  /** Headers the rules see as `@request.headers.*`, names in PocketBase's snake case. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface Topic {
  /** The topic exactly as subscribed: the name of its events. */
  readonly name: string;
  /** Up to the first `?`: `posts/*`, `posts/RECORD_ID`, a collection's id in place of its name, `@oauth2` … */
  readonly base: string;
  readonly options: SubscriptionOptions;
  /** The options in one canonical string: subscriptions with equal options share their evaluation. */
  readonly optionsKey: string;
}

const NO_OPTIONS: SubscriptionOptions = Object.freeze({ query: Object.freeze({}), headers: Object.freeze({}) });
const NO_OPTIONS_KEY = '';

export function parseTopic(name: string): Topic {
  const q = name.indexOf('?');
  const base = q < 0 ? name : name.slice(0, q);
  const raw = q < 0 ? undefined : optionsParam(name);
  const options = raw ? decodeOptions(raw) : NO_OPTIONS;
  return { name, base, options, optionsKey: options === NO_OPTIONS ? NO_OPTIONS_KEY : canonicalKey(options) };
}

function canonicalKey(options: SubscriptionOptions): string {
  const sorted = (o: Readonly<Record<string, string>>) => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = sorted(options.query);
  const headers = sorted(options.headers);
  return query.length || headers.length ? JSON.stringify([query, headers]) : NO_OPTIONS_KEY;
}

// ---- Go's url.Parse(topic).Query().Get("options") ----

const HEX = /^[0-9A-Fa-f]{2}$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** Go's url.Parse refuses ASCII control characters anywhere. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

/** Whether every `%` starts a valid escape (Go's `unescape` in path and fragment modes). */
function escapesValid(s: string): boolean {
  for (let i = s.indexOf('%'); i >= 0; i = s.indexOf('%', i + 1)) {
    if (!HEX.test(s.slice(i + 1, i + 3))) return false;
  }
  return true;
}

/** Go's `QueryUnescape`: `+` is a space; undefined where an escape is malformed. */
function queryUnescape(s: string): string | undefined {
  if (!escapesValid(s)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '%') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '+') bytes.push(0x20);
    else for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * The first `options` value of the topic's query, as Go reads it: nothing when url.Parse fails
 * (control characters, a bad escape in the path or fragment, a leading `:`, a colon in the first
 * path segment of a topic without a scheme); pairs holding `;` or a bad escape are skipped.
 */
function optionsParam(topic: string): string | undefined {
  if (CONTROL.test(topic)) return undefined;
  const hash = topic.indexOf('#');
  const fragment = hash < 0 ? '' : topic.slice(hash + 1);
  const url = hash < 0 ? topic : topic.slice(0, hash);
  if (!escapesValid(fragment) || url.startsWith(':')) return undefined;
  const scheme = SCHEME.exec(url)?.[0] ?? '';
  let rest = url.slice(scheme.length);
  const q = rest.indexOf('?');
  const query = q < 0 ? '' : rest.slice(q + 1);
  rest = q < 0 ? rest : rest.slice(0, q);
  if (!scheme || rest.startsWith('/')) {
    if (!scheme && !rest.startsWith('/') && rest.split('/', 1)[0].includes(':')) return undefined;
    if (!escapesValid(rest)) return undefined;
  }
  for (const pair of query.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = queryUnescape(eq < 0 ? pair : pair.slice(0, eq));
    const value = queryUnescape(eq < 0 ? '' : pair.slice(eq + 1));
    if (key === 'options' && value !== undefined) return value;
  }
  return undefined;
}

// ---- Go's json.Unmarshal into {Query, Headers map[string]any} ----

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The options JSON decoded as PocketBase decodes it: invalid JSON or a non-object gives none;
 * `query` and `headers` keys match case-insensitively and must be objects (others are skipped);
 * values become strings as `cast.ToString` makes them (objects and lists: ''); header names are
 * snake-cased (`X-Token` -> `x_token`).
 */
function decodeOptions(raw: string): SubscriptionOptions {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return NO_OPTIONS;
  }
  if (!isObject(parsed)) return NO_OPTIONS;
  const query: Record<string, string> = Object.create(null);
  const headers: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(parsed)) {
    const target = key.toLowerCase() === 'query' ? query : key.toLowerCase() === 'headers' ? headers : undefined;
    if (!target) continue;
    if (value === null) {
      // Go sets the map to nil: what earlier keys put there is gone.
      for (const k of Object.keys(target)) delete target[k];
      continue;
    }
    if (!isObject(value)) continue;
    for (const [k, v] of Object.entries(value)) target[target === headers ? snakeCase(k) : k] = toGoString(v);
  }
  return { query, headers };
}

const isUpper = (c: string) => c >= 'A' && c <= 'Z';

/**
 * PocketBase's `inflector.Snakecase`: words split at anything but ASCII letters and digits, a
 * `_` before each upper-case letter that follows a lower-case one, all lower-cased.
 */
export function snakeCase(s: string): string {
  const words: string[] = [];
  for (const word of s.split(/[^0-9A-Za-z]+/)) {
    if (word === '') continue;
    let out = '';
    for (let i = 0; i < word.length; i++) {
      if (i > 0 && isUpper(word[i]) && !isUpper(word[i - 1])) out += '_';
      out += word[i];
    }
    words.push(out);
  }
  return words.join('_').toLowerCase();
}
