import { describe, expect, it } from 'vitest';
import type { RateLimitRule } from '../domain/settings/model.ts';
import { findRateLimitRule, rateLimitLabels } from './rate-limit.ts';
import type { FastifyRequest } from 'fastify';
import { normalizeIp, realIp } from './real-ip.ts';

const rule = (label: string, audience = '', maxRequests = 1): RateLimitRule => ({ label, audience, duration: 1, maxRequests });
const GUEST = ['', '@guest'];
const AUTH = ['', '@auth'];

// PocketBase's defaults.
const DEFAULTS = [rule('*:auth', '', 2), rule('*:create', '', 20), rule('/api/batch', '', 3), rule('/api/', '', 300)];

describe('rateLimitLabels', () => {
  it('lists collection tags, wildcard tags, method + path, path', () => {
    expect(rateLimitLabels('POST', '/api/collections/users/auth-with-password', 'users', ['authWithPassword', 'auth'])).toEqual([
      'users:authWithPassword',
      'users:auth',
      '*:authWithPassword',
      '*:auth',
      'POST /api/collections/users/auth-with-password',
      '/api/collections/users/auth-with-password',
    ]);
    expect(rateLimitLabels('GET', '/api/health')).toEqual(['GET /api/health', '/api/health']);
  });
});

describe('findRateLimitRule (PocketBase FindRateLimitRule)', () => {
  const labels = rateLimitLabels('POST', '/api/collections/users/auth-with-password', 'users', ['authWithPassword', 'auth']);

  it('matches the default rules', () => {
    expect(findRateLimitRule(DEFAULTS, labels, GUEST)?.label).toBe('*:auth');
    expect(findRateLimitRule(DEFAULTS, rateLimitLabels('POST', '/api/collections/posts/records', 'posts', ['create']), GUEST)?.label).toBe('*:create');
    expect(findRateLimitRule(DEFAULTS, rateLimitLabels('GET', '/api/collections/posts/records', 'posts', ['list']), GUEST)?.label).toBe('/api/');
    expect(findRateLimitRule(DEFAULTS, rateLimitLabels('POST', '/api/batch'), GUEST)?.label).toBe('/api/batch');
    // `/api/` covers `/api` itself (label + "/"), but nothing outside it.
    expect(findRateLimitRule(DEFAULTS, rateLimitLabels('GET', '/api'), GUEST)?.label).toBe('/api/');
    expect(findRateLimitRule(DEFAULTS, rateLimitLabels('GET', '/_/'), GUEST)).toBeUndefined();
  });

  it('tries labels in order: the collection label beats the wildcard, whatever the rules order', () => {
    const rules = [rule('*:auth'), rule('users:auth'), rule('users:authWithPassword')];
    expect(findRateLimitRule(rules, labels, GUEST)?.label).toBe('users:authWithPassword');
    expect(findRateLimitRule(rules.slice(0, 2), labels, GUEST)?.label).toBe('users:auth');
    expect(findRateLimitRule([rule('posts:auth'), rule('*:auth')], labels, GUEST)?.label).toBe('*:auth');
  });

  it('prefers an exact label over a prefix, and method + path over path', () => {
    const path = '/api/collections/users/records';
    expect(findRateLimitRule([rule('/api/'), rule(path)], rateLimitLabels('GET', path), GUEST)?.label).toBe(path);
    expect(findRateLimitRule([rule(path), rule(`GET ${path}`)], rateLimitLabels('GET', path), GUEST)?.label).toBe(`GET ${path}`);
    expect(findRateLimitRule([rule(`POST ${path}`)], rateLimitLabels('GET', path), GUEST)).toBeUndefined();
    expect(findRateLimitRule([rule('/api/collections/')], rateLimitLabels('GET', path), GUEST)?.label).toBe('/api/collections/');
  });

  it('skips rules for the other audience', () => {
    const rules = [rule('*:auth', '@auth'), rule('*:auth', '@guest', 5)];
    expect(findRateLimitRule(rules, labels, GUEST)).toMatchObject({ audience: '@guest', maxRequests: 5 });
    expect(findRateLimitRule(rules, labels, AUTH)).toMatchObject({ audience: '@auth' });
    expect(findRateLimitRule([rule('*:auth', '@auth')], labels, GUEST)).toBeUndefined();
  });
});

describe('normalizeIp (Go netip StringExpanded)', () => {
  it('spells each address one way', () => {
    expect(normalizeIp('10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeIp('::1')).toBe('0000:0000:0000:0000:0000:0000:0000:0001');
    expect(normalizeIp('0:0::1')).toBe(normalizeIp('::1'));
    expect(normalizeIp('2001:DB8::1')).toBe('2001:0db8:0000:0000:0000:0000:0000:0001');
    expect(normalizeIp('::')).toBe('0000:0000:0000:0000:0000:0000:0000:0000');
    expect(normalizeIp('1::')).toBe('0001:0000:0000:0000:0000:0000:0000:0000');
    expect(normalizeIp('64:ff9b::1.2.3.4')).toBe('0064:ff9b:0000:0000:0000:0000:0102:0304');
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80:0000:0000:0000:0000:0000:0000:0001%eth0');
  });

  it('refuses what is not an IP', () => {
    for (const v of ['', 'unknown', '1.2.3', '01.2.3.4', '1.2.3.4:80', ' 1.2.3.4']) expect(normalizeIp(v)).toBeUndefined();
  });
});

describe('realIp (PocketBase RealIP)', () => {
  const request = (rawHeaders: string[], remoteAddress = '::ffff:127.0.0.1') =>
    ({ raw: { rawHeaders, socket: { remoteAddress } } }) as unknown as FastifyRequest;
  const proxy = (headers: string[], useLeftmostIP = false) => ({ headers, useLeftmostIP });

  it('is the socket address unless a trusted header is configured', () => {
    const req = request(['X-Forwarded-For', '1.1.1.1']);
    expect(realIp(req, proxy([]))).toBe('127.0.0.1');
    expect(realIp(req, proxy(['X-Real-IP']))).toBe('127.0.0.1');
    expect(realIp(req, proxy(['x-forwarded-for']))).toBe('1.1.1.1');
  });

  it('reads the last occurrence of the first header present, rightmost valid IP first', () => {
    const req = request(['X-Forwarded-For', '9.9.9.9', 'x-forwarded-for', '1.1.1.1, 2.2.2.2, junk', 'X-Real-IP', '3.3.3.3']);
    expect(realIp(req, proxy(['X-Forwarded-For', 'X-Real-IP']))).toBe('2.2.2.2');
    expect(realIp(req, proxy(['X-Forwarded-For'], true))).toBe('1.1.1.1');
    expect(realIp(req, proxy(['CF-Connecting-IP', 'X-Real-IP']))).toBe('3.3.3.3');
    // A header without any valid IP passes on to the next one, then to the socket.
    expect(realIp(request(['X-Forwarded-For', 'junk', 'X-Real-IP', '::1']), proxy(['X-Forwarded-For', 'X-Real-IP']))).toBe(normalizeIp('::1'));
    expect(realIp(request(['X-Forwarded-For', ''], '10.0.0.2'), proxy(['X-Forwarded-For']))).toBe('10.0.0.2');
  });
});
