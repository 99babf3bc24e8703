import type { Dialect } from '../../db/dialect.ts';
import { fieldError, isApiError, type ErrorData } from '../../kernel/errors.ts';
import { FilterError, validateRule } from '../../filter/index.ts';
import { validateFieldsList } from './fields/list.ts';
import { notInList, templateError } from './fields/errors.ts';
import { OBJECT_KEY_NAMES } from './fields/options.ts';
import { COLLECTION_TYPES } from './defaults.ts';
import { validateAuthOptions } from './auth-options.ts';
import { indexColumnNames, type IndexSpec } from '../../db/indexes.ts';
import { hasUniqueIndexOn, parseIndex } from '../../db/indexes-parse.ts';
import { formatIndex } from '../../db/indexes-render.ts';
import type { Collection, SchemaLookup } from '../../db/schema.ts';

const NAME_RE = /^\w+$/;
const INTERNAL_TABLES = ['_collections', '_params', '_migrations', '_logs', 'sqlite_master', 'sqlite_sequence'];
const MAX_INDEXES = 100;

export interface ValidateEnv {
  dialect: Dialect;
  /** The schema as it will be after the save (the collection itself included). */
  schema: SchemaLookup;
  /** The collection as stored before this change, if any. */
  original?: Collection;
  /**
   * A view's fields are its query's columns, known only once the query has run: its field names
   * and rules are checked when this says they are (after `inferViewFields`), never against the
   * list it had or a list sent with it.
   */
  viewFieldsInferred?: boolean;
}

/** Every problem with a collection about to be saved, keyed like PocketBase's validation data. */
export function validateCollection(c: Collection, env: ValidateEnv): ErrorData {
  const errors: ErrorData = {};
  const original = env.original;
  // `c` itself is in the snapshot; anything else is another collection, even one with the same id.
  const others = env.schema.all().filter((o) => o !== c);

  // ---- identity ----
  if (!original) {
    if (c.id.length < 1 || c.id.length > 100) errors.id = fieldError('validation_length_out_of_range', 'The length must be between 1 and 100.');
    else if (!NAME_RE.test(c.id)) errors.id = fieldError('validation_match_invalid', 'Must be in a valid format.');
    else if (others.some((o) => o.id === c.id)) {
      errors.id = fieldError('validation_invalid_or_existing_id', 'The model id is invalid or already exists.');
    }
  }
  if (c.name === '') errors.name = fieldError('validation_required', 'Cannot be blank.');
  else if (c.name.length > 255) errors.name = fieldError('validation_length_out_of_range', 'The length must be between 1 and 255.');
  else if (!NAME_RE.test(c.name)) errors.name = fieldError('validation_match_invalid', 'Must be in a valid format.');
  else if (c.name.toLowerCase().includes('_via_')) errors.name = fieldError('validation_found_via', 'The value cannot contain "_via_".');
  else if ((!original || original.name !== c.name) && OBJECT_KEY_NAMES.includes(c.name.toLowerCase())) {
    // As for field names (fields/options.ts), and in any case since collections are found by
    // name case-insensitively. Only on create or rename: a PocketBase directory that holds such a
    // collection can still save its other settings.
    errors.name = notInList();
  } else if (others.some((o) => o.name.toLowerCase() === c.name.toLowerCase())) {
    errors.name = fieldError('validation_collection_name_exists', 'Collection name must be unique (case insensitive).');
  } else if (others.some((o) => o.id === c.name)) {
    errors.name = fieldError('validation_collection_name_id_duplicate', 'The name must not match an existing collection id.');
  } else if (!original && INTERNAL_TABLES.includes(c.name.toLowerCase())) {
    errors.name = fieldError('validation_collection_name_invalid', 'The name shouldn\'t match with an existing internal table.');
  } else if (original?.system && original.name !== c.name) {
    errors.name = fieldError('validation_collection_system_name_change', 'System collection name cannot be changed.');
  }
  if (!COLLECTION_TYPES.includes(c.type)) errors.type = fieldError('validation_in_invalid', 'Must be a valid value.');
  else if (original && original.type !== c.type) errors.type = fieldError('validation_collection_type_change', 'Collection type cannot be changed.');
  if (original && original.system !== c.system) {
    errors.system = fieldError('validation_collection_system_flag_change', 'System collection state cannot be changed.');
  }
  if (errors.type) return errors;

  const fieldErrors = validateFields(c, env);
  if (fieldErrors) errors.fields = fieldErrors;

  if (c.type === 'view') {
    const q = c.options.viewQuery;
    if (typeof q !== 'string' || q.trim() === '') errors.viewQuery = fieldError('validation_required', 'Cannot be blank.');
    for (const rule of ['createRule', 'updateRule', 'deleteRule'] as const) {
      if (c[rule] !== null) errors[rule] = fieldError('validation_nil', 'Must be blank.');
    }
    if (c.indexes.length) errors.indexes = fieldError('validation_indexes_not_supported', 'View collections don\'t support indexes.');
  }

  if (!errors.fields && (c.type !== 'view' || env.viewFieldsInferred)) validateRules(c, env, errors);
  if (c.type === 'auth') {
    validateAuthOptions(c, errors);
    validateMfaRule(c, env, errors);
  }
  const indexErrors = validateIndexes(c, others, original);
  if (indexErrors) errors.indexes = indexErrors;
  if (original?.system) {
    for (const rule of ['listRule', 'viewRule', 'createRule', 'updateRule', 'deleteRule'] as const) {
      if (original[rule] !== c[rule] && !errors[rule]) {
        errors[rule] = fieldError('validation_collection_system_rule_change', 'System collection API rule cannot be changed.');
      }
    }
  }
  return errors;
}

