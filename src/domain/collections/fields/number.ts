/** Number fields: float64 values; `min`/`max` are null when unset; `field+` / `field-` add and subtract. */
import { fieldError, type FieldError } from '../../../kernel/errors.ts';
import { toGoFloat, toInputFloat } from './cast.ts';
import { required, templateError } from './errors.ts';
import { collectErrors, COMMON_OPTIONS, entry, validateCommonOptions } from './options.ts';
import type { FieldHandler } from './types.ts';

const onlyIntError = (): FieldError => fieldError('validation_only_int_constraint', 'Decimal numbers are not allowed.');
const minError = (min: number) => templateError('validation_min_number_constraint', 'Must be greater or equal than {{.min}}', { min });
const maxError = (max: number) => templateError('validation_max_number_constraint', 'Must be less or equal than {{.max}}', { max });

const optional = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
// Go checks "integer" as v == float64(int64(v)); beyond the int64 range that never holds.
const isInt = (v: number): boolean => Number.isInteger(v) && Math.abs(v) < 2 ** 63;

const handler = {
  type: 'number',
  options: { ...COMMON_OPTIONS, min: 'number?', max: 'number?', onlyInt: 'bool' },
  modifiers: ['add', 'subtract'],
  columnKind: () => 'number',
  zero: () => 0,
  decode: (_field, dbValue) => toGoFloat(dbValue),
  encode: (_field, value) => value,
  normalize: (_field, raw) => toInputFloat(raw),

  validate(field, value) {
    if (!Number.isFinite(value)) {
      return fieldError('validation_not_a_number', 'The submitted number is not properly formatted.');
    }
    if (value === 0) return field.required ? required() : undefined;
    if (field.onlyInt && !isInt(value)) return onlyIntError();
    const min = optional(field.min);
    if (min !== undefined && value < min) return minError(min);
    const max = optional(field.max);
    if (max !== undefined && value > max) return maxError(max);
    return undefined;
  },

  validateOptions(field) {
    const min = optional(field.min);
    const max = optional(field.max);
    const intRule = (v: number | undefined) => (v !== undefined && field.onlyInt && !isInt(v) ? onlyIntError() : undefined);
    return collectErrors(
      validateCommonOptions(field),
      entry('min', intRule(min)),
      entry('max', intRule(max) ?? (min !== undefined && max !== undefined && max < min ? minError(min) : undefined)),
    );
  },

  applyModifier(_field, current, modifier, raw) {
    if (modifier === 'add') return toGoFloat(current) + toInputFloat(raw);
    if (modifier === 'subtract') return toGoFloat(current) - toInputFloat(raw);
    return current;
  },
} satisfies FieldHandler<number>;

/** Typed as the interface so callers see every parameter (the literal's own type is narrower). */
export const numberField: FieldHandler<number> = handler;
