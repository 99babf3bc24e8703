/**
 * Text fields, including the record `id` (the one text field with `primaryKey`) and the auth
 * `tokenKey`/`username`. Values are stored as given: PocketBase does not trim them.
 */
import { fieldError, type FieldError } from '../../../kernel/errors.ts';
import { randomFromPattern } from '../../../kernel/ids.ts';
import type { FieldDef } from '../../../db/schema.ts';
import { runeLength, toGoString } from './cast.ts';
import {
  intRange,
  invalidRegex,
  MAX_SAFE_JSON_INT,
  mustBeBlank,
  required,
  templateError,
} from './errors.ts';
import { collectErrors, COMMON_OPTIONS, entry, num, str, validateCommonOptions } from './options.ts';
import { matchesGoRegex, regexError } from './regex.ts';
import type { FieldHandler } from './types.ts';

/** The id pattern PocketBase gives new collections; ids matching it need no extra safety checks. */
export const DEFAULT_ID_PATTERN = '^[a-z0-9]+$';
/** Applied when a text field leaves `max` at 0. */
export const DEFAULT_TEXT_MAX = 5000;

export const pkChangeError = (): FieldError =>
  fieldError('validation_pk_change', 'The record primary key cannot be changed.');
/** For the record service's case-insensitive duplicate check (see `needsPkUniquenessCheck`). */
export const pkInvalidError = (): FieldError =>
  fieldError('validation_pk_invalid', 'The record primary key is invalid or already exists.');

/** Characters kept out of custom primary keys: ids become directory and file names. */
const FORBIDDEN_PK_CHARS = ['.', '/', '\\', '|', '"', "'", '`', '<', '>', ':', '?', '*', '%', '$', '\0', '\t', '\n', '\r', ' '];
const RESERVED_PKS = ['CON', 'PRN', 'AUX', 'NUL', 'COM1', 'COM2', 'COM3', 'COM4', 'COM5', 'COM6', 'COM7', 'COM8', 'COM9',
  'LPT1', 'LPT2', 'LPT3', 'LPT4', 'LPT5', 'LPT6', 'LPT7', 'LPT8', 'LPT9'];

/**
 * A new record's custom id (pattern other than the default) must not exist in any letter case;
 * that needs the database, so the record service runs it and reports `pkInvalidError()`.
 */
export const needsPkUniquenessCheck = (field: FieldDef): boolean =>
  field.type === 'text' && field.primaryKey === true && field.pattern !== DEFAULT_ID_PATTERN;

/** The checks on a value alone (no record state): required, length in code points, pattern, id safety. */
export function validatePlainText(field: FieldDef, value: string): FieldError | undefined {
  const pk = field.primaryKey === true;
  if (value === '') return field.required || pk ? required() : undefined;

  const length = runeLength(value);
  const min = num(field.min);
  if (min > 0 && length < min) {
    return templateError('validation_min_text_constraint', 'Must be at least {{.min}} character(s).', { min });
  }
  const max = num(field.max) || DEFAULT_TEXT_MAX;
  if (max > 0 && length > max) {
    return templateError('validation_max_text_constraint', 'Must be no more than {{.max}} character(s).', { max });
  }
  const pattern = str(field.pattern);
  if (pattern && !matchesGoRegex(pattern, value)) {
    return fieldError('validation_invalid_format', 'Invalid value format.');
  }
  if (pk && pattern !== DEFAULT_ID_PATTERN) {
    const ch = FORBIDDEN_PK_CHARS.find((c) => value.includes(c));
    if (ch !== undefined) {
      return templateError('validation_forbidden_pk_character', "'{{.ch}}' is not a valid primary key character.", { ch });
    }
    const reserved = length <= 4 ? RESERVED_PKS.find((r) => r === value.toUpperCase()) : undefined;
    if (reserved) {
      return templateError('validation_reserved_pk', "The primary key '{{.reserved}}' is reserved and cannot be used.", { reserved });
    }
  }
  return undefined;
}

/** A value from `autogeneratePattern`, or '' when the field has none. */
export function autogenerateText(field: FieldDef): string {
  const pattern = str(field.autogeneratePattern);
  return pattern ? randomFromPattern(pattern) : '';
}

function checkAutogeneratePattern(field: FieldDef): FieldError | undefined {
  const pattern = str(field.autogeneratePattern);
  if (!pattern) return undefined;
  // Several samples, since a pattern may produce valid and invalid values at random.
  for (let i = 0; i < 10; i++) {
    let sample: string;
    try {
      sample = randomFromPattern(pattern);
    } catch (e) {
      return fieldError('validation_invalid_autogenerate_pattern', (e as Error).message);
    }
    if (validatePlainText(field, sample)) {
      return fieldError(
        'validation_invalid_autogenerate_pattern_value',
        `The provided autogenerate pattern could produce invalid field values, ex.: ${JSON.stringify(sample)}.`,
      );
    }
  }
  return undefined;
}

const regexRule = (pattern: string) => {
  const error = pattern ? regexError(pattern) : undefined;
  return error ? invalidRegex(error) : undefined;
};

const handler = {
  type: 'text',
  options: { ...COMMON_OPTIONS, min: 'int', max: 'int', pattern: 'string', autogeneratePattern: 'string', primaryKey: 'bool' },
  modifiers: ['autogenerate'],
  columnKind: (field) => (field.primaryKey === true ? 'textPrimaryKey' : 'text'),
  zero: () => '',
  decode: (_field, dbValue) => toGoString(dbValue),
  encode: (_field, value) => value,
  normalize: (_field, raw) => toGoString(raw),

  validate(field, value, ctx) {
    if (field.primaryKey === true && !ctx.isNew) {
      const saved = toGoString(ctx.original);
      if (saved !== value) return pkChangeError();
      // An id already stored (perhaps imported from elsewhere) is not re-checked against newer rules.
      if (saved !== '') return undefined;
    }
    return validatePlainText(field, value);
  },

  validateOptions(field, ctx) {
    const pk = field.primaryKey === true;
    const min = num(field.min);
    const pattern = str(field.pattern);
    const common = validateCommonOptions(field);
    if (!common.name && pk && field.name !== 'id') {
      common.name = fieldError('validation_in_invalid', 'The primary key must be named "id".');
    }
    const pkCount = ctx.collection.fields.filter((f) => f.type === 'text' && f.primaryKey === true).length;
    return collectErrors(
      common,
      entry('primaryKey', pk && pkCount > 1
        ? fieldError('validation_unsupported_composite_pk', 'Composite PKs are not supported and the collection must have only 1 PK.')
        : undefined),
      entry('min', intRange(min, 0, MAX_SAFE_JSON_INT)),
      entry('max', intRange(num(field.max), min, MAX_SAFE_JSON_INT)),
      entry('pattern', pk && pattern === '' ? required() : regexRule(pattern)),
      entry('hidden', pk && field.hidden === true ? mustBeBlank() : undefined),
      entry('required', pk && field.required !== true ? required() : undefined),
      entry('autogeneratePattern', regexRule(str(field.autogeneratePattern)) ?? checkAutogeneratePattern(field)),
    );
  },

  applyModifier(field, current, modifier, raw) {
    // `field:autogenerate` appends a generated value to the given prefix.
    return modifier === 'autogenerate' ? toGoString(raw) + autogenerateText(field) : current;
  },
} satisfies FieldHandler<string>;

/** Typed as the interface so callers see every parameter (the literal's own type is narrower). */
export const textField: FieldHandler<string> = handler;
