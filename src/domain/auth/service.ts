import type { Executor } from '../../db/dialect.ts';
import { ident, sql } from '../../db/sql.ts';
import { badRequest, fieldError, forbidden, notFound, unauthorized, type ErrorData } from '../../kernel/errors.ts';
import { SUPERUSERS, type Collection, type SchemaLookup } from '../../db/schema.ts';
import { parseIndex } from '../../db/indexes-parse.ts';
import type { RequestInfo } from '../../filter/index.ts';
import { GUEST, isSuperuser, type Principal, type RequestContext, withPrincipal } from '../context.ts';
import type { RecordService } from '../records/service.ts';
import { and, requestInfoOf, ruleCondition } from '../records/access.ts';
import { decodeRow, rowShape, type RecordData } from '../records/codec.ts';
import { selectFrom } from '../records/query.ts';
import { exportRecord } from '../records/export.ts';
import { expandBudget, expandRecords, parseExpand } from '../records/expand.ts';
import { DEFAULT_RESPONSE_LIMITS, type ResponseLimits } from '../records/limits.ts';
import { type AuthMethod, MfaSessions, mfaOptions, type MfaRequired } from './mfa.ts';
import { type PasswordAlgorithm, verifyPassword } from './passwords.ts';
import { unknownIdentityCost } from './unknown-identity.ts';
import { isRefreshable, parseTokenClaims, signAuthToken, TokenType, verifyAuthToken } from './tokens.ts';

const EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export interface AuthResponse {
  record: Record<string, unknown>;
  token: string;
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
}

export type { MfaRequired } from './mfa.ts';

/** The answer of `auth-methods`, in PocketBase's shape. */
export interface AuthMethods {
  password: { identityFields: string[]; enabled: boolean };
  oauth2: { providers: unknown[]; enabled: boolean };
  mfa: { enabled: boolean; duration: number };
  otp: { enabled: boolean; duration: number };
  authProviders: unknown[] | null;
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

/**
 * The single-column UNIQUE index on `field`, if any, and whether it compares case-insensitively
 * (`COLLATE NOCASE`): PocketBase identifies a record only by such a field.
 */
function uniqueIndexOn(collection: Collection, field: string): { column: string; nocase: boolean } | undefined {
  const wanted = field.toLowerCase();
  for (const text of collection.indexes) {
    const spec = parseIndex(text);
    const column = spec?.unique && spec.columns.length === 1 ? spec.columns[0] : undefined;
    if (column?.kind !== 'column' || column.name.toLowerCase() !== wanted) continue;
    const def = collection.fields.find((f) => f.name.toLowerCase() === wanted);
    if (def) return { column: def.name, nocase: column.collate === 'nocase' };
  }
  return undefined;
}

/** Token verification and password login. The full auth API (OTP, OAuth2, MFA …) builds on this. */
export class AuthService {
  private readonly mfa: MfaSessions;

  constructor(private readonly deps: AuthServiceDeps) {
    this.mfa = new MfaSessions({ db: deps.db, records: deps.records, system: () => this.systemPrincipal() });
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
  private authCollection(ref: string): Collection {
    const c = this.deps.schema.find(ref);
    if (!c) throw notFound('Missing or invalid collection context.');
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
      const column = sql`${ident(collection.name, index.column)}`;
      const match = index.nocase ? sql`${db.dialect.lower(column)} = ${db.dialect.lower(sql`${identity}`)}` : sql`${column} = ${identity}`;
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
    const identity = typeof login.identity === 'string' ? login.identity : '';
    const password = typeof login.password === 'string' ? login.password : '';
    const identityField = typeof login.identityField === 'string' ? login.identityField : '';
    const errors: ErrorData = {};
    if (identity.length < 1 || identity.length > 255) errors.identity = fieldError('validation_required', 'Cannot be blank.');
    if (password.length < 1 || password.length > 255) errors.password = fieldError('validation_required', 'Cannot be blank.');
    if (identityField && !identityFields.includes(identityField)) {
      errors.identityField = fieldError('validation_in_invalid', 'Must be a valid value.');
    }
    if (Object.keys(errors).length) throw badRequest('An error occurred while validating the submitted data.', errors);

    const candidates = identityField ? [identityField] : [...identityFields].sort((a, b) => (a === 'email' ? -1 : b === 'email' ? 1 : 0));
    const record = await this.findByIdentity(collection, identity, candidates);
    // Unknown identities (and accounts without a password) pay for a check costed like the
    // collection's real hashes, so timing does not reveal who has an account.
    const hash = record ? String(record.password ?? '') : '';
    const ok = await verifyPassword(password, hash, hash ? undefined : await unknownIdentityCost(this.deps.db, collection, this.deps.passwordHash));
    if (!record || !ok) throw badRequest('Failed to authenticate.');
    const info = requestInfoOf(ctx, loginBody(login), 'password');
    return this.signIn(ctx, collection, record, 'password', info, mfaIdOf(ctx, login), options);
  }

  /**
   * What every sign-in method ends with, as PocketBase's auth response: the superuser's allowed
   * IPs (not yet), the collection's authRule, then MFA, then the token and record.
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
    await this.assertAuthRule(ctx, collection, record, info);
    const pending = await this.mfa.check(ctx, collection, record, method, mfaId, (rule, i) => this.ruleHolds(collection, record, rule, i), info);
    if (pending) return pending;
    return this.response(ctx, collection, record, await signAuthToken(record, collection), options);
  }

  /** `auth-methods`: which sign-in methods the collection offers, in PocketBase's shape. */
  authMethods(ref: string): AuthMethods {
    const collection = this.authCollection(ref);
    const passwordAuth = (collection.options.passwordAuth ?? {}) as { enabled?: boolean; identityFields?: string[] };
    const password = passwordAuth.enabled === true;
    const identityFields = password ? [...(passwordAuth.identityFields ?? [])] : [];
    const mfa = mfaOptions(collection);
    return {
      password: { identityFields, enabled: password },
      // Baton has no OAuth2 providers yet: none is offered, whatever the collection's options say.
      oauth2: { providers: [], enabled: false },
      mfa: { enabled: mfa.enabled, duration: mfa.enabled ? mfa.duration : 0 },
      // OTP sign-in is not served yet either.
      otp: { enabled: false, duration: 0 },
      // PocketBase's pre-0.23 keys, still sent for older SDKs.
      authProviders: null,
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

