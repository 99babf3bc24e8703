import { ApiError } from '../../kernel/errors.ts';
import type { ConstSql } from '../dialect.ts';
import { ident, join, raw, sql, type Sql } from '../sql.ts';
import { SQLITE_NUMBER_TEXT } from './mysql-numbers.ts';
import { TEXT_COLLATION } from './mysql-system-tables.ts';

// SQLite's strftime(format, time, modifiers…) translated when the filter is compiled: the format
// and the modifiers are constant text (the filter language takes only literals there), so they become
// DATE_FORMAT and date arithmetic; only the time value is read at run time. A time value is a
// DATETIME(6) holding whole milliseconds (SQLite's own precision), NULL where SQLite's would be
// invalid. A value used more than once is bound once through a one-row JSON_TABLE (`bindOnce`),
// so the SQL grows linearly with the number of modifiers. MariaDB's DATETIME holds years
// 0000-9999 (SQLite: 0000-9999 too, and julian days before that).

/** A JSON_TABLE text column, collated as every other text (see mysql.ts). */
const JSON_TABLE_TEXT = `LONGTEXT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`;
const DATETIME = 'DATETIME(6)';
const EPOCH = raw("TIMESTAMP'1970-01-01 00:00:00'");
/** 1970-01-01 as a julian day number in milliseconds (SQLite's internal clock). */
const JD_EPOCH_MS = 210866760000000;
const DAY_MS = 86_400_000;

const DATE_RE = "'^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([[:space:]T]*(([01][0-9]|2[0-4]):[0-5][0-9](:[0-5][0-9]([.][0-9]+)?)?([[:space:]]*([Zz]|[-+](0[0-9]|1[0-4]):[0-5][0-9]))?[[:space:]]*)?)?$'";
const TIME_RE = "'^([01][0-9]|2[0-4]):[0-5][0-9](:[0-5][0-9]([.][0-9]+)?)?([[:space:]]*([Zz]|[-+](0[0-9]|1[0-4]):[0-5][0-9]))?[[:space:]]*$'";
const TIME_PART_RE = "'[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?'";
const TZ_PART_RE = "'[-+][0-9]{2}:[0-9]{2}[[:space:]]*$'";

/**
 * How the time value is read, as SQLite's first modifier may say: `default` takes date texts and
 * numbers as julian days; 'julianday'/'unixepoch' take numbers only; 'auto' guesses the number's unit.
 */
type NumericMode = 'default' | 'julianday' | 'unixepoch' | 'auto';

type DateOp =
  | { kind: 'addMs'; ms: number }
  | { kind: 'months'; n: number }
  | { kind: 'startOf'; unit: 'day' | 'month' | 'year' }
  | { kind: 'weekday'; n: number }
  | { kind: 'floor' }
  | { kind: 'subsec' };

interface Xform {
  limit: number;
  ms: number;
}

// SQLite's aXformType: the largest amounts it accepts and the length of each unit.
const XFORMS: Record<string, Xform> = {
  second: { limit: 4.6427e14, ms: 1000 },
  minute: { limit: 7.7379e12, ms: 60_000 },
  hour: { limit: 1.2897e11, ms: 3_600_000 },
  day: { limit: 5373485.0, ms: DAY_MS },
  month: { limit: 176546.0, ms: 30 * DAY_MS },
  year: { limit: 14713.0, ms: 365 * DAY_MS },
};

const PURE_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const SQLITE_SPACE = /^[ \t\n\v\f\r]+/;

/** C's `(sqlite3_int64)(x + rounder)`: rounds half away from zero. */
const roundAway = (x: number): number => Math.trunc(x + (x < 0 ? -0.5 : 0.5));

