/**
 * PocketBase's `CREATE [UNIQUE] INDEX` text -> `IndexSpec` (see `indexes.ts`).
 *
 * The grammar is deliberately small and portable: plain columns with SQLite's three collations and
 * ASC/DESC, `lower(col)`/`upper(col)`, and a WHERE clause of comparisons between columns and
 * literals combined with AND/OR/NOT. That covers what PocketBase writes and what data directories
 * hold; anything else (other functions, subqueries, comments, a second statement) is refused.
 */
import type { CompareOp, IndexCollation, IndexColumn, IndexCondition, IndexOperand, IndexOrder, IndexSpec } from './indexes.ts';

const MAX_INDEX_LENGTH = 2000;
/** PostgreSQL's and MySQL's limit on key parts; SQLite allows more, but then no other database could follow. */
const MAX_INDEX_COLUMNS = 32;
const MAX_CONDITION_DEPTH = 16;

// ---------------------------------------------------------------- lexer

type Token =
  | { readonly t: 'word'; readonly v: string } // bare identifier or keyword
  | { readonly t: 'ident'; readonly v: string } // quoted identifier
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'number'; readonly v: string }
  | { readonly t: 'punct'; readonly v: string };

const CLOSING_QUOTE: Readonly<Record<string, string>> = { '`': '`', '"': '"', '[': ']' };
const WORD_RE = /[A-Za-z_]\w*/y;
/** A decimal literal not running into a word or a second dot (`1abc`, `1.2.3` are refused). */
const NUMBER_RE = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?![\w.])/y;
const PUNCT_RE = /<=|>=|!=|<>|==|[(),;=<>-]/y;

function sticky(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[0];
}

/** Tokens of `text`, or undefined for anything outside the grammar (comments, unbalanced quotes …). */
function tokenize(text: string): Token[] | undefined {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f') {
      i++;
      continue;
    }
    // Comments would hide text from whoever reads the statement; nothing legitimate needs them.
    if (text.startsWith('--', i) || text.startsWith('/*', i)) return undefined;
    if (ch === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        const end = text.indexOf("'", j);
        if (end < 0) return undefined;
        value += text.slice(j, end);
        if (text[end + 1] !== "'") {
          j = end + 1;
          break;
        }
        value += "'";
        j = end + 2;
      }
      out.push({ t: 'string', v: value });
      i = j;
      continue;
    }
    const close = CLOSING_QUOTE[ch];
    if (close) {
      const end = text.indexOf(close, i + 1);
      const name = end < 0 ? undefined : text.slice(i + 1, end);
      // Names are word characters only, as PocketBase's field and collection names are.
      if (name === undefined || !/^\w*$/.test(name)) return undefined;
      out.push({ t: 'ident', v: name });
      i = end + 1;
      continue;
    }
    const word = sticky(WORD_RE, text, i);
    if (word) {
      out.push({ t: 'word', v: word });
      i += word.length;
      continue;
    }
    const num = sticky(NUMBER_RE, text, i);
    if (num) {
      out.push({ t: 'number', v: num });
      i += num.length;
      continue;
    }
    const punct = sticky(PUNCT_RE, text, i);
    if (!punct) return undefined;
    out.push({ t: 'punct', v: punct });
    i += punct.length;
  }
  return out;
}

// ---------------------------------------------------------------- parser

