import { join, raw, Sql, SqlValue, sql, value } from '../db/sql.ts';
import { sqliteNumberText } from '../db/dialects/affinity.ts';
import type { Dialect, TypedSql } from '../db/dialect.ts';
import { type BaseOp, type Op, baseOp, isAnyOp } from './ast.ts';
import { type Compiled, type CompileContext, type MultiMatch, type Operand, operand, unionJoins } from './context.ts';
import { likePatternTooLong } from './errors.ts';
import { FILTER_LIMITS } from './limits.ts';
import { castToString } from './values.ts';

/**
 * One comparison, with PocketBase's semantics:
 * - `=`/`!=` treat NULL and '' alike unless an operand opts out (JSON values, geoDistance);
 *   `!=` is null-safe, so a NULL column is "not equal" to a value.
 * - `~` wraps a bound value in `%…%` (escaping `\`, `_`) unless it already holds an unescaped `%`.
 * - On a multi-valued path, non-`?` operators need every value to match (and at least one, via
 *   the shared joins); `?` operators need any one. The all-of check is a NOT EXISTS over a private
 *   copy of the path looking for a value that fails the comparison; for client filters that copy
 *   keeps only the rows the shared joins keep (listRules, visible emails).
 */
export function compareOperands(ctx: CompileContext, left: Operand, op: Op, right: Operand, client = false): Compiled {
  const checks: Checks = { rows: 0, maxPatternBytes: client ? FILTER_LIMITS.maxClientLikePatternBytes : FILTER_LIMITS.maxLikePatternBytes };
  const e = build(ctx, left, op, right, checks);
  return { sql: e, joins: unionJoins(left.joins, right.joins), ...(checks.rows > 0 && { checkRows: checks.rows }) };
}

const not = (e: Sql): Sql => sql`NOT (${e})`;

/**
 * What one comparison accumulates and obeys: `rows`, the estimated rows its all-of checks read
 * (for the client cost budget); `maxPatternBytes`, the longest `~` pattern it may bind (clients'
 * are capped far lower than trusted rules', see FILTER_LIMITS.maxClientLikePatternBytes).
 */
interface Checks {
  rows: number;
  readonly maxPatternBytes: number;
}

function build(ctx: CompileContext, l: Operand, op: Op, r: Operand, checks: Checks): Sql {
  const d = ctx.dialect;
  const b = baseOp(op);
  let e: Sql;
  switch (b) {
    case '=': e = equality(d, true, l, r); break;
    case '!=': e = equality(d, false, l, r); break;
    case '~': case '!~': e = like(d, l, r, b === '!~', checks.maxPatternBytes); break;
    default: {
      const c = d.comparable(typed(l), typed(r));
      e = sql`${c.left} ${raw(b)} ${c.right}`;
    }
  }
  if (!isAnyOp(op)) {
    if (l.multi && r.multi) e = sql`(${e} AND ${manyVsMany(ctx, l, b, r, checks)})`;
    else if (l.multi) e = sql`(${e} AND ${manyVsOne(ctx, l, b, r, false, checks)})`;
    else if (r.multi) e = sql`(${e} AND ${manyVsOne(ctx, r, b, l, true, checks)})`;
  }
  if (l.afterBuild) e = l.afterBuild(e);
  if (r.afterBuild) e = r.afterBuild(e);
  return e;
}

/** NOT EXISTS a value of the multi-valued side for which the comparison fails. */
function manyVsOne(ctx: CompileContext, many: Operand, op: BaseOp, other: Operand, inverse: boolean, checks: Checks): Sql {
  ctx.countSubquery();
  const mm = (many.multi as () => MultiMatch)();
  checks.rows += mm.rows;
  const item = operand({ sql: mm.value, type: many.type, column: many.column, nullFallback: many.nullFallback, afterBuild: not });
  // The other side keeps its values but not its own multi-match or null preference (as PocketBase).
  const plain = operand({ sql: other.sql, type: other.type, column: other.column, params: other.params, wrap: other.wrap, token: other.token });
  const fails = inverse ? build(ctx, plain, op, item, checks) : build(ctx, item, op, plain, checks);
  // Only the values the filter may see (mm.where) take part; hidden ones can never be the counterexample.
  const where = mm.where ? sql`(${mm.where}) AND (${fails})` : fails;
  return sql`NOT EXISTS (SELECT 1 FROM ${mm.from} WHERE ${where})`;
}

