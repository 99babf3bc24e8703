import type { Dialect, ExprType, TypedSql } from '../dialect.ts';
import { raw, type Sql, sql, value } from '../sql.ts';

/**
 * SQLite's comparison rules (sqlite.org/datatype3.html, "Comparison Expressions"), for dialects
 * whose databases type every expression strictly (PostgreSQL; MySQL would convert 'abc' to 0).
 * PocketBase's filter results are SQLite's, so:
 *
 * 1. Affinity. Columns have one (text columns TEXT; number, bool and JSON columns NUMERIC, as
 *    their declared types give it); literals, request values and expressions (a JSON value read
 *    out of a document, `COALESCE(…)`, `:lower`, functions) have none. Before comparing, SQLite
 *    converts: when one side has NUMERIC affinity and the other TEXT or none, a numeric-looking
 *    text on the other side becomes a number (row by row); when one side has TEXT affinity and
 *    the other none, a number on the other side becomes its text (SQLite's own rendering of
 *    numbers, see `sqliteNumberText`).
 * 2. Storage classes. Values of two classes compare by class: NULL < numbers < text. A JSON value
 *    (`dynamic`) has the class of what json_extract gives: numbers and true/false (1/0) are
 *    numbers; strings, objects and arrays (their compact JSON text) are text.
 * 3. `orEmpty` (the `COALESCE(x, '') = COALESCE(y, '')` of `=`/`!=`): no affinity, NULL reads as ''.
 *
 * Where both sides have one class whatever the row (the usual, type-consistent case) they are
 * compared as they are, so an index on a column stays usable. Where a side's class is only known
 * row by row, both sides become (class rank, number, text) rows, compared lexicographically:
 * `(rank, n, t) < (rank', n', t')` is SQLite's order, and a NULL value is a row of NULLs, for
 * which every comparison is unknown, as SQLite's.
 */

/** A value's class rank (NULL for NULL, 0 number, 1 text), its number and its text, row by row. */
export interface ClassParts {
  /** NULL, 0 or 1. */
  readonly rank: Sql;
  /** The value where rank is 0, 0 where rank is 1, NULL where rank is NULL (a double). */
  readonly num: Sql;
  /** The value where rank is 1, '' where rank is 0, NULL where rank is NULL. */
  readonly txt: Sql;
}

/** What a strictly typed dialect renders for the per-row comparisons. */
export interface StrictDialect extends Dialect {
  /**
   * The parts of a JSON value (`jsonValue`'s result), as SQLite's json_extract types it;
   * `numericText`: a JSON string that looks numeric counts as that number (NUMERIC affinity).
   */
  jsonParts(expr: Sql, numericText: boolean): ClassParts;
  /** A (rank, number, text) row, comparable with the operators `=`, `<` … and `nullSafeEqual`. */
  classRow(parts: ClassParts): Sql;
  /** A condition: `expr` (text, not NULL) is numeric text as SQLite's NUMERIC affinity reads it. */
  isNumericText(expr: Sql): Sql;
  /**
   * JSON columns hold the JSON text SQLite holds (MySQL), so comparing that text costs nothing;
   * where they do not (PostgreSQL's JSONB), `=`/`!=` compare JSON values instead of rendering
   * the text of each row (see `jsonEquality`).
   */
  readonly jsonIsStoredText: boolean;
}

type Affinity = 'numeric' | 'text' | 'none';
type Conversion = 'toNumber' | 'toText' | 'none';

/** One side after SQLite's conversions: one class whatever the row, or a class per row. */
type View =
  | { readonly kind: 'number'; readonly sql: Sql }
  | { readonly kind: 'text'; readonly sql: Sql }
  | { readonly kind: 'mixed'; readonly parts: ClassParts };

const affinityOf = (t: TypedSql): Affinity => {
  if (!t.column || t.orEmpty) return 'none';
  return t.type === 'text' ? 'text' : t.type === 'number' || t.type === 'bool' || t.type === 'json' ? 'numeric' : 'none';
};

