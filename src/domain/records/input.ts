import type { Readable } from 'node:stream';
import { badRequest } from '../../kernel/errors.ts';
import type { Modifier, UploadInfo } from '../collections/fields/types.ts';
import type { Collection, FieldDef } from '../../db/schema.ts';
import { toFileNames } from '../collections/fields/file.ts';
import { fieldHandler } from '../collections/fields/registry.ts';
import { planOf, type RecordData } from './codec.ts';

/** A file uploaded with a record body (multipart), held aside until the record is saved. */
export interface UploadedFile extends UploadInfo {
  /** The form key it came under: a file field's name, or `name+` / `+name`. */
  readonly key: string;
  /** The content type detected from its bytes (what storage keeps with it). */
  readonly mimeType: string;
  /** A new stream of its bytes. */
  open(): Readable;
}

/** A submitted record body: a JSON object, or multipart/urlencoded values (strings, lists of strings). */
export interface RecordInput {
  body: Record<string, unknown>;
  source: 'json' | 'form';
  /**
   * Baton sets a password nobody knows (auth records; PocketBase's SetRandomPassword): on
   * create, only when the body has none. The password field's own checks (length, pattern) do not
   * apply to it, as in PocketBase, so a strict pattern cannot make the write fail.
   */
  randomPassword?: boolean;
  /** Files uploaded with a multipart body, in the order they came. */
  files?: readonly UploadedFile[];
}

/**
 * Where a record's uploads are stored and its dropped files removed (domain/files/record-files.ts).
 * RecordService stores the uploads after validation and before the write, and removes files only
 * once a write has succeeded.
 */
export interface RecordFileStore {
  /**
   * Stores the uploads the saved record names (`data`'s file fields), in the record's folder; on
   * failure removes what it stored and throws. Resolves to the undo: removing them again, and for
   * a record being created (`isNew`) its folder too once empty (PocketBase's deleteEmptyRecordDir).
   */
  store(collection: Collection, data: RecordData, uploads: ReadonlyMap<string, readonly UploadedFile[]>, isNew: boolean): Promise<() => Promise<void>>;
  /** After a committed update: removes the files (and their thumbs) `before` named and `after` does not. */
  removeDropped(collection: Collection, before: RecordData, after: RecordData): Promise<void>;
  /**
   * After a committed delete: removes every file of the records, but those `keep` names for a
   * record's folder (a record of the same id that the same transaction made again afterwards).
   */
  removeRecords(records: ReadonlyArray<{ readonly collection: Collection; readonly record: RecordData }>, keep?: KeptFiles): Promise<void>;
}

/** The names of the files to keep in the folder of record `recordId` of collection `collectionId`. */
export type KeptFiles = (collectionId: string, recordId: string) => readonly string[];

export interface ParsedInput {
  /** Plain field assignments, in body order. `key` is the body key. */
  values: Array<{ key: string; field: FieldDef; raw: unknown }>;
  /** Modifier keys (`field+`, `+field`, `field-`, `field:autogenerate`), applied after the plain values. */
  modifiers: Array<{ key: string; field: FieldDef; modifier: Modifier; raw: unknown }>;
  /** Auth extras that are not fields. */
  passwordConfirm?: unknown;
  oldPassword?: unknown;
  /** Uploads per file field name (fields the caller may set only). */
  uploads: Map<string, UploadedFile[]>;
}

const MAX_BODY_KEYS = 1000;

function splitModifier(key: string): { name: string; modifier?: Modifier } {
  if (key.endsWith(':autogenerate')) return { name: key.slice(0, -':autogenerate'.length), modifier: 'autogenerate' };
  if (key.startsWith('+')) return { name: key.slice(1), modifier: 'prepend' };
  if (key.endsWith('+')) return { name: key.slice(0, -1), modifier: 'append' };
  if (key.endsWith('-')) return { name: key.slice(0, -1), modifier: 'subtract' };
  return { name: key };
}

/**
 * Sorts a body into field values and modifiers. Unknown keys are ignored, as PocketBase does;
 * hidden fields are ignored for non-superusers (auth passwords excepted).
 */
export function parseInput(collection: Collection, input: RecordInput, superuser: boolean): ParsedInput {
  if (input.body === null || typeof input.body !== 'object' || Array.isArray(input.body)) {
    throw badRequest('Failed to load the submitted data due to invalid formatting.');
  }
  if (Object.keys(input.body).length > MAX_BODY_KEYS) throw badRequest('Too many submitted fields.');
  const plan = planOf(collection);
  const parsed: ParsedInput = { values: [], modifiers: [], uploads: new Map() };
  const body = input.files?.length ? withUploads(plan.byName, input, superuser, parsed.uploads) : input.body;
  const keys = Object.keys(body);
  for (const key of keys) {
    const raw = body[key];
    if (collection.type === 'auth' && key === 'passwordConfirm') {
      parsed.passwordConfirm = raw;
      continue;
    }
    if (collection.type === 'auth' && key === 'oldPassword') {
      parsed.oldPassword = raw;
      continue;
    }
    const { name, modifier } = splitModifier(key);
    const field = plan.byName.get(name);
    if (!field) continue;
    if (field.hidden && !superuser && field.type !== 'password') continue;
    if (modifier) {
      // `field+` means "add" for numbers and "append" for multi-value fields.
      const effective: Modifier = modifier === 'append' && field.type === 'number' ? 'add' : modifier;
      if (fieldHandler(field.type).modifiers.includes(effective)) parsed.modifiers.push({ key, field, modifier: effective, raw });
    } else {
      parsed.values.push({ key, field, raw });
    }
  }
  // Plain values are applied before modifiers (PocketBase sorts keys shortest first to the same end).
  return parsed;
}

/**
 * The body with each upload's name added under the key it came with, as PocketBase merges them:
 * after the names a plain key already lists (the files to keep), and for `name+` / `+name` after
 * or before the record's files. Uploads under other keys, or for fields the caller may not set,
 * are left out. `uploads` receives each field's files.
 */
function withUploads(
  fields: ReadonlyMap<string, FieldDef>,
  input: RecordInput,
  superuser: boolean,
  uploads: Map<string, UploadedFile[]>,
): Record<string, unknown> {
  const body: Record<string, unknown> = { ...input.body };
  const added = new Map<string, string[]>();
  for (const file of input.files ?? []) {
    const { name, modifier } = splitModifier(file.key);
    const field = fields.get(name);
    if (!field || field.type !== 'file' || (modifier && modifier !== 'append' && modifier !== 'prepend')) continue;
    if (field.hidden && !superuser) continue;
    const list = uploads.get(field.name);
    if (list) list.push(file);
    else uploads.set(field.name, [file]);
    const names = added.get(file.key);
    if (names) names.push(file.name);
    else added.set(file.key, [file.name]);
  }
  for (const [key, names] of added) {
    const given = body[key];
    body[key] = [...(given === undefined || given === null ? [] : toFileNames(given)), ...names];
  }
  return body;
}