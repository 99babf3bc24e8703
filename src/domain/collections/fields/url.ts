/** URL fields: syntax check, then the host (port included) against onlyDomains / exceptDomains. */
import { fieldError } from '../../../kernel/errors.ts';
import { domainAllowed, isUrl, urlHost, validateDomainOptions } from './domains.ts';
import { required } from './errors.ts';
import { collectErrors, COMMON_OPTIONS, validateCommonOptions } from './options.ts';
import { plainTextValue } from './plain-text.ts';
import type { FieldHandler } from './types.ts';

const domainNotAllowed = () => fieldError('validation_url_domain_not_allowed', 'Url domain is not allowed.');

const handler = {
  type: 'url',
  options: { ...COMMON_OPTIONS, exceptDomains: 'strings?', onlyDomains: 'strings?' },
  ...plainTextValue,
  validate(field, value) {
    if (value === '') return field.required ? required() : undefined;
    if (!isUrl(value)) return fieldError('validation_invalid_url', 'Must be a valid url.');
    // PocketBase compares the parsed host, so a URL without scheme never matches an onlyDomains entry.
    const host = urlHost(value);
    return domainAllowed(field, host) ? undefined : domainNotAllowed();
  },
  validateOptions: (field) => collectErrors(validateCommonOptions(field), validateDomainOptions(field)),
} satisfies FieldHandler<string>;

/** Typed as the interface so callers see every parameter (the literal's own type is narrower). */
export const urlField: FieldHandler<string> = handler;
