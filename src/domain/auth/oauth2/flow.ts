/**
 * `auth-with-oauth2` up to the sign-in: the provider's code for its account, then the auth record
 * it stands for (an existing link, the signed-in requester, an account with the same verified
 * email, or a new record from `createData`), with PocketBase's guards against accounts
 * registered before their owner (apis/record_auth_with_oauth2.go). The sign-in itself (authRule,
 * MFA, origins, token) is AuthService's, as for every method.
 */
import type { Executor } from '../../../db/dialect.ts';
import type { Collection } from '../../../db/schema.ts';
import { ident, sql } from '../../../db/sql.ts';
import { ApiError, badRequest, fieldError, forbidden, isApiError, notFound, type ErrorData } from '../../../kernel/errors.ts';
import type { Logger } from '../../../kernel/logger.ts';
import { systemContextFor, type Principal, type RequestContext } from '../../context.ts';
import { SUPERUSERS } from '../../../db/schema.ts';
import { validatePlainText } from '../../collections/fields/text.ts';
import type { RecordData } from '../../records/codec.ts';
import type { RecordService } from '../../records/service.ts';
import { identityMatch, uniqueIndexOn } from '../identity.ts';
import { selectFrom } from '../../records/query.ts';
import { createOAuth2Provider } from './providers.ts';
import { OAuth2ProviderError, type OAuth2Provider, type OAuth2ProviderConfig, type OAuth2User } from './types.ts';

/** The body of `auth-with-oauth2`. */
export interface OAuth2Login {
  provider?: unknown;
  code?: unknown;
  codeVerifier?: unknown;
  redirectURL?: unknown;
  /** PocketBase's pre-0.23 spelling, still read when `redirectURL` is absent. */
  redirectUrl?: unknown;
  createData?: unknown;
  mfaId?: unknown;
}

/** The collection's `oauth2` options, as PocketBase stores them. */
export interface OAuth2Options {
  enabled: boolean;
  providers: OAuth2ProviderConfig[];
  mappedFields: { id: string; name: string; username: string; avatarURL: string };
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

export function oauth2Options(collection: Collection): OAuth2Options {
  const o = (collection.options.oauth2 ?? {}) as Partial<Record<keyof OAuth2Options, unknown>>;
  const mapped = (o.mappedFields ?? {}) as Record<string, unknown>;
  return {
    enabled: o.enabled === true,
    providers: (Array.isArray(o.providers) ? o.providers : []).map((p) => providerConfig(p as Record<string, unknown>)),
    mappedFields: { id: text(mapped.id), name: text(mapped.name), username: text(mapped.username), avatarURL: text(mapped.avatarURL) },
  };
}

function providerConfig(p: Record<string, unknown>): OAuth2ProviderConfig {
  return {
    name: text(p.name),
    clientId: text(p.clientId),
    clientSecret: text(p.clientSecret),
    authURL: text(p.authURL),
    tokenURL: text(p.tokenURL),
    userInfoURL: text(p.userInfoURL),
    displayName: text(p.displayName),
    pkce: typeof p.pkce === 'boolean' ? p.pkce : null,
    extra: p.extra && typeof p.extra === 'object' && !Array.isArray(p.extra) ? (p.extra as Record<string, unknown>) : null,
  };
}

/** What the provider's code came to: the record to sign in, the provider's account, and whether the record is new. */
export interface OAuth2Account {
  record: RecordData;
  user: OAuth2User;
  isNew: boolean;
}

export interface OAuth2FlowDeps {
  db: Executor;
  records: RecordService;
  /** Baton acting as a superuser, for its own writes (links, verified upgrades). */
  system: () => Principal;
  findById: (collection: Collection, id: string) => Promise<RecordData | undefined>;
  /** The record with this email, as password sign-in finds it (NOCASE when the index is). */
  findByEmail: (collection: Collection, email: string) => Promise<RecordData | undefined>;
  /** Sets up a provider from its entry (tests may point it elsewhere). */
  providers?: (config: OAuth2ProviderConfig) => OAuth2Provider;
  /** Apple's user names, kept by the popup flow's redirect under their code (realtime's OAuth2RedirectNames). */
  redirectNames?: { take(code: string): string | undefined };
  /** The whole exchange with the provider, every request included (PocketBase: 30 s). */
  exchangeTimeoutMs?: number;
  logger: Logger;
}

const EXTERNAL_AUTHS = '_externalAuths';
const LOAD_FAILED = 'An error occurred while loading the submitted data.';
const EXCHANGE_TIMEOUT_MS = 30_000;

export class OAuth2Flow {
  constructor(private readonly deps: OAuth2FlowDeps) {}

