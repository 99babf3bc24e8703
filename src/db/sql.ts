/**
 * A tiny SQL fragment builder. Fragments keep identifiers and values apart from SQL text until
 * a dialect renders them, so no user value is ever spliced into SQL: values become bound
 * parameters and identifiers are quoted by the dialect.
 *
 *   sql`SELECT * FROM ${ident(table)} WHERE ${ident('id')} = ${id}`
 */

export type SqlPart = string | SqlValue | SqlIdent | SqlLoopGuard | SqlOffLoop;

/**
 * The type a bound value stands for. Untyped values are bound as the driver sends them; a typed
 * one is rendered by dialects with strict typing (PostgreSQL) with an explicit cast, so the
 * database never has to guess the type of a parameter.
 */
export type ValueType = 'text' | 'number' | 'bool' | 'json';

export class SqlValue {
  constructor(
    readonly value: unknown,
    readonly type?: ValueType,
  ) {}
}

export class SqlIdent {
  /** A dotted path such as ['t', 'name'] renders as "t"."name". */
  constructor(readonly path: readonly string[]) {}
}

/**
 * A true condition placed in a loop of a costly statement (a join that yields many rows per
 * row, the scan of a client-filtered table), so that a database which cannot cut a statement off
 * by itself can do it there. SQLite renders a call to a function that fails once the statement's
 * time budget is spent (`baton_tick`, see sqlite-budget.ts); databases with a server-side
 * statement timeout render a plain true. `row` names a column of the loop's table, so the check
 * is evaluated per row of that loop rather than once. A statement holding one is "guarded": see
 * `RenderedSql.guarded`.
 */
export class SqlLoopGuard {
  constructor(
    /** The table (or join) alias whose rows the loop visits, and one of its columns. */
    readonly table?: string,
    readonly column = 'id',
    /**
     * Check only the rows whose integer `column` is a multiple of `every` (a power of two): for a
     * loop that visits each value of that column once per pass (a table scanned in row-id order,
     * an array walked by index), where a check per row would cost more than the loop's own work.
     * Joins to tables, which revisit rows in an order the data decides, check every row.
     */
    readonly sample?: { readonly column: string; readonly every: number },
  ) {}
}

/**
 * Renders nothing; marks a statement whose every row may cost time growing with a stored value's
 * size, in one native call between two loop guards (SQLite parsing a JSON value for a path): see
 * `RenderedSql.offLoop`.
 */
export class SqlOffLoop {}

/** The mark of `SqlOffLoop`, to embed where such an expression is built. */
export const offLoop = (): Sql => new Sql([new SqlOffLoop()]);

export class Sql {
  constructor(readonly parts: readonly SqlPart[]) {}

  get isEmpty(): boolean {
    return this.parts.every((p) => p === '');
  }
}

type Interpolated = Sql | SqlValue | SqlIdent | SqlLoopGuard | SqlOffLoop | unknown;

/** Tagged template: interpolated Sql/ident/raw pieces are embedded, anything else is a bound value. */
export function sql(strings: TemplateStringsArray, ...values: Interpolated[]): Sql {
  const parts: SqlPart[] = [];
  strings.forEach((s, i) => {
    if (s) parts.push(s);
    if (i < values.length) pushInterpolated(parts, values[i]);
  });
  return new Sql(parts);
}

function pushInterpolated(parts: SqlPart[], v: Interpolated): void {
  if (v instanceof Sql) parts.push(...v.parts);
  else if (v instanceof SqlIdent || v instanceof SqlValue || v instanceof SqlLoopGuard || v instanceof SqlOffLoop) parts.push(v);
  else parts.push(new SqlValue(v));
}

/** Trusted SQL text: only for constants written in our own code, never for user input. */
export const raw = (text: string): Sql => new Sql([text]);

/** A quoted identifier; `ident('t', 'col')` renders as "t"."col". */
export const ident = (...path: string[]): SqlIdent => new SqlIdent(path);

/** A bound parameter, optionally typed (see `ValueType`). */
export const value = (v: unknown, type?: ValueType): SqlValue => new SqlValue(v, type);

export function join(fragments: readonly Interpolated[], separator = ', '): Sql {
  const parts: SqlPart[] = [];
  fragments.forEach((f, i) => {
    if (i > 0) parts.push(separator);
    pushInterpolated(parts, f);
  });
  return new Sql(parts);
}

export const empty = new Sql([]);

/** A loop guard (see `SqlLoopGuard`), evaluated per row of the table or join `alias`. */
export const loopGuard = (alias?: string, column = 'id'): Sql => new Sql([new SqlLoopGuard(alias, column)]);

