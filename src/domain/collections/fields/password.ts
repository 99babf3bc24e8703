/**
 * Password fields. `normalize` yields the plaintext; the record service hashes it and stores the
 * hash (`encode` writes whatever string it is given). `validate` checks a new plaintext; with no
 * new plaintext ('') only `required` applies, satisfied by a stored hash in `ctx.original`.
 */
import { fieldError } from '../../../kernel/errors.ts';
import type { FieldDef } from '../../../db/schema.ts';
import { runeLength, toGoString } from './cast.ts';
import { intRange, invalidRegex, required } from './errors.ts';
import { collectErrors, COMMON_OPTIONS, entry, num, str, validateCommonOptions } from './options.ts';
import { matchesGoRegex, regexError } from './regex.ts';
import { plainTextValue } from './plain-text.ts';
import type { FieldHandler } from './types.ts';

/** bcrypt accepts at most 72 bytes; PocketBase caps the length at 71 characters. */
export const PASSWORD_MAX_LENGTH = 71;
/** The bcrypt cost used when the field's `cost` is 0. */
export const DEFAULT_PASSWORD_COST = 10;

export const passwordCost = (field: FieldDef): number => (num(field.cost) > 0 ? num(field.cost) : DEFAULT_PASSWORD_COST);

const handler = {
  type: 'password',
  options: { ...COMMON_OPTIONS, pattern: 'string', min: 'int', max: 'int', cost: 'int' },
  ...plainTextValue,
  validate(field, plain, ctx) {
    const storedHash = toGoString(ctx.original);
    if (field.required && plain === '' && storedHash === '') return required();
    if (plain === '') return undefined;
    const length = runeLength(plain);
    const min = num(field.min);
    if (length < min) return fieldError('validation_min_text_constraint', `Must be at least ${min} character(s).`);
    const max = num(field.max) > 0 ? num(field.max) : PASSWORD_MAX_LENGTH;
    if (length > max) return fieldError('validation_max_text_constraint', `Must be less than ${max} character(s).`);
    const pattern = str(field.pattern);
    if (pattern && !matchesGoRegex(pattern, plain)) return fieldError('validation_invalid_format', 'Invalid value format.');
    return undefined;
  },
  validateOptions(field) {
    const min = num(field.min);
    const pattern = str(field.pattern);
    const patternError = pattern ? regexError(pattern) : undefined;
    return collectErrors(
      validateCommonOptions(field),
      entry('min', intRange(min, 1, PASSWORD_MAX_LENGTH)),
      entry('max', intRange(num(field.max), min, PASSWORD_MAX_LENGTH)),
      entry('cost', intRange(num(field.cost), 4, 31)),
      entry('pattern', patternError ? invalidRegex(patternError) : undefined),
    );
  },
} satisfies FieldHandler<string>;

/** Typed as the interface so callers see every parameter (the literal's own type is narrower). */
export const passwordField: FieldHandler<string> = handler;
