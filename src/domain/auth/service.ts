import type { Executor } from '../../db/dialect.ts';
import { ident, sql } from '../../db/sql.ts';
import { badRequest, fieldError, forbidden, notFound, unauthorized, type ErrorData } from '../../kernel/errors.ts';
import { SUPERUSERS, type Collection, type SchemaLookup } from '../../db/schema.ts';
import type { RequestInfo } from '../../filter/index.ts';
import { GUEST, isSuperuser, systemContextFor, type Principal, type RequestContext, withPrincipal } from '../context.ts';
import { randomAlphanumeric } from '../../kernel/ids.ts';
import type { RecordService } from '../records/service.ts';
import { and, requestInfoOf, ruleCondition } from '../records/access.ts';
import { decodeRow, rowShape, type RecordData } from '../records/codec.ts';
import { selectFrom } from '../records/query.ts';
import { exportRecord } from '../records/export.ts';
import { expandBudget, expandRecords, parseExpand } from '../records/expand.ts';
import { DEFAULT_RESPONSE_LIMITS, type ResponseLimits } from '../records/limits.ts';
import type { Mailer } from '../../infra/mailer.ts';
import { silentLogger, type Logger } from '../../kernel/logger.ts';
import type { AppMeta } from './email-templates.ts';
import { readInteger, readStrings } from './body.ts';
import { identityMatch, uniqueIndexOn } from './identity.ts';
import { type AuthMethod, MfaSessions, mfaOptions, type MfaRequired } from './mfa.ts';
import { OtpService, otpOptions } from './otp.ts';
import { AuthOrigins } from './auth-origins.ts';
import { OAuth2Flow, type OAuth2Login, oauth2Options } from './oauth2/flow.ts';
import type { OAuth2Provider, OAuth2ProviderConfig, OAuth2User } from './oauth2/types.ts';
import { createHash } from 'node:crypto';
import { type PasswordAlgorithm, verifyPassword } from './passwords.ts';
import { unknownIdentityCost } from './unknown-identity.ts';
import { FailedSignIns } from './failed-sign-ins.ts';
import { ipListMatcher } from '../settings/network.ts';
import { isRefreshable, parseTokenClaims, signAuthToken, TokenType, verifyAuthToken } from './tokens.ts';

const EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export interface AuthResponse {
  record: Record<string, unknown>;
  token: string;
  /** OAuth2 sign-ins: the provider's account (PocketBase's `meta`). */
  meta?: Record<string, unknown>;
}

export interface AuthServiceDeps {
  db: Executor;
  schema: SchemaLookup;
  /** Bounds on one response, as for record responses (DEFAULT_RESPONSE_LIMITS when absent). */
  limits?: ResponseLimits;
  /** Baton's own writes of system records (`_mfas` …) go through the record service. */
  records: RecordService;
  /** How new passwords are hashed (Config.passwordHash): the cost an unknown identity pays follows it. */
  passwordHash?: PasswordAlgorithm;
  /** `settings.superuserIPs` as they are now: a superuser signs in only from these (none: anywhere). */
  superuserIPs?: () => readonly string[];
  /** Mails OTP codes (absent: request-otp cannot mail, e.g. in CLI commands). */
  mailer?: Mailer;
  /** `settings.meta` as it is now, for the OTP mail's placeholders. */
  appMeta?: () => AppMeta | Promise<AppMeta>;
  logger?: Logger;
  /** Failed password sign-ins per identity (its own memory store unless given). */
  failedSignIns?: FailedSignIns;
  /** Apple's user names the popup flow's redirect kept (realtime), for auth-with-oauth2. */
  oauth2RedirectNames?: { take(code: string): string | undefined };
  /** Sets up an OAuth2 provider from a collection's entry (createOAuth2Provider unless given). */
  oauth2Providers?: (config: OAuth2ProviderConfig) => OAuth2Provider;
}

/** One provider of `auth-methods`: where the client sends the user, with the state and PKCE pair it keeps. */
export interface AuthMethodProvider {
  name: string;
  displayName: string;
  logo: string;
  state: string;
  authURL: string;
  /** PocketBase's pre-0.23 spelling of authURL. */
  authUrl: string;
  codeVerifier: string;
  codeChallenge: string;
  codeChallengeMethod: string;
}

