/**
 * Email, URL and domain syntax checks with the acceptance rules PocketBase inherits from its
 * validation library. Written as linear scans rather than the library's large regular
 * expressions, which backtrack badly in JavaScript on hostile input.
 */
import { isIPv6 } from 'node:net';
import type { ErrorData } from '../../../kernel/errors.ts';
import { invalidDomain, mustBeBlank } from './errors.ts';
import type { FieldDef } from '../../../db/schema.ts';
import { strList } from './options.ts';

const isWide = (c: string): boolean => {
  const p = c.codePointAt(0)!;
  return (p >= 0xa0 && p <= 0xd7ff) || (p >= 0xf900 && p <= 0xfdcf) || (p >= 0xfdf0 && p <= 0xffef);
};
const isAlpha = (c: string): boolean => /^[A-Za-z]$/.test(c) || isWide(c);
const isAlnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c) || isWide(c);
const ATOM_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

function isDotAtom(local: string): boolean {
  if (local === '') return false;
  return local.split('.').every((atom) => atom !== '' && [...atom].every((c) => isAlnum(c) || ATOM_SPECIALS.includes(c)));
}

function isQuotedLocal(local: string): boolean {
  return /^"(?:[^"\\\r\n]|\\[^\r\n])*"$/u.test(local);
}

/**
 * The email domain: at least two dot-separated parts, starting with a letter/digit, ending
 * with a letter, the last dot between a letter/digit and a letter; `-`, `~`, `_` and `.`
 * allowed inside; one trailing dot tolerated.
 */
function isEmailDomain(domain: string): boolean {
  const d = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  const chars = [...d];
  if (chars.length < 3) return false;
  if (!chars.every((c) => isAlnum(c) || '-.~_'.includes(c))) return false;
  if (!isAlnum(chars[0]) || !isAlpha(chars[chars.length - 1])) return false;
  return chars.some((c, i) => c === '.' && i > 0 && i < chars.length - 1 && isAlnum(chars[i - 1]) && isAlpha(chars[i + 1]));
}

/** The email address syntax PocketBase accepts (no DNS lookup). */
export function isEmailAddress(value: string): boolean {
  const at = value.lastIndexOf('@');
  if (at <= 0) return false;
  const local = value.slice(0, at);
  return (isDotAtom(local) || isQuotedLocal(local)) && isEmailDomain(value.slice(at + 1));
}

/** The domain part of an email, as PocketBase compares it with only/except lists (case-sensitive). */
export const emailDomain = (email: string): string => email.slice(email.lastIndexOf('@') + 1);

const URL_SCHEME = /^(?:ftp|tcp|udp|wss?|https?):\/\//;
const IPV4 = /^(?:[1-9]\d?|1\d\d|2[01]\d|22[0-3]|24\d|25[0-5])(?:\.(?:1?\d{1,2}|2[0-4]\d|25[0-5])){2}\.(?:[0-9]\d?|1\d\d|2[0-4]\d|25[0-5])$/;

function isHostName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name === '') return false;
  const labels = name.split('.');
  if (labels.every((l) => /^\d+$/.test(l)) && labels.length === 4) return IPV4.test(name);
  const labelOk = (l: string): boolean => {
    const cs = [...l];
    return cs.length > 0 && isAlnum(cs[0]) && isAlnum(cs[cs.length - 1]) && cs.every((c) => isAlnum(c) || c === '-' || c === '_');
  };
  // More than one label: the last is a top-level domain made of letters only.
  const tld = labels.length > 1 ? labels[labels.length - 1] : undefined;
  return labels.every(labelOk) && (tld === undefined || [...tld].every(isAlpha));
}

/**
 * URL syntax as PocketBase checks it: an optional scheme among http(s), ws(s), ftp, tcp, udp;
 * optional user info; a host name, IPv4 or bracketed IPv6; optional port; a path, query or
 * fragment without spaces. A bare word such as "invalid" is refused.
 */
export function isUrl(value: string): boolean {
  const runes = [...value].length;
  if (value === '' || runes >= 2083 || Buffer.byteLength(value) <= 3 || value.startsWith('.')) return false;
  // Without a scheme or port Go parses the value as a path, which must then look like a domain.
  if (!value.includes(':') && !value.split(/[?#]/)[0].includes('.')) return false;
  const rest = value.replace(URL_SCHEME, '');
  const pathAt = rest.search(/[/?#]/);
  let authority = pathAt < 0 ? rest : rest.slice(0, pathAt);
  const tail = pathAt < 0 ? '' : rest.slice(pathAt);
  if (/\s/.test(tail)) return false;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    if (at === 0 || /\s/.test(authority.slice(0, at))) return false;
    authority = authority.slice(at + 1);
  }
  let host = authority;
  const port = /:(\d{1,5})$/.exec(authority);
  if (port) host = authority.slice(0, port.index);
  else if (!authority.startsWith('[') && authority.includes(':')) return false;
  if (host.startsWith('[')) return host.endsWith(']') && isIPv6(host.slice(1, -1));
  return isHostName(host);
}

/** What Go's url.Parse reports as Host (port included); '' when the value has no `scheme://`. */
export function urlHost(value: string): string {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(value);
  if (!m) return '';
  const authority = m[1];
  return authority.slice(authority.lastIndexOf('@') + 1);
}

/** Domain names accepted in onlyDomains / exceptDomains: lower-case labels and a letters-only TLD. */
export function isDomainName(value: string): boolean {
  if (value.length > 255) return false;
  const labels = value.split('.');
  if (labels.length < 2) return false;
  const tld = labels.pop()!;
  return /^[a-z]{1,63}$/.test(tld) && labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l));
}

/** onlyDomains and exceptDomains exclude each other; each entry must be a domain name. */
export function validateDomainOptions(field: FieldDef): ErrorData | undefined {
  const only = strList(field.onlyDomains);
  const except = strList(field.exceptDomains);
  const errors: ErrorData = {};
  const check = (list: string[], other: string[], key: string) => {
    if (other.length > 0) {
      if (list.length > 0) errors[key] = mustBeBlank();
      return;
    }
    const bad: Record<string, unknown> = {};
    list.forEach((d, i) => {
      if (!isDomainName(d)) bad[String(i)] = invalidDomain();
    });
    if (Object.keys(bad).length > 0) errors[key] = bad;
  };
  check(except, only, 'exceptDomains');
  check(only, except, 'onlyDomains');
  return Object.keys(errors).length > 0 ? errors : undefined;
}

/** The onlyDomains/exceptDomains options of email and url fields: is `domain` allowed? */
export function domainAllowed(field: FieldDef, domain: string): boolean {
  const only = strList(field.onlyDomains);
  if (only.length > 0 && !only.includes(domain)) return false;
  return !strList(field.exceptDomains).includes(domain);
}