  /** Sets up a provider from a collection's entry (a broken entry throws). */
  provider(config: OAuth2ProviderConfig): OAuth2Provider {
    return (this.deps.providers ?? createOAuth2Provider)(config);
  }

  /** The provider's entry the login names, checked as PocketBase's form checks it. */
  private parse(options: OAuth2Options, login: OAuth2Login) {
    const createData = login.createData;
    if (createData !== undefined && createData !== null && (typeof createData !== 'object' || Array.isArray(createData))) {
      throw badRequest(LOAD_FAILED);
    }
    const name = text(login.provider);
    const code = text(login.code);
    const errors: ErrorData = {};
    const config = options.providers.find((p) => p.name === name);
    if (name === '') errors.provider = fieldError('validation_required', 'Cannot be blank.');
    else if (name.length > 100) errors.provider = fieldError('validation_length_out_of_range', 'The length must be between 0 and 100.');
    else if (!config) {
      errors.provider = fieldError('validation_invalid_provider', `Provider with name ${name} is missing or is not enabled.`, { name });
    }
    if (code === '') errors.code = fieldError('validation_required', 'Cannot be blank.');
    if (Object.keys(errors).length) throw badRequest(LOAD_FAILED, errors);
    return {
      config: config!,
      code,
      codeVerifier: text(login.codeVerifier),
      redirectURL: text(login.redirectURL) || text(login.redirectUrl),
      createData: { ...((createData ?? {}) as Record<string, unknown>) },
    };
  }

  async account(ctx: RequestContext, collection: Collection, login: OAuth2Login): Promise<OAuth2Account> {
    const options = oauth2Options(collection);
    if (!options.enabled) throw forbidden('The collection is not configured to allow OAuth2 authentication.');
    const form = this.parse(options, login);
    const user = await this.fetchUser(ctx, form.config, form);
    // Apple names the user only in its first redirect (form_post), which the popup flow kept.
    if (form.config.name === 'apple' && !user.name) user.name = this.deps.redirectNames?.take(form.code) ?? '';

    const linked = await this.findLink(collection, form.config.name, user.id);
    let record: RecordData | undefined;
    const p = ctx.principal;
    if (linked) {
      record = await this.deps.findById(collection, linked.recordRef);
      // A link to a record that no longer exists is PocketBase's 404 from its record lookup.
      if (!record) throw notFound();
    } else if (p.kind !== 'guest' && p.collection.id === collection.id) {
      record = p.record;
    } else if (user.email) {
      record = await this.deps.findByEmail(collection, user.email);
    }

    try {
      if (!record) return { record: await this.register(ctx, collection, options, user, form), user, isNew: true };
      const { record: current, linksDropped } = await this.claim(ctx, collection, record, user);
      // A concurrent sign-in of the same account may have made the link meanwhile: the unique
      // index refuses the second, and that sign-in fails ("Failed to authenticate."); a retry finds it.
      if (!linked || linksDropped) await this.link(ctx, collection, current, form.config.name, user.id);
      return { record: current, user, isNew: false };
    } catch (e) {
      // The new record's own errors (createData invalid, the createRule) are the client's answer
      // as they are; anything else is PocketBase's generic one, and the operator's log.
      if (isApiError(e)) throw e;
      ctx.logger.warn({ err: e, collection: collection.name }, 'OAuth2 sign-in failed');
      throw badRequest('Failed to authenticate.');
    }
  }

