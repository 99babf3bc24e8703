/**
 * File fields, metadata only: the value is the stored file name(s). New names are valid only for
 * files uploaded with the request (`ValidateContext.uploaded`); `validateUpload` checks one
 * upload's name, size and type against the field before it is stored.
 */
import { fieldError, type ErrorData, type FieldError } from '../../../kernel/errors.ts';
import { isMultiValue, type FieldDef } from '../../../db/schema.ts';
import { toUniqueStringList, uniqueNonEmpty } from './cast.ts';
import { intRange, invalidFormat, lengthRule, MAX_SAFE_JSON_INT, notInList, required, templateError } from './errors.ts';
import { shapeValue, type MultiValue } from './multi.ts';
import { collectErrors, COMMON_OPTIONS, entry, num, strList, validateCommonOptions } from './options.ts';
import type { FieldHandler, UploadInfo } from './types.ts';

export type { UploadInfo } from './types.ts';

export const DEFAULT_FILE_MAX_SIZE = 5 << 20;
const LOOSE_FILENAME = /^[^./\\][^/\\]+$/;
const THUMB_SIZE = /^(\d+)x(\d+)(t|b|f)?$/;
const ZERO_THUMBS = ['0x0', '0x0t', '0x0b', '0x0f'];

export const fileMaxSize = (field: FieldDef): number => (num(field.maxSize) > 0 ? num(field.maxSize) : DEFAULT_FILE_MAX_SIZE);
export const fileMaxSelect = (field: FieldDef): number => Math.max(num(field.maxSelect), 1);

/** File names from any input: nested list items count only when they hold exactly one name. */
export function toFileNames(raw: unknown): string[] {
  if (Array.isArray(raw)) {
    const out: string[] = [];
    for (const item of raw) {
      const names = toFileNames(item);
      if (names.length === 1) out.push(names[0]);
    }
    return uniqueNonEmpty(out);
  }
  return toUniqueStringList(raw);
}

const normalizeFile = (field: FieldDef, raw: unknown): MultiValue => shapeValue(field, toFileNames(raw));

/**
 * The uploads a saved record keeps: those the values of their file fields name (a single-file
 * field keeps the last one), in the order they came.
 */
export function keptUploads<F extends { readonly name: string }>(data: Readonly<Record<string, unknown>>, uploads: ReadonlyMap<string, readonly F[]>): F[] {
  const out: F[] = [];
  for (const [fieldName, files] of uploads) {
    const kept = new Set(toFileNames(data[fieldName]));
    for (const file of files) if (kept.has(file.name)) out.push(file);
  }
  return out;
}

/** Names stored before and absent now: the files the storage layer should delete after the write. */
export function fileNamesToDelete(oldValue: unknown, newValue: unknown): string[] {
  const kept = new Set(toFileNames(newValue));
  return toFileNames(oldValue).filter((n) => !kept.has(n));
}

/** The checks PocketBase runs on each new upload of a record. */
export function validateUpload(field: FieldDef, file: UploadInfo): FieldError | undefined {
  const nameError = lengthRule(file.name, 1, 150) ?? (file.name && !LOOSE_FILENAME.test(file.name) ? invalidFormat() : undefined);
  if (nameError) return nameError;
  const maxSize = fileMaxSize(field);
  if (file.size > maxSize) {
    return templateError(
      'validation_file_size_limit',
      'Failed to upload {{.file}} - the maximum allowed file size is {{.maxSize}} bytes.',
      { file: file.originalName.slice(0, 300), maxSize },
    );
  }
  const allowed = strList(field.mimeTypes);
  if (allowed.length === 0) return undefined;
  if (!file.mimeType) {
    return fieldError('validation_invalid_mime_type', `Failed to upload ${JSON.stringify(file.originalName.slice(0, 300))} due to unsupported file type.`);
  }
  // As the library's `Is`: parameters left out on both sides, case ignored, aliases accepted.
  const baseType = (t: string) => t.split(';')[0].trim().toLowerCase();
  const accepted = new Set([file.mimeType, ...(file.mimeTypeAliases ?? [])].map(baseType));
  if (allowed.some((t) => accepted.has(baseType(t)))) return undefined;
  return fieldError('validation_invalid_mime_type', `${JSON.stringify(file.name)} mime type must be one of: ${allowed.join(', ')}.`);
}

function validateThumbs(field: FieldDef): ErrorData | undefined {
  const bad: ErrorData = {};
  strList(field.thumbs).forEach((t, i) => {
    const error = ZERO_THUMBS.includes(t) ? notInList() : THUMB_SIZE.test(t) ? undefined : invalidFormat();
    if (error) bad[String(i)] = error;
  });
  return Object.keys(bad).length > 0 ? bad : undefined;
}

const handler = {
  type: 'file',
  options: { ...COMMON_OPTIONS, maxSize: 'int', maxSelect: 'int', mimeTypes: 'strings?', thumbs: 'strings?', protected: 'bool' },
  modifiers: ['append', 'prepend', 'subtract'],
  columnKind: (field) => (isMultiValue(field) ? 'jsonArray' : 'text'),
  zero: (field): MultiValue => (isMultiValue(field) ? [] : ''),
  decode: normalizeFile,
  encode(field, value) {
    const shaped = normalizeFile(field, value);
    return Array.isArray(shaped) ? JSON.stringify(shaped) : shaped;
  },
  normalize: (field, raw) => normalizeFile(field, raw),

  validate(field, value, ctx) {
    const names = toFileNames(value);
    if (names.length === 0) return field.required ? required() : undefined;
    const uploads = new Map((ctx.uploaded ?? []).map((u) => [u.name, u]));
    const known = new Set(toFileNames(ctx.original));
    const invalidFiles = names.filter((n) => !known.has(n) && !uploads.has(n)).map((n) => n.slice(0, 250));
    if (invalidFiles.length > 0) {
      return templateError('validation_invalid_file', 'Invalid new files: {{.invalidFiles}}.', { invalidFiles });
    }
    const maxSelect = fileMaxSelect(field);
    if (names.length > maxSelect) {
      return templateError('validation_too_many_files', 'The maximum allowed files is {{.maxSelect}}', { maxSelect });
    }
    // The uploads the value keeps (a single-file field keeps the last), each checked in turn.
    for (const name of names) {
      const upload = uploads.get(name);
      const error = upload && validateUpload(field, upload);
      if (error) return error;
    }
    return undefined;
  },

  validateOptions: (field) =>
    collectErrors(
      validateCommonOptions(field),
      entry('maxSelect', intRange(num(field.maxSelect), 0, MAX_SAFE_JSON_INT)),
      entry('maxSize', intRange(num(field.maxSize), 0, MAX_SAFE_JSON_INT)),
      entry('thumbs', validateThumbs(field)),
    ),

  applyModifier(field, current, modifier, raw) {
    const now = toFileNames(current);
    const given = toFileNames(raw);
    if (modifier === 'append') return normalizeFile(field, [...now, ...given]);
    if (modifier === 'prepend') return normalizeFile(field, [...given, ...now]);
    if (modifier === 'subtract') return normalizeFile(field, now.filter((n) => !given.includes(n)));
    return normalizeFile(field, now);
  },
} satisfies FieldHandler<MultiValue>;

/** Typed as the interface so callers see every parameter (the literal's own type is narrower). */
export const fileField: FieldHandler<MultiValue> = handler;
