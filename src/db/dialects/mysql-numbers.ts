import { raw, sql, type Sql } from '../sql.ts';

/**
 * Texts as SQLite reads them as numbers, for MySQL (whose own conversion reads '12abc' as 12 with
 * a warning, and 1e400 as the largest double). Patterns in POSIX classes: no backslash, whatever
 * the sql_mode; [[:space:]] is SQLite's space, tab and line-ending set.
 */

/** A text sqlite3AtoF() accepts whole (numeric affinity): a number between spaces. */
export const SQLITE_NUMBER_TEXT = "'^[[:space:]]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?[[:space:]]*$'";
/** The leading number sqlite3AtoF() reads of any text (an exponent counts only with its digits). */
const LEADING_NUMBER = "'^[[:space:]]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?'";

/** A number MySQL saturated to the largest double: SQLite's infinity, which no formula here survives. */
const finite = (n: Sql): Sql => sql`(CASE WHEN ABS(${n}) < 1.7976931348623157e308 THEN ${n} END)`;

/**
 * A text as the number SQLite computes with: `arithmetic`, as an operand of `-` reads it (its
 * leading number: '12abc' is 12, 'abc' 0); `math`, as radians() and the other math functions read
 * it (a number only where the whole text is one, else NULL).
 */
export function sqliteTextNumber(text: Sql, use: 'arithmetic' | 'math'): Sql {
  if (use === 'math') return sql`(CASE WHEN ${text} REGEXP ${raw(SQLITE_NUMBER_TEXT)} THEN ${finite(sql`CAST(${text} AS DOUBLE)`)} END)`;
  const leading = sql`REGEXP_SUBSTR(${text}, ${raw(LEADING_NUMBER)})`;
  return sql`(CASE WHEN ${text} IS NULL THEN NULL WHEN ${leading} = '' THEN 0 ELSE ${finite(sql`CAST(${leading} AS DOUBLE)`)} END)`;
}