  /** The code for the provider's account, within the exchange's deadline. */
  private async fetchUser(ctx: RequestContext, config: OAuth2ProviderConfig, form: { code: string; codeVerifier: string; redirectURL: string }) {
    let provider: OAuth2Provider;
    try {
      provider = this.provider(config);
    } catch (e) {
      ctx.logger.error({ err: e, provider: config.name }, 'OAuth2 provider setup failed');
      throw new ApiError(500, `Failed to init provider ${config.name}`);
    }
    try {
      return await provider.exchange({
        code: form.code,
        codeVerifier: form.codeVerifier,
        redirectURL: form.redirectURL,
        signal: AbortSignal.timeout(this.deps.exchangeTimeoutMs ?? EXCHANGE_TIMEOUT_MS),
      });
    } catch (e) {
      // The provider's reason (a bad code, an expired token) is for the operator's log only.
      ctx.logger.debug({ err: e, provider: config.name }, 'OAuth2 exchange failed');
      if (e instanceof OAuth2ProviderError && e.stage === 'user') throw badRequest('Failed to fetch OAuth2 user.');
      throw badRequest('Failed to fetch OAuth2 token.');
    }
  }

  private async findLink(collection: Collection, provider: string, providerId: string) {
    return this.deps.db.get<{ id: string; recordRef: string }>(
      sql`SELECT ${ident('id')}, ${ident('recordRef')} FROM ${ident(EXTERNAL_AUTHS)} WHERE ${ident('collectionRef')} = ${collection.id} AND ${ident('provider')} = ${provider} AND ${ident('providerId')} = ${providerId} LIMIT 1`,
      { id: 'text', recordRef: 'text' },
    );
  }

  /**
   * A new record from `createData` and the provider's account, created as the requester would
   * create it (the createRule sees `@request.context` "oauth2"), with a random password unless
   * one was sent. Verified when its email is the provider's (verified) one.
   */
  private async register(
    ctx: RequestContext,
    collection: Collection,
    options: OAuth2Options,
    user: OAuth2User,
    form: { config: OAuth2ProviderConfig; createData: Record<string, unknown> },
  ): Promise<RecordData> {
    // Superusers are never created from outside, whatever rule a hook might open.
    if (collection.name === SUPERUSERS) throw new Error('superusers cannot sign up with OAuth2');
    const body = { ...form.createData };
    if (typeof body.email !== 'string' || body.email === '') body.email = user.email;
    const mapped = options.mappedFields;
    // Only what createData itself holds counts as sent (never a name such as `constructor`).
    const sent = (name: string) => Object.hasOwn(body, name);
    if (mapped.id && !sent(mapped.id)) body[mapped.id] = user.id;
    if (mapped.name && !sent(mapped.name)) body[mapped.name] = user.name;
    if (mapped.username && !sent(mapped.username) && (await this.usernameFree(collection, mapped.username, user.username))) {
      body[mapped.username] = user.username;
    }
    if (mapped.avatarURL && !sent(mapped.avatarURL) && user.avatarURL) {
      const field = collection.fields.find((f) => f.name === mapped.avatarURL);
      // PocketBase downloads the image into a file field (guarding against internal addresses);
      // Baton does not download it yet, so such a field stays empty.
      if (field?.type === 'file') ctx.logger.info({ collection: collection.name }, 'OAuth2 avatar not stored: avatars are not downloaded into file fields yet');
      else if (field) body[mapped.avatarURL] = user.avatarURL;
    }
    // A random password unless createData sets one, exempt from the field's own checks (PocketBase's).
    const input = { body, source: 'json' as const, randomPassword: true };
    const created = await this.deps.records.create(ctx, collection.id, input, { requestContext: 'oauth2' });
    const id = String(created.id);
    // PocketBase creates, verifies and links in one transaction; here a failure after the
    // create deletes the record again, so a failed sign-in leaves nothing behind.
    try {
      const record = await this.deps.findById(collection, id);
      if (!record) throw new Error('the new OAuth2 record vanished');
      if (record.email === user.email && record.verified !== true) await this.saveAsSystem(ctx, collection, id, { verified: true });
      await this.link(ctx, collection, record, form.config.name, user.id);
      return (await this.deps.findById(collection, id)) ?? record;
    } catch (e) {
      await this.deps.records.delete(this.systemContext(ctx), collection.id, id).catch((err: unknown) => {
        ctx.logger.error({ err, collection: collection.name, id }, 'a failed OAuth2 sign-up left its record');
      });
      throw e;
    }
  }

