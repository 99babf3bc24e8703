/**
 * The fields PocketBase gives new collections, byte-for-byte as it stores them, and the system
 * defaults it re-applies every time a base or auth collection is saved.
 */
import type { CollectionType, FieldDef } from '../../../db/schema.ts';
import { fieldDefaults } from './registry.ts';
import { DEFAULT_ID_PATTERN } from './text.ts';
import { generateFieldId } from './options.ts';

/** The `id` primary key: 15 characters of [a-z0-9], generated when not given. */
export const idField = (): FieldDef =>
  fieldDefaults({
    type: 'text',
    name: 'id',
    system: true,
    primaryKey: true,
    required: true,
    min: 15,
    max: 15,
    pattern: DEFAULT_ID_PATTERN,
    autogeneratePattern: '[a-z0-9]{15}',
  });

/**
 * `created` and `updated`. PocketBase's dashboard adds them to every new collection as regular
 * fields; its own system collections (`_superusers`, `_otps` …) mark them `system`.
 */
export const timestampFields = (opts: { system?: boolean } = {}): FieldDef[] => [
  fieldDefaults({ type: 'autodate', name: 'created', system: opts.system === true, onCreate: true }),
  fieldDefaults({ type: 'autodate', name: 'updated', system: opts.system === true, onCreate: true, onUpdate: true }),
];

const authFieldDefaults = {
  password: (): FieldDef => fieldDefaults({ type: 'password', name: 'password', system: true, hidden: true, required: true, min: 8 }),
  tokenKey: (): FieldDef =>
    fieldDefaults({
      type: 'text',
      name: 'tokenKey',
      system: true,
      hidden: true,
      required: true,
      min: 30,
      max: 60,
      autogeneratePattern: '[a-zA-Z0-9]{50}',
    }),
  email: (): FieldDef => fieldDefaults({ type: 'email', name: 'email', system: true, required: true }),
  emailVisibility: (): FieldDef => fieldDefaults({ type: 'bool', name: 'emailVisibility', system: true }),
  verified: (): FieldDef => fieldDefaults({ type: 'bool', name: 'verified', system: true }),
} as const;

type AuthFieldName = keyof typeof authFieldDefaults;
const AUTH_FIELD_NAMES = Object.keys(authFieldDefaults) as AuthFieldName[];

/** A new base collection's fields: id, created, updated. */
export const baseSystemFields = (opts: { systemTimestamps?: boolean } = {}): FieldDef[] => [
  idField(),
  ...timestampFields({ system: opts.systemTimestamps }),
];

/** A new auth collection's fields: id, password, tokenKey, email, emailVisibility, verified, created, updated. */
export const authSystemFields = (opts: { systemTimestamps?: boolean } = {}): FieldDef[] => [
  idField(),
  ...AUTH_FIELD_NAMES.map((name) => authFieldDefaults[name]()),
  ...timestampFields({ system: opts.systemTimestamps }),
];

/** Flags PocketBase forces on an existing system field of each name. */
const ENFORCED: Record<AuthFieldName, Partial<FieldDef>> = {
  password: { system: true, hidden: true, required: true },
  tokenKey: { system: true, hidden: true, required: true },
  email: { system: true, hidden: false },
  emailVisibility: { system: true },
  verified: { system: true },
};
const AUTH_FIELD_TYPES: Record<AuthFieldName, string> = {
  password: 'password',
  tokenKey: 'text',
  email: 'email',
  emailVisibility: 'bool',
  verified: 'bool',
};

/**
 * `fresh` added to `fields` as PocketBase's FieldsList adds a field without an id: in place of a
 * same-named field, taking its id (and, `front`, moved first); else under its default id, or the
 * first free one after it (`…2`, `…3`), since a renamed system field may still hold the default
 * one (its rename must then be reported as such, not as a duplicated id).
 */
function addSystemField(fields: FieldDef[], fresh: FieldDef, front: boolean): FieldDef[] {
  const clash = fields.findIndex((f) => f.name === fresh.name);
  if (clash >= 0) {
    const replacing = { ...fresh, id: fields[clash].id };
    return front ? [replacing, ...fields.filter((_, i) => i !== clash)] : fields.map((f, i) => (i === clash ? replacing : f));
  }
  const added = { ...fresh, id: generateFieldId(fresh.type, fresh.name, new Set(fields.map((f) => f.id))) };
  return front ? [added, ...fields] : [...fields, added];
}

/**
 * What PocketBase does to a base or auth collection's fields on every save: the `id` field is
 * added in front when missing (else forced system, required, primary key, visible, with the
 * default pattern when it has none); auth collections get each missing auth field appended
 * (a same-named field of another type is replaced in place, keeping its id) and the existing
 * ones forced to their system flags. View fields come from the query and are left alone.
 */
export function ensureSystemFields(type: CollectionType, fields: readonly FieldDef[]): FieldDef[] {
  if (type === 'view') return fields.map((f) => ({ ...f }));
  let out = fields.map((f) => ({ ...f }));

  const id = out.find((f) => f.name === 'id' && f.type === 'text');
  if (!id) {
    out = addSystemField(out, idField(), true);
  } else {
    Object.assign(id, { system: true, required: true, primaryKey: true, hidden: false });
    if (!id.pattern) id.pattern = DEFAULT_ID_PATTERN;
  }
  if (type !== 'auth') return out;

  for (const name of AUTH_FIELD_NAMES) {
    const existing = out.find((f) => f.name === name && f.type === AUTH_FIELD_TYPES[name]);
    if (existing) {
      Object.assign(existing, ENFORCED[name]);
      continue;
    }
    out = addSystemField(out, authFieldDefaults[name](), false);
  }
  return out;
}
