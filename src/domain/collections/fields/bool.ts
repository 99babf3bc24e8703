/** Bool fields. `required` means the value must be true, as in PocketBase. */
import { toGoBool } from './cast.ts';
import { required } from './errors.ts';
import { collectErrors, COMMON_OPTIONS, validateCommonOptions } from './options.ts';
import type { FieldHandler } from './types.ts';

const handler = {
  type: 'bool',
  options: COMMON_OPTIONS,
  modifiers: [],
  columnKind: () => 'bool',
  zero: () => false,
  decode: (_field, dbValue) => toGoBool(dbValue),
  /** A JS boolean; the SQLite layer stores it as 1/0. */
  encode: (_field, value) => value,
  /** Go's ParseBool words ('1', 't', 'true', 'TRUE' …), non-zero numbers; anything else (even 'on') is false. */
  normalize: (_field, raw) => toGoBool(raw),
  validate: (field, value) => (field.required && !value ? required() : undefined),
  validateOptions: (field) => collectErrors(validateCommonOptions(field)),
} satisfies FieldHandler<boolean>;

/** Typed as the interface so callers see every parameter (the literal's own type is narrower). */
export const boolField: FieldHandler<boolean> = handler;
