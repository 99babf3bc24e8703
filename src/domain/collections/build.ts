import { nowString } from '../../kernel/time.ts';
import { badRequest, fieldError } from '../../kernel/errors.ts';
import { loadFieldsList } from './fields/list.ts';
import { ensureSystemFields as ensureSystemFieldList } from './fields/system.ts';
import { newAuthSecret } from '../auth/keys.ts';
import { AUTH_OPTION_KEYS, collectionIdFor, defaultAuthOptions, TOKEN_OPTION_KEYS } from './defaults.ts';
import { hasUniqueIndexOn, parseIndex } from '../../db/indexes-parse.ts';
import { formatIndex } from '../../db/indexes-render.ts';
import { RULE_NAMES, type Collection, type CollectionType, type FieldDef } from '../../db/schema.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);


/** Input fields, loaded as PocketBase loads them; `fields` left out keeps the previous list. */
function buildFields(input: unknown, previous: readonly FieldDef[] = []): FieldDef[] {
  if (input === undefined) return structuredClone([...previous]);
  const loaded = loadFieldsList(input);
  if (!loaded.ok) throw badRequest('Failed to load the submitted data due to invalid formatting.', {
    fields: fieldError('validation_invalid_fields', loaded.error),
  });
  return loaded.fields;
}

const indexName = (prefix: string, collectionId: string) => `idx_${prefix}_${collectionId}`.slice(0, 64);

/** System fields (PocketBase's initDefaultFields) and, for auth collections, their unique indexes. */
export function ensureSystemFields(c: Collection): void {
  c.fields = ensureSystemFieldList(c.type, c.fields);
  if (c.type !== 'auth') return;
  if (!hasUniqueIndexOn(c.indexes, 'tokenKey')) {
    c.indexes.push(`CREATE UNIQUE INDEX \`${indexName('tokenKey', c.id)}\` ON \`${c.name}\` (\`tokenKey\`)`);
  }
  if (!hasUniqueIndexOn(c.indexes, 'email')) {
    c.indexes.push(`CREATE UNIQUE INDEX \`${indexName('email', c.id)}\` ON \`${c.name}\` (\`email\`) WHERE \`email\` != ''`);
  }
}

/** Merges auth options from the input over `base`, keeping token secrets that the input leaves out. */
function mergeAuthOptions(base: Json, input: Json): Json {
  const out: Json = { ...base };
  for (const key of AUTH_OPTION_KEYS) {
    if (!(key in input)) continue;
    const value = input[key];
    if ((TOKEN_OPTION_KEYS as readonly string[]).includes(key) && isObject(value)) {
      out[key] = { ...(isObject(base[key]) ? base[key] : {}), ...value };
    } else if (key === 'oauth2' && isObject(value) && isObject(base[key])) {
      out[key] = mergeOAuth2(base[key] as Json, value);
    } else if (isObject(value) && isObject(base[key])) {
      out[key] = { ...(base[key] as Json), ...value };
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * The `oauth2` options over `base`: the collection's JSON never shows a provider's clientSecret,
 * so a provider sent back without one keeps the secret it had under its name, as long as its
 * client id and token endpoint are the same: a secret never follows an entry pointed elsewhere.
 */
function mergeOAuth2(base: Json, input: Json): Json {
  const out: Json = { ...base, ...input };
  if (!Array.isArray(input.providers)) return out;
  const before = Array.isArray(base.providers) ? base.providers.filter(isObject) : [];
  const same = (a: unknown, b: unknown) => (a ?? '') === (b ?? '');
  out.providers = input.providers.map((p) => {
    if (!isObject(p) || (typeof p.clientSecret === 'string' && p.clientSecret !== '')) return p;
    const old = before.find((b) => b.name === p.name);
    if (!old || !same(old.clientId, p.clientId) || !same(old.tokenURL, p.tokenURL)) return p;
    return old.clientSecret === undefined ? p : { ...p, clientSecret: old.clientSecret };
  });
  return out;
}

/**
 * A collection from client JSON: over `existing` for an update (keys left out stay as they were;
 * `fields`, when given, replaces the list), or from the type's defaults for a new one.
 * The result is not validated yet.
 */
export function buildCollection(input: Json, existing?: Collection, takenIds: ReadonlySet<string> = new Set()): Collection {
  const type = (existing?.type ?? (input.type === undefined || input.type === '' ? 'base' : input.type)) as CollectionType;
  const name = typeof input.name === 'string' ? input.name : (existing?.name ?? '');
  let id = existing?.id ?? (typeof input.id === 'string' && input.id ? input.id : '');
  if (!existing && !id) {
    const base = collectionIdFor(String(type), name);
    id = base;
    for (let i = 2; i < 1000 && takenIds.has(id); i++) id = `${base}${i}`;
  }
  const now = nowString();
  const c: Collection = {
    id,
    name,
    type: input.type !== undefined && existing ? (input.type as CollectionType) : type,
    system: existing ? (typeof input.system === 'boolean' ? input.system : existing.system) : input.system === true,
    fields: buildFields(input.fields, existing?.fields),
    indexes: Array.isArray(input.indexes) ? input.indexes.map((s) => (typeof s === 'string' ? s : '')) : [...(existing?.indexes ?? [])],
    listRule: existing?.listRule ?? null,
    viewRule: existing?.viewRule ?? null,
    createRule: existing?.createRule ?? null,
    updateRule: existing?.updateRule ?? null,
    deleteRule: existing?.deleteRule ?? null,
    created: existing?.created ?? now,
    updated: now,
    options: existing ? structuredClone(existing.options) : type === 'auth' ? defaultAuthOptions() : {},
  };
  for (const rule of RULE_NAMES) {
    if (rule in input) c[rule] = input[rule] === null || input[rule] === undefined ? null : (input[rule] as string);
  }
  if (c.type === 'auth') {
    c.options = mergeAuthOptions(c.options, input);
    // A changed authRule revokes every auth token issued under the old one (PocketBase does the same).
    const ruleText = (o: Record<string, unknown>) => String(o.authRule ?? '');
    if (existing && ruleText(existing.options) !== ruleText(c.options) && isObject(c.options.authToken)) {
      c.options.authToken = { ...c.options.authToken, secret: newAuthSecret() };
    }
  }
  if (c.type === 'view' && 'viewQuery' in input) c.options = { viewQuery: input.viewQuery };
  // Index statements name the table: keep them pointing at the collection's current name.
  c.indexes = c.indexes.map((s) => {
    const parsed = parseIndex(s);
    return parsed && parsed.table !== c.name ? formatIndex({ ...parsed, table: c.name }) : s;
  });
  ensureSystemFields(c);
  return c;
}