function validateFields(c: Collection, env: ValidateEnv): ErrorData[string] | undefined {
  // Fields sent with a view are ignored, as PocketBase ignores them: its query makes them anew.
  if (c.type === 'view') return env.viewFieldsInferred ? viewFieldNameErrors(c) : undefined;
  return validateFieldsList({ schema: env.schema, collection: c, original: env.original });
}

/**
 * A view's fields are its query's columns, so they skip the field list checks; but a column
 * aliased `__proto__` (or another name special to JavaScript objects) is refused all the same.
 */
function viewFieldNameErrors(c: Collection): ErrorData[string] | undefined {
  const errors: ErrorData = {};
  c.fields.forEach((f, i) => {
    if (OBJECT_KEY_NAMES.includes(f.name)) errors[String(i)] = { name: notInList() };
  });
  return Object.keys(errors).length ? errors : undefined;
}

function validateRules(c: Collection, env: ValidateEnv, errors: ErrorData): void {
  const rules: Array<[string, unknown]> = [
    ['listRule', c.listRule],
    ['viewRule', c.viewRule],
    ['createRule', c.createRule],
    ['updateRule', c.updateRule],
    ['deleteRule', c.deleteRule],
  ];
  if (c.type === 'auth') {
    rules.push(['authRule', c.options.authRule], ['manageRule', c.options.manageRule]);
    if (c.options.manageRule === '') {
      errors.manageRule = fieldError('validation_nil_or_not_empty_required', 'Cannot be blank.');
    }
  }
  for (const [name, rule] of rules) {
    if (errors[name] || rule === null || rule === undefined || rule === '') continue;
    checkRule(c, env, name, rule, errors);
  }
}

/** Sets `errors[name]` when `rule` does not parse or resolve against `c`. */
function checkRule(c: Collection, env: ValidateEnv, name: string, rule: unknown, errors: ErrorData): void {
  if (typeof rule !== 'string') {
    errors[name] = fieldError('validation_invalid_rule', 'Invalid rule. Raw error: the rule must be a string or null.');
    return;
  }
  try {
    validateRule(rule, { dialect: env.dialect, schema: env.schema, collection: c, tableAlias: c.name });
  } catch (e) {
    if (!isApiError(e)) throw e;
    // The bare reason: the FilterError message repeats an "Invalid rule:" prefix.
    const reason = e instanceof FilterError ? e.reason : e.message;
    errors[name] = fieldError('validation_invalid_rule', `Invalid rule. Raw error: ${reason.replace(/\.$/, '')}.`);
  }
}

