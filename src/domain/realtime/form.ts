/**
 * The body of POST /api/realtime as PocketBase binds and validates it (apis/realtime.go,
 * realtimeSubscribeForm): `clientId` 1-255 characters, at most 1,000 `subscriptions` of at most
 * 2,500 characters each. Values of the wrong JSON type are the generic 400, as Go's decoder
 * failing makes them; a form's values are strings already.
 */
import { badRequest, fieldError, type ErrorData } from '../../kernel/errors.ts';

export interface SubscriptionForm {
  clientId: string;
  subscriptions: string[];
}

export const MAX_SUBSCRIPTIONS = 1000;
export const MAX_TOPIC_LENGTH = 2500;
const MAX_CLIENT_ID_LENGTH = 255;

/** Characters as Go's validation counts them (runes), not UTF-16 code units. */
const runeCount = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/**
 * Reads the form. Keys match case-insensitively, the last one winning (Go's decoder); JSON null
 * leaves a value empty; a form's repeated `subscriptions` are the list, its first `clientId` the id.
 */
export function readSubscriptionForm(body: Record<string, unknown>, source: 'json' | 'form'): SubscriptionForm {
  const form: SubscriptionForm = { clientId: '', subscriptions: [] };
  for (const [key, value] of Object.entries(body)) {
    const name = key.toLowerCase();
    if (name === 'clientid') form.clientId = source === 'form' ? first(value) : jsonString(value);
    else if (name === 'subscriptions') form.subscriptions = source === 'form' ? list(value) : jsonStrings(value);
  }
  validate(form);
  return form;
}

const first = (v: unknown): string => (Array.isArray(v) ? String(v[0] ?? '') : String(v ?? ''));
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [String(v ?? '')]);

function jsonString(v: unknown): string {
  if (v === null) return '';
  if (typeof v !== 'string') throw badRequest();
  return v;
}

function jsonStrings(v: unknown): string[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw badRequest();
  return v.map(jsonString);
}

function validate(form: SubscriptionForm): void {
  const errors: ErrorData = {};
  if (form.clientId === '') errors.clientId = fieldError('validation_required', 'Cannot be blank.');
  else if (runeCount(form.clientId) > MAX_CLIENT_ID_LENGTH) {
    errors.clientId = fieldError('validation_length_out_of_range', `The length must be between 1 and ${MAX_CLIENT_ID_LENGTH}.`, {
      max: MAX_CLIENT_ID_LENGTH,
      min: 1,
    });
  }
  const tooLong = (max: number) => fieldError('validation_length_too_long', `The length must be no more than ${max}.`, { max });
  if (form.subscriptions.length > MAX_SUBSCRIPTIONS) errors.subscriptions = tooLong(MAX_SUBSCRIPTIONS);
  else {
    const items: Record<string, unknown> = {};
    form.subscriptions.forEach((topic, i) => {
      if (topic.length > MAX_TOPIC_LENGTH && runeCount(topic) > MAX_TOPIC_LENGTH) items[i] = tooLong(MAX_TOPIC_LENGTH);
    });
    if (Object.keys(items).length) errors.subscriptions = items;
  }
  if (Object.keys(errors).length) throw badRequest('Something went wrong while processing your request.', errors);
}
