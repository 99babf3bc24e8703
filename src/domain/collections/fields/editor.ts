/** Editor (rich text) fields: HTML kept as sent; `maxSize` (bytes) defaults to 5 MiB when 0. */
import type { FieldDef } from '../../../db/schema.ts';
import { byteLength } from './cast.ts';
import { intRange, MAX_SAFE_JSON_INT, required, templateError } from './errors.ts';
import { collectErrors, COMMON_OPTIONS, entry, num, validateCommonOptions } from './options.ts';
import { plainTextValue } from './plain-text.ts';
import type { FieldHandler } from './types.ts';

export const DEFAULT_EDITOR_MAX_SIZE = 5 << 20;

export const editorMaxSize = (field: FieldDef): number =>
  num(field.maxSize) > 0 ? num(field.maxSize) : DEFAULT_EDITOR_MAX_SIZE;

const handler = {
  type: 'editor',
  options: { ...COMMON_OPTIONS, maxSize: 'int', convertURLs: 'bool' },
  ...plainTextValue,
  validate(field, value) {
    if (field.required && value === '') return required();
    const maxSize = editorMaxSize(field);
    if (byteLength(value) > maxSize) {
      return templateError('validation_content_size_limit', 'The maximum allowed content size is {{.maxSize}} bytes', { maxSize });
    }
    return undefined;
  },
  validateOptions: (field) =>
    collectErrors(validateCommonOptions(field), entry('maxSize', intRange(num(field.maxSize), 0, MAX_SAFE_JSON_INT))),
} satisfies FieldHandler<string>;

/** Typed as the interface so callers see every parameter (the literal's own type is narrower). */
export const editorField: FieldHandler<string> = handler;
