import type { Dialect, ExprType, TypedSql } from '../dialect.ts';
import { type Sql, sql, value } from '../sql.ts';

/**
 * SQLite's comparison rules, for dialects whose databases type every expression strictly
 * (PostgreSQL; MySQL would convert 'abc' to 0). PocketBase's filter results are SQLite's, so:
 *
 * 1. Affinity. A column compared with a value converts the value to the column's kind: a number or
 *    boolean column against the text '5' compares numbers; a text column against the number 5
 *    compares the text '5'. Literals, request values and expressions have no affinity.
 * 2. Storage classes. What still differs after that compares by class: NULL < numbers < text. So a
 *    number column against 'abc', or the literal 10 against the literal '1', is decided by class
 *    alone (`10 < '1'` holds). This is rendered as two ranks (0 for the number side, 1 for the
 *    text side, NULL for NULL) compared with the same operator.
 * 3. A value read out of a JSON document (`dynamic`) takes the type of what it is compared with
 *    (NULL where it is not one); compared with a boolean, both are numbers (true is 1).
 *
 * JSON columns (multi-value fields) hold text in SQLite: against text they compare as their JSON
 * text, against numbers by class (text is greater).
 */
export function comparableAsSqlite(d: Dialect, l: TypedSql, r: TypedSql): { left: Sql; right: Sql; type: ExprType } {
  const lt = l.type;
  const rt = r.type;
  if (lt === 'null' || rt === 'null') {
    const type = lt === 'null' ? rt : lt;
    return { left: l.sql, right: r.sql, type: type === 'dynamic' ? 'json' : type };
  }
  if (lt === rt) return { left: l.sql, right: r.sql, type: lt === 'dynamic' ? 'json' : lt };
  if ((lt === 'dynamic' || lt === 'json') && (rt === 'dynamic' || rt === 'json')) return { left: l.sql, right: r.sql, type: 'json' };
  if (lt === 'dynamic' || rt === 'dynamic') {
    const other = lt === 'dynamic' ? rt : lt;
    const to = other === 'bool' ? 'number' : (other as 'text' | 'number' | 'json');
    const left = d.cast(l.sql, lt, to === 'json' ? 'text' : to);
    const right = d.cast(r.sql, rt, to === 'json' ? 'text' : to);
    return { left, right, type: to === 'json' ? 'text' : to };
  }
  // Two of text, json (a column stored as text), number, bool, and they differ.
  const numeric = (t: ExprType) => t === 'number' || t === 'bool';
  if (numeric(lt) && numeric(rt)) return { left: d.cast(l.sql, lt, 'number'), right: d.cast(r.sql, rt, 'number'), type: 'number' };
  if (!numeric(lt) && !numeric(rt)) return { left: d.cast(l.sql, lt, 'text'), right: d.cast(r.sql, rt, 'text'), type: 'text' };
  const [num, txt] = numeric(lt) ? [l, r] : [r, l];
  let pair: [Sql, Sql]; // [number side, text side]
  let type: ExprType;
  const n = txt.type === 'text' ? numericConstant(txt) : undefined;
  if (num.column && n !== undefined) {
    // A number/boolean column converts a numeric-looking text value (rule 1).
    pair = [d.cast(num.sql, num.type, 'number'), sql`${value(n, 'number')}`];
    type = 'number';
  } else if (txt.column && txt.type === 'text' && !num.column) {
    // A text column converts the number to text (rule 1).
    pair = [d.cast(num.sql, num.type, 'text'), txt.sql];
    type = 'text';
  } else {
    // Different classes remain (rule 2).
    pair = [rank(num.sql, 0), rank(txt.sql, 1)];
    type = 'number';
  }
  return numeric(lt) ? { left: pair[0], right: pair[1], type } : { left: pair[1], right: pair[0], type };
}

const rank = (e: Sql, r: 0 | 1): Sql => sql`(CASE WHEN ${e} IS NULL THEN NULL ELSE ${value(r, 'number')} END)`;

const NUMERIC_TEXT = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** The number a text constant reads as under SQLite's numeric affinity, if it is one. */
function numericConstant(t: TypedSql): number | undefined {
  const v = t.constant?.value;
  if (typeof v !== 'string' || !NUMERIC_TEXT.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** The regular expression a text must match to be cast to a number without an error. */
export const NUMERIC_TEXT_PATTERN = NUMERIC_TEXT.source;
