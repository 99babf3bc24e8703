import type { Dialect, ExprType } from '../db/dialect.ts';
import { ident, join, raw, sql, type Sql, type SqlValue, value } from '../db/sql.ts';
import type { Collection, SchemaLookup } from '../db/schema.ts';
import { fail, quote } from './errors.ts';
import { FILTER_LIMITS } from './limits.ts';

/** What a filter may read about the current request (PocketBase's RequestInfo). */
export interface RequestInfo {
  /** The authenticated record with all its columns decoded (hidden ones included), or null for guests. */
  auth: null | { collection: Collection; record: Record<string, unknown> };
  method: string;
  query: Record<string, string>;
  /** Header names lower-cased with `-` replaced by `_`, as PocketBase exposes them. */
  headers: Record<string, string>;
  /** The submitted data; multi-value fields hold arrays. */
  body: Record<string, unknown>;
  /** 'default', 'oauth2', 'otp', 'password', 'realtime', 'protectedFile' … */
  context: string;
  /**
   * The stored record a rule is checked against. Optional: `:changed` compares with the row's own
   * column, which is the stored record whenever the outer query reads it; when set, the stored
   * value is taken from here instead (for checks run against a row built from new values).
   */
  current?: Record<string, unknown>;
}

export const emptyRequestInfo = (): RequestInfo => ({ auth: null, method: '', query: {}, headers: {}, body: {}, context: 'default' });

export interface FilterEnv {
  dialect: Dialect;
  schema: SchemaLookup;
  /** The collection whose rows are filtered. */
  collection: Collection;
  /** Alias of that collection's table in the outer query; defaults to the collection name. */
  tableAlias?: string;
  request: RequestInfo;
  /** Superusers and rules may read hidden fields; client filters of other users may not. */
  allowHiddenFields: boolean;
  /** Values for `{:name}` placeholders. */
  params?: Record<string, unknown>;
  /** Clock for the date macros (tests). */
  now?: Date;
  /** What the data holds, for the client cost estimate (absent: `FILTER_LIMITS.clientFanoutEstimate` per multi-valued step). */
  statistics?: DataStatistics;
}

/** Cheap figures about the stored data, refreshed now and then (see domain/records/statistics.ts). */
export interface DataStatistics {
  /** Records of a collection, where known. */
  records(collectionId: string): number | undefined;
  /** Average items per record of a multi-valued field (relation, select, file), where known. */
  itemsPerRecord(collectionId: string, field: string): number | undefined;
}

/** How `=`/`!=` treat NULL versus empty values (PocketBase's NullFallbackPreference). */
export type NullFallback = 'auto' | 'disabled' | 'enforced';

/** The values a multi-valued operand takes, as a separate FROM chain for the all-of check. */
export interface MultiMatch {
  /** `(SELECT 1) AS a LEFT JOIN … ` correlated to the outer row. */
  readonly from: Sql;
  readonly value: Sql;
  /**
   * The rows of `from` the filter may see (client filters: each joined collection's listRule, and
   * for emails their owner's emailVisibility), exactly as the shared joins are constrained. Only
   * these rows take part in the all-of check, so hidden rows and emails never change a result.
   * Absent: every row.
   */
  readonly where?: Sql;
  /** Estimated rows of `from` (the product of its steps' fanouts), for the client cost budget. */
  readonly rows: number;
}

/** One side of a comparison, resolved (PocketBase's ResolverResult). */
export interface Operand {
  readonly sql: Sql;
  /**
   * What the expression holds (the field's kind for a column, the literal's for a value): the
   * dialect reads it to compare values of two types as SQLite does, and to decide what "empty" is.
   */
  readonly type: ExprType;
  /**
   * The operand is a column of the filtered or a joined table, which SQLite compares with its
   * column affinity (see `Dialect.comparable`); literals, request values and expressions have none.
   */
  readonly column?: boolean;
  /** Values the operand stands for, used for the empty/non-empty analysis of `=` and `!=`. */
  readonly params: readonly unknown[];
  /** Bound values inside `sql` that `~` wraps in `%…%`. */
  readonly wrap: readonly SqlValue[];
  /** 'null' for NULL, 'bool' for constants known non-empty (true/false, :isset, counts 0/1). */
  readonly token: 'null' | 'bool' | 'other';
  readonly nullFallback: NullFallback;
  /** Built only when a non-`?` operator needs the all-of check. */
  readonly multi?: () => MultiMatch;
  readonly afterBuild?: (expr: Sql) => Sql;
  /** Shared joins the operand reads from. */
  readonly joins: ReadonlySet<string>;
}

