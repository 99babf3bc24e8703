import type { FastifyRequest } from 'fastify';
import { ApiError, forbidden } from '../kernel/errors.ts';
import type { Services } from '../domain/services.ts';
import type { RateLimitRule, Settings } from '../domain/settings/model.ts';
import { ipListMatcher } from '../domain/settings/network.ts';

/**
 * PocketBase's request guards that read the settings (apis/middlewares_rate_limit.go,
 * apis/middlewares.go): the superuser IP allowlist and the rate limits. Both run in the
 * `onRequest` hook once the principal is known, before any body is read.
 */

/** What a route tells the rate limiter (its Fastify `config.rateLimit`). */
export interface RouteRateLimit {
  /** PocketBase's tags: labels `<collection>:<tag>` then `*:<tag>` come before the path's. */
  readonly tags: readonly string[];
  /** The path parameter naming the collection (default `collection`). */
  readonly collectionParam?: string;
  /** A view collection is refused (400) before PocketBase counts the request: writes. */
  readonly refusesViews?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Tags of a collection route, or false for a route never limited (CORS preflights). */
    rateLimit?: RouteRateLimit | false;
  }
}

const TOO_MANY_REQUESTS = 'Too Many Requests.';
export const tooManyRequests = (): ApiError => new ApiError(429, TOO_MANY_REQUESTS);

const GUEST_AUDIENCES: readonly string[] = ['', '@guest'];
const AUTH_AUDIENCES: readonly string[] = ['', '@auth'];

/**
 * PocketBase's `FindRateLimitRule`: for each label in order, a rule with exactly that label
 * first, then a rule whose label ends in `/` and is a prefix of `label + "/"` (so `/api/`
 * covers `/api` and everything under it); the rule's audience must be one of `audiences`.
 */
export function findRateLimitRule(
  rules: readonly RateLimitRule[],
  labels: readonly string[],
  audiences: readonly string[],
): RateLimitRule | undefined {
  let prefixRules: RateLimitRule[] | undefined;
  for (const label of labels) {
    for (const rule of rules) {
      if (rule.label === label && audiences.includes(rule.audience)) return rule;
    }
    prefixRules ??= rules.filter((r) => r.label.endsWith('/'));
    for (const rule of prefixRules) {
      if ((label + '/').startsWith(rule.label) && audiences.includes(rule.audience)) return rule;
    }
  }
  return undefined;
}

/** The labels a request is matched with, most specific first. */
export function rateLimitLabels(method: string, path: string, collectionName?: string, tags: readonly string[] = []): string[] {
  const labels: string[] = [];
  if (collectionName !== undefined) {
    for (const tag of tags) labels.push(`${collectionName}:${tag}`);
    for (const tag of tags) labels.push(`*:${tag}`);
  }
  labels.push(`${method} ${path}`, path);
  return labels;
}

/** The URL's path, percent-decoded as Go's `URL.Path`, without the query. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  const raw = q < 0 ? url : url.slice(0, q);
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The IP lists of one settings version, built once per version rather than per request. */
interface Matchers {
  readonly settings: Settings;
  readonly superusers: (ip: string) => boolean;
  readonly excluded: (ip: string) => boolean;
}

type Done = (error?: Error) => void;

export class RequestGuards {
  private matchers: Matchers | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly services: Pick<Services, 'settings' | 'schema' | 'rateLimiter'>) {
    // PocketBase drops its limiters whenever the settings are saved: a changed rule starts afresh.
    this.unsubscribe = services.settings.subscribe(() => {
      void Promise.resolve(services.rateLimiter.reset()).catch(() => undefined);
    });
  }

  close(): void {
    this.unsubscribe();
  }

  /**
   * The superuser IP allowlist, then the rate limits; calls `done` with the refusal, if any.
   * With rate limits off (the default) a guest's or user's request costs one settings read.
   */
  admit(request: FastifyRequest, done: Done): void {
    const settings = this.services.settings.get();
    const { principal } = request.ctx;
    if (principal.kind === 'superuser') {
      // PocketBase refuses a superuser token from elsewhere on every request, not only at sign-in.
      if (settings.superuserIPs.length && !this.matchersFor(settings).superusers(request.ctx.realIp)) return done(forbidden());
      // Superusers are never rate limited.
      return done();
    }
    if (!settings.rateLimits.enabled) return done();
    this.limit(request, settings, done);
  }

  private limit(request: FastifyRequest, settings: Settings, done: Done): void {
    const config = request.routeOptions.config?.rateLimit;
    if (config === false) return done();
    const ip = request.ctx.realIp;
    // PocketBase lets a request without a client address through (it cannot be counted).
    if (!ip || this.matchersFor(settings).excluded(ip)) return done();
    const { rules } = settings.rateLimits;
    const audiences = request.ctx.principal.kind === 'guest' ? GUEST_AUDIENCES : AUTH_AUDIENCES;
    const path = pathOf(request.url);
    let rule: RateLimitRule | undefined;
    let limiterId: string;
    if (config) {
      const ref = (request.params as Record<string, string | undefined>)[config.collectionParam ?? 'collection'];
      const collection = ref ? this.services.schema.find(ref) : undefined;
      // An unknown collection is the route's 404, and a write to a view its 400, before counting.
      if (!collection || (config.refusesViews && collection.type === 'view')) return done();
      rule = findRateLimitRule(rules, rateLimitLabels(request.method, path, collection.name, config.tags), audiences);
      // One counter per collection and route, whichever rule matched (PocketBase's limiter id).
      limiterId = `${collection.id} ${request.method} ${request.routeOptions.url ?? ''} ${config.tags.join(',')}`;
    } else {
      rule = findRateLimitRule(rules, rateLimitLabels(request.method, path), audiences);
      limiterId = rule?.label ?? '';
    }
    if (!rule) return done();
    const hit = this.services.rateLimiter.hit(`${limiterId}${rule.audience}\n${ip}`, rule.maxRequests, rule.duration * 1000);
    if (hit instanceof Promise) hit.then((h) => done(h.allowed ? undefined : tooManyRequests()), done);
    else done(hit.allowed ? undefined : tooManyRequests());
  }

  private matchersFor(settings: Settings): Matchers {
    if (this.matchers?.settings !== settings) {
      this.matchers = {
        settings,
        superusers: ipListMatcher(settings.superuserIPs),
        excluded: ipListMatcher(settings.rateLimits.excludedIPs),
      };
    }
    return this.matchers;
  }
}
