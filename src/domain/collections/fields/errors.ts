/**
 * The validation errors fields report, with PocketBase's codes, and messages already in the form
 * its API sends them (first letter upper-cased, a closing period added, `{{.x}}` filled in).
 */
import { fieldError, type FieldError } from '../../../kernel/errors.ts';
import { formatFloatVerb } from './cast.ts';

/** PocketBase's largest accepted integer option (2^53 - 1). */
export const MAX_SAFE_JSON_INT = Number.MAX_SAFE_INTEGER;

/** Upper-cases the first letter and ends the sentence, as PocketBase does for every error message. */
export function sentenize(s: string): string {
  const t = s.trim();
  if (t === '') return '';
  const first = String.fromCodePoint(t.codePointAt(0)!);
  const out = first.toUpperCase() + t.slice(first.length);
  return /[.?!]$/.test(out) ? out : `${out}.`;
}

/** Prints a template parameter the way Go's text/template does. */
function printParam(v: unknown): string {
  if (typeof v === 'number') return formatFloatVerb(v);
  if (Array.isArray(v)) return `[${v.map(printParam).join(' ')}]`;
  if (v instanceof Date) return goTimeString(v);
  return String(v);
}

/** An error whose message is a `{{.param}}` template, rendered and sentenized. */
export function templateError(code: string, template: string, params?: Record<string, unknown>): FieldError {
  const message = template.replace(/\{\{\.(\w+)\}\}/g, (_, k: string) => printParam(params?.[k]));
  if (!params) return fieldError(code, sentenize(message));
  // Dates travel as RFC 3339 in the JSON params, like Go's time.Time.
  const jsonParams: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) jsonParams[k] = v instanceof Date ? rfc3339(v) : v;
  return fieldError(code, sentenize(message), jsonParams);
}

/** Go's `time.Time.String()` for a UTC time: `2006-01-02 15:04:05.999 +0000 UTC`. */
export function goTimeString(d: Date): string {
  const [date, time] = d.toISOString().replace('Z', '').split('T');
  return `${date} ${time.replace(/\.?0+$/, '')} +0000 UTC`;
}

/** Go's RFC 3339 JSON form of a time, fractional zeros trimmed. */
export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.?0+Z$/, 'Z');

// ---- generic rules (ozzo-validation) ----
export const required = (): FieldError => fieldError('validation_required', 'Cannot be blank.');
export const mustBeBlank = (): FieldError => fieldError('validation_empty', 'Must be blank.');
export const invalidFormat = (): FieldError => fieldError('validation_match_invalid', 'Must be in a valid format.');
export const notInList = (): FieldError => fieldError('validation_not_in_invalid', 'Must not be in list.');
export const valuesMismatch = (): FieldError => fieldError('validation_values_mismatch', "Values don't match.");
export const minThreshold = (threshold: number | Date): FieldError =>
  templateError('validation_min_greater_equal_than_required', 'must be no less than {{.threshold}}', { threshold });
export const maxThreshold = (threshold: number | Date): FieldError =>
  templateError('validation_max_less_equal_than_required', 'must be no greater than {{.threshold}}', { threshold });
export const dateOutOfRange = (): FieldError => fieldError('validation_date_out_of_range', 'The date is out of range.');
export const invalidDomain = (): FieldError => fieldError('validation_is_domain', 'Must be a valid domain.');
export const invalidEmail = (): FieldError => fieldError('validation_is_email', 'Must be a valid email address.');
export const invalidRegex = (detail: string): FieldError => fieldError('validation_invalid_regex', sentenize(detail));

/** ozzo's Length(min, max) rule, measured in bytes; empty values pass. */
export function lengthRule(value: string, min: number, max: number): FieldError | undefined {
  const n = Buffer.byteLength(value, 'utf8');
  if (n === 0 || !((min > 0 && n < min) || (max > 0 && n > max))) return undefined;
  const params = { min, max };
  if (min > 0 && max > 0) {
    return min === max
      ? templateError('validation_length_invalid', 'the length must be exactly {{.min}}', params)
      : templateError('validation_length_out_of_range', 'the length must be between {{.min}} and {{.max}}', params);
  }
  return min > 0
    ? templateError('validation_length_too_short', 'the length must be no less than {{.min}}', params)
    : templateError('validation_length_too_long', 'the length must be no more than {{.max}}', params);
}

/** ozzo's Min/Max rules on an integer option; 0 counts as empty and always passes, as in ozzo. */
export function intRange(value: number, min: number, max: number): FieldError | undefined {
  if (value === 0) return undefined;
  if (value < min) return minThreshold(min);
  if (value > max) return maxThreshold(max);
  return undefined;
}
