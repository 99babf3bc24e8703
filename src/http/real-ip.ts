import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { TrustedProxyConfig } from '../domain/settings/model.ts';

/**
 * The client's address as PocketBase's `RealIP` reads it (core/event_request.go): with trusted
 * proxy headers configured, the last value of the first such header present, and in it the
 * rightmost valid IP (the leftmost with `useLeftmostIP`); otherwise, or when no header holds a
 * valid IP, the socket's remote address. Headers are honoured only when configured: anyone can
 * send `X-Forwarded-For`, so trusting it by default would let a client pick its own address.
 */
export function realIp(request: FastifyRequest, proxy: TrustedProxyConfig): string {
  if (proxy.headers.length) {
    const fromHeader = ipFromHeaders(request.raw.rawHeaders, proxy);
    if (fromHeader !== undefined) return fromHeader;
  }
  return remoteIp(request.raw.socket.remoteAddress);
}

/**
 * The socket's address, as Go's server reports it: an IPv4 client of a dual-stack socket as plain
 * IPv4. Read for every request (logs, rate limits) from the few addresses connected at a time:
 * remembered, which spares a validation by regular expression each time.
 */
export function remoteIp(address: string | undefined): string {
  if (!address) return '';
  let ip = socketIps.get(address);
  if (ip === undefined) {
    ip = normalizeIp(address) ?? '';
    // A bounded memory: past the bound it starts afresh (addresses come from the kernel, not from
    // request data, so this cannot be steered beyond costing a validation again).
    if (socketIps.size >= SOCKET_IPS) socketIps.clear();
    socketIps.set(address, ip);
  }
  return ip;
}
const SOCKET_IPS = 4096;
const socketIps = new Map<string, string>();

function ipFromHeaders(rawHeaders: readonly string[], proxy: TrustedProxyConfig): string | undefined {
  for (const name of proxy.headers) {
    // Go's Header.Values: every occurrence; the last is the one the proxy in front of us wrote.
    const value = lastHeaderValue(rawHeaders, name);
    if (!value) continue;
    const candidates = value.split(',');
    if (!proxy.useLeftmostIP) candidates.reverse();
    for (const candidate of candidates) {
      const ip = normalizeIp(candidate.trim());
      if (ip !== undefined) return ip;
    }
  }
  return undefined;
}

function lastHeaderValue(rawHeaders: readonly string[], name: string): string | undefined {
  for (let i = rawHeaders.length - 2; i >= 0; i -= 2) {
    if (rawHeaders[i].length === name.length && rawHeaders[i].toLowerCase() === name.toLowerCase()) return rawHeaders[i + 1];
  }
  return undefined;
}

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/**
 * One spelling per address (Go's `netip.Addr.StringExpanded`), so that `::1` and `0:0::1` count
 * as the same client: IPv4 as dotted decimal, IPv6 as eight groups of four hex digits (zone
 * kept). An IPv4-mapped address becomes plain IPv4. Undefined for anything that is not an IP.
 */
export function normalizeIp(value: string): string | undefined {
  const version = isIP(value);
  if (version === 4) return value;
  if (version !== 6) return undefined;
  const mapped = MAPPED_V4.exec(value);
  if (mapped) return mapped[1];
  const zoneAt = value.indexOf('%');
  const zone = zoneAt >= 0 ? value.slice(zoneAt) : '';
  let address = zoneAt >= 0 ? value.slice(0, zoneAt) : value;
  // An embedded IPv4 tail (`::1.2.3.4`) becomes its two hex groups.
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number);
    address = `${address.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest === undefined ? [] : rest ? rest.split(':') : [];
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array<string>(rest === undefined ? 0 : missing).fill('0'), ...restGroups];
  return groups.map((g) => g.toLowerCase().padStart(4, '0')).join(':') + zone;
}
