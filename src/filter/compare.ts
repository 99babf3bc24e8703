import { ident, raw, Sql, SqlValue, sql } from '../db/sql.ts';
import type { Dialect } from '../db/dialect.ts';
import { type BaseOp, type Op, baseOp, isAnyOp } from './ast.ts';
import { type Compiled, type CompileContext, type MultiMatch, type NullFallback, type Operand, operand, unionJoins } from './context.ts';
import { fail } from './errors.ts';
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
export function compareOperands(ctx: CompileContext, left: Operand, op: Op, right: Operand): Compiled {
  const checks = { rows: 0 };
  const e = build(ctx, left, op, right, checks);
  return { sql: e, joins: unionJoins(left.joins, right.joins), ...(checks.rows > 0 && { checkRows: checks.rows }) };
}

const not = (e: Sql): Sql => sql`NOT (${e})`;

/** `checks.rows` accumulates the estimated rows the all-of checks read (for the client cost budget). */
function build(ctx: CompileContext, l: Operand, op: Op, r: Operand, checks: { rows: number }): Sql {
  const d = ctx.dialect;
  const b = baseOp(op);
  let e: Sql;
  switch (b) {
    case '=': e = equality(d, true, l, r); break;
    case '!=': e = equality(d, false, l, r); break;
    case '~': case '!~': e = like(d, l, r, b === '!~'); break;
    default: e = sql`${l.sql} ${raw(b)} ${r.sql}`;
  }
  if (!isAnyOp(op)) {
    if (l.multi && r.multi) e = sql`(${e} AND ${manyVsMany(ctx, l, b, r, checks)})`;
    else if (l.multi) e = sql`(${e} AND ${manyVsOne(ctx, l.multi(), l.nullFallback, b, r, false, checks)})`;
    else if (r.multi) e = sql`(${e} AND ${manyVsOne(ctx, r.multi(), r.nullFallback, b, l, true, checks)})`;
  }
  if (l.afterBuild) e = l.afterBuild(e);
  if (r.afterBuild) e = r.afterBuild(e);
  return e;
}

/** NOT EXISTS a value of the multi-valued side for which the comparison fails. */
function manyVsOne(ctx: CompileContext, mm: MultiMatch, nf: NullFallback, op: BaseOp, other: Operand, inverse: boolean, checks: { rows: number }): Sql {
  ctx.countSubquery();
  checks.rows += mm.rows;
  const item = operand({ sql: mm.value, nullFallback: nf, afterBuild: not });
  // The other side keeps its values but not its own multi-match or null preference (as PocketBase).
  const plain = operand({ sql: other.sql, params: other.params, wrap: other.wrap, token: other.token });
  const fails = inverse ? build(ctx, plain, op, item, checks) : build(ctx, item, op, plain, checks);
  // Only the values the filter may see (mm.where) take part; hidden ones can never be the counterexample.
  const where = mm.where ? sql`(${mm.where}) AND (${fails})` : fails;
  return sql`NOT EXISTS (SELECT 1 FROM ${mm.from} WHERE ${where})`;
}

/** `SELECT value AS v FROM …` over the visible values of a multi-match, as a derived table. */
const valuesOf = (mm: MultiMatch): Sql =>
  sql`(SELECT ${mm.value} AS ${ident('v')} FROM ${mm.from}${mm.where ? sql` WHERE ${mm.where}` : sql``})`;

function manyVsMany(ctx: CompileContext, l: Operand, op: BaseOp, r: Operand, checks: { rows: number }): Sql {
  ctx.countSubquery();
  const la = ctx.alias('l');
  const ra = ctx.alias('r');
  const lm = (l.multi as () => MultiMatch)();
  const rm = (r.multi as () => MultiMatch)();
  checks.rows += lm.rows * rm.rows;
  const where = build(
    ctx,
    operand({ sql: sql`${ident(la, 'v')}`, nullFallback: l.nullFallback }),
    op,
    operand({ sql: sql`${ident(ra, 'v')}`, nullFallback: r.nullFallback, afterBuild: not }),
    checks,
  );
  return sql`NOT EXISTS (SELECT 1 FROM ${valuesOf(lm)} AS ${ident(la)} LEFT JOIN ${valuesOf(rm)} AS ${ident(ra)} ON 1=1 WHERE ${where})`;
}

const hasEmptyParam = (o: Operand) => o.params.some((p) => p === null || p === undefined || p === '');
const isEmpty = (o: Operand) => o.token === 'null' || (o.nullFallback === 'auto' && o.params.length === 1 && hasEmptyParam(o));
const isKnownNonEmpty = (o: Operand) =>
  o.nullFallback !== 'enforced' && (o.token === 'bool' || (o.params.length > 0 && !hasEmptyParam(o) && o.token !== 'null'));

const EMPTY = raw("''");

/**
 * `a = ''` becomes `(a = '' OR a IS NULL)` rather than `COALESCE(a, '') = ''` so an index on `a`
 * stays usable; COALESCE is the fallback when neither side is known.
 */
function equality(d: Dialect, equal: boolean, l: Operand, r: Operand): Sql {
  if (l.nullFallback === 'disabled' || r.nullFallback === 'disabled') return d.nullSafeEqual(l.sql, r.sql, !equal);
  const eq = (a: Sql, b: Sql) => (equal ? sql`${a} = ${b}` : d.nullSafeEqual(a, b, true));
  const isNull = (a: Sql) => (equal ? sql`${a} IS NULL` : sql`${a} IS NOT NULL`);
  const joiner = raw(equal ? ' OR ' : ' AND ');
  const lEmpty = isEmpty(l);
  const rEmpty = isEmpty(r);
  if (lEmpty && rEmpty) return eq(EMPTY, EMPTY);
  if (isKnownNonEmpty(l) || isKnownNonEmpty(r)) return eq(lEmpty ? EMPTY : l.sql, rEmpty ? EMPTY : r.sql);
  if (lEmpty) return sql`(${eq(EMPTY, r.sql)}${joiner}${isNull(r.sql)})`;
  if (rEmpty) return sql`(${eq(l.sql, EMPTY)}${joiner}${isNull(l.sql)})`;
  return eq(sql`COALESCE(${l.sql}, '')`, sql`COALESCE(${r.sql}, '')`);
}

function like(d: Dialect, l: Operand, r: Operand, negate: boolean): Sql {
  if (r.wrap.length === 0) return d.like(l.sql, d.concat([raw("'%'"), r.sql, raw("'%'")]), negate);
  const targets = new Set<SqlValue>(r.wrap);
  const wrapped = new Sql(r.sql.parts.map((p) => (p instanceof SqlValue && targets.has(p) ? new SqlValue(likePattern(p.value)) : p)));
  return d.like(l.sql, wrapped, negate);
}

/** "contains" pattern for a value, unless the value is already a pattern (has an unescaped `%`). */
export function likePattern(v: unknown): string {
  const s = castToString(v);
  if (hasUnescapedPercent(s)) return checkedPattern(s);
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
  return checkedPattern(`%${out}%`);
}

function checkedPattern(p: string): string {
  if (Buffer.byteLength(p, 'utf8') > FILTER_LIMITS.maxLikePatternBytes) fail(`value too long for the ~ operator (max ${FILTER_LIMITS.maxLikePatternBytes} bytes)`);
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
