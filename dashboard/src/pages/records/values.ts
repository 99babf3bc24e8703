/**
 * A record's values as the form edits them, and back: each field type has one form shape
 * (strings for inputs, lists for multi-values, pending files beside kept ones), converted to what
 * the records API reads only on submit.
 */
import type { CollectionField, CollectionModel, RecordModel } from 'pocketbase';
import { displayDate, fromLocalInput, toLocalInput } from '../parts/dates.ts';

export interface FileValue {
  /** Stored file names still attached. */
  kept: string[];
  /** Stored file names marked for removal. */
  removed: string[];
  /** New uploads. */
  added: File[];
}

export type FormValue = string | boolean | string[] | FileValue | { lon: string; lat: string };
export type FormValues = Record<string, FormValue>;

/** PocketBase: select, relation and file fields hold a list when maxSelect > 1. */
export const isMultiple = (field: CollectionField): boolean => Number(field.maxSelect ?? 1) > 1;

/** Fields the form shows: every field but the auth token key (which only the server sets). */
export function editableFields(collection: CollectionModel): CollectionField[] {
  return (collection.fields ?? []).filter((f) => f.name !== 'id' && !(collection.type === 'auth' && f.name === 'tokenKey'));
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === null || v === undefined || v === '' ? [] : [String(v)]);

export function toFormValue(field: CollectionField, value: unknown): FormValue {
  switch (field.type) {
    case 'bool':
      return Boolean(value);
    case 'number':
      return value === null || value === undefined ? '' : String(value);
    case 'date':
      return toLocalInput(typeof value === 'string' ? value : '');
    case 'select':
      return isMultiple(field) ? asList(value) : typeof value === 'string' ? value : '';
    case 'relation':
      return asList(value);
    case 'file':
      return { kept: asList(value), removed: [], added: [] };
    case 'json':
      return value === null || value === undefined ? '' : JSON.stringify(value, null, 2);
    case 'geoPoint': {
      const p = (value ?? {}) as { lon?: number; lat?: number };
      return { lon: String(p.lon ?? 0), lat: String(p.lat ?? 0) };
    }
    case 'password':
      return '';
    default:
      return value === null || value === undefined ? '' : String(value);
  }
}

export function initialValues(collection: CollectionModel, record: RecordModel | null): FormValues {
  const values: FormValues = {};
  for (const field of editableFields(collection)) values[field.name] = toFormValue(field, record?.[field.name]);
  if (collection.type === 'auth') values.passwordConfirm = '';
  return values;
}

export interface BuiltBody {
  body: Record<string, unknown>;
  /** Problems found before sending (JSON that does not parse, passwords that differ). */
  errors: Record<string, string>;
}

/** The request body for create (record null) or update. */
export function buildBody(collection: CollectionModel, values: FormValues, creating: boolean, id: string): BuiltBody {
  const body: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  if (creating && id.trim()) body.id = id.trim();
  for (const field of editableFields(collection)) {
    const name = field.name;
    const v = values[name];
    switch (field.type) {
      case 'autodate':
        break;
      case 'password': {
        const password = v as string;
        if (creating || password) {
          body[name] = password;
          if (collection.type === 'auth') {
            body.passwordConfirm = values.passwordConfirm;
            if (password !== values.passwordConfirm) errors.passwordConfirm = 'The passwords do not match.';
          }
        }
        break;
      }
      case 'number':
        body[name] = v === '' ? null : Number(v);
        break;
      case 'bool':
        body[name] = Boolean(v);
        break;
      case 'date':
        body[name] = fromLocalInput(v as string);
        break;
      case 'select':
        body[name] = v;
        break;
      case 'relation': {
        const ids = v as string[];
        body[name] = isMultiple(field) ? ids : (ids[0] ?? '');
        break;
      }
      case 'file': {
        const files = v as FileValue;
        if (files.removed.length) body[`${name}-`] = files.removed;
        if (files.added.length) {
          if (isMultiple(field)) body[`${name}+`] = files.added;
          else body[name] = files.added[0];
        }
        break;
      }
      case 'json': {
        const text = (v as string).trim();
        if (text === '') body[name] = null;
        else {
          try {
            body[name] = JSON.parse(text);
          } catch (e) {
            errors[name] = `Invalid JSON: ${(e as Error).message}`;
          }
        }
        break;
      }
      case 'geoPoint': {
        const p = v as { lon: string; lat: string };
        body[name] = { lon: Number(p.lon || 0), lat: Number(p.lat || 0) };
        break;
      }
      default:
        body[name] = v;
    }
  }
  return { body, errors };
}

/** A short text for a value in the table. Dates are in the viewer's local time, as on the logs page. */
export function cellText(field: CollectionField, value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  if ((field.type === 'date' || field.type === 'autodate') && typeof value === 'string') return displayDate(value) || value;
  if (field.type === 'bool') return value ? 'true' : 'false';
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  // Editor HTML is shown as its text (as text, never as markup).
  const text = field.type === 'editor' ? String(value).replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() : String(value);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

const IMAGE = /\.(png|jpe?g|gif|webp|avif|bmp|svg)$/i;
export const isImageName = (name: string): boolean => IMAGE.test(name);

/** Date and autodate columns: shown in local time, their stored UTC text in the cell's title. */
export const isDateField = (field: CollectionField): boolean => field.type === 'date' || field.type === 'autodate';

/**
 * The relation fields among the columns shown, as the list's `expand`: one level, and only what
 * is on screen, so a page costs at most perPage x (those fields' maxSelect) related records.
 */
export function expandFor(columns: CollectionField[]): string {
  return columns.filter((f) => f.type === 'relation').map((f) => f.name).join(',');
}

/** The presentable fields of the collection `collectionId`, from the collections list (none: ids are shown). */
export function presentableFields(collections: CollectionModel[], collectionId: string): CollectionField[] {
  const target = collections.find((c) => c.id === collectionId);
  return (target?.fields ?? []).filter((f) => f.presentable && !f.hidden);
}

/**
 * A relation cell: each related record by its presentable fields (joined by a space), or its id
 * when it has none, wasn't expanded (not visible to the viewer) or is missing.
 */
export function relationTexts(field: CollectionField, record: RecordModel, collections: CollectionModel[]): string[] {
  const ids = asList(record[field.name]);
  const expanded = record.expand?.[field.name] as RecordModel | RecordModel[] | undefined;
  const byId = new Map((Array.isArray(expanded) ? expanded : expanded ? [expanded] : []).map((r) => [r.id, r]));
  const shown = presentableFields(collections, String(field.collectionId ?? ''));
  return ids.map((id) => {
    const related = byId.get(id);
    const text = related ? shown.map((f) => cellText(f, related[f.name])).filter(Boolean).join(' ') : '';
    return text || id;
  });
}

/** At most `max` texts, then how many more: `a, b, c +4`. */
export function shortList(texts: string[], max = 3): string {
  return texts.length > max ? `${texts.slice(0, max).join(', ')} +${texts.length - max}` : texts.join(', ');
}
