import type { Logger } from '../kernel/logger.ts';
import type { Collection } from '../db/schema.ts';

/** Who is making a request. Records are the raw decoded rows, hidden fields included. */
export type Principal =
  | { readonly kind: 'guest' }
  | { readonly kind: 'superuser' | 'record'; readonly collection: Collection; readonly record: Record<string, unknown> };

/** What a service needs to know about the caller; built once per request by the HTTP layer. */
export interface RequestContext {
  readonly requestId: string;
  readonly principal: Principal;
  readonly method: string;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly logger: Logger;
  /**
   * The client's address (PocketBase's RealIP: a trusted proxy header when configured, else the
   * socket's); '' outside HTTP (CLI, Baton's own writes), where there is no client.
   */
  readonly realIp: string;
}

export const GUEST: Principal = Object.freeze({ kind: 'guest' });

export const isSuperuser = (ctx: RequestContext): boolean => ctx.principal.kind === 'superuser';

/**
 * The same request seen as `principal` (e.g. the account a sign-in is for). Contexts may be class
 * instances with lazy getters, so never copy one with a spread: that drops them.
 */
export function withPrincipal(ctx: RequestContext, principal: Principal): RequestContext {
  return {
    requestId: ctx.requestId,
    principal,
    method: ctx.method,
    get headers() {
      return ctx.headers;
    },
    query: ctx.query,
    logger: ctx.logger,
    get realIp() {
      return ctx.realIp;
    },
  };
}

/** A context for code paths that run outside HTTP (CLI, migrations, tests) with full rights. */
export function systemContext(logger: Logger, principal: Principal = GUEST): RequestContext {
  return { requestId: 'system', principal, method: 'GET', headers: {}, query: {}, logger, realIp: '' };
}

/** Baton's own writes on behalf of a request (as `principal`, usually a superuser), logged under its id. */
export function systemContextFor(ctx: RequestContext, principal: Principal): RequestContext {
  return { ...systemContext(ctx.logger, principal), requestId: ctx.requestId };
}
