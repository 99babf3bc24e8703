/** Email fields: syntax check, then the domain against onlyDomains / exceptDomains (exact match). */
import { fieldError } from '../../../kernel/errors.ts';
import { domainAllowed, emailDomain, isEmailAddress, validateDomainOptions } from './domains.ts';
import { invalidEmail, required } from './errors.ts';
import { collectErrors, COMMON_OPTIONS, validateCommonOptions } from './options.ts';
import { plainTextValue } from './plain-text.ts';
import type { FieldHandler } from './types.ts';

const domainNotAllowed = () => fieldError('validation_email_domain_not_allowed', 'Email domain is not allowed.');

const handler = {
  type: 'email',
  options: { ...COMMON_OPTIONS, exceptDomains: 'strings?', onlyDomains: 'strings?' },
  ...plainTextValue,
  validate(field, value) {
    if (value === '') return field.required ? required() : undefined;
    if (!isEmailAddress(value)) return invalidEmail();
    const domain = emailDomain(value);
    return domainAllowed(field, domain) ? undefined : domainNotAllowed();
  },
  validateOptions: (field) => collectErrors(validateCommonOptions(field), validateDomainOptions(field)),
} satisfies FieldHandler<string>;

/** Typed as the interface so callers see every parameter (the literal's own type is narrower). */
export const emailField: FieldHandler<string> = handler;