/** Milliseconds of an `HH:MM[:SS[.fff]]` time as SQLite's parseHhMmSs reads it, or undefined. */
function timeMs(text: string): number | undefined {
  const m = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?[ \t\n\v\f\r]*$/.exec(text);
  if (!m) return undefined;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 24 || min > 59 || s > 59) return undefined;
  const frac = Math.min(Number(`0.${m[4] ?? '0'}`), 0.999);
  return h * 3_600_000 + min * 60_000 + Math.trunc((s + frac) * 1000 + 0.5);
}

/**
 * One modifier as SQLite's parseModifier reads it (case-insensitive, no surrounding spaces):
 * the operations it stands for, a numeric mode when it is the first one, or null where SQLite
 * refuses it (and strftime answers NULL).
 */
function parseModifier(z: string, first: boolean): DateOp[] | NumericMode | null {
  const lower = z.toLowerCase();
  if (lower === 'unixepoch' || lower === 'auto' || lower === 'julianday') return first ? lower : null;
  // The server runs in UTC: local time is UTC, as PostgreSQL's translation assumes too.
  if (lower === 'localtime' || lower === 'utc' || lower === 'ceiling') return [];
  if (lower === 'floor') return [{ kind: 'floor' }];
  if (lower === 'subsec' || lower === 'subsecond') return [{ kind: 'subsec' }];
  if (lower.startsWith('start of ')) {
    const unit = lower.slice(9);
    return unit === 'day' || unit === 'month' || unit === 'year' ? [{ kind: 'startOf', unit }] : null;
  }
  if (lower.startsWith('weekday ')) {
    const r = Number(lower.slice(8).trim());
    return PURE_NUMBER.test(lower.slice(8).trim()) && Number.isInteger(r) && r >= 0 && r < 7 ? [{ kind: 'weekday', n: r }] : null;
  }
  if (!/^[-+0-9]/.test(z)) return null;
  let n = 1;
  for (; n < z.length; n++) {
    const c = z[n];
    if (c === ':' || /[ \t\n\v\f\r]/.test(c)) break;
    if (c === '-' && ((n === 5 && /^\d{4}$/.test(z.slice(1, 5))) || (n === 6 && /^\d{5}$/.test(z.slice(1, 6))))) break;
  }
  if (!PURE_NUMBER.test(z.slice(0, n))) return null;
  const r = Number(z.slice(0, n));
  const negative = z[0] === '-';
  if (z[n] === ':') {
    // ±HH:MM[:SS[.fff]]: a time of day added (whole days dropped, as SQLite does).
    const ms = timeMs(/\d/.test(z[0]) ? z : z.slice(1));
    return ms === undefined ? null : [{ kind: 'addMs', ms: (negative ? -1 : 1) * (ms % DAY_MS) }];
  }
  if (z[n] === '-') {
    // ±YYYY-MM-DD[ HH:MM[:SS[.fff]]]: years and months as month arithmetic, then days and time.
    const m = /^[-+](\d{4,5})-(\d{2})-(\d{2})(?:[ \t\n\v\f\r](.*))?$/.exec(z);
    if (!m || (z[0] !== '+' && z[0] !== '-')) return null;
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (mo >= 12 || d >= 31) return null;
    const sign = negative ? -1 : 1;
    const ops: DateOp[] = [{ kind: 'months', n: sign * (y * 12 + mo) }, { kind: 'addMs', ms: sign * d * DAY_MS }];
    if (m[4] !== undefined) {
      const ms = timeMs(m[4]);
      if (ms === undefined) return null;
      // SQLite applies the sign to the time only when the year has four digits.
      ops.push({ kind: 'addMs', ms: (negative && m[1].length === 4 ? -1 : 1) * (ms % DAY_MS) });
    }
    return ops;
  }
  const rest = z.slice(n).replace(SQLITE_SPACE, '');
  if (rest.length < 3 || rest.length > 10) return null;
  const unit = rest.toLowerCase().replace(/s$/, '');
  const xform = Object.hasOwn(XFORMS, unit) ? XFORMS[unit] : undefined;
  if (!xform || !(r > -xform.limit && r < xform.limit)) return null;
  if (unit === 'month' || unit === 'year') {
    const whole = Math.trunc(r);
    const ops: DateOp[] = [{ kind: 'months', n: unit === 'year' ? whole * 12 : whole }];
    if (r !== whole) ops.push({ kind: 'addMs', ms: roundAway((r - whole) * xform.ms) });
    return ops;
  }
  return [{ kind: 'addMs', ms: roundAway(r * xform.ms) }];
}

