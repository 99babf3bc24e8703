import { join, raw, sql, type Sql } from '../db/sql.ts';
import { CompileContext, type FilterEnv, type Scope } from './context.ts';
import { FilterError, fail, quote } from './errors.ts';
import { compileConstraints } from './compile.ts';
import { FILTER_LIMITS } from './limits.ts';
import { resolveField } from './paths.ts';

/**
 * One sort field (`title`, `author.name`, `@random`, `@rowid`) as ORDER BY expressions, ascending
 * (comma-separated where the value needs several keys: see `Dialect.sortKeys`). Request values,
 * macros and NULL are rejected, as in PocketBase. A path through relations becomes a scalar
 * subquery (the first related value), so sorting never multiplies rows. Related records a client
 * may not list, and emails their owners keep private, sort as NULL.
 */
export function compileSortField(path: string, env: FilterEnv): Sql {
  return join(compileSort(path, env).keys);
}

/**
 * One sort field's ORDER BY terms with its direction. A plain column that cannot hold NULL (every
 * column kind but JSON, in a table) sorts with the database's own ordering, so its indexes serve
 * the sort; anything else gets SQLite's NULL placement through the dialect, and JSON values
 * SQLite's order of their storage classes (`Dialect.sortKeys`).
 */
export function compileSortTerm(path: string, env: FilterEnv, descending: boolean): Sql {
  const { keys, nullable } = compileSort(path, env);
  if (path === '@random') return join(keys);
  return join(keys.map((k) => env.dialect.orderBy(k, descending, nullable)));
}

function compileSort(path: string, env: FilterEnv): { keys: readonly Sql[]; nullable: boolean } {
  const alias = env.tableAlias ?? env.collection.name;
  if (path === '@random') return { keys: [env.dialect.random()], nullable: false };
  if (path === '@rowid') {
    if (!env.dialect.caps.rowid) fail('sorting by @rowid is not supported on this database');
    return { keys: [env.dialect.rowid(alias)], nullable: false };
  }
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
  const keys = env.dialect.sortKeys(expr, o.type);
  const constraints = compileConstraints(ctx);
  if (o.joins.size === 0 && constraints.length === 0) {
    const notNull = o.column === true && !o.afterBuild && o.type !== 'json' && o.type !== 'dynamic' && env.collection.type !== 'view';
    return { keys, nullable: !notNull };
  }
  const used = [...o.joins, ...constraints.flatMap((c) => [...c.joins])];
  // Clients' sort fields have the filters' cost budget: a sort subquery runs for every listed row.
  if (!env.allowHiddenFields) {
    const rows = ctx.estimatedRows(used);
    const max = FILTER_LIMITS.maxClientFilterCost;
    if (rows > max) fail(`invalid sort field ${quote(path)}: too costly: it would read an estimated ${Math.ceil(rows)} related rows per record (max ${max})`);
  }
  const joins = ctx.closure(used).map((j) => j.clause);
  const where = constraints.length ? sql` WHERE ${join(constraints.map((c) => c.sql), ' AND ')}` : sql``;
  // One subquery per key, each computing its key inside (a key repeats the value several times).
  const from = ctx.fromAnchor(joins);
  return { keys: keys.map((k) => sql`(SELECT ${k} FROM ${from}${where}${env.dialect.limitOffset(1, 0)})`), nullable: true };
}