export type { MfaRequired } from './mfa.ts';

/** The answer of `auth-methods`, in PocketBase's shape. */
export interface AuthMethods {
  password: { identityFields: string[]; enabled: boolean };
  oauth2: { providers: AuthMethodProvider[]; enabled: boolean };
  mfa: { enabled: boolean; duration: number };
  otp: { enabled: boolean; duration: number };
  authProviders: AuthMethodProvider[] | null;
  usernamePassword: boolean;
  emailPassword: boolean;
}

/** A sign-in's answer is the MFA session to complete rather than a token. */
export const isMfaRequired = (r: AuthResponse | MfaRequired): r is MfaRequired => 'mfaId' in r;

/** Query options of an auth response, as for record responses. */
export interface AuthResponseOptions {
  expand?: string;
}

export interface PasswordLogin {
  identity?: unknown;
  password?: unknown;
  identityField?: unknown;
  /** The MFA session a second method completes (PocketBase also reads `?mfaId=`). */
  mfaId?: unknown;
}

/** The body of a sign-in, as `@request.body` sees it. */
function loginBody(login: PasswordLogin): Record<string, unknown> {
  return { ...login } as Record<string, unknown>;
}

/** The MFA session id: the query's `mfaId` first, then the body's, as in PocketBase. */
function mfaIdOf(ctx: RequestContext, login: { mfaId?: unknown }): string {
  const fromQuery = ctx.query.mfaId;
  if (fromQuery) return fromQuery;
  return typeof login.mfaId === 'string' ? login.mfaId : '';
}

