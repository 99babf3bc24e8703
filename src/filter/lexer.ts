import { fail, quote } from './errors.ts';

/** Escapes read inside quoted text, besides `\\<quote>` and `\\uXXXX`. */
const JSON_ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', "'": "'", '/': '/', n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };

/**
 * Tokens of the filter language, following PocketBase's fexpr scanner: identifiers may hold
 * `.`, `:` and start with `@`, `_` or `#`; an identifier directly followed by `(` is a function;
 * numbers may start with `-`.
 *
 * Quoted text reads JSON's escapes (`\\`, `\"`, `\'`, `\n`, `\t`, `\uXXXX` …), because that is what
 * the SDK's `pb.filter()` writes (it quotes values with JSON.stringify): every string a client
 * passes through it comes back exactly. Any other backslash stays as written, so LIKE escapes
 * such as `\%` and `\_` survive. (PocketBase's scanner unescapes only `\<quote>`, so values with a
 * backslash or a control character cannot round-trip there; this is a deliberate difference.)
 */
export type TokenKind =
  | 'ident' | 'func' | 'number' | 'string' | 'placeholder' | 'op' | 'and' | 'or' | 'lparen' | 'rparen' | 'comma' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Identifier/function name, operator, decoded string value, placeholder name or number literal. */
  readonly text: string;
  /** 0-based offset in the source. */
  readonly pos: number;
}

const OPS = new Set(['=', '!=', '>', '>=', '<', '<=', '~', '!~', '?=', '?!=', '?>', '?>=', '?<', '?<=', '?~', '?!~']);

const isLetter = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isDigit = (c: string) => c >= '0' && c <= '9';
const isIdentStart = (c: string) => isLetter(c) || c === '@' || c === '_' || c === '#';
const isIdentPart = (c: string) => isLetter(c) || isDigit(c) || c === '_' || c === '.' || c === ':';
const isOpChar = (c: string) => c === '=' || c === '?' || c === '!' || c === '>' || c === '<' || c === '~';
// PocketBase accepts space, tab and \n; \r is accepted too so CRLF rules pasted from Windows work.
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = src.length;

  const readWhile = (pred: (c: string) => boolean): string => {
    const start = i;
    while (i < n && pred(src[i])) i++;
    return src.slice(start, i);
  };

  while (i < n) {
    const c = src[i];
    const pos = i;

    if (isSpace(c)) {
      i++;
    } else if (c === '/') {
      if (src[i + 1] !== '/') fail(`invalid comment at ${pos}`);
      while (i < n && src[i] !== '\n') i++;
    } else if (isIdentStart(c)) {
      i++;
      const name = c + readWhile(isIdentPart);
      validateIdentifier(name, pos);
      tokens.push({ kind: src[i] === '(' ? 'func' : 'ident', text: name, pos });
    } else if (c === '-' || isDigit(c)) {
      tokens.push({ kind: 'number', text: readNumber(), pos });
    } else if (c === "'" || c === '"') {
      tokens.push({ kind: 'string', text: readString(c, pos), pos });
    } else if (isOpChar(c)) {
      const op = readWhile(isOpChar);
      if (!OPS.has(op)) fail(`invalid operator ${quote(op)} at ${pos}`);
      tokens.push({ kind: 'op', text: op, pos });
    } else if (c === '&' || c === '|') {
      const op = readWhile((x) => x === '&' || x === '|');
      if (op !== '&&' && op !== '||') fail(`invalid operator ${quote(op)} at ${pos}`);
      tokens.push({ kind: op === '&&' ? 'and' : 'or', text: op, pos });
    } else if (c === '(' || c === ')' || c === ',') {
      i++;
      tokens.push({ kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', text: c, pos });
    } else if (c === '{') {
      const m = /^\{:(\w+)\}/.exec(src.slice(i, i + 120));
      if (!m) fail(`invalid placeholder at ${pos} (expected {:name})`);
      i += m[0].length;
      tokens.push({ kind: 'placeholder', text: m[1], pos });
    } else {
      fail(`unexpected character ${quote(String.fromCodePoint(src.codePointAt(i) ?? 0))} at ${pos}`);
    }
  }
  tokens.push({ kind: 'eof', text: '', pos: n });
  return tokens;

  function readNumber(): string {
    const start = i;
    let dot = false;
    i++; // sign or first digit
    while (i < n && (isDigit(src[i]) || (src[i] === '.' && !dot))) {
      if (src[i] === '.') dot = true;
      i++;
    }
    const text = src.slice(start, i);
    if (text === '-' || text.endsWith('.')) fail(`invalid number ${quote(text)} at ${start}`);
    return text;
  }

  function readString(q: string, start: number): string {
    i++; // opening quote
    let out = '';
    while (i < n) {
      const ch = src[i++];
      if (ch === q) {
        // A lone UTF-16 surrogate (`'\ud800'`) is not text any database stores faithfully.
        if (LONE_SURROGATE.test(out)) fail(`invalid string starting at ${start}: a lone UTF-16 surrogate`);
        return out;
      }
      if (ch !== '\\' || i >= n) {
        out += ch;
        continue;
      }
      const next = src[i++];
      const simple = JSON_ESCAPES[next];
      if (simple !== undefined || next === q) out += simple ?? q;
      else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i, i + 4))) {
        out += String.fromCharCode(parseInt(src.slice(i, i + 4), 16));
        i += 4;
      } else out += ch + next;
    }
    return fail(`unterminated string starting at ${start}`);
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function validateIdentifier(name: string, pos: number): void {
  const last = name[name.length - 1];
  if (last === '.' || last === ':' || (name.length === 1 && !isLetter(name))) {
    fail(`invalid identifier ${quote(name)} at ${pos}`);
  }
}
