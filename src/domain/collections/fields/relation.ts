/**
 * Relation fields: record ids of the collection `collectionId`; several when `maxSelect` > 1.
 * Whether the ids exist needs the database: the record service (`records/write.ts`) takes them
 * from `relationIdsToCheck` and reports `missingRelationRecords()` / `missingRelationCollection()`.
 */
import { fieldError, type FieldError } from '../../../kernel/errors.ts';
import type { FieldDef } from '../../../db/schema.ts';
import { toUniqueStringList } from './cast.ts';
import { intRange, required, templateError } from './errors.ts';
import { modifyMulti, multiValueHandling, type MultiValue } from './multi.ts';
import { collectErrors, COMMON_OPTIONS, entry, num, str, validateCommonOptions } from './options.ts';
import { tooManyValues } from './select.ts';
import type { FieldHandler, OptionsContext } from './types.ts';

export const missingRelationCollection = (): FieldError =>
  fieldError('validation_missing_rel_collection', 'Relation connection is missing or cannot be accessed.');
export const missingRelationRecords = (): FieldError =>
  fieldError('validation_missing_rel_records', 'Failed to find all relation records with the provided ids.');

/** The ids a valid value refers to: all must exist in `collectionId` (checked after `validate` passes). */
export function relationIdsToCheck(field: FieldDef, value: unknown): { collectionId: string; ids: string[] } {
  return { collectionId: str(field.collectionId), ids: toUniqueStringList(value) };
}

function checkCollectionId(field: FieldDef, ctx: OptionsContext): FieldError | undefined {
  const target = str(field.collectionId);
  if (target === '') return required();
  const old = ctx.original?.fields.find((f) => f.id === field.id && f.type === 'relation');
  if (old && str(old.collectionId) !== target) {
    return fieldError('validation_field_relation_change', 'The relation collection cannot be changed.');
  }
  // Referenced by id only; a name that happens to resolve is still refused.
  const related = ctx.schema.find(target);
  if (!related || related.id !== target) {
    return fieldError('validation_field_relation_missing_collection', "The relation collection doesn't exist.");
  }
  if (ctx.collection.type !== 'view' && related.type === 'view') {
    return fieldError(
      'validation_relation_field_non_view_base_collection',
      'Only view collections are allowed to have relations to other views.',
    );
  }
  return undefined;
}

const handler = {
  type: 'relation',
  options: { ...COMMON_OPTIONS, collectionId: 'string', cascadeDelete: 'bool', minSelect: 'int', maxSelect: 'int' },
  ...multiValueHandling,
  validate(field, value) {
    const ids = toUniqueStringList(value);
    if (ids.length === 0) return field.required ? required() : undefined;
    const minSelect = num(field.minSelect);
    if (minSelect > 0 && ids.length < minSelect) {
      return templateError('validation_not_enough_values', 'Select at least {{.minSelect}}', { minSelect });
    }
    const maxSelect = Math.max(num(field.maxSelect), 1);
    if (ids.length > maxSelect) return tooManyValues(maxSelect);
    return undefined;
  },
  validateOptions(field, ctx) {
    const minSelect = num(field.minSelect);
    const maxSelect = num(field.maxSelect);
    return collectErrors(
      validateCommonOptions(field),
      entry('collectionId', checkCollectionId(field, ctx)),
      entry('minSelect', intRange(minSelect, 0, Number.MAX_SAFE_INTEGER)),
      entry('maxSelect', minSelect > 0 && maxSelect === 0 ? required() : intRange(maxSelect, minSelect, Number.MAX_SAFE_INTEGER)),
    );
  },
  applyModifier: modifyMulti,
} satisfies FieldHandler<MultiValue>;

/** Typed as the interface so callers see every parameter (the literal's own type is narrower). */
export const relationField: FieldHandler<MultiValue> = handler;
