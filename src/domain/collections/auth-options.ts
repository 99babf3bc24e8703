/**
 * The options of an auth collection, checked as PocketBase checks them when the collection is
 * saved (its collectionAuthOptions validation): token secrets and durations, OTP and MFA bounds,
 * the three email templates, OAuth2 provider entries; then, only when all of that holds, MFA's
 * two methods and the identity fields' UNIQUE indexes. Errors nest under the option, as in
 * PocketBase's response (`{mfa: {enabled: {code, message}}}`).
 *
 * Beyond PocketBase: a template whose link or code would be missing is refused (see
 * REQUIRED_PLACEHOLDERS), since the flow it serves could never be completed from such a mail.
 */
import { fieldError, type ErrorData, type FieldError } from '../../kernel/errors.ts';
import { parseIndex } from '../../db/indexes-parse.ts';
import type { Collection } from '../../db/schema.ts';
import { TOKEN_OPTION_KEYS } from './defaults.ts';
import { lengthRule, maxThreshold, minThreshold, required, templateError } from './fields/errors.ts';
import { isUrl } from './fields/domains.ts';
import { isAcceptedOAuth2ProviderName } from '../auth/oauth2/providers.ts';

type Json = Record<string, unknown>;
type Nested = Record<string, FieldError | Json | undefined>;

const TOKEN_MAX_DURATION = 94_670_856; // about three years, PocketBase's bound
const SESSION_MAX_DURATION = 86_400;

/** Placeholders each template must hold for its mail to be of any use. */
const REQUIRED_PLACEHOLDERS: Record<string, string> = {
  verificationTemplate: '{TOKEN}',
  resetPasswordTemplate: '{TOKEN}',
  confirmEmailChangeTemplate: '{TOKEN}',
  otp: '{OTP}',
};

const asObject = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** ozzo's Required, then Min and Max, on a number option (0 is blank). */
function bounded(value: unknown, min: number, max: number): FieldError | undefined {
  const n = num(value);
  if (n === 0) return required();
  if (n < min) return minThreshold(min);
  if (n > max) return maxThreshold(max);
  return undefined;
}

/** Adds `errors[key]` when `entries` holds any error. */
function nest(errors: ErrorData, key: string, entries: Nested): void {
  const present = Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as Json;
  if (Object.keys(present).length) errors[key] = present;
}

function templateErrors(template: unknown, placeholder?: string): Nested {
  const t = asObject(template);
  const subject = str(t.subject);
  const body = str(t.body);
  const out: Nested = {};
  if (subject === '') out.subject = required();
  if (body === '') out.body = required();
  else if (placeholder && !subject.includes(placeholder) && !body.includes(placeholder)) {
    out.body = templateError('validation_missing_placeholder', 'the template must use the {{.placeholder}} placeholder', { placeholder });
  }
  return out;
}

/** The single-column UNIQUE indexes of the collection, by column name (lower-cased). */
function uniqueColumns(c: Collection): Set<string> {
  const out = new Set<string>();
  for (const text of c.indexes) {
    const spec = parseIndex(text);
    const column = spec?.unique && spec.columns.length === 1 ? spec.columns[0] : undefined;
    if (column?.kind === 'column') out.add(column.name.toLowerCase());
  }
  return out;
}

/**
 * Clears each `oauth2.mappedFields` entry that names no field of `c` (PocketBase's
 * unsetMissingOAuth2MappedFields, run on every save before validation): a mapping left to a
 * removed or misspelled field would write nothing at sign-up.
 */
export function unsetMissingOAuth2MappedFields(c: Collection): void {
  const oauth2 = asObject(c.options.oauth2);
  const mapped = asObject(oauth2.mappedFields);
  if (c.type !== 'auth' || Object.keys(mapped).length === 0) return;
  const cleared = { ...mapped };
  for (const key of ['id', 'name', 'username', 'avatarURL']) {
    const name = str(mapped[key]);
    if (name !== '' && !c.fields.some((f) => f.name === name)) cleared[key] = '';
  }
  c.options = { ...c.options, oauth2: { ...oauth2, mappedFields: cleared } };
}

