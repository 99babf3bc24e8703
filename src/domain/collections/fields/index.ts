/**
 * Collection field types: one module per type (text.ts, number.ts …), each a `FieldHandler`
 * checked with `satisfies`; this module is the public surface.
 */
export type { DbValue, FieldHandler, GeoPoint, Modifier, NormalizeContext, OptionKind, OptionsContext, OptionSpecs, ValidateContext } from './types.ts';
export {
  apiValue,
  applyModifier,
  columnKindOf,
  decodeRow,
  decodeValue,
  encodeRow,
  encodeValue,
  FIELD_HANDLERS,
  FIELD_TYPES,
  fieldDefaults,
  fieldHandler,
  isFieldType,
  isHiddenField,
  normalizeValue,
  validateValue,
  zeroValue,
} from './registry.ts';
export { loadFieldsList, MAX_FIELDS, validateFieldsList, type LoadFieldsResult } from './list.ts';
export { authSystemFields, baseSystemFields, ensureSystemFields, idField, timestampFields } from './system.ts';
export { crc32, generateFieldId, RESERVED_FIELD_NAMES } from './options.ts';
export { inferFormValue, toUniqueStringList } from './cast.ts';
export { sentenize } from './errors.ts';

export { autogenerateText, DEFAULT_ID_PATTERN, needsPkUniquenessCheck, pkChangeError, pkInvalidError, validatePlainText } from './text.ts';
export { autodateValue } from './autodate.ts';
export { missingRelationCollection, missingRelationRecords, relationIdsToCheck } from './relation.ts';
export { fileMaxSelect, fileMaxSize, fileNamesToDelete, toFileNames, validateUpload, type UploadInfo } from './file.ts';
export { DEFAULT_PASSWORD_COST, PASSWORD_MAX_LENGTH, passwordCost } from './password.ts';
export { jsonMaxSize, type JsonValue } from './json.ts';
export { editorMaxSize } from './editor.ts';
export type { MultiValue } from './multi.ts';
