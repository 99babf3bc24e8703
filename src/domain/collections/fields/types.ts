import type { ColumnKind } from '../../../db/dialect.ts';
import type { ErrorData, FieldError } from '../../../kernel/errors.ts';
import type { Collection, FieldDef, FieldType, SchemaLookup } from '../../../db/schema.ts';

/**
 * What `encode` returns for the database layer. Dialect-agnostic: booleans stay `boolean`
 * (the SQLite layer stores them as 1/0), JSON documents and arrays are JSON text, a JSON field
 * holding nothing is `null` (SQL NULL).
 */
export type DbValue = string | number | boolean | null;

/** Body key modifiers: `field+` (append, or add for numbers), `+field`, `field-`, `field:autogenerate`. */
export type Modifier = 'append' | 'prepend' | 'subtract' | 'add' | 'autogenerate';

export interface GeoPoint {
  lon: number;
  lat: number;
}

export interface NormalizeContext {
  /**
   * 'form' for multipart/urlencoded values: strings are first read the way PocketBase reads
   * form data ('true' -> true, '12' -> 12), a repeated key is a list. Defaults to 'json'.
   */
  source?: 'json' | 'form';
  /** The field's value before this change; fields that ignore client input (autodate) keep it. */
  current?: unknown;
}

export interface ValidateContext {
  /** The record is being created. */
  isNew: boolean;
  /**
   * The field's last saved value (absent for new records): the stored primary key for the id
   * field, the stored hash for passwords, the stored file names for file fields.
   */
  original?: unknown;
  /** File fields: the files uploaded for the field with this request: their names are new but valid. */
  uploaded?: readonly UploadInfo[];
}

/** What the file field checks of one upload (records/input.ts UploadedFile carries more). */
export interface UploadInfo {
  /** The name the file will be stored under. */
  readonly name: string;
  /** The client's file name, quoted in size errors. */
  readonly originalName: string;
  readonly size: number;
  /** The detected content type; undefined when it could not be detected. */
  readonly mimeType?: string;
  /**
   * Other names of the detected type that a field's `mimeTypes` may list instead (PocketBase
   * checks with the detection library's `Is`, which takes them: `application/x-gzip` for gzip).
   */
  readonly mimeTypeAliases?: readonly string[];
}

export interface OptionsContext {
  /** Every saved collection (by id or name); the collection being saved may be absent when new. */
  schema: SchemaLookup;
  /** The collection being saved, in its new state. */
  collection: Collection;
  /** The collection as currently stored; absent when it is being created. */
  original?: Collection;
}

/** How an option is read from a field definition and what it defaults to. */
export type OptionKind =
  | 'bool' // false
  | 'int' // 0; must be an integer
  | 'string' // ''
  | 'number?' // null; any number
  | 'strings?' // null; list of strings (an empty list stays [])
  | 'date'; // ''; a datetime string normalized to PocketBase's format, '' when unparsable

export type OptionSpecs = Readonly<Record<string, OptionKind>>;

/**
 * One field type. Values are the in-memory form a record service works with: what `normalize`
 * produces from client input, what `decode` produces from a row, what `validate` checks and what
 * the API returns.
 */
export interface FieldHandler<V = unknown> {
  readonly type: FieldType;
  /** Every key stored for the type (common ones included), with its kind. */
  readonly options: OptionSpecs;
  /** The body modifiers the type understands; others leave the key ignored, as in PocketBase. */
  readonly modifiers: readonly Modifier[];
  columnKind(field: FieldDef): ColumnKind;
  /** The value of a new record before any input. */
  zero(field: FieldDef): V;
  decode(field: FieldDef, dbValue: unknown): V;
  encode(field: FieldDef, value: V): DbValue;
  normalize(field: FieldDef, raw: unknown, ctx?: NormalizeContext): V;
  validate(field: FieldDef, value: V, ctx: ValidateContext): FieldError | undefined;
  /** Errors keyed by option name (nested by index for list options), when the collection is saved. */
  validateOptions(field: FieldDef, ctx: OptionsContext): ErrorData | undefined;
  applyModifier?(field: FieldDef, current: V, modifier: Modifier, raw: unknown): V;
}
