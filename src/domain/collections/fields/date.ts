/**
 * Date fields: `YYYY-MM-DD HH:MM:SS.mmmZ` strings in UTC, '' when empty. Input PocketBase cannot
 * parse is stored as '' rather than refused, and so are numbers (PocketBase reads them as text).
 */
import { formatDate, normalizeDate } from '../../../kernel/time.ts';
import { dateOutOfRange, maxThreshold, minThreshold, required } from './errors.ts';
import { collectErrors, COMMON_OPTIONS, entry, str, validateCommonOptions } from './options.ts';
import type { FieldHandler } from './types.ts';

/** Client or database input to the canonical datetime string ('' when empty or unparsable). */
/** The stored form; rows already in it (nearly all of them) skip parsing on every read. */
const CANONICAL_DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function toDateString(raw: unknown): string {
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? '' : formatDate(raw);
  if (typeof raw !== 'string') return '';
  if (CANONICAL_DATE.test(raw)) return raw;
  return normalizeDate(raw) ?? '';
}

const toTime = (s: string): Date => new Date(s.replace(' ', 'T'));

const handler = {
  type: 'date',
  options: { ...COMMON_OPTIONS, min: 'date', max: 'date' },
  modifiers: [],
  columnKind: () => 'date',
  zero: () => '',
  decode: (_field, dbValue) => toDateString(dbValue),
  encode: (_field, value) => value,
  normalize: (_field, raw) => toDateString(raw),
  validate(field, value) {
    if (value === '') return field.required ? required() : undefined;
    const t = toTime(value);
    const min = str(field.min);
    if (min && t < toTime(min)) return minThreshold(toTime(min));
    const max = str(field.max);
    if (max && t > toTime(max)) return maxThreshold(toTime(max));
    return undefined;
  },
  validateOptions(field) {
    const min = str(field.min);
    const max = str(field.max);
    return collectErrors(
      validateCommonOptions(field),
      entry('max', min && max && toTime(max) < toTime(min) ? dateOutOfRange() : undefined),
    );
  },
} satisfies FieldHandler<string>;

/** Typed as the interface so callers see every parameter (the literal's own type is narrower). */
export const dateField: FieldHandler<string> = handler;
