import { describe, expect, it } from 'vitest';
import type { Collection, FieldDef } from '../../db/schema.ts';
import { renderRecordEmail } from './email-templates.ts';

const field = (name: string, type: string, hidden = false): FieldDef => ({ id: name, name, type, system: false, hidden, presentable: false }) as FieldDef;

const collection = (subject: string, body: string): Collection =>
  ({
    id: 'c1',
    name: 'users',
    type: 'auth',
    fields: [
      field('email', 'email'),
      field('name', 'text'),
      field('age', 'number'),
      field('verified', 'bool'),
      field('born', 'date'),
      field('prefs', 'json'),
      field('tags', 'select'),
      field('secret', 'text', true),
    ],
    options: { verificationTemplate: { subject, body } },
  }) as unknown as Collection;

const meta = { appName: 'Acme & Co', appURL: 'https://acme.test' };
const record = {
  email: 'a@example.com',
  name: `<i>O'Neil</i> "A" & B`,
  age: 1e21,
  verified: true,
  born: '2024-01-02 03:04:05.000Z',
  prefs: { theme: '<dark>' },
  tags: ['x', 'y'],
  secret: 'hidden value',
};

describe('renderRecordEmail', () => {
  it('fills app, record and flow placeholders in subject and body', () => {
    const c = collection(
      '{APP_NAME}: {RECORD:email}',
      '<p>{RECORD:name}|{RECORD:age}|{RECORD:verified}|{RECORD:born}|{RECORD:prefs}|{RECORD:tags}|{RECORD:secret}</p><a href="{APP_URL}/v/{TOKEN}">v</a>',
    );
    const out = renderRecordEmail(c, record, 'verificationTemplate', meta, { '{TOKEN}': 'tok' });
    // Values are put in as they are, HTML-escaped except numbers, bools and dates; hidden fields are not placeholders.
    expect(out.subject).toBe('Acme & Co: a@example.com');
    expect(out.html).toContain(
      '<p>&lt;i&gt;O&#39;Neil&lt;/i&gt; &#34;A&#34; &amp; B|1000000000000000000000|true|2024-01-02 03:04:05.000Z|{&#34;theme&#34;:&#34;&lt;dark&gt;&#34;}||{RECORD:secret}</p><a href="https://acme.test/v/tok">v</a>',
    );
    expect(out.html.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('never substitutes inside a substituted value', () => {
    const c = collection('s', '{RECORD:name} {TOKEN}');
    const out = renderRecordEmail(c, { ...record, name: '{TOKEN} {APP_URL}' }, 'verificationTemplate', meta, { '{TOKEN}': 'tok' });
    expect(out.html).toContain('{TOKEN} {APP_URL} tok');
  });

  it('falls back to the default template when the collection has none', () => {
    const c = { ...collection('s', 'b'), options: {} } as Collection;
    const out = renderRecordEmail(c, record, 'resetPasswordTemplate', meta, { '{TOKEN}': 'tok' });
    expect(out.subject).toBe('Reset your Acme & Co password');
    expect(out.html).toContain('https://acme.test/_/#/auth/confirm-password-reset/tok');
  });

  it('reads the OTP and auth alert templates from their options', () => {
    const c = { ...collection('s', 'b'), options: { otp: { emailTemplate: { subject: 'OTP {OTP_ID}', body: '{OTP}' } } } } as unknown as Collection;
    expect(renderRecordEmail(c, record, 'otp', meta, { '{OTP}': '123456', '{OTP_ID}': 'x1' })).toMatchObject({ subject: 'OTP x1' });
    expect(renderRecordEmail(c, record, 'authAlert', meta, { '{ALERT_INFO}': 'from here' }).html).toContain('from here');
  });
});
