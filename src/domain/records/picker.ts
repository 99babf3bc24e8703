/**
 * The `fields` query parameter (`?fields=*,expand.rel.title,description:excerpt(200,true)`), with
 * PocketBase's semantics: parsed once into a frozen tree, then applied to plain JSON values without
 * a serialize/parse round trip. The output is built fresh; the input is never mutated, and values
 * kept whole are shared with it, so treat the result as read-only (it goes straight to the encoder).
 */
import { badRequest } from '../../kernel/errors.ts';
import { plainTextExcerpt } from './excerpt.ts';
import { goTrimSpace } from './go-text.ts';

export { plainTextExcerpt };

/** Caps on what a client controls; PocketBase has none, the request line bounds it there. */
export const MAX_FIELDS_PARAM_LENGTH = 1000;
export const MAX_FIELDS_ENTRIES = 100;

export interface ExcerptModifier {
  readonly kind: 'excerpt';
  /** Maximum length in characters (Unicode code points, like Go runes). */
  readonly max: number;
  readonly withEllipsis: boolean;
}
export type FieldModifier = ExcerptModifier;

export interface FieldsEntry {
  readonly kind: 'fieldsEntry';
  /** Dotted path as the client wrote it, trimmed. */
  readonly path: string;
  readonly modifier: FieldModifier | null;
}

/** One level of the compiled selection. The root is a node that never keeps itself. */
export interface PickNode {
  readonly kind: 'pickNode';
  /** An entry names exactly this path: keep the value whole (after the modifier), ignore deeper entries. */
  readonly keep: boolean;
  readonly modifier: FieldModifier | null;
  /** Entries below this path by next key; null when there are none. */
  readonly children: ReadonlyMap<string, PickNode> | null;
  /** From an entry ending in `*` here: keeps, with its modifier, every key that no entry at this level names. */
  readonly wildcard: PickNode | null;
  /** Only a plain `*` below: the object can be returned as it is. */
  readonly keepsAll: boolean;
}

export interface FieldsSelection {
  readonly kind: 'fieldsSelection';
  /** Entries in the order given; a later entry for the same path replaces an earlier one. */
  readonly entries: readonly FieldsEntry[];
  /** null when the parameter lists nothing: picking then keeps everything, as in PocketBase. */
  readonly root: PickNode | null;
}

const invalid = (problem: string) => badRequest(`Invalid "fields" parameter: ${problem}.`);

// ---------------------------------------------------------------------------------------------
// Parsing

interface ScanRules {
  readonly separators: string;
  /** Characters trimmed from both ends of a token: Go tokenizer whitespace minus the separators. */
  readonly cutset: string;
  readonly countParentheses: boolean;
}

const TOKENIZER_WHITESPACE = '\t\n\v\f\r \u0085\u00a0';
const scanRules = (separators: string, countParentheses: boolean): ScanRules => ({
  separators,
  cutset: [...TOKENIZER_WHITESPACE].filter((c) => !separators.includes(c)).join(''),
  countParentheses,
});
/** Top level: commas split entries, except inside parentheses or quotes. */
const ENTRY_RULES = scanRules(',', true);
/** Inside `name(arg, arg)`: parentheses, commas and spaces all separate; quotes still group. */
const MODIFIER_RULES = scanRules('(), ', false);

/**
 * Splits like PocketBase's tokenizer: quotes (' " `) and, when counted, parentheses group;
 * a backslash makes the next character plain; empty tokens are dropped. A NUL character ends the
 * current token, and the whole input when a token would start with it (Go reads it as end of input).
 */
function scanTokens(input: string, rules: ScanRules, limit = Infinity): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < input.length && input[i] !== '\0') {
    const start = i;
    let depth = 0;
    let quote = '';
    let prev = '';
    for (; i < input.length; i++) {
      const ch = input[i];
      if (ch === '\0') break;
      if (prev !== '\\') {
        if (rules.countParentheses && ch === '(' && !quote) depth++;
        else if (rules.countParentheses && ch === ')' && depth > 0 && !quote) depth--;
        else if (ch === "'" || ch === '"' || ch === '`') {
          if (quote === ch) quote = '';
          else if (!quote) quote = ch;
        }
      }
      if (depth === 0 && !quote && rules.separators.includes(ch)) break;
      prev = ch;
    }
    const raw = input.slice(start, i);
    i++; // past the separator (or the NUL)
    if (depth > 0 || quote) throw invalid(`unbalanced parenthesis or quotes in ${JSON.stringify(raw)}`);
    const token = trimChars(raw, rules.cutset);
    if (token === '') continue;
    if (tokens.length === limit) throw invalid(`at most ${limit} fields are allowed`);
    tokens.push(token);
  }
  return tokens;
}