/** `equality`: only `=`/`!=` (null-safe or not) will compare the result. */
export function comparableAsSqlite(d: StrictDialect, l: TypedSql, r: TypedSql, equality = false): { left: Sql; right: Sql; type: ExprType } {
  if (l.type === 'null' || r.type === 'null') {
    // NULL against anything: unknown, or IS NULL for the null-safe forms.
    const type = l.type === 'null' ? r.type : l.type;
    return { left: l.sql, right: r.sql, type: type === 'dynamic' ? 'json' : type };
  }
  // Booleans are numbers (0/1) in SQLite, so two of them compare as they are.
  if (l.type === 'bool' && r.type === 'bool') return { left: l.sql, right: r.sql, type: 'bool' };
  const asJson = equality && !d.jsonIsStoredText ? jsonEquality(l, r) : undefined;
  if (asJson) return asJson;
  const la = affinityOf(l);
  const ra = affinityOf(r);
  const conversion = (own: Affinity, other: Affinity): Conversion =>
    other === 'numeric' && own !== 'numeric' ? 'toNumber' : other === 'text' && own === 'none' ? 'toText' : 'none';
  const lv = view(d, l, conversion(la, ra));
  const rv = view(d, r, conversion(ra, la));
  if (lv.kind === 'number' && rv.kind === 'number') return { left: lv.sql, right: rv.sql, type: 'number' };
  if (lv.kind === 'text' && rv.kind === 'text') return { left: lv.sql, right: rv.sql, type: 'text' };
  if (lv.kind !== 'mixed' && rv.kind !== 'mixed' && !l.orEmpty && !r.orEmpty) {
    // Different classes, whatever the row (rule 2): only NULL-ness remains to be compared.
    return { left: rank(lv.sql, lv.kind === 'number' ? 0 : 1), right: rank(rv.sql, rv.kind === 'number' ? 0 : 1), type: 'number' };
  }
  return { left: d.classRow(partsOf(lv, l.orEmpty)), right: d.classRow(partsOf(rv, r.orEmpty)), type: 'number' };
}

/**
 * `=`/`!=` of a JSON column's text (multi-value fields, geoPoints, bound JSON) with another one or
 * with a constant text, as JSON values: two texts Baton wrote are equal exactly when their values
 * are (one value, one text: `storedJsonText`), so `tags != ''` reads no row's text. A constant
 * that is not the text of a JSON object, array, number, bool or null can only equal a JSON string
 * (whose text is the string itself: a legacy bare value), so it is compared as one.
 */
function jsonEquality(l: TypedSql, r: TypedSql): { left: Sql; right: Sql; type: ExprType } | undefined {
  if (l.orEmpty || r.orEmpty) return undefined;
  if (l.type === 'json' && r.type === 'json') return { left: l.sql, right: r.sql, type: 'json' };
  const [json, other] = l.type === 'json' ? [l, r] : [r, l];
  const c = other.constant?.value;
  if (json.type !== 'json' || other.type !== 'text' || typeof c !== 'string') return undefined;
  const constant = sql`${value(isStoredJsonText(c) ? c : JSON.stringify(c), 'json')}`;
  return json === l ? { left: l.sql, right: constant, type: 'json' } : { left: constant, right: r.sql, type: 'json' };
}

/** `text` is the JSON text Baton stores for a value other than a string (storedJsonText). */
function isStoredJsonText(text: string): boolean {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return false;
  }
  return typeof v !== 'string' && storedJsonText(v) === text;
}

/**
 * The JSON text Baton writes for a value (JSON.stringify after sorting object keys, which a
 * JavaScript object keeps with array-index keys first; a geoPoint's lon before lat), as
 * PostgreSQL's baton_json_text(j, true) renders it.
 */