/** Token verification and password login. The full auth API (OTP, OAuth2, MFA …) builds on this. */
export class AuthService {
  private readonly mfa: MfaSessions;
  /** One-time passwords (request-otp, auth-with-otp, `baton superuser otp`). */
  readonly otp: OtpService;
  private readonly origins: AuthOrigins;
  private readonly oauth2: OAuth2Flow;
  private readonly failures: FailedSignIns;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly deps: AuthServiceDeps) {
    const system = () => this.systemPrincipal();
    this.mfa = new MfaSessions({ db: deps.db, records: deps.records, system });
    this.otp = new OtpService({ db: deps.db, records: deps.records, mailer: deps.mailer, appMeta: deps.appMeta, logger: deps.logger ?? silentLogger, system });
    this.origins = new AuthOrigins({ db: deps.db, records: deps.records, mailer: deps.mailer, appMeta: deps.appMeta, system });
    this.failures = deps.failedSignIns ?? new FailedSignIns();
    this.oauth2 = new OAuth2Flow({
      db: deps.db,
      records: deps.records,
      system,
      findById: (c, id) => this.findById(c, id),
      findByEmail: (c, email) => this.findByIdentity(c, email, ['email']),
      providers: deps.oauth2Providers,
      redirectNames: deps.oauth2RedirectNames,
      logger: deps.logger ?? silentLogger,
    });
  }

  /**
   * Deletes the OTPs and MFA sessions past their collection's duration, in every auth collection
   * (PocketBase runs this hourly; `baton serve` does too). New ones also clear their collection's.
   */
  async dropExpired(): Promise<void> {
    for (const collection of this.deps.schema.all()) {
      if (collection.type !== 'auth') continue;
      await this.otp.dropExpired(collection, otpOptions(collection).duration);
      await this.mfa.dropExpired(collection, mfaOptions(collection).duration);
    }
  }

  /** Runs `dropExpired` every `intervalMs` on an unref'd timer (`baton serve`: hourly, as PocketBase). */
  startCleanup(intervalMs: number): void {
    const logger = this.deps.logger ?? silentLogger;
    this.sweeper ??= setInterval(() => {
      this.dropExpired().catch((e: unknown) => logger.warn({ err: e }, 'expired OTPs and MFA sessions not cleaned up'));
    }, intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Resolves once the mails under way (OTP codes, sign-in alerts) are out or failed. */
  async idle(): Promise<void> {
    await Promise.all([this.otp.idle(), this.origins.idle()]);
  }

  /** Baton acting as a superuser, for its own writes of system records. */
  private systemPrincipal(): Principal {
    const collection = this.deps.schema.find(SUPERUSERS);
    if (!collection) throw new Error('the _superusers collection is missing');
    return { kind: 'superuser', collection, record: {} };
  }

  /** The principal behind an auth token; any invalid or expired token makes a guest, as in PocketBase. */
  async authenticate(token: string): Promise<Principal> {
    const claims = parseTokenClaims(token);
    if (!claims || claims.type !== TokenType.auth) return GUEST;
    const collection = this.deps.schema.find(claims.collectionId);
    if (!collection || collection.type !== 'auth' || collection.id !== claims.collectionId) return GUEST;
    const record = await this.findById(collection, claims.id);
    if (!record) return GUEST;
    const verified = await verifyAuthToken(token, record, collection);
    if (!verified) return GUEST;
    return { kind: collection.name === SUPERUSERS ? 'superuser' : 'record', collection, record };
  }

  /** PocketBase's 404s: an unknown collection, then one that is not an auth collection. */
  private authCollection(ref: string, unknown = 'Missing or invalid collection context.'): Collection {
    const c = this.deps.schema.find(ref);
    if (!c) throw notFound(unknown);
    if (c.type !== 'auth') throw notFound('Missing or invalid auth collection context.');
    return c;
  }

  private async findById(collection: Collection, id: string): Promise<RecordData | undefined> {
    const row = await this.deps.db.get(sql`SELECT * FROM ${ident(collection.name)} WHERE ${ident('id')} = ${id}`, rowShape(collection));
    return row ? decodeRow(collection, row) : undefined;
  }

  /**
   * The record `identity` names in one of the collection's identity fields: email first (when the
   * identity looks like one), then the others in their order, or only `identityField`. As in
   * PocketBase, only a field with a single-column UNIQUE index identifies a record, compared
   * case-insensitively when that index is NOCASE.
   */
  private async findByIdentity(collection: Collection, identity: string, fields: readonly string[]): Promise<RecordData | undefined> {
    const { db } = this.deps;
    for (const field of fields) {
      if (field === 'email' && !EMAIL_RE.test(identity)) continue;
      const index = uniqueIndexOn(collection, field);
      if (!index) continue;
      const match = identityMatch(db.dialect, collection, index, identity);
      const row = await db.get(sql`${selectFrom(collection, match)} LIMIT 1`, rowShape(collection));
      if (row) return decodeRow(collection, row);
    }
    return undefined;
  }

  /**
   * `auth-with-password`. The answer is a token, or, for a collection with MFA that asks it of
   * this record, the id of the MFA session its second method must present (`MfaRequired`).
   */
  async authWithPassword(
    ctx: RequestContext,
    ref: string,
    login: PasswordLogin,
    options: AuthResponseOptions = {},
  ): Promise<AuthResponse | MfaRequired> {
    const collection = this.authCollection(ref);
    const passwordAuth = (collection.options.passwordAuth ?? {}) as { enabled?: boolean; identityFields?: string[] };
    if (!passwordAuth.enabled) throw forbidden('The collection is not configured to allow password authentication.');
    const identityFields = passwordAuth.identityFields?.length ? passwordAuth.identityFields : ['email'];
    const { identity, password, identityField } = readStrings(login as Record<string, unknown>, ['identity', 'password', 'identityField']);
    const errors: ErrorData = {};
    if (identity.length < 1 || identity.length > 255) errors.identity = fieldError('validation_required', 'Cannot be blank.');
    if (password.length < 1 || password.length > 255) errors.password = fieldError('validation_required', 'Cannot be blank.');
    if (identityField && !identityFields.includes(identityField)) {
      errors.identityField = fieldError('validation_in_invalid', 'Must be a valid value.');
    }
    if (Object.keys(errors).length) throw badRequest('An error occurred while validating the submitted data.', errors);

    this.failures.assertAllowed(collection.id, identity);
    const candidates = identityField ? [identityField] : [...identityFields].sort((a, b) => (a === 'email' ? -1 : b === 'email' ? 1 : 0));
    const record = await this.findByIdentity(collection, identity, candidates);
    // Unknown identities (and accounts without a password) pay for a check costed like the
    // collection's real hashes, so timing does not reveal who has an account.
    const hash = record ? String(record.password ?? '') : '';
    const ok = await verifyPassword(password, hash, hash ? undefined : await unknownIdentityCost(this.deps.db, collection, this.deps.passwordHash));
    if (!record || !ok) {
      await this.failures.failed(collection.id, identity);
      throw badRequest('Failed to authenticate.');
    }
    const info = requestInfoOf(ctx, loginBody(login), 'password');
    return this.signIn(ctx, collection, record, 'password', info, mfaIdOf(ctx, login), options);
  }

  /**
   * `auth-with-oauth2`: the provider's code signs in the record linked to its account (or the
   * one with its verified email, or a new one from `createData`); the answer carries the
   * provider's account as `meta`, with `isNew`.
   */
  async authWithOAuth2(ctx: RequestContext, ref: string, login: OAuth2Login, options: AuthResponseOptions = {}): Promise<AuthResponse | MfaRequired> {
    const collection = this.authCollection(ref);
    const { record, user, isNew } = await this.oauth2.account(ctx, collection, login);
    const info = requestInfoOf(ctx, { ...login } as Record<string, unknown>, 'oauth2');
    const result = await this.signIn(ctx, collection, record, 'oauth2', info, mfaIdOf(ctx, login), options);
    return isMfaRequired(result) ? result : { ...result, meta: oauth2Meta(user, isNew) };
  }

  /**
   * `impersonate/{id}` (superusers only): a token of the record that `auth-refresh` will not
   * renew, living `duration` seconds (0: the collection's auth token duration). No sign-in: no
   * authRule or MFA, as in PocketBase.
   */
  async impersonate(ctx: RequestContext, ref: string, id: string, body: { duration?: unknown }, options: AuthResponseOptions = {}): Promise<AuthResponse> {
    if (ctx.principal.kind === 'guest') throw unauthorized('The request requires valid record authorization token.');
    if (!isSuperuser(ctx)) throw forbidden('The authorized record is not allowed to perform this action.');
    const collection = this.authCollection(ref, 'Missing or invalid auth collection context.');
    // As PocketBase: the record first (404), then the body is bound, then validated.
    const record = await this.findById(collection, id);
    if (!record) throw notFound();
    const duration = readInteger(body, 'duration');
    if (duration < 0) {
      throw badRequest('An error occurred while validating the submitted data.', {
        duration: fieldError('validation_min_greater_equal_than_required', 'Must be no less than 0.'),
      });
    }
    const token = await signAuthToken(record, collection, { refreshable: false, duration });
    return this.response(ctx, collection, record, token, options);
  }

  /** `request-otp`: mails a code to the account with this email; an id either way. */
  async requestOtp(ctx: RequestContext, ref: string, body: { email?: unknown }): Promise<{ otpId: string }> {
    const collection = this.authCollection(ref);
    return this.otp.request(ctx, collection, body, (email) => this.findByIdentity(collection, email, ['email']));
  }

  /** `auth-with-otp`: the code from the mail signs the record in (or is MFA's other factor). */
  async authWithOtp(
    ctx: RequestContext,
    ref: string,
    body: { otpId?: unknown; password?: unknown; mfaId?: unknown },
    options: AuthResponseOptions = {},
  ): Promise<AuthResponse | MfaRequired> {
    const collection = this.authCollection(ref);
    const { record, sentToOwner } = await this.otp.consume(collection, body, (id) => this.findById(collection, id));
    let signedIn = record;
    if (sentToOwner && record.verified !== true) signedIn = await this.verifiedByOtp(ctx, collection, record);
    const info = requestInfoOf(ctx, { ...body }, 'otp');
    return this.signIn(ctx, collection, signedIn, 'otp', info, mfaIdOf(ctx, body), options);
  }

  /**
   * A code that reached the record's own address proves it: the record becomes verified. Without
   * MFA it also gets a random password, as in PocketBase, so whoever may have registered the
   * address before its owner (and set the password) is locked out. A failed save is only logged.
   */
  private async verifiedByOtp(ctx: RequestContext, collection: Collection, record: RecordData): Promise<RecordData> {
    try {
      const system = systemContextFor(ctx, this.systemPrincipal());
      const input = { body: { verified: true }, source: 'json' as const, randomPassword: !mfaOptions(collection).enabled };
      await this.deps.records.update(system, collection.id, String(record.id), input);
      return (await this.findById(collection, String(record.id))) ?? record;
    } catch (e) {
      ctx.logger.error({ err: e, collection: collection.name }, 'could not mark the record verified after its OTP sign-in');
      return record;
    }
  }

  /**
   * What every sign-in method ends with, as PocketBase's auth response: the superuser's allowed
   * IPs, the collection's authRule, then MFA, then the token and record.
   */
  private async signIn(
    ctx: RequestContext,
    collection: Collection,
    record: RecordData,
    method: AuthMethod,
    info: RequestInfo,
    mfaId: string,
    options: AuthResponseOptions,
  ): Promise<AuthResponse | MfaRequired> {
    // A context without a client (CLI, Baton's own calls) has no address to check.
    const allowedIps = collection.name === SUPERUSERS && ctx.realIp ? (this.deps.superuserIPs?.() ?? []) : [];
    if (allowedIps.length && !ipListMatcher(allowedIps)(ctx.realIp)) throw forbidden();
    await this.assertAuthRule(ctx, collection, record, info);
    const pending = await this.mfa.check(ctx, collection, record, method, mfaId, (rule, i) => this.ruleHolds(collection, record, rule, i), info);
    if (pending) return pending;
    await this.origins.signedIn(ctx, collection, record);
    return this.response(ctx, collection, record, await signAuthToken(record, collection), options);
  }

  /**
   * `auth-methods`: which sign-in methods the collection offers, in PocketBase's shape. Each OAuth2
   * provider comes with a fresh state and PKCE pair; one that cannot be set up (a discovery that
   * fails) is left out and logged, as PocketBase skips it.
   */
  async authMethods(ref: string): Promise<AuthMethods> {
    const collection = this.authCollection(ref);
    const passwordAuth = (collection.options.passwordAuth ?? {}) as { enabled?: boolean; identityFields?: string[] };
    const password = passwordAuth.enabled === true;
    const identityFields = password ? [...(passwordAuth.identityFields ?? [])] : [];
    const mfa = mfaOptions(collection);
    const otp = otpOptions(collection);
    const oauth2 = oauth2Options(collection);
    const providers: AuthMethodProvider[] = [];
    if (oauth2.enabled) {
      // At once: a provider's discovery may take up to its timeout, and the others need not wait.
      const entries = await Promise.all(
        oauth2.providers.map(async (config) => {
          try {
            return await authMethodProvider(this.oauth2.provider(config));
          } catch (e) {
            this.deps.logger?.debug({ err: e, provider: config.name }, 'OAuth2 provider left out of auth-methods');
            return undefined;
          }
        }),
      );
      for (const entry of entries) if (entry) providers.push(entry);
    }
    return {
      password: { identityFields, enabled: password },
      oauth2: { providers, enabled: oauth2.enabled },
      mfa: { enabled: mfa.enabled, duration: mfa.enabled ? mfa.duration : 0 },
      otp: { enabled: otp.enabled, duration: otp.enabled ? otp.duration : 0 },
      // PocketBase's pre-0.23 keys, still sent for older SDKs (its providers without the logo).
      authProviders: oauth2.enabled ? providers.map((p) => ({ ...p, logo: '' })) : null,
      usernamePassword: password && identityFields.includes('username'),
      emailPassword: password && identityFields.includes('email'),
    };
  }

  async authRefresh(ctx: RequestContext, ref: string, currentToken: string, options: AuthResponseOptions = {}): Promise<AuthResponse> {
    const p = ctx.principal;
    if (p.kind === 'guest') throw unauthorized('The request requires valid record authorization token.');
    const collection = this.deps.schema.find(ref);
    if (!collection || collection.id !== p.collection.id) {
      throw forbidden(`The request requires auth record from ${p.collection.name} collection.`);
    }
    const claims = parseTokenClaims(currentToken);
    const token = claims && isRefreshable(claims) ? await signAuthToken(p.record, collection) : currentToken;
    // A refresh is no sign-in: no MFA; the rule sees the token's record as @request.auth.
    await this.assertAuthRule(ctx, collection, p.record, requestInfoOf(ctx));
    return this.response(ctx, collection, p.record, token, options);
  }

  /**
   * The collection's authRule must hold for the record, as PocketBase checks it: with the
   * request as it came (`@request.auth` is whoever sent it, usually nobody; `@request.context`
   * names the sign-in method). A superuser's request passes any rule; null lets only them in.
   */
  private async assertAuthRule(ctx: RequestContext, collection: Collection, record: RecordData, info: RequestInfo): Promise<void> {
    if (isSuperuser(ctx)) return;
    const rule = collection.options.authRule as string | null | undefined;
    if (rule === undefined || rule === '') return;
    const denied = () => forbidden("The request doesn't satisfy the collection requirements to authenticate.");
    if (rule === null || !(await this.ruleHolds(collection, record, rule, info))) throw denied();
  }

  /** Does `rule` select the stored `record`, for a request described by `info`? */
  private async ruleHolds(collection: Collection, record: RecordData, rule: string, info: RequestInfo): Promise<boolean> {
    const condition = ruleCondition(this.deps.db, {
      schema: this.deps.schema,
      collection,
      tableAlias: collection.name,
      request: info,
      superuser: false,
    }, rule);
    const idMatch = sql`${ident(collection.name, 'id')} = ${String(record.id)}`;
    return (await this.deps.db.get(selectFrom(collection, and([idMatch, condition])), rowShape(collection))) !== undefined;
  }

  private async response(
    ctx: RequestContext,
    collection: Collection,
    record: RecordData,
    token: string,
    options: AuthResponseOptions,
  ): Promise<AuthResponse> {
    const viewer: Principal = { kind: collection.name === SUPERUSERS ? 'superuser' : 'record', collection, record };
    // As in PocketBase, relations are expanded with the just-authenticated record as @request.auth.
    const tree = parseExpand(options.expand);
    const expanded = tree
      ? await expandRecords(
          {
            db: this.deps.db,
            schema: this.deps.schema,
            viewer,
            request: requestInfoOf(withPrincipal(ctx, viewer), {}, 'expand'),
            budget: expandBudget((this.deps.limits ?? DEFAULT_RESPONSE_LIMITS).maxExpandedRecords),
          },
          collection,
          [record],
          tree,
        )
      : undefined;
    return { record: exportRecord(collection, record, { viewer, alwaysShowEmail: true }, expanded?.[0]), token };
  }
}

/** A provider's entry of `auth-methods`: its authorization URL with a new state and, with PKCE, an S256 pair. */
async function authMethodProvider(provider: OAuth2Provider): Promise<AuthMethodProvider> {
  const state = randomAlphanumeric(30);
  const codeVerifier = provider.pkce ? randomAlphanumeric(43) : '';
  const codeChallenge = provider.pkce ? createHash('sha256').update(codeVerifier).digest('base64url') : '';
  const authURL = await provider.authURL({ state, codeChallenge: codeChallenge || undefined });
  return {
    name: provider.name,
    displayName: provider.displayName || provider.name,
    logo: provider.logo,
    state,
    authURL,
    authUrl: authURL,
    codeVerifier,
    codeChallenge,
    codeChallengeMethod: provider.pkce ? 'S256' : '',
  };
}

/** PocketBase's `meta` of an OAuth2 sign-in: the provider's account, keys sorted as Go sorts a map's. */
function oauth2Meta(user: OAuth2User, isNew: boolean): Record<string, unknown> {
  return {
    accessToken: user.accessToken,
    avatarURL: user.avatarURL,
    avatarUrl: user.avatarURL,
    email: user.email,
    expiry: user.expiry,
    id: user.id,
    isNew,
    name: user.name,
    rawUser: user.rawUser,
    refreshToken: user.refreshToken,
    username: user.username,
  };
}
