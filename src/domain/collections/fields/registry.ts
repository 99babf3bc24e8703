/** Every field type by name, plus the per-field operations the rest of Baton calls. */
import type { ColumnKind } from '../../../db/dialect.ts';
import type { FieldError } from '../../../kernel/errors.ts';
import type { FieldDef, FieldType } from '../../../db/schema.ts';
import { autodateField } from './autodate.ts';
import { boolField } from './bool.ts';
import { inferFormField } from './cast.ts';
import { dateField } from './date.ts';
import { editorField } from './editor.ts';
import { emailField } from './email.ts';
import { fileField } from './file.ts';
import { geoPointField } from './geo-point.ts';
import { jsonField } from './json.ts';
import { numberField } from './number.ts';
import { buildField } from './options.ts';
import { passwordField } from './password.ts';
import { relationField } from './relation.ts';
import { selectField } from './select.ts';
import { textField } from './text.ts';
import type { DbValue, FieldHandler, Modifier, NormalizeContext, ValidateContext } from './types.ts';
import { urlField } from './url.ts';

/** Handlers are typed by value; the table erases that (their methods accept the value bivariantly). */
const BY_TYPE: Record<FieldType, FieldHandler<unknown>> = {
  text: textField,
  number: numberField,
  bool: boolField,
  email: emailField,
  url: urlField,
  editor: editorField,
  date: dateField,
  autodate: autodateField,
  select: selectField,
  json: jsonField,
  relation: relationField,
  file: fileField,
  password: passwordField,
  geoPoint: geoPointField,
};

/** Multipart values are read the way PocketBase reads form data before any field sees them. */
const withFormInput = (h: FieldHandler<unknown>): FieldHandler<unknown> =>
  Object.freeze({
    ...h,
    normalize: (field: FieldDef, raw: unknown, ctx?: NormalizeContext) =>
      h.normalize(field, ctx?.source === 'form' ? inferFormField(raw) : raw, ctx),
  });

export const FIELD_HANDLERS: Readonly<Record<FieldType, FieldHandler<unknown>>> = Object.freeze(
  Object.fromEntries(Object.entries(BY_TYPE).map(([t, h]) => [t, withFormInput(h)])) as Record<FieldType, FieldHandler<unknown>>,
);

export const FIELD_TYPES = Object.keys(FIELD_HANDLERS) as FieldType[];

export const isFieldType = (t: unknown): t is FieldType => typeof t === 'string' && Object.hasOwn(FIELD_HANDLERS, t);

/** The handler of a type; throws on a type that is not one of the fourteen (a corrupt schema). */
export function fieldHandler(type: FieldType): FieldHandler<unknown> {
  if (!isFieldType(type)) throw new TypeError(`unknown field type "${String(type)}"`);
  return FIELD_HANDLERS[type];
}

const handlerOf = (field: Pick<FieldDef, 'type'>): FieldHandler<unknown> => fieldHandler(field.type);

/**
 * A complete definition with PocketBase's defaults: every option of the type (zero values,
 * `null` for unset nullable ones), unknown keys dropped, keys sorted, an id generated from type
 * and name when missing. `partial.type` is required.
 */
export function fieldDefaults(partial: Partial<FieldDef> & { type: FieldType }): FieldDef {
  const handler = handlerOf(partial);
  return buildField(partial.type, handler.options, partial as Record<string, unknown>);
}

export const columnKindOf = (field: FieldDef): ColumnKind => handlerOf(field).columnKind(field);
export const zeroValue = (field: FieldDef): unknown => handlerOf(field).zero(field);
export const decodeValue = (field: FieldDef, dbValue: unknown): unknown => handlerOf(field).decode(field, dbValue);
export const encodeValue = (field: FieldDef, value: unknown): DbValue => handlerOf(field).encode(field, value);

/** Client input to the stored value; multipart strings are first read as PocketBase reads form data. */
export const normalizeValue = (field: FieldDef, raw: unknown, ctx: NormalizeContext = {}): unknown =>
  handlerOf(field).normalize(field, raw, ctx);

export const validateValue = (field: FieldDef, value: unknown, ctx: ValidateContext): FieldError | undefined =>
  handlerOf(field).validate(field, value, ctx);

/** The type's modifier result, or undefined when the type has no such modifier (PocketBase ignores the key). */
export function applyModifier(field: FieldDef, current: unknown, modifier: Modifier, raw: unknown): unknown {
  const handler = handlerOf(field);
  if (!handler.modifiers.includes(modifier) || !handler.applyModifier) return undefined;
  return handler.applyModifier(field, current, modifier, raw);
}

/** A stored row's columns decoded into record values, for the collection's fields only. */
export function decodeRow(fields: readonly FieldDef[], row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f.name] = decodeValue(f, row[f.name]);
  return out;
}

/** Record values to column values, for the given fields that have a value. */
export function encodeRow(fields: readonly FieldDef[], values: Record<string, unknown>): Record<string, DbValue> {
  const out: Record<string, DbValue> = {};
  for (const f of fields) if (Object.hasOwn(values, f.name)) out[f.name] = encodeValue(f, values[f.name]);
  return out;
}

/** Left out of API responses (unless a superuser asks for them explicitly). */
export const isHiddenField = (field: FieldDef): boolean => field.hidden === true;

/**
 * The value as the API shows it. A password field is never shown as its hash: PocketBase
 * returns '' for a visible password field (the auth `password` field is always hidden).
 */
export const apiValue = (field: FieldDef, value: unknown): unknown => (field.type === 'password' ? '' : value);
