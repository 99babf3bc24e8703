import { BlockList, isIP } from 'node:net';

/**
 * Address checks for the settings: IPs and CIDR subnets (superuserIPs, rateLimits.excludedIPs),
 * host names (smtp.host, smtp.localName), and a matcher for the lists once validated.
 */

const DIGITS = /^(?:0|[1-9]\d{0,2})$/;

/** A CIDR subnet as Go's netip.ParsePrefix reads it: an address without zone, `/`, bits in range (no leading zeros). */
function parseSubnet(value: string): { address: string; bits: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = value.indexOf('/');
  if (slash < 0) return undefined;
  const address = value.slice(0, slash);
  const bitsText = value.slice(slash + 1);
  const version = address.includes('%') ? 0 : isIP(address);
  if (!version || !DIGITS.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > (version === 4 ? 32 : 128)) return undefined;
  return { address, bits, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** An individual IPv4/IPv6 address or a CIDR subnet (PocketBase's validators.IPOrSubnet). */
export const isIpOrSubnet = (value: string): boolean => parseSubnet(value) !== undefined || isIP(value) !== 0;

// govalidator's DNS name: labels of word characters and hyphens, up to 63 each, an optional final dot or underscore.
const DNS_NAME = /^[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62}(?:\.[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})*[._]?$/;

/** An IP address or a DNS name (ozzo's is.Host). */
export function isHost(value: string): boolean {
  if (!value.includes('%') && isIP(value)) return true;
  return value.replaceAll('.', '').length <= 255 && DNS_NAME.test(value);
}

/** Strips what a socket address may carry that the list entries do not: an IPv4-mapped prefix, a zone. */
function plainAddress(ip: string): string {
  const unzoned = ip.split('%')[0];
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(unzoned);
  return mapped ? mapped[1] : unzoned;
}

/**
 * A predicate telling whether an address is in a list of IPs and subnets (validated ones;
 * invalid entries are skipped). Build it once per settings version, not per request.
 */
export function ipListMatcher(entries: readonly string[]): (ip: string) => boolean {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of entries) {
    const subnet = parseSubnet(entry);
    if (subnet) list.addSubnet(subnet.address, subnet.bits, subnet.family);
    else {
      const address = plainAddress(entry);
      const version = isIP(address);
      if (version) list.addAddress(address, version === 4 ? 'ipv4' : 'ipv6');
    }
  }
  return (ip) => {
    const address = plainAddress(ip);
    const version = isIP(address);
    return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  };
}