function trimChars(s: string, cutset: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && cutset.includes(s[start])) start++;
  while (end > start && cutset.includes(s[end - 1])) end--;
  return s.slice(start, end);
}

/** Parses and compiles the raw `fields` value. Throws a 400 ApiError naming the problem. */
export function parseFieldsParam(raw: string): FieldsSelection {
  if (raw.length > MAX_FIELDS_PARAM_LENGTH) {
    throw invalid(`it must be at most ${MAX_FIELDS_PARAM_LENGTH} characters long`);
  }
  const entries: FieldsEntry[] = [];
  for (const token of scanTokens(raw, ENTRY_RULES, MAX_FIELDS_ENTRIES)) {
    const item = goTrimSpace(token);
    const colon = item.indexOf(':');
    // PocketBase keeps a space before the colon in the path (so `a :excerpt(9)` matches nothing); we trim it.
    const path = colon < 0 ? item : goTrimSpace(item.slice(0, colon));
    const modifier = colon < 0 ? null : parseModifier(item.slice(colon + 1), item);
    entries.push(Object.freeze({ kind: 'fieldsEntry', path, modifier }));
  }
  return Object.freeze({
    kind: 'fieldsSelection',
    entries: Object.freeze(entries),
    root: entries.length === 0 ? null : compile(entries),
  });
}

function parseModifier(expression: string, entry: string): FieldModifier {
  const [name, ...args] = scanTokens(expression, MODIFIER_RULES);
  if (name === undefined) throw invalid(`empty modifier in ${JSON.stringify(entry)}`);
  if (name !== 'excerpt') throw invalid(`unknown modifier ${JSON.stringify(name)} in ${JSON.stringify(entry)}`);
  const usage = `expected excerpt(max, withEllipsis?) in ${JSON.stringify(entry)}`;
  if (args.length === 0) throw invalid(`excerpt needs a max argument, ${usage}`);
  if (args.length > 2) throw invalid(`excerpt takes at most 2 arguments, ${usage}`);
  const max = castToInt(args[0]);
  if (max <= 0) throw invalid(`excerpt max must be a number > 0, ${usage}`);
  // As cast.ToBool: what strconv.ParseBool reads as true; anything else, even garbage, is false.
  const withEllipsis = args.length > 1 && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(args[1]);
  return Object.freeze({ kind: 'excerpt', max, withEllipsis });
}

const DECIMAL_NUMBER = /^([-+]?\d*)(\.\d*)?$/;
/** `strconv.ParseInt(s, 0, 64)` syntax: base prefixes, a leading 0 for octal, `_` between digits. */
const GO_INT = /^([-+]?)(?:0[xX]((?:_?[0-9a-fA-F])+)|0[bB]((?:_?[01])+)|0[oO]((?:_?[0-7])+)|0((?:_?[0-7])*)|([1-9](?:_?\d)*))$/;
const INT64_MAX = 2n ** 63n - 1n;

/** spf13/cast's `ToInt` on a string: decimals truncated, Go integer syntax, 0 for anything invalid. */
function castToInt(s: string): number {
  let text = s;
  if (text.includes('.')) {
    const m = DECIMAL_NUMBER.exec(text);
    if (m) text = m[1] === '' || m[1] === '-' || m[1] === '+' ? `${m[1]}0` : m[1];
  }
  const m = GO_INT.exec(text);
  if (!m) return 0;
  const [, sign, hex, bin, oct, legacyOct, dec] = m;
  const digits = (d: string | undefined) => (d ?? '').replaceAll('_', '');
  let magnitude: bigint;
  if (hex !== undefined) magnitude = BigInt(`0x${digits(hex)}`);
  else if (bin !== undefined) magnitude = BigInt(`0b${digits(bin)}`);
  else if (oct !== undefined) magnitude = BigInt(`0o${digits(oct)}`);
  else if (dec !== undefined) magnitude = BigInt(digits(dec));
  else magnitude = BigInt(`0o${digits(legacyOct) || '0'}`);
  const value = sign === '-' ? -magnitude : magnitude;
  // Out of int64 range is a ParseInt error, which cast turns into 0.
  return value > INT64_MAX || value < -INT64_MAX - 1n ? 0 : Number(value);
}

interface DraftNode {
  keep: boolean;
  modifier: FieldModifier | null;
  children: Map<string, DraftNode> | null;
  /** Set by an entry ending in exactly `*` here; `*.` only names a literal "*" key, as in Go. */
  wildcard: { modifier: FieldModifier | null } | null;
}

