import { describe, expect, test } from 'vitest';
import { isDomainName, isEmailAddress, isUrl, urlHost } from './domains.ts';
import { emailField } from './email.ts';
import { urlField } from './url.ts';
import { created, field, optionsCtx } from './test-support.ts';

describe('email syntax', () => {
  test.each<[string, boolean]>([
    ['test@example.com', true],
    ['first.last+tag@sub.example.co', true],
    ['UPPER@EXAMPLE.COM', true],
    ['"quoted local"@example.com', true],
    ['üser@exämple.com', true],
    ['test@localhost', false],
    ['invalid', false],
    ['@example.com', false],
    ['a..b@example.com', false],
    ['.a@example.com', false],
    ['a@example.c0m', true], // the TLD must start and end with a letter
    ['a@example.c0', false],
    ['a@-example.com', false],
    ['a b@example.com', false],
    ['a@example.com.', true],
  ])('%j -> %s', (value, ok) => expect(isEmailAddress(value)).toBe(ok));

  test('long hostile input is rejected in linear time', () => {
    const start = Date.now();
    expect(isEmailAddress(`a@${'a.'.repeat(20000)}!`)).toBe(false);
    expect(Date.now() - start).toBeLessThan(500);
  });
});

describe('url syntax and host', () => {
  test.each<[string, boolean, string]>([
    ['https://example.com', true, 'example.com'],
    ['http://localhost:8090/api?x=1#y', true, 'localhost:8090'],
    ['https://user:pass@example.com/a', true, 'example.com'],
    ['example.com', true, ''],
    ['example.com/path', true, ''],
    ['ftp://192.168.1.1/file', true, '192.168.1.1'],
    ['http://[::1]:80/', true, '[::1]:80'],
    ['invalid', false, ''],
    ['localhost', false, ''],
    ['HTTP://example.com', false, 'example.com'],
    ['foo://example.com', false, 'example.com'],
    ['https://exa mple.com', false, 'exa mple.com'],
    ['https://example.com/a b', false, 'example.com'],
    ['.example.com', false, ''],
  ])('%j -> valid %s, host %j', (value, ok, host) => {
    expect(isUrl(value)).toBe(ok);
    expect(urlHost(value)).toBe(host);
  });
});

test.each<[string, boolean]>([
  ['example.com', true],
  ['a-b.example.org', true],
  ['Example.com', false],
  ['localhost', false],
  ['-a.com', false],
  ['a.c0m', false],
])('domain option %j -> %s', (value, ok) => expect(isDomainName(value)).toBe(ok));

describe('email and url validate', () => {
  const handlers = { email: emailField, url: urlField };
  test.each<['email' | 'url', Record<string, unknown>, string, string | undefined, string | undefined]>([
    ['email', {}, '', undefined, undefined],
    ['email', { required: true }, '', 'validation_required', 'Cannot be blank.'],
    ['email', {}, 'nope', 'validation_is_email', 'Must be a valid email address.'],
    ['email', { onlyDomains: ['example.com'] }, 'a@other.com', 'validation_email_domain_not_allowed', 'Email domain is not allowed.'],
    ['email', { onlyDomains: ['example.com'] }, 'a@example.com', undefined, undefined],
    ['email', { exceptDomains: ['example.com'] }, 'a@example.com', 'validation_email_domain_not_allowed', 'Email domain is not allowed.'],
    ['url', { required: true }, '', 'validation_required', 'Cannot be blank.'],
    ['url', {}, 'invalid', 'validation_invalid_url', 'Must be a valid url.'],
    ['url', { onlyDomains: ['example.com'] }, 'https://other.com', 'validation_url_domain_not_allowed', 'Url domain is not allowed.'],
    ['url', { onlyDomains: ['example.com'] }, 'https://example.com/x', undefined, undefined],
    ['url', { onlyDomains: ['example.com'] }, 'example.com', 'validation_url_domain_not_allowed', 'Url domain is not allowed.'],
    ['url', { exceptDomains: ['example.com'] }, 'https://example.com', 'validation_url_domain_not_allowed', 'Url domain is not allowed.'],
  ])('%s %j with %j -> %s', (type, options, value, code, message) => {
    const err = handlers[type].validate(field(type, options), value, created);
    expect(err?.code).toBe(code);
    expect(err?.message).toBe(message);
  });

  test.each([emailField, urlField])('$type options: domain lists exclude each other and hold domains', (handler) => {
    const run = (options: Record<string, unknown>) => {
      const f = field(handler.type, options);
      return handler.validateOptions(f, optionsCtx(f));
    };
    expect(run({ onlyDomains: ['example.com'] })).toBeUndefined();
    expect(run({ onlyDomains: ['a.com'], exceptDomains: ['b.com'] })).toEqual({
      exceptDomains: { code: 'validation_empty', message: 'Must be blank.' },
      onlyDomains: { code: 'validation_empty', message: 'Must be blank.' },
    });
    expect(run({ exceptDomains: ['ok.com', 'not a domain'] })).toEqual({
      exceptDomains: { 1: { code: 'validation_is_domain', message: 'Must be a valid domain.' } },
    });
  });
});
