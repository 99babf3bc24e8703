/**
 * `CREATE [UNIQUE] INDEX` statements, as PocketBase stores them in `_collections.indexes`.
 *
 * They are superuser-authored SQL, so nothing ever executes their text: it is parsed once into an
 * `IndexSpec` (frozen data), and each dialect renders that spec (`dialects/*-indexes.ts`).
 * The grammar is deliberately small and portable: plain columns with SQLite's three collations and
 * ASC/DESC, `lower(col)`/`upper(col)`, and a WHERE clause of comparisons between columns and
 * literals combined with AND/OR/NOT. That covers what PocketBase writes and what data directories
 * hold; anything else (other functions, subqueries, comments, a second statement) is refused.
 */
import { ident, join, raw, render, sql, type Sql, type SqlRenderer, type ValueType } from './sql.ts';

export type IndexCollation = 'nocase' | 'binary' | 'rtrim';
export type IndexOrder = 'asc' | 'desc';

export type IndexColumn =
  | { readonly kind: 'column'; readonly name: string; readonly collate?: IndexCollation; readonly order?: IndexOrder }
  | { readonly kind: 'expression'; readonly fn: 'lower' | 'upper'; readonly column: string; readonly order?: IndexOrder };

export type IndexOperand =
  | { readonly kind: 'column'; readonly name: string }
  | { readonly kind: 'string'; readonly value: string }
  /** A decimal literal as written (`-1`, `2.5`, `1e3`); see `numericLiteral`. */
  | { readonly kind: 'number'; readonly value: string }
  | { readonly kind: 'null' };

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type IndexCondition =
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly left: IndexOperand; readonly right: IndexOperand }
  | { readonly kind: 'isNull'; readonly operand: IndexOperand; readonly negated: boolean }
  /** Two or more conditions; never directly nested in one of the same kind. */
  | { readonly kind: 'and' | 'or'; readonly conditions: readonly IndexCondition[] }
  | { readonly kind: 'not'; readonly condition: IndexCondition };

export interface IndexSpec {
  readonly name: string;
  /** As written; may be '' (PocketBase scaffolds indexes before a collection has a name). */
  readonly table: string;
  readonly unique: boolean;
  readonly columns: readonly IndexColumn[];
  readonly where: IndexCondition | null;
}

/** An index the database at hand cannot build (an unknown column, a literal it cannot compare). */
export class IndexRenderError extends Error {
  override name = 'IndexRenderError';
}

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

// ---------------------------------------------------------------- helpers for callers

/** The table column an index entry reads. */
export const indexedColumn = (column: IndexColumn): string => (column.kind === 'column' ? column.name : column.column);

/** Every table column the index reads (entries, expression arguments, WHERE), once each, in order. */
export function indexColumnNames(spec: IndexSpec): string[] {
  const names = new Set(spec.columns.map(indexedColumn));
  const visitOperand = (o: IndexOperand) => {
    if (o.kind === 'column') names.add(o.name);
  };
  const visit = (cond: IndexCondition): void => {
    if (cond.kind === 'compare') {
      visitOperand(cond.left);
      visitOperand(cond.right);
    } else if (cond.kind === 'isNull') visitOperand(cond.operand);
    else if (cond.kind === 'not') visit(cond.condition);
    else cond.conditions.forEach(visit);
  };
  if (spec.where) visit(spec.where);
  return [...names];
}

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

/**
 * The key in `columnKinds` naming `name`: itself, or else its only case-insensitive match (SQLite
 * matches column names case-insensitively, so a data directory may spell one differently from the
 * field; PostgreSQL would not).
 */
export function resolveIndexColumn<K>(name: string, columnKinds: Readonly<Record<string, K>>): string {
  if (Object.hasOwn(columnKinds, name)) return name;
  const lower = name.toLowerCase();
  const matches = Object.keys(columnKinds).filter((k) => k.toLowerCase() === lower);
  if (matches.length !== 1) throw new IndexRenderError(`unknown column "${name}"`);
  return matches[0];
}

// ---------------------------------------------------------------- rendering shared by dialects

const DECIMAL_RE = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A decimal literal as SQL text. Checked again here because it is spliced into DDL (no database
 * binds parameters in CREATE INDEX), and a spec can be built by code, not only by parseIndex.
 */
export function numericLiteral(value: string): Sql {
  if (!DECIMAL_RE.test(value)) throw new IndexRenderError(`not a number: ${JSON.stringify(value)}`);
  return raw(value);
}

