import { fieldError, type ErrorData, type FieldError } from '../../kernel/errors.ts';
import { isEmailAddress, isUrl } from '../collections/fields/domains.ts';
import { invalidEmail, invalidFormat, lengthRule, minThreshold, required, sentenize, templateError } from '../collections/fields/errors.ts';
import { CronSyntaxError, parseCron } from './cron.ts';
import type { RateLimitRule, S3Config, Settings } from './model.ts';
import { isHost, isIpOrSubnet } from './network.ts';

/**
 * PocketBase's settings validation (core/settings_model.go, ozzo-validation): each field's rules
 * run in order and the first failure is its error; empty values pass every rule but "required";
 * errors nest like the settings (`{meta: {appName: {…}}}`, list items under their index).
 */

type Rule<T> = (value: T) => FieldError | undefined;
type Errors = ErrorData | FieldError | undefined;

const isEmpty = (v: unknown): boolean => v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0);

const first = <T>(value: T, ...rules: Rule<T>[]): FieldError | undefined => {
  for (const rule of rules) {
    const error = rule(value);
    if (error) return error;
  }
  return undefined;
};

const requiredIf =
  (condition: boolean): Rule<unknown> =>
  (v) => (condition && isEmpty(v) ? required() : undefined);
const req = requiredIf(true);
const min =
  (threshold: number): Rule<number> =>
  (v) => (v !== 0 && v < threshold ? minThreshold(threshold) : undefined);
const length =
  (lo: number, hi: number): Rule<string> =>
  (v) => lengthRule(v, lo, hi);
const check =
  (valid: (v: string) => boolean, error: () => FieldError): Rule<string> =>
  (v) => (v !== '' && !valid(v) ? error() : undefined);
const oneOf = (allowed: readonly string[]): Rule<string> => check((v) => allowed.includes(v), inInvalid);

const inInvalid = () => fieldError('validation_in_invalid', 'Must be a valid value.');
const urlError = () => fieldError('validation_is_url', 'Must be a valid URL.');
const hostError = () => fieldError('validation_is_host', 'Must be a valid IP address or DNS name.');
const hexColorError = () => fieldError('validation_is_hex_color', 'Must be a valid hex color code.');
// The code's spelling is PocketBase's (core/validators/string.go).
const ipError = () => fieldError('validation_invlaid_ip_or_subnet', 'Invalid IP or CIDR subnet.');
const conflictError = (label: string) =>
  templateError(
    'validation_conflicting_rate_limit_rule',
    'Rate limit rule configuration with label {{.label}} already exists or conflicts with another rule.',
    { label },
  );

const HEX_COLOR = /^#?(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
/** Rate limit labels: `tag`, `collection:tag`, `*:tag`, `/path`, `/prefix/` or `METHOD /path`. */
export const RATE_LIMIT_LABEL = /^(\w+ \/[\w/-]*|\/[\w/-]*|\w+:\w+|\*:\w+|\w+)$/;
const AUDIENCES = ['', '@guest', '@auth'] as const;

/** The non-empty entries of `errors`, or undefined when there are none. */
function collect(errors: Record<string, Errors>): ErrorData | undefined {
  const out: ErrorData = {};
  for (const [key, error] of Object.entries(errors)) if (error) out[key] = error;
  return Object.keys(out).length ? out : undefined;
}

/** ozzo's `Each(...)`: the errors of a list's items, keyed by index. */
const each = <T>(items: readonly T[], validate: (item: T) => Errors): ErrorData | undefined =>
  collect(Object.fromEntries(items.map((item, i) => [String(i), validate(item)])));

const ipList = (items: readonly string[]) => each(items, (ip) => first(ip, req, check(isIpOrSubnet, ipError)));

function s3Errors(c: S3Config): Errors {
  return collect({
    endpoint: first(c.endpoint, check(isUrl, urlError), requiredIf(c.enabled)),
    bucket: first(c.bucket, requiredIf(c.enabled)),
    region: first(c.region, requiredIf(c.enabled)),
    accessKey: first(c.accessKey, requiredIf(c.enabled)),
    secret: first(c.secret, requiredIf(c.enabled)),
  });
}

