/**
 * Index specs as SQL: the pieces every dialect's renderer (`dialects/*-indexes.ts`) shares, and
 * the canonical text `_collections.indexes` stores. No database binds parameters in CREATE INDEX,
 * so literals are checked and spliced here.
 */
import { VALUE_TYPE_OF, type ColumnKind } from './dialect.ts';
import { IndexRenderError, resolveIndexColumn, type CompareOp, type IndexCollation, type IndexColumn, type IndexCondition, type IndexOperand, type IndexSpec } from './indexes.ts';
import { ident, join, raw, render, sql, type Sql, type SqlRenderer, type ValueType } from './sql.ts';

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

/**
 * The column a lookup through `spec` compares (`Dialect.indexLookup`), as `columnKinds` spells it:
 * the index's only entry, a plain column holding text. Anything else is the caller's mistake.
 */
export function lookupKey(spec: IndexSpec, columnKinds: Readonly<Record<string, ColumnKind>>): { name: string; collate?: IndexCollation } {
  const entry = spec.columns.length === 1 ? spec.columns[0] : undefined;
  if (entry?.kind !== 'column') throw new IndexRenderError(`index ${spec.name} has no single column to look up by`);
  const name = resolveIndexColumn(entry.name, columnKinds);
  if (VALUE_TYPE_OF[columnKinds[name]] !== 'text') throw new IndexRenderError(`index ${spec.name}: column "${name}" does not hold text`);
  return { name, collate: entry.collate };
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