/**
 * A string literal in SQLite's syntax: quotes doubled, nothing else is special (SQLite has no
 * backslash escapes). Used for SQLite DDL and the canonical text, where parameters are refused
 * ("parameters prohibited in partial index WHERE clauses").
 */
export function sqliteStringLiteral(value: string): Sql {
  checkLiteral(value);
  return raw(`'${value.replace(/'/g, "''")}'`);
}

/**
 * Refuses what no escaping makes portable: NUL (PostgreSQL text cannot hold it, SQLite would cut
 * the statement) and lone UTF-16 surrogates (no UTF-8 form; drivers would silently replace them).
 */
export function checkLiteral(value: string): void {
  if (value.includes('\0')) throw new IndexRenderError('a string literal cannot contain NUL');
  if (/\p{Surrogate}/u.test(value)) throw new IndexRenderError('a string literal cannot contain a lone surrogate');
}

/** The type of a comparison's other side, as seen from a column operand. */
export type OperandType = ValueType | 'null';

/** How one database spells the pieces of an index condition. */
export interface ConditionDialect {
  /** A string literal, escaped for this database: DDL takes no bound parameters. */
  string(value: string): Sql;
  /** A column operand; `against` is the type of what it is compared with ('null' for IS NULL). */
  column(name: string, against: OperandType): Sql;
  /**
   * The value type of a column, for databases that compare strictly typed values (PostgreSQL,
   * MySQL): literals are then converted the way SQLite converts them against a column of that
   * affinity. Absent for SQLite, which does it itself.
   */
  typeOf?(name: string): ValueType;
}

/**
 * A number literal as SQLite writes it when converting it to text (a TEXT column compared with a
 * number compares as text): integers as digits, reals in `%!.15g` form. Undefined where that form
 * would use an exponent, which we do not reproduce.
 */
function sqliteNumberAsText(value: string): string | undefined {
  if (/^-?\d+$/.test(value)) {
    const n = BigInt(value);
    return n >= -(2n ** 63n) && n < 2n ** 63n ? n.toString() : undefined;
  }
  const n = Number(Number(value).toPrecision(15));
  if (n !== 0 && (Math.abs(n) >= 1e15 || Math.abs(n) < 1e-4)) return undefined;
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

const operandType = (o: IndexOperand, d: ConditionDialect): OperandType =>
  o.kind === 'column' ? d.typeOf!(o.name) : o.kind === 'string' ? 'text' : o.kind === 'number' ? 'number' : 'null';

function operandSql(o: IndexOperand, d: ConditionDialect, against: OperandType): Sql {
  switch (o.kind) {
    case 'column':
      return d.column(o.name, against);
    case 'string':
      return d.string(o.value);
    case 'number':
      return numericLiteral(o.value);
    case 'null':
      return raw('NULL');
  }
}

/** Whether SQLite's `number op text` (numbers sort before text) holds, with the number on `numberSide`. */
function numberBeforeText(op: CompareOp, numberSide: 'left' | 'right'): boolean {
  if (op === '!=') return true;
  if (op === '=') return false;
  const less = op === '<' || op === '<=';
  return numberSide === 'left' ? less : !less;
}

/**
 * A column compared with a literal, converted as SQLite converts it by the column's affinity,
 * for databases that will not compare a number with text.
 */
function typedCompare(op: CompareOp, left: IndexOperand, right: IndexOperand, d: ConditionDialect): Sql | undefined {
  const [col, lit, colSide] = left.kind === 'column' ? [left, right, 'left' as const] : [right, left, 'right' as const];
  if (col.kind !== 'column' || lit.kind === 'column' || lit.kind === 'null') return undefined;
  const type = d.typeOf!(col.name);
  let literal: IndexOperand = lit;
  if ((type === 'text' || type === 'json') && lit.kind === 'number') {
    const text = sqliteNumberAsText(lit.value);
    if (text === undefined) throw new IndexRenderError(`cannot compare text column "${col.name}" with ${lit.value}`);
    literal = { kind: 'string', value: text };
  } else if ((type === 'number' || type === 'bool') && lit.kind === 'string') {
    const trimmed = lit.value.trim();
    if (DECIMAL_RE.test(trimmed)) literal = { kind: 'number', value: trimmed };
    else {
      // A numeric column never holds text here, so the result only depends on NULL.
      const column = d.column(col.name, 'null');
      return numberBeforeText(op, colSide) ? sql`(${column} IS NOT NULL)` : sql`(CASE WHEN ${column} IS NULL THEN NULL ELSE FALSE END)`;
    }
  }
  const litType = operandType(literal, d);
  const colSql = d.column(col.name, litType);
  const litSql = operandSql(literal, d, type);
  return colSide === 'left' ? sql`${colSql} ${raw(op)} ${litSql}` : sql`${litSql} ${raw(op)} ${colSql}`;
}

/** The condition as SQL for one database. */
export function conditionSql(cond: IndexCondition, d: ConditionDialect): Sql {
  switch (cond.kind) {
    case 'compare': {
      const typed = d.typeOf ? typedCompare(cond.op, cond.left, cond.right, d) : undefined;
      if (typed) return typed;
      const left = operandSql(cond.left, d, d.typeOf ? operandType(cond.right, d) : 'text');
      const right = operandSql(cond.right, d, d.typeOf ? operandType(cond.left, d) : 'text');
      return sql`${left} ${raw(cond.op)} ${right}`;
    }
    case 'isNull':
      return sql`${operandSql(cond.operand, d, 'null')} ${raw(cond.negated ? 'IS NOT NULL' : 'IS NULL')}`;
    case 'not':
      // Always parenthesised: MySQL's HIGH_NOT_PRECEDENCE mode reads `NOT a = b` differently.
      return sql`NOT (${conditionSql(cond.condition, d)})`;
    case 'and':
    case 'or': {
      // AND binds tighter than OR, so only an OR inside an AND needs parentheses.
      const parts = cond.conditions.map((c) => (c.kind === 'or' ? sql`(${conditionSql(c, d)})` : conditionSql(c, d)));
      return join(parts, cond.kind === 'and' ? ' AND ' : ' OR ');
    }
  }
}

// ---------------------------------------------------------------- canonical text

/** Backticks, as PocketBase writes; the grammar keeps names to word characters, doubling is for hand-built specs. */
const BACKTICKS: SqlRenderer = {
  quoteIdent: (name) => `\`${name.replace(/`/g, '``')}\``,
  placeholder: () => {
    throw new IndexRenderError('index text cannot hold bound parameters');
  },
};

