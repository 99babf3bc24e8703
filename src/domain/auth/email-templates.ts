/**
 * A collection's email templates filled in, as PocketBase does (mails/record.go
 * `resolveEmailTemplate`): `{APP_NAME}`, `{APP_URL}`, `{RECORD:<field>}` for every non-hidden field
 * (HTML-escaped, except autodate, date, bool and number values) and the flow's own placeholders
 * such as `{TOKEN}`, in subject and body; the body then goes into an HTML page (LAYOUT_START).
 */
import type { Collection } from '../../db/schema.ts';
import { toGoString } from '../collections/fields/cast.ts';
import { defaultAuthOptions } from '../collections/defaults.ts';
import type { RecordData } from '../records/codec.ts';

/** The templates of an auth collection: three top-level options, and `otp` / `authAlert`'s `emailTemplate`. */
export type RecordTemplateName = 'verificationTemplate' | 'resetPasswordTemplate' | 'confirmEmailChangeTemplate' | 'otp' | 'authAlert';

/** What the templates read of `settings.meta`. */
export interface AppMeta {
  readonly appName: string;
  readonly appURL: string;
}

export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
}

interface EmailTemplate {
  subject: string;
  body: string;
}

/** Values PocketBase puts into a template as they are: their text cannot hold markup. */
const UNESCAPED_TYPES = new Set(['autodate', 'date', 'bool', 'number']);

export function renderRecordEmail(
  collection: Collection,
  record: RecordData,
  name: RecordTemplateName,
  meta: AppMeta,
  extra: Readonly<Record<string, string>>,
): RenderedEmail {
  const template = templateOf(collection, name);
  const values = new Map<string, string>(Object.entries(extra));
  values.set('{APP_NAME}', meta.appName);
  values.set('{APP_URL}', meta.appURL);
  for (const field of collection.fields) {
    if (field.hidden) continue;
    const raw = fieldText(field.type, record[field.name]);
    values.set(`{RECORD:${field.name}}`, UNESCAPED_TYPES.has(field.type) ? raw : escapeHtml(raw));
  }
  // One pass over the text: a substituted value is never scanned again, so a record field that
  // contains "{TOKEN}" stays that text. (PocketBase replaces one placeholder after another in map
  // order, so there the outcome depends on the order.)
  const pattern = new RegExp([...values.keys()].map(escapeRegExp).join('|'), 'g');
  const fill = (text: string) => (values.size ? text.replace(pattern, (m) => values.get(m) ?? m) : text);
  return { subject: fill(template.subject), html: LAYOUT_START + fill(template.body) + LAYOUT_END };
}

function templateOf(collection: Collection, name: RecordTemplateName): EmailTemplate {
  const t = templateIn(collection.options, name);
  if (t && typeof t.subject === 'string' && typeof t.body === 'string') return { subject: t.subject, body: t.body };
  return templateIn(defaultAuthOptions(), name) as EmailTemplate;
}

function templateIn(options: Record<string, unknown>, name: RecordTemplateName): Partial<EmailTemplate> | undefined {
  const entry = options[name] as Record<string, unknown> | undefined;
  return (name === 'otp' || name === 'authAlert' ? entry?.emailTemplate : entry) as Partial<EmailTemplate> | undefined;
}

/** A field value as PocketBase's `record.GetString` gives it (cast.ToString; JSON as its text). */
function fieldText(type: string, v: unknown): string {
  if (type === 'json' || type === 'geoPoint') return v === undefined || v === null ? '' : JSON.stringify(v);
  return toGoString(v);
}

/** Go's html.EscapeString. */
export function escapeHtml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => HTML_ESCAPES[c]);
}
const HTML_ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;' };

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The HTML page around a template's body. Templates written for PocketBase use its `btn` and
 * `hidden` classes, so both are styled here.
 */
const LAYOUT_START = `<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta name="viewport" content="width=device-width,initial-scale=1" />
<style>
  body { margin: 0; padding: 20px 30px; color: #16161a; background: #fff; font: 14px/20px sans-serif; }
  p { margin: 10px 0; }
  a { color: inherit; }
  small { font-size: 12px; line-height: 16px; }
  .hidden { display: none !important; }
  .btn {
    display: inline-block; min-width: 150px; padding: 0 20px; margin: 5px 0; line-height: 40px;
    border-radius: 6px; text-align: center; font-weight: bold; text-decoration: none !important;
    color: #fff !important; background: #16161a !important;
  }
</style>
</head>
<body>
`;
const LAYOUT_END = `
</body>
</html>
`;