/** `mfa.rule`, when MFA is on and no other option is wrong, must be a valid rule (nested under `mfa`). */
function validateMfaRule(c: Collection, env: ValidateEnv, errors: ErrorData): void {
  const mfa = c.options.mfa as { enabled?: unknown; rule?: unknown } | undefined;
  if (errors.mfa || mfa?.enabled !== true || typeof mfa.rule !== 'string' || mfa.rule === '') return;
  const found: ErrorData = {};
  checkRule(c, env, 'rule', mfa.rule, found);
  if (found.rule) errors.mfa = { rule: found.rule };
}

/** An index as PocketBase compares two: its name and table left out (`only` drops more). */
function indexDefinition(spec: IndexSpec, only: { uniqueness?: boolean } = {}): string {
  const columns = only.uniqueness ? spec.columns.map(({ order: _order, ...c }) => (c.kind === 'column' ? { kind: c.kind, name: c.name } : c)) : spec.columns;
  return formatIndex({ ...spec, name: '', table: '', columns, where: only.uniqueness ? null : spec.where });
}

function validateIndexes(c: Collection, others: readonly Collection[], original: Collection | undefined): ErrorData[string] | undefined {
  const errors: ErrorData = {};
  if (c.indexes.length > MAX_INDEXES) return fieldError('validation_length_too_long', 'Too many indexes.');
  const otherNames = new Set(others.flatMap((o) => o.indexes.map((s) => parseIndex(s)?.name.toLowerCase() ?? '')));
  const seen = new Set<string>();
  const definitions = new Set<string>();
  const columns = new Set(c.fields.map((f) => f.name));
  c.indexes.forEach((s, i) => {
    const parsed = parseIndex(s);
    if (!parsed) {
      errors[String(i)] = fieldError('validation_invalid_index_expression', 'Invalid CREATE INDEX expression.');
      return;
    }
    const name = parsed.name.toLowerCase();
    const definition = indexDefinition(parsed);
    if (seen.has(name)) {
      errors[String(i)] = fieldError('validation_duplicated_index_name', 'The index name must be unique.');
    } else if (otherNames.has(name)) {
      errors[String(i)] = fieldError('validation_existing_index_name', 'Index name is already used in another collection.');
    } else if (definitions.has(definition)) {
      errors[String(i)] = fieldError('validation_duplicated_index_definition', 'The index definition already exists.');
    } else {
      const unknown = indexColumnNames(parsed).find((col) => !columns.has(col));
      if (unknown) errors[String(i)] = fieldError('validation_invalid_index_column', `Unknown index column "${unknown}".`);
    }
    seen.add(name);
    definitions.add(definition);
  });
  if (Object.keys(errors).length === 0 && original) {
    const changed = changedSystemUniqueIndex(c, original);
    if (changed) {
      return templateError('validation_invalid_unique_system_field_index', 'Unique index definition on system fields ({{.fieldName}}) is invalid or missing.', { fieldName: changed });
    }
  }
  if (c.type === 'auth' && Object.keys(errors).length === 0) {
    for (const col of ['tokenKey', 'email']) {
      if (!hasUniqueIndexOn(c.indexes, col)) {
        return fieldError('validation_missing_required_unique_index', `The ${col} field must have a UNIQUE index.`);
      }
    }
  }
  return Object.keys(errors).length ? errors : undefined;
}

/**
 * The system field whose UNIQUE index the change drops or weakens (PocketBase's check on update):
 * each stored unique index over a system field must still exist over the same columns, unique;
 * its name, collations, orders and WHERE may change.
 */
function changedSystemUniqueIndex(c: Collection, original: Collection): string | undefined {
  const kept = new Set(c.indexes.map((s) => parseIndex(s)).filter((p): p is IndexSpec => !!p).map((p) => indexDefinition(p, { uniqueness: true })));
  for (const s of original.indexes) {
    const old = parseIndex(s);
    if (!old?.unique) continue;
    const system = old.columns
      .map((col) => (col.kind === 'column' ? original.fields.find((f) => f.system && f.name.toLowerCase() === col.name.toLowerCase()) : undefined))
      .find((f) => f !== undefined);
    if (system && !kept.has(indexDefinition(old, { uniqueness: true }))) return system.name;
  }
  return undefined;
}