/**
 * Many against many: no visible left value may fail the comparison against a visible right value
 * (or against NULL when no right value is visible, as a LEFT JOIN of the two value lists gives).
 * Written as nested correlated subqueries rather than a join of two derived tables, because
 * MariaDB's derived tables cannot read the outer row (no LATERAL).
 */
function manyVsMany(ctx: CompileContext, l: Operand, op: BaseOp, r: Operand, checks: Checks): Sql {
  ctx.countSubquery();
  const lm = (l.multi as () => MultiMatch)();
  const rm = (r.multi as () => MultiMatch)();
  checks.rows += lm.rows * rm.rows;
  const fails = (right: Sql, type = r.type) =>
    build(
      ctx,
      operand({ sql: lm.value, type: l.type, column: l.column, nullFallback: l.nullFallback }),
      op,
      operand({ sql: right, type, column: r.column, nullFallback: r.nullFallback, afterBuild: not }),
      checks,
    );
  const visible = (m: MultiMatch, cond?: Sql) => {
    const parts = [m.where, cond].filter((x): x is Sql => x !== undefined);
    return parts.length ? sql` WHERE ${join(parts.map((x) => sql`(${x})`), ' AND ')}` : sql``;
  };
  // (Sibling subqueries may reuse the right side's aliases: each has its own scope.)
  const failsSome = sql`EXISTS (SELECT 1 FROM ${rm.from}${visible(rm, fails(rm.value))})`;
  const noneVisible = sql`NOT EXISTS (SELECT 1 FROM ${rm.from}${visible(rm)})`;
  const leftFails = sql`(${failsSome} OR (${noneVisible} AND ${fails(raw('NULL'), 'null')}))`;
  return sql`NOT EXISTS (SELECT 1 FROM ${lm.from}${visible(lm, leftFails)})`;
}

const hasEmptyParam = (o: Operand) => o.params.some((p) => p === null || p === undefined || p === '');
const isEmpty = (o: Operand) => o.token === 'null' || (o.nullFallback === 'auto' && o.params.length === 1 && hasEmptyParam(o));
const isKnownNonEmpty = (o: Operand) =>
  o.nullFallback !== 'enforced' && (o.token === 'bool' || (o.params.length > 0 && !hasEmptyParam(o) && o.token !== 'null'));

/** The operand with its type and, where it is exactly one bound value, that value. */
function typed(o: Operand): TypedSql {
  const parts = o.sql.parts;
  const only = parts.length === 1 && parts[0] instanceof SqlValue ? parts[0] : undefined;
  const base = { sql: o.sql, type: o.type, column: o.column === true };
  return only ? { ...base, constant: { value: only.value } } : base;
}

const EMPTY: TypedSql = { sql: raw("''"), type: 'text', constant: { value: '' } };

/**
 * `a = ''` becomes `(a = '' OR a IS NULL)` rather than `COALESCE(a, '') = ''` so an index on `a`
 * stays usable; COALESCE is the fallback when neither side is known. The dialect makes the two
 * sides comparable first, so what "empty" means follows the column's type (a number is never '').
 */
