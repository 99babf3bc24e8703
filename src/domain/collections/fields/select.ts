/** Select fields: values from `values`; several when `maxSelect` > 1 (stored as a JSON array). */
import { toUniqueStringList } from './cast.ts';
import { intRange, required, templateError } from './errors.ts';
import { modifyMulti, multiValueHandling, type MultiValue } from './multi.ts';
import { collectErrors, COMMON_OPTIONS, entry, num, strList, validateCommonOptions } from './options.ts';
import type { FieldHandler } from './types.ts';

export const tooManyValues = (maxSelect: number) =>
  templateError('validation_too_many_values', 'Select no more than {{.maxSelect}}', { maxSelect });

const handler = {
  type: 'select',
  options: { ...COMMON_OPTIONS, values: 'strings?', maxSelect: 'int' },
  ...multiValueHandling,
  validate(field, value) {
    const list = toUniqueStringList(value);
    if (list.length === 0) return field.required ? required() : undefined;
    const maxSelect = Math.max(num(field.maxSelect), 1);
    if (list.length > maxSelect) return tooManyValues(maxSelect);
    const allowed = strList(field.values);
    const bad = list.find((v) => !allowed.includes(v));
    if (bad !== undefined) return templateError('validation_invalid_value', 'Invalid value {{.value}}', { value: bad });
    return undefined;
  },
  validateOptions(field) {
    const values = strList(field.values);
    return collectErrors(
      validateCommonOptions(field),
      entry('values', values.length === 0 ? required() : undefined),
      entry('maxSelect', intRange(num(field.maxSelect), 0, Math.max(values.length, 1))),
    );
  },
  applyModifier: modifyMulti,
} satisfies FieldHandler<MultiValue>;

/** Typed as the interface so callers see every parameter (the literal's own type is narrower). */
export const selectField: FieldHandler<MultiValue> = handler;
