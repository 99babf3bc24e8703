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
}

export const GUEST: Principal = Object.freeze({ kind: 'guest' });

export const isSuperuser = (ctx: RequestContext): boolean => ctx.principal.kind === 'superuser';

/** A context for code paths that run outside HTTP (CLI, migrations, tests) with full rights. */
export function systemContext(logger: Logger, principal: Principal = GUEST): RequestContext {
  return { requestId: 'system', principal, method: 'GET', headers: {}, query: {}, logger };
}