function equality(d: Dialect, equal: boolean, l: Operand, r: Operand): Sql {
  if (l.nullFallback === 'disabled' || r.nullFallback === 'disabled') {
    const c = d.comparable(typed(l), typed(r), true);
    return d.nullSafeEqual(c.left, c.right, !equal);
  }
  const eq = (a: TypedSql, b: TypedSql) => {
    const c = d.comparable(a, b, true);
    return equal ? sql`${c.left} = ${c.right}` : d.nullSafeEqual(c.left, c.right, true);
  };
  const isNull = (a: Sql) => (equal ? sql`${a} IS NULL` : sql`${a} IS NOT NULL`);
  const joiner = raw(equal ? ' OR ' : ' AND ');
  const lEmpty = isEmpty(l);
  const rEmpty = isEmpty(r);
  if (lEmpty && rEmpty) return eq(EMPTY, EMPTY);
  if (isKnownNonEmpty(l) || isKnownNonEmpty(r)) return eq(lEmpty ? EMPTY : typed(l), rEmpty ? EMPTY : typed(r));
  if (lEmpty) return sql`(${eq(EMPTY, typed(r))}${joiner}${isNull(r.sql)})`;
  if (rEmpty) return sql`(${eq(typed(l), EMPTY)}${joiner}${isNull(l.sql)})`;
  // SQLite's form: COALESCE(l, '') = COALESCE(r, ''), where NULL reads as '' and no side keeps
  // its column's affinity (the dialect makes the sides comparable with that in mind).
  const c = d.comparable({ ...typed(l), orEmpty: true }, { ...typed(r), orEmpty: true }, true);
  if (c.type === 'text' || c.type === 'dynamic') {
    const coalesced = (x: Sql) => sql`COALESCE(${x}, '')`;
    return equal ? sql`${coalesced(c.left)} = ${coalesced(c.right)}` : d.nullSafeEqual(coalesced(c.left), coalesced(c.right), true);
  }
  // Values with no empty form (numbers, booleans, JSON): both NULL, or equal.
  return d.nullSafeEqual(c.left, c.right, !equal);
}

/**
 * Both sides of `~` are read as text, as SQLite's LIKE reads them, by the dialect's cast; a whole
 * number past 2^53 is bound as a REAL on SQLite (1e18 reads '1.0e+18'), where the cast of the
 * other dialects would write an INTEGER's digits, so it is bound as that text.
 */
function likeText(d: Dialect, o: Operand): Sql {
  const c = typed(o).constant?.value;
  if (typeof c === 'number' && Number.isInteger(c) && !Number.isSafeInteger(c)) return sql`${value(sqliteNumberText(c, false), 'text')}`;
  return d.cast(o.sql, o.type, 'text');
}

function like(d: Dialect, l: Operand, r: Operand, negate: boolean, maxBytes: number): Sql {
  const left = likeText(d, l);
  if (r.wrap.length === 0) return d.like(left, d.concat([raw("'%'"), likeText(d, r), raw("'%'")]), negate);
  const targets = new Set<SqlValue>(r.wrap);
  const wrapped = new Sql(r.sql.parts.map((p) => (p instanceof SqlValue && targets.has(p) ? new SqlValue(likePattern(p.value, maxBytes), 'text') : p)));
  return d.like(left, wrapped, negate);
}

/**
 * "contains" pattern for a value, unless the value is already a pattern (has an unescaped `%`);
 * a pattern longer than `maxBytes` (UTF-8) is refused.
 */
export function likePattern(v: unknown, maxBytes: number = FILTER_LIMITS.maxLikePatternBytes): string {
  const s = castToString(v);
  if (hasUnescapedPercent(s)) return checkedPattern(s, maxBytes);
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '%' || s[i + 1] === '_' || s[i + 1] === '\\')) {
      out += c + s[++i]; // already an escape sequence
    } else if (c === '\\' || c === '_' || c === '%') {
      out += `\\${c}`;
    } else {
      out += c;
    }
  }
  return checkedPattern(`%${out}%`, maxBytes);
}

function checkedPattern(p: string, maxBytes: number): string {
  if (Buffer.byteLength(p, 'utf8') > maxBytes) throw likePatternTooLong(maxBytes);
  return p;
}

function hasUnescapedPercent(s: string): boolean {
  let prev = '';
  for (const c of s) {
    if (c === '%' && prev !== '\\') return true;
    prev = c === '\\' && prev === '\\' ? '' : c;
  }
  return false;
}
