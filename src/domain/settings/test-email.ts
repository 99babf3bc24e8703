/**
 * POST /api/settings/test/email (PocketBase's forms/test_email_send.go): one of an auth
 * collection's email templates, filled in for a made-up record, mailed to the given address so a
 * superuser can see the SMTP settings and the template work.
 */
import { SUPERUSERS, type Collection, type SchemaLookup } from '../../db/schema.ts';
import type { Mailer } from '../../infra/mailer.ts';
import { badRequest, fieldError, type ErrorData, type FieldError } from '../../kernel/errors.ts';
import { randomString } from '../../kernel/ids.ts';
import { nowString } from '../../kernel/time.ts';
import { renderRecordEmail, type AppMeta, type RecordTemplateName } from '../auth/email-templates.ts';
import { signEmailChangeToken, signPasswordResetToken, signVerificationToken } from '../auth/tokens.ts';
import { isEmailAddress } from '../collections/fields/domains.ts';
import { invalidEmail, lengthRule, required, sentenize } from '../collections/fields/errors.ts';
import { fieldHandler } from '../collections/fields/registry.ts';
import { zeroRecord, type RecordData } from '../records/codec.ts';

// PocketBase's wording (apis/settings.go).
const LOAD_FAILED = 'An error occurred while loading the submitted data.';
const SEND_FAILED = 'Failed to send the test email.';

/** The OTP mail's made-up id and code. */
export const TEST_OTP_ID = '_PB_TEST_OTP_ID_';
export const TEST_OTP = '123456';

export interface TestEmailDeps {
  readonly schema: SchemaLookup;
  readonly mailer: Mailer;
  /** `settings.meta` as it is now ({APP_NAME}, {APP_URL}; the sender is the mailer's). */
  readonly meta: AppMeta;
}

type Placeholders = Record<string, string>;

/** Each template the body may name: the collection's template, and its flow's own placeholders. */
const TEMPLATES: Readonly<Record<string, { name: RecordTemplateName; extra: (record: RecordData, c: Collection) => Promise<Placeholders> }>> = {
  verification: { name: 'verificationTemplate', extra: async (r, c) => ({ '{TOKEN}': await signVerificationToken(r, c) }) },
  'password-reset': { name: 'resetPasswordTemplate', extra: async (r, c) => ({ '{TOKEN}': await signPasswordResetToken(r, c) }) },
  // The record's email and the new one are both the test address, as in PocketBase.
  'email-change': { name: 'confirmEmailChangeTemplate', extra: async (r, c) => ({ '{TOKEN}': await signEmailChangeToken(r, c, String(r.email)) }) },
  otp: { name: 'otp', extra: async () => ({ '{OTP_ID}': TEST_OTP_ID, '{OTP}': TEST_OTP }) },
  // PocketBase HTML-escapes the alert info; this one has nothing to escape.
  'login-alert': { name: 'authAlert', extra: async () => ({ '{ALERT_INFO}': `${nowString()} - TEST_IP TEST_USER_AGENT` }) },
};

const invalidAuthCollection = () => fieldError('validation_invalid_auth_collection', 'Must be a valid auth collection id or name.');
const inInvalid = () => fieldError('validation_in_invalid', 'Must be a valid value.');

/**
 * Validates `input` (`{email, template, collection?}`) as PocketBase does, then renders the
 * collection's template (default `_superusers`) for a record whose visible fields hold
 * `__pb_test_<field>__` and mails it to `email`. Invalid input is PocketBase's 400 with per-field
 * data; a failed send is its 400 carrying the mailer's error. Callers check the caller is a superuser.
 */
export async function sendTestEmail(deps: TestEmailDeps, input: unknown): Promise<void> {
  const { email, template, collection: ref } = readBody(input);
  const collection = ref === '' ? deps.schema.find(SUPERUSERS) : deps.schema.find(ref);
  const errors: Record<string, FieldError | undefined> = {
    collection: ref === '' ? undefined : (lengthRule(ref, 1, 255) ?? (collection?.type === 'auth' ? undefined : invalidAuthCollection())),
    email: email === '' ? required() : (lengthRule(email, 1, 255) ?? (isEmailAddress(email) ? undefined : invalidEmail())),
    template: template === '' ? required() : Object.hasOwn(TEMPLATES, template) ? undefined : inInvalid(),
  };
  const data: ErrorData = {};
  for (const [key, error] of Object.entries(errors)) if (error) data[key] = error;
  if (Object.keys(data).length) throw badRequest(SEND_FAILED, data);
  if (!collection || collection.type !== 'auth') throw new Error('the _superusers collection is missing');

  const { name, extra } = TEMPLATES[template];
  const record = testRecord(collection, email);
  const { subject, html } = renderRecordEmail(collection, record, name, deps.meta, await extra(record, collection));
  try {
    await deps.mailer.send({ to: [{ address: email }], subject, html });
  } catch (e) {
    // The mailer's own words (an SMTP reply, a refused connection) are what the superuser needs.
    throw badRequest(sentenize(`${SEND_FAILED} Raw error: \n${e instanceof Error ? e.message : String(e)}`));
  }
}

/** The body's strings; another JSON type cannot be bound to PocketBase's form: its loading error. */
function readBody(input: unknown): { email: string; template: string; collection: string } {
  if (input === undefined || input === null) return { email: '', template: '', collection: '' };
  if (typeof input !== 'object' || Array.isArray(input)) throw badRequest(LOAD_FAILED);
  const body = input as Record<string, unknown>;
  const read = (key: string): string => {
    const v = body[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw badRequest(LOAD_FAILED);
    return v;
  };
  return { email: read('email'), template: read('template'), collection: read('collection') };
}

/**
 * PocketBase's made-up record: every visible field set from the text `__pb_test_<field>__` (so a
 * number reads 0, a bool false, a date empty), a fresh tokenKey, and the test address as email.
 */
function testRecord(collection: Collection, email: string): RecordData {
  const record = zeroRecord(collection);
  for (const field of collection.fields) {
    if (!field.hidden) record[field.name] = fieldHandler(field.type).normalize(field, `__pb_test_${field.name}__`);
  }
  record.tokenKey = randomString(50);
  record.email = email;
  return record;
}