  /**
   * PocketBase's `oldCanAssignUsername`: the provider's username goes into the mapped field only
   * when the field takes it (a text field's length and pattern) and nobody has it yet.
   */
  private async usernameFree(collection: Collection, fieldName: string, username: string): Promise<boolean> {
    const field = collection.fields.find((f) => f.name === fieldName);
    if (!field) return false;
    if (field.type === 'text' && validatePlainText(field, username)) return false;
    const index = uniqueIndexOn(collection, field.name);
    if (!index) return true;
    const { db } = this.deps;
    return !(await db.get(sql`${selectFrom(collection, identityMatch(db.dialect, collection, index, username))} LIMIT 1`));
  }

  /**
   * An existing record signing in through a provider. One not verified yet may have been
   * registered by someone other than the address's owner: its password is replaced (unless it is
   * the requester's own) and its other links dropped, so only this provider's account keeps a
   * way in. An empty email takes the provider's; a matching (or empty) one becomes verified.
   * The record is saved first: should that fail, nothing has changed; the links go after it.
   */
  private async claim(ctx: RequestContext, collection: Collection, record: RecordData, user: OAuth2User) {
    const p = ctx.principal;
    const own = p.kind !== 'guest' && p.collection.id === collection.id && String(p.record.id) === String(record.id);
    const id = String(record.id);
    const change: Record<string, unknown> = {};
    const linksDropped = record.verified !== true;
    const email = String(record.email ?? '');
    if (email === '' && user.email) change.email = user.email;
    const nextEmail = (change.email as string | undefined) ?? email;
    if (record.verified !== true && (nextEmail === '' || nextEmail === user.email)) change.verified = true;
    const newPassword = linksDropped && !own;
    if (Object.keys(change).length > 0 || newPassword) await this.saveAsSystem(ctx, collection, id, change, newPassword);
    if (linksDropped) {
      await this.deps.db.run(
        sql`DELETE FROM ${ident(EXTERNAL_AUTHS)} WHERE ${ident('collectionRef')} = ${collection.id} AND ${ident('recordRef')} = ${id}`,
      );
    }
    const current = Object.keys(change).length > 0 || newPassword ? await this.deps.findById(collection, id) : record;
    return { record: current ?? record, linksDropped };
  }

  /** Links the record to the provider's account. */
  private async link(ctx: RequestContext, collection: Collection, record: RecordData, provider: string, providerId: string) {
    await this.asBaton(() => this.deps.records.create(this.systemContext(ctx), EXTERNAL_AUTHS, {
      body: { collectionRef: collection.id, recordRef: String(record.id), provider, providerId },
      source: 'json',
    }));
  }

  private async saveAsSystem(ctx: RequestContext, collection: Collection, id: string, body: Record<string, unknown>, randomPassword = false) {
    await this.asBaton(() => this.deps.records.update(this.systemContext(ctx), collection.id, id, { body, source: 'json', randomPassword }));
  }

  /**
   * Baton's own writes: their validation errors are not the client's (PocketBase saves them
   * directly and answers "Failed to authenticate."), so they lose their API shape.
   */
  private async asBaton(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (e) {
      throw isApiError(e) ? new Error(`${e.message} ${JSON.stringify(e.data)}`, { cause: e }) : e;
    }
  }

  private systemContext(ctx: RequestContext): RequestContext {
    return systemContextFor(ctx, this.deps.system());
  }
}