const NO_JOINS: ReadonlySet<string> = new Set();

export const operand = (o: Partial<Operand> & { sql: Sql; type: ExprType }): Operand => ({
  params: [], wrap: [], token: 'other', nullFallback: 'auto', joins: NO_JOINS, ...o,
});

export const NULL_OPERAND = operand({ sql: raw('NULL'), type: 'null', token: 'null' });

/** true/false (and :isset results), bound as booleans. */
export const boolOperand = (b: boolean): Operand => operand({ sql: sql`${value(b, 'bool')}`, type: 'bool', token: 'bool' });

/** The type of a value bound from the request or a placeholder, from its JS type. */
export function typeOfValue(v: unknown): 'text' | 'number' | 'bool' | 'null' {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return 'text';
}

/** An ON condition that always holds. */
export const ALWAYS = sql`1=1`;

/**
 * `LEFT JOIN source ON on`. A join that can yield many rows for each row it joins to (a
 * multi-valued step) passes a `guard` (`loopGuard`/`eachGuard` of its alias): its ON condition
 * then carries a loop guard checked for the rows it yields, so a statement whose relation paths
 * multiply rows beyond what any estimate foresaw can be cut off (see `SqlLoopGuard`).
 */
export function leftJoin(source: Sql, on: Sql, guard?: Sql): Sql {
  return guard === undefined ? sql`LEFT JOIN ${source} ON ${on}` : sql`LEFT JOIN ${source} ON (${on}) AND ${guard}`;
}

/** A join shared by every expression of one compiled WHERE, as PocketBase shares its LEFT JOINs. */
export interface SharedJoin {
  readonly key: string;
  readonly alias: string;
  readonly clause: Sql;
  readonly parent: string | null;
  readonly collection: Collection | null;
  /** Estimated rows this join yields per row of its parent (1 for a single-valued step). */
  readonly fanout: number;
}

/** Where the columns of the current record live: a table alias, or values bound from memory. */
export type RowRef =
  | { readonly kind: 'table'; readonly alias: string; /** the shared join it belongs to, if any */ readonly join: string | null }
  | { readonly kind: 'bound'; readonly values: Record<string, unknown> };

/** Mutable state of one compilation: joins, pending list-rule constraints, counters. */
export class CompileContext {
  readonly dialect: Dialect;
  readonly schema: SchemaLookup;
  readonly request: RequestInfo;
  readonly now: Date;
  readonly joins = new Map<string, SharedJoin>();
  private readonly byKey = new Map<string, SharedJoin>();
  /** Aliases whose rows must pass their collection's listRule (client filters only). */
  readonly constraints = new Map<string, Collection>();
  /** Counters shared with forks, so aliases stay unique and the caps count the whole WHERE. */
  private readonly counters: { alias: number; subqueries: number; ruleCopies: number };
  private readonly reserved: string;

  constructor(readonly env: FilterEnv, parent?: CompileContext) {
    this.dialect = env.dialect;
    this.schema = env.schema;
    this.request = env.request;
    this.now = parent?.now ?? env.now ?? new Date();
    this.reserved = (env.tableAlias ?? env.collection.name).toLowerCase();
    this.counters = parent?.counters ?? { alias: 0, subqueries: 0, ruleCopies: 0 };
  }

  /**
   * A context with its own (empty) joins and constraints, for an expression assembled on its own
   * inside a private subquery (a listRule on a multi-match alias); counters and clock are shared.
   */
  fork(): CompileContext {
    return new CompileContext(this.env, this);
  }

  /** A fresh alias that cannot shadow the outer table alias. */
  alias(prefix: string): string {
    for (;;) {
      const a = `__${prefix}${++this.counters.alias}`;
      if (a.toLowerCase() !== this.reserved) return a;
    }
  }

  countSubquery(): void {
    if (++this.counters.subqueries > FILTER_LIMITS.maxSubqueries) fail(`too many relation lookups (max ${FILTER_LIMITS.maxSubqueries})`);
  }