/** Keywords that cannot be bare identifiers here (quoted, they can). */
const RESERVED = new Set(
  'and or not is null in like glob regexp match between exists case when then else end select from where on collate asc desc cast escape isnull notnull unique index create true false'.split(
    ' ',
  ),
);
const COLLATIONS = new Set<string>(['nocase', 'binary', 'rtrim']);
const COMPARE_OPS: Readonly<Record<string, CompareOp>> = { '=': '=', '==': '=', '!=': '!=', '<>': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

class Cursor {
  pos = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  get done(): boolean {
    return this.pos >= this.tokens.length;
  }

  peek(ahead = 0): Token | undefined {
    return this.tokens[this.pos + ahead];
  }

  next(): Token | undefined {
    return this.tokens[this.pos++];
  }

  isWord(word: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t?.t === 'word' && t.v.toLowerCase() === word;
  }

  isPunct(p: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t?.t === 'punct' && t.v === p;
  }

  /** Consumes the keyword if it is next. */
  word(word: string): boolean {
    if (!this.isWord(word)) return false;
    this.pos++;
    return true;
  }

  punct(p: string): boolean {
    if (!this.isPunct(p)) return false;
    this.pos++;
    return true;
  }

  /** A quoted or bare (non-reserved) identifier; '' only when `allowEmpty`. */
  identifier(allowEmpty = false): string | undefined {
    const t = this.peek();
    if (t?.t === 'ident' && (allowEmpty || t.v !== '')) {
      this.pos++;
      return t.v;
    }
    if (t?.t === 'word' && !RESERVED.has(t.v.toLowerCase())) {
      this.pos++;
      return t.v;
    }
    return undefined;
  }

  order(): { order?: IndexOrder } {
    if (this.word('asc')) return { order: 'asc' };
    if (this.word('desc')) return { order: 'desc' };
    return {};
  }
}

function parseColumn(c: Cursor): IndexColumn | undefined {
  const head = c.peek();
  if (head?.t === 'word' && c.isPunct('(', 1)) {
    const fn = head.v.toLowerCase();
    if (fn !== 'lower' && fn !== 'upper') return undefined;
    c.pos += 2;
    const column = c.identifier();
    if (column === undefined || !c.punct(')')) return undefined;
    return { kind: 'expression', fn, column, ...c.order() };
  }
  const name = c.identifier();
  if (name === undefined) return undefined;
  let collate: { collate?: IndexCollation } = {};
  if (c.word('collate')) {
    const t = c.next();
    const value = t && (t.t === 'word' || t.t === 'ident') ? t.v.toLowerCase() : '';
    if (!COLLATIONS.has(value)) return undefined;
    collate = { collate: value as IndexCollation };
  }
  return { kind: 'column', name, ...collate, ...c.order() };
}

function parseOperand(c: Cursor): IndexOperand | undefined {
  const t = c.peek();
  if (!t) return undefined;
  if (t.t === 'string') {
    c.pos++;
    return { kind: 'string', value: t.v };
  }
  if (t.t === 'number') {
    c.pos++;
    return { kind: 'number', value: t.v };
  }
  const negated = c.peek(1);
  if (t.t === 'punct' && t.v === '-' && negated?.t === 'number') {
    c.pos += 2;
    return { kind: 'number', value: `-${negated.v}` };
  }
  if (c.word('null')) return { kind: 'null' };
  const name = c.identifier();
  return name === undefined ? undefined : { kind: 'column', name };
}

function parseJunction(c: Cursor, depth: number, kind: 'and' | 'or'): IndexCondition | undefined {
  const parts: IndexCondition[] = [];
  do {
    const part = kind === 'or' ? parseJunction(c, depth, 'and') : parseNot(c, depth);
    if (!part) return undefined;
    // `(a AND b) AND c` is `a AND b AND c`: one flat list, so formatting and re-parsing agree.
    if (part.kind === kind) parts.push(...part.conditions);
    else parts.push(part);
  } while (c.word(kind));
  return parts.length === 1 ? parts[0] : { kind, conditions: parts };
}

function parseNot(c: Cursor, depth: number): IndexCondition | undefined {
  if (c.word('not')) {
    if (depth >= MAX_CONDITION_DEPTH) return undefined;
    const condition = parseNot(c, depth + 1);
    return condition && { kind: 'not', condition };
  }
  if (c.punct('(')) {
    if (depth >= MAX_CONDITION_DEPTH) return undefined;
    const inner = parseJunction(c, depth + 1, 'or');
    return inner && c.punct(')') ? inner : undefined;
  }
  const left = parseOperand(c);
  if (!left) return undefined;
  if (c.word('is')) {
    const negated = c.word('not');
    return c.word('null') ? { kind: 'isNull', operand: left, negated } : undefined;
  }
  const t = c.next();
  const op = t?.t === 'punct' ? COMPARE_OPS[t.v] : undefined;
  const right = op && parseOperand(c);
  return op && right ? { kind: 'compare', op, left, right } : undefined;
}

function parseStatement(c: Cursor): IndexSpec | undefined {
  if (!c.word('create')) return undefined;
  const unique = c.word('unique');
  if (!c.word('index')) return undefined;
  if (c.isWord('if') && c.isWord('not', 1)) {
    c.pos += 2;
    if (!c.word('exists')) return undefined;
  }
  const name = c.identifier();
  if (name === undefined || !c.word('on')) return undefined;
  const table = c.identifier(true);
  if (table === undefined || !c.punct('(')) return undefined;
  const columns: IndexColumn[] = [];
  do {
    const column = parseColumn(c);
    if (!column || columns.length === MAX_INDEX_COLUMNS) return undefined;
    columns.push(column);
  } while (c.punct(','));
  if (!c.punct(')')) return undefined;
  let where: IndexCondition | null = null;
  if (c.word('where')) {
    where = parseJunction(c, 0, 'or') ?? null;
    if (!where) return undefined;
  }
  // One statement: a `;` may only end it.
  c.punct(';');
  return c.done ? { name, table, unique, columns, where } : undefined;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

// Parsed specs are frozen, so one parse per distinct text serves every caller (rule compilation
// asks hasUniqueIndexOn for each relation it resolves).
const cache = new Map<string, IndexSpec | null>();
const CACHE_SIZE = 1000;

/** The parsed statement, or undefined when it is not a single CREATE INDEX this grammar accepts. */
export function parseIndex(statement: string): IndexSpec | undefined {
  if (typeof statement !== 'string' || statement.length > MAX_INDEX_LENGTH) return undefined;
  const cached = cache.get(statement);
  if (cached !== undefined) return cached ?? undefined;
  // NUL and lone surrogates have no portable literal form (see checkLiteral): refused up front.
  const tokens = statement.includes('\0') || /\p{Surrogate}/u.test(statement) ? undefined : tokenize(statement);
  const spec = tokens ? parseStatement(new Cursor(tokens)) : undefined;
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(statement, spec ? deepFreeze(spec) : null);
  return spec;
}

// ---------------------------------------------------------------- questions about index text

/**
 * True when `indexes` holds a unique index on exactly `column` (partial indexes and collations
 * count, as in PocketBase; SQLite column names compare case-insensitively).
 */
export function hasUniqueIndexOn(indexes: readonly string[], column: string): boolean {
  const wanted = column.toLowerCase();
  return indexes.some((s) => {
    const p = parseIndex(s);
    return p?.unique === true && p.columns.length === 1 && p.columns[0].kind === 'column' && p.columns[0].name.toLowerCase() === wanted;
  });
}

// ---------------------------------------------------------------- unrelated, kept for view.ts

/** Splits SQL on commas outside parentheses and quotes. */
export function splitTopLevel(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of list) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0 && !quote) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}
