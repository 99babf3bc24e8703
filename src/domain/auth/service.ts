import type { Executor } from '../../db/dialect.ts';
import { ident, sql } from '../../db/sql.ts';
import { ApiError, badRequest, fieldError, forbidden, notFound, unauthorized, type ErrorData } from '../../kernel/errors.ts';
import { SUPERUSERS, type Collection, type SchemaLookup } from '../../db/schema.ts';

import { GUEST, type Principal, type RequestContext, withPrincipal } from '../context.ts';
import { and, requestInfoOf, ruleCondition } from '../records/access.ts';
import { decodeRow, rowShape, type RecordData } from '../records/codec.ts';
import { selectFrom } from '../records/query.ts';
import { exportRecord } from '../records/export.ts';
import { expandBudget, expandRecords, parseExpand } from '../records/expand.ts';
import { DEFAULT_RESPONSE_LIMITS, type ResponseLimits } from '../records/limits.ts';
import { verifyPassword } from './passwords.ts';
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
}

/** Query options of an auth response, as for record responses. */
export interface AuthResponseOptions {
  expand?: string;
}

export interface PasswordLogin {
  identity?: unknown;
  password?: unknown;
  identityField?: unknown;
}

/** Token verification and password login. The full auth API (OTP, OAuth2, MFA …) builds on this. */
export class AuthService {
  constructor(private readonly deps: AuthServiceDeps) {}

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

  private authCollection(ref: string): Collection {
    const c = this.deps.schema.find(ref);
    if (!c || c.type !== 'auth') throw notFound('Missing or invalid auth collection context.');
    return c;
  }

  private async findById(collection: Collection, id: string): Promise<RecordData | undefined> {
    const row = await this.deps.db.get(sql`SELECT * FROM ${ident(collection.name)} WHERE ${ident('id')} = ${id}`, rowShape(collection));
    return row ? decodeRow(collection, row) : undefined;
  }

  async authWithPassword(ctx: RequestContext, ref: string, login: PasswordLogin, options: AuthResponseOptions = {}): Promise<AuthResponse> {
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
    let record: RecordData | undefined;
    for (const field of candidates) {
      if (field === 'email' && !EMAIL_RE.test(identity)) continue;
      if (!collection.fields.some((f) => f.name === field)) continue;
      const row = await this.deps.db.get(
        sql`SELECT * FROM ${ident(collection.name)} WHERE ${ident(field)} = ${identity} LIMIT 1`,
        rowShape(collection),
      );
      if (row) {
        record = decodeRow(collection, row);
        break;
      }
    }
    // Unknown identities still pay for a password check, so timing does not reveal accounts.
    const ok = await verifyPassword(password, record ? String(record.password ?? '') : '');
    if (!record || !ok) throw badRequest('Failed to authenticate.');
    await this.assertAuthRule(ctx, collection, record);
    return this.response(ctx, collection, record, await signAuthToken(record, collection), options);
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
    await this.assertAuthRule(ctx, collection, p.record);
    return this.response(ctx, collection, p.record, token, options);
  }

  /** The collection's authRule must hold for the record (null: superusers only). */
  private async assertAuthRule(ctx: RequestContext, collection: Collection, record: RecordData): Promise<void> {
    if (collection.name === SUPERUSERS) return;
    const rule = collection.options.authRule as string | null | undefined;
    if (rule === undefined || rule === '') return;
    const denied = () => forbidden("The request doesn't satisfy the collection requirements to authenticate.");
    if (rule === null) throw denied();
    // The rule sees the authenticating record as @request.auth.
    const asRecord = withPrincipal(ctx, { kind: 'record', collection, record });
    const condition = ruleCondition(this.deps.db, {
      schema: this.deps.schema,
      collection,
      tableAlias: collection.name,
      request: requestInfoOf(asRecord),
      superuser: false,
    }, rule);
    const idMatch = sql`${ident(collection.name, 'id')} = ${String(record.id)}`;
    const row = await this.deps.db.get(selectFrom(collection, and([idMatch, condition])), rowShape(collection));
    if (!row) throw denied();
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