  /** Charges a private copy of a listRule (`comparisons` of them) to its cap. */
  countRuleCopy(comparisons: number): void {
    const max = FILTER_LIMITS.maxRuleCopyComparisons;
    if ((this.counters.ruleCopies += comparisons) > max) fail(`too many checks of related records against their list rules (max ${max} comparisons)`);
  }

  /** The collection by id or name, the filtered collection first (it may be an unsaved draft). */
  collection(idOrName: string): Collection | undefined {
    const base = this.env.collection;
    if (idOrName === base.id || idOrName === base.name) return base;
    return this.schema.find(idOrName);
  }

  /**
   * Registers (or reuses, by key) a shared join; `build` gets the alias and returns the JOIN clause.
   * `fanout`: estimated rows per parent row (see `FILTER_LIMITS.maxClientFilterCost`).
   */
  sharedJoin(key: string, parent: string | null, collection: Collection | null, build: (alias: string) => Sql, fanout = 1): string {
    const existing = this.byKey.get(key);
    if (existing) {
      if (existing.collection?.id !== collection?.id) fail(`alias ${quote(key)} is used for two different collections`);
      return existing.alias;
    }
    if (this.joins.size >= FILTER_LIMITS.maxJoins) fail(`too many relation joins (max ${FILTER_LIMITS.maxJoins})`);
    const alias = this.alias(collection ? 'j' : 'e');
    const j: SharedJoin = { key, alias, clause: build(alias), parent, collection, fanout };
    this.joins.set(alias, j);
    this.byKey.set(key, j);
    return alias;
  }

  /** The aliases in `used` plus every join they depend on, in registration order. */
  closure(used: Iterable<string>): SharedJoin[] {
    const need = new Set<string>();
    for (const a of used) {
      let j = this.joins.get(a);
      while (j && !need.has(j.alias)) {
        need.add(j.alias);
        j = j.parent ? this.joins.get(j.parent) : undefined;
      }
    }
    return [...this.joins.values()].filter((j) => need.has(j.alias));
  }

  /** Estimated rows of the joins in `used` and those they depend on: the product of their fanouts. */
  estimatedRows(used: Iterable<string>): number {
    return this.closure(used).reduce((n, j) => n * j.fanout, 1);
  }

  chainRoot(alias: string): string {
    let j = this.joins.get(alias);
    while (j?.parent) j = this.joins.get(j.parent);
    return j?.alias ?? alias;
  }

  /** `(SELECT 1) AS anchor LEFT JOIN …`: LEFT JOINs from a one-row anchor keep at least one row. */
  fromAnchor(joinClauses: readonly Sql[]): Sql {
    const anchor = sql`(SELECT 1) AS ${ident(this.alias('a'))}`;
    return joinClauses.length ? sql`${anchor} ${join(joinClauses, ' ')}` : anchor;
  }
}

/** Per-expression settings: which collection is the root and what the expression may read. */
export interface Scope {
  readonly ctx: CompileContext;
  readonly collection: Collection;
  readonly root: RowRef & { kind: 'table' };
  readonly allowHiddenFields: boolean;
  readonly params: Record<string, unknown>;
  /** Prefix of shared-join keys; list-rule constraints get their own so their joins stay private. */
  readonly keyPrefix: string;
  /** The stored record for `:changed` (RequestInfo.current), for the filtered collection only. */
  readonly current?: Record<string, unknown>;
}

/** A compiled boolean expression and the shared joins it reads from. */
export interface Compiled {
  readonly sql: Sql;
  readonly joins: ReadonlySet<string>;
  /**
   * Estimated rows its all-of checks read each time it is evaluated (absent: none). Each check is a
   * correlated NOT EXISTS, so it runs again for every row of the shared joins it sits in.
   */
  readonly checkRows?: number;
}

/** Sum of the `checkRows` of several expressions (undefined when none has checks). */
export function sumCheckRows(parts: readonly Compiled[]): number | undefined {
  let n: number | undefined;
  for (const p of parts) if (p.checkRows) n = (n ?? 0) + p.checkRows;
  return n;
}

export function unionJoins(...sets: ReadonlyArray<ReadonlySet<string>>): ReadonlySet<string> {
  const nonEmpty = sets.filter((s) => s.size > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? NO_JOINS;
  return new Set(nonEmpty.flatMap((s) => [...s]));
}