function cronError(expression: string): FieldError | undefined {
  if (expression === '') return undefined;
  try {
    parseCron(expression);
    return undefined;
  } catch (e) {
    if (e instanceof CronSyntaxError) return fieldError('validation_invalid_cron', sentenize(e.message));
    throw e;
  }
}

/**
 * Two rules conflict when one's `label@@audience` starts with the other's; only the first
 * conflict is reported, on the later rule's label.
 */
function conflictingRule(rules: readonly RateLimitRule[]): ErrorData | undefined {
  const seen: string[] = [];
  for (const [i, rule] of rules.entries()) {
    const key = `${rule.label}@@${rule.audience}`;
    if (seen.some((other) => other.startsWith(key) || key.startsWith(other))) return { [String(i)]: { label: conflictError(rule.label) } };
    seen.push(key);
  }
  return undefined;
}

function rulesErrors(rules: readonly RateLimitRule[], enabled: boolean): Errors {
  // The list's own rules first; its items are only validated when those pass (ozzo's Validate).
  return (
    requiredIf(enabled)(rules) ??
    conflictingRule(rules) ??
    each(rules, (r) =>
      collect({
        label: first(r.label, req, check((v) => RATE_LIMIT_LABEL.test(v), invalidFormat)),
        maxRequests: first(r.maxRequests, req, min(1)),
        duration: first(r.duration, req, min(1)),
        audience: first(r.audience, oneOf(AUDIENCES)),
      }),
    )
  );
}

/** The settings' validation errors in PocketBase's nested shape; empty when they are valid. */
export function validateSettings(s: Settings): ErrorData {
  const { meta, smtp, backups, batch, rateLimits } = s;
  return (
    collect({
      superuserIPs: ipList(s.superuserIPs),
      meta: collect({
        accentColor: first(meta.accentColor, length(7, 7), check((v) => HEX_COLOR.test(v), hexColorError)),
        appName: first(meta.appName, req, length(1, 255)),
        appURL: first(meta.appURL, req, check(isUrl, urlError)),
        senderName: first(meta.senderName, req, length(1, 255)),
        senderAddress: first(meta.senderAddress, check(isEmailAddress, invalidEmail), req),
      }),
      logs: collect({ maxDays: first(s.logs.maxDays, min(0)) }),
      smtp: collect({
        host: first(smtp.host, requiredIf(smtp.enabled), check(isHost, hostError)),
        port: first(smtp.port, requiredIf(smtp.enabled), min(0)),
        // Not required: an empty method means PLAIN.
        authMethod: first(smtp.authMethod, oneOf(['LOGIN', 'PLAIN'])),
        localName: first(smtp.localName, check(isHost, hostError)),
      }),
      s3: s3Errors(s.s3),
      backups: collect({
        s3: s3Errors(backups.s3),
        cron: cronError(backups.cron),
        cronMaxKeep: first(backups.cronMaxKeep, requiredIf(backups.cron !== ''), min(1)),
      }),
      batch: collect({
        maxRequests: first(batch.maxRequests, requiredIf(batch.enabled), min(0)),
        timeout: first(batch.timeout, requiredIf(batch.enabled), min(0)),
        maxBodySize: first(batch.maxBodySize, min(0)),
      }),
      rateLimits: collect({
        rules: rulesErrors(rateLimits.rules, rateLimits.enabled),
        excludedIPs: ipList(rateLimits.excludedIPs),
      }),
    }) ?? {}
  );
}

/** The body of POST /api/settings/test/s3: which filesystem to test. */
export const S3_FILESYSTEMS = ['storage', 'backups'] as const;

export const s3TestErrors = (filesystem: string): ErrorData | undefined =>
  collect({ filesystem: first(filesystem, req, oneOf(S3_FILESYSTEMS)) });