const draftNode = (): DraftNode => ({ keep: false, modifier: null, children: null, wildcard: null });

function compile(entries: readonly FieldsEntry[]): PickNode {
  const root = draftNode();
  for (const { path, modifier } of entries) {
    // Go compares `path + "."` prefixes, so `a.` names the key `a`: one trailing dot is dropped.
    const trailingDot = path.endsWith('.');
    const keys = (trailingDot ? path.slice(0, -1) : path).split('.');
    let parent = root;
    let node = root;
    for (const key of keys) {
      parent = node;
      parent.children ??= new Map();
      let next = parent.children.get(key);
      if (!next) parent.children.set(key, (next = draftNode()));
      node = next;
    }
    node.keep = true;
    node.modifier = modifier;
    if (!trailingDot && keys[keys.length - 1] === '*') parent.wildcard = { modifier };
  }
  return freezeNode(root);
}

const keepNode = (modifier: FieldModifier | null): PickNode =>
  Object.freeze({ kind: 'pickNode', keep: true, modifier, children: null, wildcard: null, keepsAll: false });

function freezeNode(draft: DraftNode): PickNode {
  let children: Map<string, PickNode> | null = null;
  if (draft.children) {
    children = new Map();
    for (const [key, child] of draft.children) children.set(key, freezeNode(child));
  }
  const wildcard = draft.wildcard ? keepNode(draft.wildcard.modifier) : null;
  const star = children?.get('*');
  const keepsAll = children?.size === 1 && wildcard?.modifier === null && star?.keep === true && star.modifier === null;
  return Object.freeze({ kind: 'pickNode', keep: draft.keep, modifier: draft.modifier, children, wildcard, keepsAll });
}

// ---------------------------------------------------------------------------------------------
// Picking

/**
 * Applies the selection to one JSON value: an object, or an array of objects (an array whose first
 * item is not an object is left as it is, like PocketBase). Values with `toJSON` (dates, models)
 * are converted first, as the Go side marshals before picking.
 */
export function pickFields(data: unknown, selection: FieldsSelection): unknown {
  return selection.root === null ? data : pickValue(data, selection.root);
}

/** Picks each item of a list response on its own. */
export function pickFieldsFromList(items: readonly unknown[], selection: FieldsSelection): unknown[] {
  const root = selection.root;
  return root === null ? [...items] : items.map((item) => pickValue(item, root));
}

type JsonObject = Record<string, unknown>;

const toPlain = (v: unknown): unknown =>
  typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function'
    ? (v as { toJSON(): unknown }).toJSON()
    : v;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function pickValue(value: unknown, node: PickNode): unknown {
  const v = toPlain(value);
  if (typeof v !== 'object' || v === null) return v;
  if (!Array.isArray(v)) return pickObject(v as JsonObject, node);
  if (v.length === 0 || !isObject(toPlain(v[0]))) return v;
  return v.map((item) => {
    const plain = toPlain(item);
    return isObject(plain) ? pickObject(plain, node) : plain;
  });
}

function pickObject(obj: JsonObject, node: PickNode): JsonObject {
  if (node.keepsAll) return obj;
  const out: JsonObject = {};
  for (const key of Object.keys(obj)) {
    const target = findEntry(node, key) ?? node.wildcard;
    if (target === null) continue;
    const value = obj[key];
    const picked = target.keep ? applyModifier(target.modifier, value) : pickValue(value, target);
    // A JSON `__proto__` key is an own property; plain assignment would set the prototype instead.
    if (key === '__proto__') Object.defineProperty(out, key, { value: picked, enumerable: true, writable: true, configurable: true });
    else out[key] = picked;
  }
  return out;
}

/** The node for a data key; a key with dots (`{"a.b": 1}`) is matched by entries spelling that path, as in Go. */
function findEntry(node: PickNode, key: string): PickNode | null {
  const direct = node.children?.get(key);
  if (direct !== undefined || !key.includes('.')) return direct ?? null;
  let current: PickNode | undefined = node;
  for (const part of key.split('.')) {
    current = current.children?.get(part);
    if (current === undefined) return null;
  }
  return current;
}

function applyModifier(modifier: FieldModifier | null, value: unknown): unknown {
  if (modifier === null) return value;
  const v = toPlain(value);
  // Non-strings pass untouched: the entry may name a missing expand or a non-text field.
  return typeof v === 'string' ? plainTextExcerpt(v, modifier.max, modifier.withEllipsis) : value;
}