/** Format letters DATE_FORMAT renders exactly as SQLite does. */
const NATIVE_LETTERS: Readonly<Record<string, string>> = {
  d: '%d', F: '%Y-%m-%d', H: '%H', I: '%h', j: '%j', m: '%m', M: '%i', p: '%p', R: '%H:%i', S: '%S', T: '%H:%i:%S',
  U: '%U', V: '%v', G: '%x', w: '%w', Y: '%Y', '%': '%%',
};

const text = (e: Sql): Sql => sql`CAST(${e} AS CHAR)`;
const micros = (ts: Sql): Sql => sql`TIMESTAMPDIFF(MICROSECOND, ${EPOCH}, ${ts})`;

/** Format letters needing more than DATE_FORMAT. */
const CUSTOM_LETTERS: Readonly<Record<string, (ts: Sql, subsec: boolean) => Sql>> = {
  e: (ts) => sql`LPAD(DAY(${ts}), 2, ' ')`,
  f: (ts) => sql`SUBSTR(DATE_FORMAT(${ts}, '%S.%f'), 1, 6)`,
  g: (ts) => sql`RIGHT(DATE_FORMAT(${ts}, '%x'), 2)`,
  // %.16g of the julian day: 16 significant digits are 9 decimals for every DATETIME year.
  // (`+ 0e0` drops ROUND's fixed decimals, so the double prints in its shortest form, as %g does.)
  J: (ts) => text(sql`ROUND((${micros(ts)} DIV 1000 + ${raw(String(JD_EPOCH_MS))}) / 86400000e0, 9) + 0e0`),
  k: (ts) => sql`LPAD(HOUR(${ts}), 2, ' ')`,
  l: (ts) => sql`LPAD(MOD(HOUR(${ts}) + 11, 12) + 1, 2, ' ')`,
  P: (ts) => sql`LOWER(DATE_FORMAT(${ts}, '%p'))`,
  s: (ts, subsec) => text(subsec ? sql`CAST(${micros(ts)} DIV 1000 / 1000 AS DECIMAL(20, 3))` : sql`FLOOR(${micros(ts)} / 1000000)`),
  u: (ts) => text(sql`WEEKDAY(${ts}) + 1`),
  W: (ts) => sql`LPAD(WEEK(${ts}, 5), 2, '0')`,
};

type FormatPiece = { native: string } | { custom: (ts: Sql, subsec: boolean) => Sql };

/** The format as DATE_FORMAT runs and custom pieces, or null where SQLite answers NULL. */
function parseFormat(format: string): FormatPiece[] | null {
  const pieces: FormatPiece[] = [];
  const native = (s: string) => {
    const last = pieces[pieces.length - 1];
    if (last && 'native' in last) last.native += s;
    else pieces.push({ native: s });
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%') {
      native(c);
      continue;
    }
    const letter = format[++i];
    if (letter !== undefined && Object.hasOwn(NATIVE_LETTERS, letter)) native(NATIVE_LETTERS[letter]);
    else if (letter !== undefined && Object.hasOwn(CUSTOM_LETTERS, letter)) pieces.push({ custom: CUSTOM_LETTERS[letter] });
    else return null;
  }
  return pieces;
}

