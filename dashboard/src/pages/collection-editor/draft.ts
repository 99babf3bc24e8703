// A collection as edited, and the JSON it is saved as.
import type { CollectionModel } from 'pocketbase';
import { newKey, type DraftField } from './fields-editor.tsx';

export type CollectionType = 'base' | 'auth' | 'view';

export interface Draft {
  id: string;
  name: string;
  type: CollectionType;
  system: boolean;
  fields: DraftField[];
  indexes: string[];
  listRule: string | null;
  viewRule: string | null;
  createRule: string | null;
  updateRule: string | null;
  deleteRule: string | null;
  /** The type-specific keys (viewQuery, authRule, manageRule, passwordAuth …), kept as loaded. */
  [key: string]: unknown;
}

export const RULES = [
  { key: 'listRule', label: 'List/Search rule', hint: 'Which records a list or search returns.' },
  { key: 'viewRule', label: 'View rule', hint: 'Who can fetch one record.' },
  { key: 'createRule', label: 'Create rule', hint: 'Who can create records (@request.body.* is the submitted data).' },
  { key: 'updateRule', label: 'Update rule', hint: 'Who can update records.' },
  { key: 'deleteRule', label: 'Delete rule', hint: 'Who can delete records.' },
] as const;

export const AUTH_RULES = [
  { key: 'authRule', label: 'Authentication rule', hint: 'Checked after a successful sign-in, e.g. verified = true. Empty: everyone who authenticates.' },
  { key: 'manageRule', label: 'Manage rule', hint: 'Who can manage other users of this collection (change their email or password without the old one).' },
] as const;

export function toDraft(model: CollectionModel | Record<string, unknown>): Draft {
  const source = JSON.parse(JSON.stringify(model)) as Record<string, unknown>;
  const fields = Array.isArray(source.fields) ? (source.fields as Record<string, unknown>[]) : [];
  return {
    ...source,
    id: String(source.id ?? ''),
    name: String(source.name ?? ''),
    type: (source.type as CollectionType) ?? 'base',
    system: source.system === true,
    fields: fields.map((f) => ({ ...f, name: String(f.name ?? ''), type: String(f.type ?? 'text'), __key: newKey() })),
    indexes: Array.isArray(source.indexes) ? (source.indexes as string[]) : [],
    listRule: (source.listRule as string | null) ?? null,
    viewRule: (source.viewRule as string | null) ?? null,
    createRule: (source.createRule as string | null) ?? null,
    updateRule: (source.updateRule as string | null) ?? null,
    deleteRule: (source.deleteRule as string | null) ?? null,
  };
}

/** The body to POST or PATCH: the draft without local keys and timestamps. */
export function toBody(draft: Draft): Record<string, unknown> {
  const { created: _c, updated: _u, ...rest } = draft;
  const body: Record<string, unknown> = { ...rest, fields: draft.fields.map(({ __key: _k, ...f }) => f) };
  if (!draft.id) delete body.id;
  if (draft.type === 'view') {
    // A view's fields come from its query; createRule, updateRule and deleteRule do not apply.
    delete body.fields;
    delete body.indexes;
    delete body.createRule;
    delete body.updateRule;
    delete body.deleteRule;
  }
  return body;
}

/** Errors under `prefix.` with the prefix removed. */
export function errorsUnder(errors: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(errors)) if (k.startsWith(`${prefix}.`)) out[k.slice(prefix.length + 1)] = v;
  return out;
}

