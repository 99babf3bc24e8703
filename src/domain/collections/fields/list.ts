/**
 * A collection's field list as a whole: loading it from JSON (a request body or the
 * `_collections.fields` column) and the checks run when the collection is saved.
 */
import { fieldError, type ErrorData, type FieldError } from '../../../kernel/errors.ts';
import type { FieldDef } from '../../../db/schema.ts';
import { required, templateError } from './errors.ts';
import { fieldHandler, isFieldType } from './registry.ts';
import { buildField, generateFieldId, optionTypeErrors } from './options.ts';
import type { OptionsContext } from './types.ts';

/**
 * Baton's cap on fields per collection (PocketBase has none): every field is a column, and
 * SQLite, PostgreSQL and MySQL all stop somewhere between 1600 and 4096 columns.
 */
export const MAX_FIELDS = 1000;

export type LoadFieldsResult = { ok: true; fields: FieldDef[] } | { ok: false; error: string };

/**
 * Reads a list of field definitions the way PocketBase does: each gets its type's defaults; a
 * field without id takes over the id of an earlier field with the same name, or gets
 * `<type><crc32(name)>`; a field whose id (or name) repeats replaces the earlier one in place.
 * Fails on an unknown type or a mistyped option (PocketBase answers 400 "Failed to load the
 * submitted data due to invalid formatting.").
 */
export function loadFieldsList(raw: unknown): LoadFieldsResult {
  if (raw === null || raw === undefined) return { ok: true, fields: [] };
  if (!Array.isArray(raw)) return { ok: false, error: 'fields must be an array of objects' };
  const fields: FieldDef[] = [];
  for (const item of raw) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return { ok: false, error: 'fields must be an array of objects' };
    const partial = item as Record<string, unknown>;
    if (!isFieldType(partial.type)) return { ok: false, error: `missing or unknown field type ${JSON.stringify(partial.type ?? null)}` };
    const problems = optionTypeErrors(fieldHandler(partial.type).options, partial);
    if (problems.length > 0) return { ok: false, error: `failed to load field: ${problems.join('; ')}` };

    const explicitId = typeof partial.id === 'string' && partial.id !== '';
    const field = buildField(partial.type, fieldHandler(partial.type).options, {
      ...partial,
      id: explicitId ? partial.id : generateFieldId(partial.type, String(partial.name ?? ''), new Set(fields.map((f) => f.id))),
    });
    const at = explicitId
      ? fields.findIndex((f) => f.id === field.id)
      : fields.findIndex((f) => field.name !== '' && f.name === field.name);
    if (at < 0) {
      fields.push(field);
    } else {
      if (!explicitId) field.id = fields[at].id;
      fields[at] = field;
    }
  }
  return { ok: true, fields };
}

const mustBeSystem = (): FieldError => fieldError('validation_must_be_system', 'The field must be marked as "System".');
const mustBeSystemAndHidden = (): FieldError =>
  fieldError('validation_must_be_system_and_hidden', 'The field must be marked as "System" and "Hidden".');

/** PocketBase's requirements on the fields every base/auth collection must have. */
function checkRequiredFields(ctx: OptionsContext): ErrorData[string] | undefined {
  const fields = ctx.collection.fields;
  if (fields.length === 0) return required();
  const byName = (name: string, type: string) => fields.find((f) => f.name === name && f.type === type);
  const id = byName('id', 'text');
  if (!id || id.primaryKey !== true) return fieldError('validation_missing_primary_key', 'Missing or invalid "id" PK field.');
  if (ctx.collection.type !== 'auth') return undefined;

  const auth: [string, string, boolean][] = [
    ['password', 'password', true],
    ['tokenKey', 'text', true],
    ['email', 'email', false],
    ['emailVisibility', 'bool', false],
    ['verified', 'bool', false],
  ];
  for (const [name, type, hidden] of auth) {
    const f = byName(name, type);
    if (!f) return fieldError(`validation_missing_${name}_field`, `System "${name}" field is required.`);
    if (f.system !== true || (hidden && f.hidden !== true)) return { [name]: hidden ? mustBeSystemAndHidden() : mustBeSystem() };
  }
  return undefined;
}

/**
 * The checks on the field list when a collection is saved, in PocketBase's order; the first
 * failing check is reported. Returns what goes under `fields` in the error data: a single error,
 * or errors keyed by field index (then by option name).
 */
export function validateFieldsList(ctx: OptionsContext): ErrorData[string] | undefined {
  const { collection, original } = ctx;
  const fields = collection.fields;
  if (fields.length > MAX_FIELDS) {
    return templateError('validation_too_many_fields', 'A collection can have at most {{.max}} fields.', { max: MAX_FIELDS });
  }

  const ids = new Set<string>();
  const names = new Set<string>();
  for (const [i, f] of fields.entries()) {
    if (ids.has(f.id)) {
      return { [i]: { id: fieldError('validation_duplicated_field_id', `Duplicated or invalid field id ${JSON.stringify(f.id)}.`) } };
    }
    // Names are column names, which the databases compare case-insensitively.
    const lower = String(f.name).toLowerCase();
    if (names.has(lower)) {
      return {
        [i]: { name: templateError('validation_duplicated_field_name', 'Duplicated or invalid field name {{.fieldName}}', { fieldName: f.name }) },
      };
    }
    ids.add(f.id);
    names.add(lower);
  }

  const missing = checkRequiredFields(ctx);
  if (missing) return missing;

  if (collection.type !== 'view' && original) {
    for (const old of original.fields) {
      if (old.system !== true) continue;
      const now = fields.find((f) => f.id === old.id);
      if (!now || now.name !== old.name) {
        return fieldError('validation_system_field_change', 'System fields cannot be deleted or renamed.');
      }
    }
    const typeChanges: ErrorData = {};
    for (const [i, f] of fields.entries()) {
      const old = original.fields.find((o) => o.id === f.id);
      if (old && old.type !== f.type) typeChanges[i] = fieldError('validation_field_type_change', 'Field type cannot be changed.');
    }
    if (Object.keys(typeChanges).length > 0) return typeChanges;
  }

  if (collection.type === 'auth') {
    const reserved: ErrorData = {};
    for (const [i, f] of fields.entries()) {
      if (f.name === 'passwordConfirm' || f.name === 'oldPassword') {
        reserved[i] = { name: fieldError('validation_reserved_field_name', 'The field name is reserved and cannot be used.') };
      }
    }
    if (Object.keys(reserved).length > 0) return reserved;
  }

  const perField: ErrorData = {};
  for (const [i, f] of fields.entries()) {
    const errors = fieldHandler(f.type).validateOptions(f, ctx);
    if (errors) perField[i] = errors;
  }
  return Object.keys(perField).length > 0 ? perField : undefined;
}