/** Translates one strftime() call; `time` absent: 'now'. */
function compileStrftime(format: string, time: Sql | undefined, modifiers: readonly string[]): Sql {
  let aliases = 0;
  /** `body(v)` with `value` computed once: a one-row JSON_TABLE binds it to `v`. */
  const bindOnce = (value: Sql, type: string, body: (v: Sql) => Sql): Sql => {
    const alias = `_bt${aliases++}`;
    return sql`(SELECT ${body(sql`${ident(alias, 'v')}`)} FROM JSON_TABLE(JSON_ARRAY(${value}), '$[*]' COLUMNS (${ident('v')} ${raw(type)} PATH '$')) AS ${ident(alias)})`;
  };

  const pieces = parseFormat(format);
  let mode: NumericMode = 'default';
  let subsec = false;
  const ops: DateOp[] = [];
  for (const [i, m] of modifiers.entries()) {
    const parsed = parseModifier(m, i === 0);
    if (parsed === null) return raw('NULL');
    if (typeof parsed === 'string') mode = parsed;
    else ops.push(...parsed);
  }
  if (!pieces || (time === undefined && ops.length > 0)) return raw('NULL');

  let ts = time === undefined ? sql`CAST(UTC_TIMESTAMP(3) AS ${raw(DATETIME)})` : bindOnce(time, JSON_TABLE_TEXT, (v) => parseTime(v, mode));
  for (const [i, op] of ops.entries()) {
    if (op.kind === 'subsec') subsec = true;
    else if (op.kind !== 'floor') ts = applyOp(ts, op, ops[i + 1]?.kind === 'floor', bindOnce);
  }
  if (pieces.length === 0) return sql`(CASE WHEN ${ts} IS NULL THEN NULL ELSE '' END)`;
  const render = (v: Sql) => {
    const parts = pieces.map((p) => ('native' in p ? sql`DATE_FORMAT(${v}, ${p.native})` : p.custom(v, subsec)));
    return parts.length === 1 ? parts[0] : sql`CONCAT(${join(parts)})`;
  };
  return pieces.length === 1 ? render(ts) : bindOnce(ts, DATETIME, render);
}

const startOfMonth = (v: Sql): Sql => sql`CAST(DATE_FORMAT(${v}, '%Y-%m-01') AS ${raw(DATETIME)})`;
const int = (n: number): Sql => raw(BigInt(n).toString());

function applyOp(ts: Sql, op: DateOp, floored: boolean, bindOnce: (value: Sql, type: string, body: (v: Sql) => Sql) => Sql): Sql {
  switch (op.kind) {
    case 'addMs':
      return sql`DATE_ADD(${ts}, INTERVAL ${raw((BigInt(op.ms) * 1000n).toString())} MICROSECOND)`;
    case 'startOf':
      if (op.unit === 'day') return sql`CAST(DATE(${ts}) AS ${raw(DATETIME)})`;
      return sql`CAST(DATE_FORMAT(${ts}, ${raw(op.unit === 'month' ? "'%Y-%m-01'" : "'%Y-01-01'")}) AS ${raw(DATETIME)})`;
    case 'months':
      // MySQL clamps Jan 31 + 1 month to Feb 29, which is SQLite's 'floor'; by default SQLite
      // lets the day overflow into March: the month's start, plus the months, plus the offset.
      if (floored) return sql`DATE_ADD(${ts}, INTERVAL ${int(op.n)} MONTH)`;
      return bindOnce(ts, DATETIME, (v) =>
        sql`DATE_ADD(DATE_ADD(${startOfMonth(v)}, INTERVAL ${int(op.n)} MONTH), INTERVAL TIMESTAMPDIFF(MICROSECOND, ${startOfMonth(v)}, ${v}) MICROSECOND)`,
      );
    case 'weekday':
      return bindOnce(ts, DATETIME, (v) => sql`DATE_ADD(${v}, INTERVAL MOD(${int(op.n)} - DAYOFWEEK(${v}) + 8, 7) DAY)`);
    default:
      return ts;
  }
}

