import { type Sql, sql } from '../db/sql.ts';
import type { FuncCall, Operand as Node } from './ast.ts';
import type { ConstSql } from '../db/dialect.ts';
import { type Operand, type Scope, operand, unionJoins } from './context.ts';
import { fail } from './errors.ts';

/**
 * Filter functions. A function's result is a computed value: `~` wraps the result in `%…%`, never
 * the constants among its arguments (so function operands carry no `wrap`). Arguments are restricted by kind, as in PocketBase, so a function can never
 * smuggle an arbitrary expression into another.
 */
type ArgKind = 'text' | 'number' | 'ident' | 'func';

function argKind(scope: Scope, node: Node): ArgKind {
  switch (node.kind) {
    case 'string': return 'text';
    case 'number': return 'number';
    case 'func': return 'func';
    case 'placeholder': {
      const v = scope.params[node.name];
      if (typeof v === 'number' || typeof v === 'bigint') return 'number';
      return v === null || v === undefined || typeof v === 'boolean' ? 'ident' : 'text';
    }
    default: return 'ident';
  }
}

export function callFunction(scope: Scope, call: FuncCall, resolve: (n: Node) => Operand): Operand {
  switch (call.name) {
    case 'strftime': return strftime(scope, call.args, resolve);
    case 'geoDistance': return geoDistance(scope, call.args, resolve);
    default: return fail(`unknown function ${JSON.stringify(call.name)}`);
  }
}

/** Argument afterBuild checks (e.g. email visibility) must survive being wrapped in a function. */
function combineAfterBuild(args: readonly Operand[]): Operand['afterBuild'] {
  const fns = args.map((a) => a.afterBuild).filter((f): f is (e: Sql) => Sql => f !== undefined);
  return fns.length ? (e) => fns.reduce((acc, f) => f(acc), e) : undefined;
}

/**
 * `strftime(format[, time-value[, modifier…]])`: SQLite's date formatting. A NULL result compares
 * like '' (PocketBase's enforced null fallback); a multi-valued time value keeps its all-of check.
 */
function strftime(scope: Scope, args: readonly Node[], resolve: (n: Node) => Operand): Operand {
  const d = scope.ctx.dialect;
  if (args.length < 1) fail('strftime() expects at least 1 argument');
  if (args.length > 10) fail(`strftime() accepts at most 10 arguments, got ${args.length}`);
  if (argKind(scope, args[0]) !== 'text') fail('strftime() expects a format string as its first argument');
  const format = resolve(args[0]);
  if (args.length === 1) {
    return operand({ sql: d.strftime(constSql(format)), type: 'text', params: format.params, nullFallback: 'enforced' });
  }
  if (argKind(scope, args[1]) === 'func') fail('strftime() expects a date string, number or field as its second argument');
  const time = resolve(args[1]);
  const modifiers = args.slice(2).map((a, i) => {
    if (argKind(scope, a) !== 'text') fail(`strftime() modifier ${i + 1} must be a string`);
    return resolve(a);
  });
  const build = (t: Sql) => d.strftime(constSql(format), d.cast(t, time.type, 'text'), modifiers.map(constSql));
  const all = [format, time, ...modifiers];
  return operand({
    sql: build(time.sql),
    type: 'text',
    params: all.flatMap((a) => a.params),
    nullFallback: 'enforced',
    joins: time.joins,
    multi: time.multi && (() => {
      const m = (time.multi as NonNullable<Operand['multi']>)();
      return { ...m, value: build(m.value) };
    }),
    afterBuild: combineAfterBuild(all),
  });
}

/** An argument with its constant text where it is one literal (dialects translating strftime need it). */
function constSql(o: Operand): ConstSql {
  const only = o.params.length === 1 && typeof o.params[0] === 'string' && o.sql.parts.length === 1 ? o.params[0] : undefined;
  return only === undefined ? { sql: o.sql } : { sql: o.sql, text: only };
}

/**
 * `geoDistance(lonA, latA, lonB, latB)` in kilometres. Arguments through multi-relations match if
 * any related record satisfies the comparison (no all-of check), as in PocketBase.
 */
function geoDistance(scope: Scope, args: readonly Node[], resolve: (n: Node) => Operand): Operand {
  if (args.length !== 4) fail(`geoDistance() expects 4 arguments, got ${args.length}`);
  const resolved = args.map((a, i) => {
    const k = argKind(scope, a);
    if (k !== 'ident' && k !== 'number') fail(`geoDistance() argument ${i + 1} must be a field or a number`);
    return resolve(a);
  });
  const d = scope.ctx.dialect;
  // The dialect converts each argument as SQLite does in the formula (see Dialect.geoDistance).
  const [lonA, latA, lonB, latB] = resolved.map((r) => ({ sql: r.sql, type: r.type }));
  return operand({
    sql: sql`${d.geoDistance(lonA, latA, lonB, latB)}`,
    type: 'number',
    params: resolved.flatMap((a) => a.params),
    nullFallback: 'disabled',
    joins: unionJoins(...resolved.map((r) => r.joins)),
    afterBuild: combineAfterBuild(resolved),
  });
}
