/**
 * The redirect of the SDK's popup OAuth2 flow (PocketBase's apis/record_auth_with_oauth2_redirect.go):
 * the app's realtime client subscribes to `@oauth2` and puts its client id in the provider's
 * `state`; the provider sends the browser to /api/oauth2-redirect with that state and a code, and
 * the code goes to the client as an `@oauth2` event, which then signs in with auth-with-oauth2.
 */
import { goTrimSpace } from '../records/go-text.ts';
import type { RequestContext } from '../context.ts';
import type { Logger } from '../../kernel/logger.ts';
import type { RealtimeService } from './service.ts';

export const OAUTH2_TOPIC = '@oauth2';

/** What the provider sent back; Apple alone adds `user`, a JSON document with the user's name. */
export interface OAuth2RedirectData {
  state: string;
  code: string;
  error: string;
  user: string;
}

const NAME_TTL_MS = 60_000;
/** Bounds the memory a flood of redirects can take; a name older than 1 minute is gone anyway. */
const MAX_NAMES = 10_000;
const MAX_NAME_BYTES = 150;
/** PocketBase refuses a store key longer than 1,000 bytes, its prefix `@redirect_name_` included. */
const MAX_CODE_BYTES = 1000 - '@redirect_name_'.length;

/**
 * Apple sends the user's name only with the first redirect, and has no userinfo endpoint: as in
 * PocketBase, the redirect keeps the name for one minute under the code, and auth-with-oauth2
 * takes it (once) for an Apple account without a name. In memory: one process, as PocketBase's store.
 */
export class OAuth2RedirectNames {
  private readonly names = new Map<string, { name: string; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The name kept for this code, removed as it is read. */
  take(code: string): string | undefined {
    const entry = this.names.get(code);
    if (!entry) return undefined;
    this.names.delete(code);
    return entry.expires > this.now() ? entry.name : undefined;
  }

  /**
   * Keeps the name in Apple's `user` document (`{"name":{"firstName","lastName"}}`), read as Go's
   * decoder reads it: any value of the wrong type drops the whole document.
   */
  remember(code: string, user: string): void {
    if (Buffer.byteLength(code) > MAX_CODE_BYTES) return;
    const name = appleName(user);
    if (!name) return;
    const now = this.now();
    for (const [k, v] of this.names) {
      if (v.expires > now && this.names.size < MAX_NAMES) break;
      this.names.delete(k);
    }
    this.names.delete(code);
    this.names.set(code, { name, expires: now + NAME_TTL_MS });
  }
}

type Json = Record<string, unknown>;

/** The value of `key` matched as Go's decoder matches struct fields: case-insensitively, last wins. */
function field(object: Json, key: string): unknown {
  let found: unknown;
  for (const [k, v] of Object.entries(object)) if (k.toLowerCase() === key) found = v;
  return found;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function appleName(user: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(user);
  } catch {
    return undefined;
  }
  if (doc === null) return undefined;
  if (!isObject(doc)) return undefined;
  const name = field(doc, 'name');
  if (name !== null && name !== undefined && !isObject(name)) return undefined;
  const part = (key: string): string | undefined => {
    const v = name ? field(name, key) : undefined;
    return v === null || v === undefined ? '' : typeof v === 'string' ? v : undefined;
  };
  const first = part('firstname');
  const last = part('lastname');
  if (first === undefined || last === undefined) return undefined;
  let full = `${first} ${last}`;
  // Cut at 150 bytes, as PocketBase does (a character cut in two reads as U+FFFD, as Go's JSON writes it).
  const bytes = Buffer.from(full, 'utf8');
  if (bytes.length > MAX_NAME_BYTES) full = bytes.subarray(0, MAX_NAME_BYTES).toString('utf8');
  return goTrimSpace(full) || undefined;
}

export interface OAuth2RedirectDeps {
  realtime: RealtimeService;
  names: OAuth2RedirectNames;
  logger: Logger;
}

export class OAuth2RedirectService {
  constructor(private readonly deps: OAuth2RedirectDeps) {}

  /** Apple's remembered names, for auth-with-oauth2. */
  get names(): OAuth2RedirectNames {
    return this.deps.names;
  }

  /**
   * Hands the provider's answer to the client whose id is the state, when that client is
   * subscribed to `@oauth2` and the redirect comes from its address, and ends that subscription.
   * True when the sign-in can go on (a code and no error): the page then says so.
   */
  complete(ctx: RequestContext, data: OAuth2RedirectData): boolean {
    const { realtime, logger } = this.deps;
    if (data.state === '') {
      logger.debug('OAuth2 redirect without a state');
      return false;
    }
    const client = realtime.client(data.state);
    if (!client || client.discarded || !client.subscriptions.has(OAUTH2_TOPIC)) {
      logger.debug('OAuth2 redirect for a missing client or one not subscribed to @oauth2');
      return false;
    }
    try {
      // Against cross-site requests completing someone else's sign-in: the browser that opened
      // the flow, i.e. the client's own address, must be the one redirected here.
      if (client.ip !== '' && client.ip !== ctx.realIp) {
        logger.debug('OAuth2 redirect from another address than the realtime client\'s');
        return false;
      }
      if (data.user !== '' && data.error === '' && data.code !== '') this.deps.names.remember(data.code, data.user);
      // Go's struct order, `error` left out when empty.
      const event: Record<string, string> = { state: data.state, code: data.code };
      if (data.error !== '') event.error = data.error;
      client.send(OAUTH2_TOPIC, JSON.stringify(event));
      return data.error === '' && data.code !== '';
    } finally {
      realtime.unsubscribe(client, OAUTH2_TOPIC);
    }
  }
}