/** A time value's text as SQLite reads it, as DATETIME(6); `v` is bound once. */
function parseTime(v: Sql, mode: NumericMode): Sql {
  const r = sql`CAST(TRIM(${v}) AS DOUBLE)`;
  const fromMs = (ms: Sql) => sql`DATE_ADD(${EPOCH}, INTERVAL (${ms}) * 1000 MICROSECOND)`;
  const julian = sql`CASE WHEN ${r} >= 0 AND ${r} < 5373484.5 THEN ${fromMs(sql`CAST(FLOOR(${r} * 86400000 + 0.5) AS SIGNED) - ${raw(String(JD_EPOCH_MS))}`)} END`;
  const unix = sql`CASE WHEN ${r} * 1000 + ${raw(String(JD_EPOCH_MS))} >= 0 AND ${r} * 1000 + ${raw(String(JD_EPOCH_MS))} < 464269060800000 THEN ${fromMs(sql`CAST(FLOOR(${r} * 1000 + 0.5) AS SIGNED)`)} END`;
  const numeric =
    mode === 'unixepoch' ? unix
    : mode !== 'auto' ? julian
    : sql`CASE WHEN ${r} >= 0 AND ${r} < 5373484.5 THEN (${julian}) WHEN ${r} >= -210866760000 AND ${r} <= 253402300799 THEN (${unix}) END`;
  const isNumber = sql`WHEN ${v} REGEXP ${raw(SQLITE_NUMBER_TEXT)} THEN ${numeric}`;
  // 'unixepoch' and 'julianday' read numbers only: SQLite refuses them after a date text.
  if (mode === 'unixepoch' || mode === 'julianday') return sql`(CASE ${isNumber} END)`;
  const tz = sql`REGEXP_SUBSTR(${v}, ${raw(TZ_PART_RE)})`;
  const tzMinutes = sql`IF(${tz} = '', 0, (CAST(SUBSTR(${tz}, 2, 2) AS SIGNED) * 60 + CAST(SUBSTR(${tz}, 5, 2) AS SIGNED)) * IF(LEFT(${tz}, 1) = '-', -1, 1))`;
  const at = (day: Sql, timeText: Sql) => {
    const ms = sql`CAST(ROUND(TIME_TO_SEC(CAST(COALESCE(NULLIF(REGEXP_SUBSTR(${timeText}, ${raw(TIME_PART_RE)}), ''), '00:00') AS TIME(6))) * 1000) AS SIGNED)`;
    return sql`DATE_ADD(${day}, INTERVAL (${ms} - ${tzMinutes} * 60000) * 1000 MICROSECOND)`;
  };
  // Day 31 of a 30-day month overflows into the next one, as in SQLite: the month's first day plus D-1 days.
  const date = sql`DATE_ADD(CAST(CONCAT(SUBSTR(${v}, 1, 7), '-01') AS DATE), INTERVAL CAST(SUBSTR(${v}, 9, 2) AS UNSIGNED) - 1 DAY)`;
  return sql`(CASE WHEN ${v} REGEXP ${raw(DATE_RE)} THEN ${at(date, sql`SUBSTR(${v}, 11)`)} WHEN ${v} REGEXP ${raw(TIME_RE)} THEN ${at(raw("DATE'2000-01-01'"), v)} WHEN LOWER(${v}) = 'now' THEN UTC_TIMESTAMP(3) ${isNumber} END)`;
}

/**
 * SQLite's strftime() for MySQL. The format and the modifiers must be constant text (literals or
 * bound text placeholders): they are translated here, once; anything else is a 400.
 */
export function mysqlStrftime(format: ConstSql, expr: Sql | undefined, modifiers: readonly ConstSql[]): Sql {
  const constant = (c: ConstSql, what: string): string => {
    if (c.text === undefined) throw new ApiError(400, `Invalid filter: strftime() ${what} must be a constant string on MySQL`);
    return c.text;
  };
  return compileStrftime(constant(format, 'format'), expr, modifiers.map((m, i) => constant(m, `modifier ${i + 1}`)));
}