/** A loop guard for the scan of table `alias`, sampled by row id (SQLite's `_rowid_`; only SQLite renders the sample). */
export const scanGuard = (alias: string): Sql => new Sql([new SqlLoopGuard(alias, 'id', { column: '_rowid_', every: 256 })]);

/** A loop guard for the walk of a JSON array iterated as `alias` (json_each), sampled by item index: each walk checks at least once. */
export const eachGuard = (alias: string): Sql => new Sql([new SqlLoopGuard(alias, 'id', { column: 'key', every: 16 })]);

export interface RenderedSql {
  text: string;
  params: unknown[];
  /** The statement holds loop guards: it may be costly, and can be cut off where they are checked. */
  guarded: boolean;
  /**
   * A guarded statement whose rows may each cost a long native call (`SqlOffLoop`): where reads
   * can run off the event loop (SQLite's reader threads) it goes there at once, never inline.
   */
  offLoop: boolean;
}

export interface SqlRenderer {
  quoteIdent(name: string): string;
  /** Placeholder for the n-th (1-based) parameter: `?` for SQLite/MySQL, `$n` for PostgreSQL. */
  placeholder(n: number, type?: ValueType): string;
  /** A loop guard's text, its names quoted (absent: the condition `1=1`). */
  loopGuard?(table: string | undefined, column: string, sample?: { readonly column: string; readonly every: number }): string;
}

function identText(p: SqlIdent, renderer: SqlRenderer): string {
  return p.path.length === 1 ? renderer.quoteIdent(p.path[0]) : p.path.map((n) => renderer.quoteIdent(n)).join('.');
}

export function render(fragment: Sql, renderer: SqlRenderer): RenderedSql {
  if (fragment instanceof BoundSql) return fragment.template.renderWith(renderer, fragment.values);
  let text = '';
  const params: unknown[] = [];
  let guarded = false;
  let offLoop = false;
  for (const p of fragment.parts) {
    if (typeof p === 'string') text += p;
    else if (p instanceof SqlOffLoop) offLoop = true;
    else if (p instanceof SqlIdent) text += identText(p, renderer);
    else if (p instanceof SqlLoopGuard) {
      guarded = true;
      const q = (n: string) => renderer.quoteIdent(n);
      const sample = p.sample && { column: q(p.sample.column), every: p.sample.every };
      text += renderer.loopGuard ? renderer.loopGuard(p.table && q(p.table), q(p.column), sample) : '1=1';
    } else {
      params.push(p.value);
      text += renderer.placeholder(params.length, p.type);
    }
  }
  return { text, params, guarded, offLoop };
}

/** Marks where a template's values go (see `SqlTemplate`). */
const SLOT = Symbol('slot');

/** A value slot of a `SqlTemplate`, optionally typed. */
export const slot = (type?: ValueType): SqlValue => new SqlValue(SLOT, type);

/**
 * A statement built once whose values change from use to use: a hot path's fixed query, such as a
 * record by id. Its text is rendered once per renderer (dialects are few and live as long as the
 * process) and the same string is handed to the driver every time, so neither the fragments nor
 * the text are built again, and a statement cache keyed by text finds it without hashing a new
 * string. `bind` fills the slots in order.
 */
export class SqlTemplate {
  private readonly slots: number[] = [];
  private readonly texts = new Map<SqlRenderer, { text: string; guarded: boolean; offLoop: boolean }>();

  constructor(private readonly fragment: Sql) {
    fragment.parts.forEach((p, i) => {
      if (p instanceof SqlValue && p.value === SLOT) this.slots.push(i);
    });
  }

  bind(...values: unknown[]): Sql {
    if (values.length !== this.slots.length) throw new Error(`SqlTemplate: ${this.slots.length} values expected, got ${values.length}`);
    const parts = this.fragment.parts.slice();
    this.slots.forEach((at, i) => {
      parts[at] = new SqlValue(values[i], (parts[at] as SqlValue).type);
    });
    return new BoundSql(parts, this, values);
  }

  /** What `render` gives for this template bound to `values`. */
  renderWith(renderer: SqlRenderer, values: unknown[]): RenderedSql {
    let done = this.texts.get(renderer);
    if (!done) {
      const { text, guarded, offLoop } = render(new Sql(this.fragment.parts), renderer);
      done = { text, guarded, offLoop };
      this.texts.set(renderer, done);
    }
    return { text: done.text, params: values, guarded: done.guarded, offLoop: done.offLoop };
  }
}

/** A `SqlTemplate` with its values: renders from the template's text. */
class BoundSql extends Sql {
  constructor(
    parts: readonly SqlPart[],
    readonly template: SqlTemplate,
    readonly values: unknown[],
  ) {
    super(parts);
  }
}
