import { badRequest } from '../../kernel/errors.ts';
import type { Modifier } from '../collections/fields/types.ts';
import type { Collection, FieldDef } from '../../db/schema.ts';
import { fieldHandler } from '../collections/fields/registry.ts';
import { planOf } from './codec.ts';

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
}

export interface ParsedInput {
  /** Plain field assignments, in body order. `key` is the body key. */
  values: Array<{ key: string; field: FieldDef; raw: unknown }>;
  /** Modifier keys (`field+`, `+field`, `field-`, `field:autogenerate`), applied after the plain values. */
  modifiers: Array<{ key: string; field: FieldDef; modifier: Modifier; raw: unknown }>;
  /** Auth extras that are not fields. */
  passwordConfirm?: unknown;
  oldPassword?: unknown;
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
  const body = input.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('Failed to load the submitted data due to invalid formatting.');
  }
  const keys = Object.keys(body);
  if (keys.length > MAX_BODY_KEYS) throw badRequest('Too many submitted fields.');
  const plan = planOf(collection);
  const parsed: ParsedInput = { values: [], modifiers: [] };
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