const identSql = (name: string): Sql => sql`${ident(name)}`;

const SQLITE_TEXT: ConditionDialect = { string: sqliteStringLiteral, column: identSql };

const FUNCTIONS: Readonly<Record<string, string>> = { lower: 'lower', upper: 'upper' };
const COLLATE_SQL: Readonly<Record<string, string>> = { nocase: ' COLLATE NOCASE', binary: ' COLLATE BINARY', rtrim: ' COLLATE RTRIM' };
const ORDER_SQL: Readonly<Record<string, string>> = { asc: ' ASC', desc: ' DESC' };

/**
 * SQL text for one of our own keywords, looked up rather than spliced, so a spec built by code
 * (not by parseIndex) with a stray value cannot put text into DDL.
 */
export function keywordSql(table: Readonly<Record<string, string>>, key: string | undefined): Sql {
  if (key === undefined) return raw('');
  const text = Object.hasOwn(table, key) ? table[key] : undefined;
  if (text === undefined) throw new IndexRenderError(`unexpected ${JSON.stringify(key)} in an index`);
  return raw(text);
}

/** ` ASC` / ` DESC` / nothing. */
export const orderSql = (order: string | undefined): Sql => keywordSql(ORDER_SQL, order);

/** `lower` / `upper`. */
export const functionSql = (fn: string): Sql => keywordSql(FUNCTIONS, fn);

/** Column entry as SQLite text: `col` COLLATE NOCASE DESC, lower(`col`) ASC. */
export function sqliteColumnSql(column: IndexColumn): Sql {
  if (column.kind === 'expression') return sql`${functionSql(column.fn)}(${identSql(column.column)})${orderSql(column.order)}`;
  return sql`${identSql(column.name)}${keywordSql(COLLATE_SQL, column.collate)}${orderSql(column.order)}`;
}

/**
 * The canonical text `_collections.indexes` stores, in PocketBase's layout (Index.Build): backticked
 * names, one entry per line when there are several, and the WHERE clause as this grammar reads it.
 */
export function formatIndex(spec: IndexSpec): string {
  if (spec.columns.length === 0) throw new IndexRenderError('an index needs at least one column');
  const entries = spec.columns.map((c) => render(sqliteColumnSql(c), BACKTICKS).text);
  const list = entries.length > 1 ? `\n  ${entries.join(',\n  ')}\n` : entries[0];
  const where = spec.where ? ` WHERE ${render(conditionSql(spec.where, SQLITE_TEXT), BACKTICKS).text}` : '';
  const q = BACKTICKS.quoteIdent;
  return `CREATE ${spec.unique ? 'UNIQUE ' : ''}INDEX ${q(spec.name)} ON ${q(spec.table)} (${list})${where}`;
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