/** Every problem with `c`'s auth options, added to `errors`. */
export function validateAuthOptions(c: Collection, errors: ErrorData): void {
  const o = c.options;
  const found: ErrorData = {};

  for (const key of TOKEN_OPTION_KEYS) {
    const t = asObject(o[key]);
    const secret = str(t.secret);
    nest(found, key, {
      secret: secret === '' ? required() : lengthRule(secret, 30, 255),
      duration: bounded(t.duration, 10, TOKEN_MAX_DURATION),
    });
  }
  for (const key of ['verificationTemplate', 'resetPasswordTemplate', 'confirmEmailChangeTemplate']) {
    nest(found, key, templateErrors(o[key], REQUIRED_PLACEHOLDERS[key]));
  }
  const alert = asObject(o.authAlert);
  const alertTemplate = templateErrors(alert.emailTemplate);
  if (Object.keys(alertTemplate).length) found.authAlert = { emailTemplate: alertTemplate as Json };

  const otp = asObject(o.otp);
  const otpErrors: Nested = {};
  if (otp.enabled === true) {
    const duration = bounded(otp.duration, 10, SESSION_MAX_DURATION);
    if (duration) otpErrors.duration = duration;
    if (num(otp.length) === 0) otpErrors.length = required();
    else if (num(otp.length) < 4) otpErrors.length = minThreshold(4);
  }
  const otpTemplate = templateErrors(otp.emailTemplate, otp.enabled === true ? REQUIRED_PLACEHOLDERS.otp : undefined);
  if (Object.keys(otpTemplate).length) otpErrors.emailTemplate = otpTemplate as Json;
  nest(found, 'otp', otpErrors);
  const mfa = asObject(o.mfa);
  if (mfa.enabled === true) nest(found, 'mfa', { duration: bounded(mfa.duration, 10, SESSION_MAX_DURATION) });

  const passwordAuth = asObject(o.passwordAuth);
  const identityFields = Array.isArray(passwordAuth.identityFields) ? passwordAuth.identityFields.map(str) : [];
  if (passwordAuth.enabled === true && identityFields.length === 0) found.passwordAuth = { identityFields: required() };

  const oauth2 = asObject(o.oauth2);
  if (oauth2.enabled === true && Array.isArray(oauth2.providers)) {
    const providers: Nested = {};
    const seen = new Set<string>();
    oauth2.providers.forEach((p, i) => {
      const provider = asObject(p);
      const name = str(provider.name);
      const entry: Nested = {};
      if (name === '') entry.name = required();
      else if (!isAcceptedOAuth2ProviderName(name)) {
        entry.name = templateError('validation_missing_provider', 'Invalid or missing provider with name {{.name}}.', { name });
      } else if (seen.has(name)) {
        entry.name = templateError('validation_duplicated_provider', 'The provider {{.name}} is already registered.', { name });
      }
      seen.add(name);
      if (str(provider.clientId) === '') entry.clientId = required();
      if (str(provider.clientSecret) === '') entry.clientSecret = required();
      for (const key of ['authURL', 'tokenURL', 'userInfoURL']) {
        const url = str(provider[key]);
        if (url !== '' && !isUrl(url)) entry[key] = fieldError('validation_is_url', 'Must be a valid URL.');
      }
      if (Object.keys(entry).length) providers[String(i)] = entry as Json;
    });
    if (Object.keys(providers).length) found.oauth2 = { providers: providers as Json };
  }

  if (Object.keys(found).length) {
    Object.assign(errors, found);
    return;
  }
  // Checked once the options themselves hold, as PocketBase does.
  if (mfa.enabled === true) {
    const methods = [passwordAuth.enabled, oauth2.enabled, otp.enabled].filter((e) => e === true).length;
    if (methods < 2) {
      errors.mfa = { enabled: fieldError('validation_mfa_not_enough_auths', 'MFA requires at least 2 auth methods to be enabled.') };
      return;
    }
  }
  if (passwordAuth.enabled === true) {
    const unique = uniqueColumns(c);
    for (const name of new Set(identityFields)) {
      if (!c.fields.some((f) => f.name === name)) {
        errors.passwordAuth = { identityFields: templateError('validation_missing_field', 'invalid or missing field {{.fieldName}}', { fieldName: name }) };
        return;
      }
      if (!unique.has(name.toLowerCase())) {
        errors.passwordAuth = {
          identityFields: templateError('validation_missing_unique_constraint', "the field {{.fieldName}} doesn't have a UNIQUE constraint", { fieldName: name }),
        };
        return;
      }
    }
  }
}
