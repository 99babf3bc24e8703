import { join, raw, sql, type Sql } from '../db/sql.ts';
import { CompileContext, type FilterEnv, type Scope } from './context.ts';
import { FilterError, fail, quote } from './errors.ts';
import { compileConstraints } from './compile.ts';
import { FILTER_LIMITS } from './limits.ts';
import { resolveField } from './paths.ts';

/**
 * One sort field (`title`, `author.name`, `@random`, `@rowid`) as an ORDER BY expression.
 * Request values, macros and NULL are rejected, as in PocketBase. A path through relations becomes
 * a scalar subquery (the first related value), so sorting never multiplies rows. Related records a
 * client may not list, and emails their owners keep private, sort as NULL.
 */
export function compileSortField(path: string, env: FilterEnv): Sql {
  const alias = env.tableAlias ?? env.collection.name;
  if (path === '@random') return env.dialect.random();
  if (path === '@rowid') return env.dialect.rowid(alias);
  if (path.length > FILTER_LIMITS.maxSortFieldLength) fail(`sort field too long (max ${FILTER_LIMITS.maxSortFieldLength} characters)`);
  const ctx = new CompileContext(env);
  const scope: Scope = {
    ctx, collection: env.collection, root: { kind: 'table', alias, join: null },
    allowHiddenFields: env.allowHiddenFields, params: {}, keyPrefix: '',
  };
  let o;
  try {
    o = resolveField(scope, path);
  } catch (e) {
    if (e instanceof FilterError) fail(`invalid sort field ${quote(path)}: ${e.reason}`);
    throw e;
  }
  if (o.params.length > 0 || o.token === 'null') fail(`invalid sort field ${quote(path)}`);
  const expr = o.afterBuild ? sql`(CASE WHEN ${o.afterBuild(raw('1=1'))} THEN ${o.sql} END)` : o.sql;
  const constraints = compileConstraints(ctx);
  if (o.joins.size === 0 && constraints.length === 0) return expr;
  const joins = ctx.closure([...o.joins, ...constraints.flatMap((c) => [...c.joins])]).map((j) => j.clause);
  const where = constraints.length ? sql` WHERE ${join(constraints.map((c) => c.sql), ' AND ')}` : sql``;
  return sql`(SELECT ${expr} FROM ${ctx.fromAnchor(joins)}${where}${env.dialect.limitOffset(1, 0)})`;
}