function storedJsonText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(storedJsonText).join(',')}]`;
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  const ordered = keys.length === 2 && Object.hasOwn(o, 'lon') && Object.hasOwn(o, 'lat') ? ['lon', 'lat'] : Object.keys(Object.fromEntries(keys.sort().map((k) => [k, 0])));
  return `{${ordered.map((k) => `${JSON.stringify(k)}:${storedJsonText(o[k])}`).join(',')}}`;
}

/** The parts of a side; `orEmpty`: NULL reads as the text ''. */
function partsOf(v: View, orEmpty = false): ClassParts {
  if (v.kind === 'mixed') {
    if (!orEmpty) return v.parts;
    return { rank: sql`COALESCE(${v.parts.rank}, 1)`, num: sql`COALESCE(${v.parts.num}, 0)`, txt: sql`COALESCE(${v.parts.txt}, '')` };
  }
  const e = v.sql;
  if (v.kind === 'number') {
    if (orEmpty) return { rank: sql`(CASE WHEN ${e} IS NULL THEN 1 ELSE 0 END)`, num: sql`COALESCE(${e}, 0)`, txt: raw("''") };
    return { rank: rank(e, 0), num: e, txt: sql`(CASE WHEN ${e} IS NULL THEN NULL ELSE '' END)` };
  }
  if (orEmpty) return { rank: raw('1'), num: raw('0'), txt: sql`COALESCE(${e}, '')` };
  return { rank: rank(e, 1), num: sql`(CASE WHEN ${e} IS NULL THEN NULL ELSE 0 END)`, txt: e };
}

/** One side with SQLite's conversion applied (rule 1). */
function view(d: StrictDialect, t: TypedSql, conversion: Conversion): View {
  switch (t.type) {
    case 'null': // (handled by the caller)
    case 'number':
    case 'bool': {
      if (conversion !== 'toText') return { kind: 'number', sql: d.cast(t.sql, t.type, 'number') };
      const c = t.constant?.value;
      const text = typeof c === 'number' ? sqliteNumberText(c, Number.isSafeInteger(c)) : typeof c === 'boolean' ? (c ? '1' : '0') : undefined;
      return { kind: 'text', sql: text === undefined ? d.cast(t.sql, t.type, 'text') : sql`${value(text, 'text')}` };
    }
    case 'text': {
      if (conversion !== 'toNumber') return { kind: 'text', sql: t.sql };
      if (t.constant) {
        const n = numericConstant(t.constant.value);
        if (n === undefined) return { kind: 'text', sql: t.sql };
        // Past the largest double ('1e400'): infinity, which a bound number cannot carry everywhere.
        return { kind: 'number', sql: Number.isFinite(n) ? sql`${value(n, 'number')}` : d.cast(t.sql, 'text', 'number') };
      }
      const numeric = d.isNumericText(t.sql);
      return {
        kind: 'mixed',
        parts: {
          rank: sql`(CASE WHEN ${t.sql} IS NULL THEN NULL WHEN ${numeric} THEN 0 ELSE 1 END)`,
          num: sql`(CASE WHEN ${t.sql} IS NULL THEN NULL WHEN ${numeric} THEN ${d.cast(t.sql, 'text', 'number')} ELSE 0 END)`,
          txt: sql`(CASE WHEN ${t.sql} IS NULL THEN NULL WHEN ${numeric} THEN '' ELSE ${t.sql} END)`,
        },
      };
    }
    case 'json':
      // Multi-value and geoPoint columns, bound JSON: SQLite holds their JSON text, never numeric.
      return { kind: 'text', sql: d.cast(t.sql, 'json', 'text') };
    case 'dynamic':
      if (conversion === 'toText') return { kind: 'text', sql: d.cast(t.sql, 'dynamic', 'text') };
      return { kind: 'mixed', parts: d.jsonParts(t.sql, conversion === 'toNumber') };
  }
}

const rank = (e: Sql, r: 0 | 1): Sql => sql`(CASE WHEN ${e} IS NULL THEN NULL ELSE ${value(r, 'number')} END)`;

/** Numeric text as SQLite's affinity reads it: ASCII digits between its (ASCII) spaces. */
const NUMERIC_TEXT = /^[ \t\n\v\f\r]*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?[ \t\n\v\f\r]*$/;

/** The number a text constant reads as under SQLite's numeric affinity (±Infinity past the doubles), if it is one. */
function numericConstant(v: unknown): number | undefined {
  return typeof v === 'string' && NUMERIC_TEXT.test(v) ? Number(v) : undefined;
}

/** The regular expression a text must match to be cast to a number without an error. */
export const NUMERIC_TEXT_PATTERN = NUMERIC_TEXT.source;

/**
 * The text SQLite gives a number (CAST(x AS TEXT), LIKE, TEXT affinity): an INTEGER as its digits,
 * a REAL in `%!.17g` layout, always with a '.': 100.0 -> '100.0', 1e20 -> '1.0e+20', 1e-5 ->
 * '1.0e-05'. Its digits are the shortest that read back as the same double; SQLite's own
 * conversion gives those for numbers of up to 13 significant digits but for rare ones just below a
 * power of ten, and up to 17 digits beyond (1/3 -> '0.33333333333333332', here '0.3333333333333333';
 * affinity.test.ts). PostgreSQL's baton_real_text() and MySQL's realText() render the same.
 */
export function sqliteNumberText(n: number, integer: boolean): string {
  if (Number.isNaN(n)) return '';
  if (integer && Number.isInteger(n)) return BigInt(n).toString();
  if (!Number.isFinite(n)) return n > 0 ? 'Inf' : '-Inf';
  if (n === 0) return '0.0';
  const [mantissa, exp] = Math.abs(n).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const e = Number(exp);
  let out: string;
  if (e < -4 || e > 16) {
    out = `${digits[0]}.${digits.slice(1) || '0'}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  } else if (e >= 0) {
    const d = digits.padEnd(e + 1, '0');
    out = `${d.slice(0, e + 1)}.${d.slice(e + 1) || '0'}`;
  } else {
    out = `0.${'0'.repeat(-e - 1)}${digits}`;
  }
  return n < 0 ? `-${out}` : out;
}
