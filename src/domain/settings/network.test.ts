import { describe, expect, it } from 'vitest';
import { ipListMatcher, isHost, isIpOrSubnet } from './network.ts';

describe('isIpOrSubnet (netip.ParseAddr / ParsePrefix)', () => {
  it.each(['127.0.0.1', '10.0.0.0/8', '10.0.0.1/32', '0.0.0.0/0', '::1', '::/0', 'fe80::/10', '2001:db8::1/128', '::ffff:1.2.3.4'])('accepts %s', (v) => {
    expect(isIpOrSubnet(v)).toBe(true);
  });
  it.each(['', 'nope', '300.1.1.1', '1.2.3.4/33', '::1/129', '1.2.3.4/', '/8', '1.2.3.4/08', '1.2.3.4/ 8', 'fe80::1%eth0/64', 'example.com'])(
    'refuses %j',
    (v) => {
      expect(isIpOrSubnet(v)).toBe(false);
    },
  );
});

describe('isHost (is.Host: an IP or a DNS name)', () => {
  it.each(['smtp.example.com', 'localhost', 'mail_relay', '127.0.0.1', '::1', 'example.com.'])('accepts %s', (v) => {
    expect(isHost(v)).toBe(true);
  });
  it.each(['bad host', 'x!', '-a.example.com', `${'a'.repeat(64)}.com`, 'a..b'])('refuses %j', (v) => {
    expect(isHost(v)).toBe(false);
  });
});

describe('ipListMatcher', () => {
  it('matches addresses and subnets of both families, IPv4-mapped and zoned socket addresses included', () => {
    const inList = ipListMatcher(['10.0.0.0/8', '192.168.1.7', '::1', 'fd00::/8']);
    expect(inList('10.1.2.3')).toBe(true);
    expect(inList('::ffff:10.1.2.3')).toBe(true);
    expect(inList('192.168.1.7')).toBe(true);
    expect(inList('192.168.1.8')).toBe(false);
    expect(inList('::1')).toBe(true);
    expect(inList('fd12::5%eth0')).toBe(true);
    expect(inList('11.0.0.1')).toBe(false);
    expect(inList('not an ip')).toBe(false);
  });
  it('an empty list matches nothing', () => {
    expect(ipListMatcher([])('127.0.0.1')).toBe(false);
  });
});
