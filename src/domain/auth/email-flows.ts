/**
 * PocketBase's email flows on auth collections (apis/record_auth_{verification,password_reset,
 * email_change}_{request,confirm}.go): a request mails a token of its own type, a confirm takes the
 * token back and changes the record.
 *
 * - The request-* endpoints answer alike whether or not an account has the email, whether its
 *   mail is held back by the 2 minute resend lock, and whether sending failed: the mail goes out
 *   in the background, so neither the answer nor its timing tells which addresses are registered.
 *   request-email-change is the exception, as in PocketBase: the requester is signed in, so it
 *   sends while the request waits and reports a failure.
 * - Confirmations save through RecordService.update as a superuser, so field validation, hashing
 *   and the tokenKey rotation on a new password or email (which logs the record out everywhere
 *   and makes the token single-use) are the records API's own.
 */
import type { Executor } from '../../db/dialect.ts';
import { ident, sql } from '../../db/sql.ts';
import { SUPERUSERS, type Collection, type SchemaLookup } from '../../db/schema.ts';
import type { ExpiringKeys } from '../../infra/expiring-keys.ts';
import type { Mailer } from '../../infra/mailer.ts';
import { badRequest, forbidden, isApiError, notFound, unauthorized, type ErrorData, type FieldError } from '../../kernel/errors.ts';
import type { Logger } from '../../kernel/logger.ts';
import { isEmailAddress } from '../collections/fields/domains.ts';
import { invalidEmail, lengthRule, notInList, required, valuesMismatch } from '../collections/fields/errors.ts';
import { systemContext, type RequestContext } from '../context.ts';
import { decodeRow, rowShape, type RecordData } from '../records/codec.ts';
import { selectFrom } from '../records/query.ts';
import type { RecordService } from '../records/service.ts';
import { renderRecordEmail, type AppMeta, type RecordTemplateName } from './email-templates.ts';
import { INSTALLER_EMAIL } from './installer.ts';
import { LOAD_FAILED, readStrings } from './body.ts';
import { identityMatch, uniqueIndexOn } from './identity.ts';
import { verifyPassword } from './passwords.ts';
import {
  parseTokenClaims,
  readUncheckedClaim,
  signEmailChangeToken,
  signPasswordResetToken,
  signVerificationToken,
  TokenClaim,
  TokenType,
  verifyEmailFlowToken,
} from './tokens.ts';

export interface EmailFlowDeps {
  db: Executor;
  schema: SchemaLookup;
  records: RecordService;
  mailer: Mailer;
  /** `settings.meta` as it is now ({APP_NAME}, {APP_URL}). */
  appMeta: () => AppMeta | Promise<AppMeta>;
  /** Resend locks; PocketBase keeps them in its in-memory app store. */
  locks: ExpiringKeys;
  /** Where background sends report failures. */
  logger: Logger;
}

type EmailTokenType = typeof TokenType.verification | typeof TokenType.passwordReset | typeof TokenType.emailChange;

/** How long a request-* mail holds back the next one for the same record. */
export const RESEND_LOCK_MS = 2 * 60_000;

const VALIDATION_FAILED = 'An error occurred while validating the submitted data.';
const SUPERUSERS_VERIFIED = 'All superusers are verified by default.';
const SUPERUSERS_CHANGE_EMAIL = 'All superusers can change their emails directly.';

const tokenInvalid = () => ({ code: 'validation_invalid_token', message: 'Invalid or expired token.' });
const tokenCollectionMismatch = () => ({
  code: 'validation_token_collection_mismatch',
  message: 'The provided token is for different auth collection.',
});

export class EmailFlowService {
  /** Mails being sent in the background; `idle()` waits for them (shutdown, tests). */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: EmailFlowDeps) {}

  /** An unknown collection or one that is not an auth collection is a 404, before any body is read. */
  authCollection(ref: string): Collection {
    const c = this.deps.schema.find(ref);
    if (!c) throw notFound('Missing or invalid collection context.');
    if (c.type !== 'auth') throw notFound('Missing or invalid auth collection context.');
    return c;
  }

  /** request-email-change needs a token of a record of this very collection (checked before the body is read). */
  emailChangeRequester(ctx: RequestContext, ref: string): { collection: Collection; record: RecordData } {
    const collection = this.deps.schema.find(ref);
    if (!collection) throw notFound('Missing or invalid collection context.');
    const p = ctx.principal;
    if (p.kind === 'guest') throw unauthorized('The request requires valid record authorization token.');
    if (collection.id !== p.collection.id) {
      throw forbidden(`The request requires auth record from ${p.collection.name} collection.`);
    }
    return { collection: this.authCollection(ref), record: p.record };
  }

  async requestVerification(ctx: RequestContext, ref: string, body: Record<string, unknown>): Promise<void> {
    const collection = this.authCollection(ref);
    if (collection.name === SUPERUSERS) throw badRequest(SUPERUSERS_VERIFIED);
    const { email } = readStrings(body, ['email']);
    throwIfInvalid({ email: emailError(email) });
    const record = await this.findByEmail(collection, email);
    if (!record) return ctx.logger.debug({ collection: collection.name }, 'verification requested for an unknown email');
    const lock = `@limitVerificationEmail_${collection.id}${record.id}`;
    if (record.verified === true || this.deps.locks.has(lock)) return;
    // Locked before sending (PocketBase locks once sent), so that requests racing each other send
    // one mail; as in PocketBase, a failed send holds the next one back too.
    this.deps.locks.set(lock, RESEND_LOCK_MS);
    this.background('verification', async () => {
      const token = await signVerificationToken(record, collection);
      await this.sendRecordEmail(collection, record, 'verificationTemplate', String(record.email), token);
    });
  }

  async confirmVerification(_ctx: RequestContext, ref: string, body: Record<string, unknown>): Promise<void> {
    const collection = this.authCollection(ref);
    if (collection.name === SUPERUSERS) throw badRequest(SUPERUSERS_VERIFIED);
    const { token } = readStrings(body, ['token']);
    let record: RecordData | undefined;
    let tokenError: FieldError | undefined;
    if (token === '') tokenError = required();
    else if (!readUncheckedClaim(token, TokenClaim.email)) {
      tokenError = { code: 'validation_invalid_token_claims', message: 'Missing email token claim.' };
    } else {
      const found = await this.findByToken(token, TokenType.verification);
      if (!found) tokenError = tokenInvalid();
      else if (found.collection.id !== collection.id) tokenError = tokenCollectionMismatch();
      else if (found.record.email !== readUncheckedClaim(token, TokenClaim.email)) {
        tokenError = {
          code: 'validation_token_email_mismatch',
          message: "The record email doesn't match with the requested token claims.",
        };
      } else record = found.record;
    }
    throwIfInvalid({ token: tokenError });
    if (record!.verified !== true) {
      // As PocketBase does (and as after an OTP login): should password auth be enabled later,
      // a password set by whoever registered the address before its owner confirmed it is void.
      const random = !passwordAuthEnabled(collection);
      await this.save(collection, record!, { verified: true }, 'An error occurred while saving the verified state.', random);
    }
    this.deps.locks.delete(`@limitVerificationEmail_${collection.id}${record!.id}`);
  }

  async requestPasswordReset(ctx: RequestContext, ref: string, body: Record<string, unknown>): Promise<void> {
    const collection = this.authCollection(ref);
    if (!passwordAuthEnabled(collection)) throw badRequest('The collection is not configured to allow password authentication.');
    const { email } = readStrings(body, ['email']);
    throwIfInvalid({ email: emailError(email) });
    const record = await this.findByEmail(collection, email);
    if (!record) return ctx.logger.debug({ collection: collection.name }, 'password reset requested for an unknown email');
    // As PocketBase: the installer superuser's address is made up, and its password is not to be had.
    if (collection.name === SUPERUSERS && record.email === INSTALLER_EMAIL) return;
    const lock = `@limitPasswordResetEmail_${collection.id}${record.id}`;
    if (this.deps.locks.has(lock)) return;
    // Locked before sending, so that racing requests send one mail; a failed send lifts the lock.
    this.deps.locks.set(lock, RESEND_LOCK_MS);
    this.background('password reset', async () => {
      try {
        const token = await signPasswordResetToken(record, collection);
        await this.sendRecordEmail(collection, record, 'resetPasswordTemplate', String(record.email), token);
      } catch (e) {
        this.deps.locks.delete(lock);
        throw e;
      }
    });
  }

  async confirmPasswordReset(_ctx: RequestContext, ref: string, body: Record<string, unknown>): Promise<void> {
    const collection = this.authCollection(ref);
    const { token, password, passwordConfirm } = readStrings(body, ['token', 'password', 'passwordConfirm']);
    const found = token === '' ? undefined : await this.findByToken(token, TokenType.passwordReset);
    const passwordField = collection.fields.find((f) => f.name === 'password');
    const min = typeof passwordField?.min === 'number' && passwordField.min > 0 ? passwordField.min : 1;
    throwIfInvalid({
      token: token === '' ? required() : !found ? tokenInvalid() : found.collection.id !== collection.id ? tokenCollectionMismatch() : undefined,
      password: password === '' ? required() : lengthRule(password, min, 255),
      passwordConfirm: passwordConfirm === '' ? required() : passwordConfirm !== password ? valuesMismatch() : undefined,
    });
    const record = found!.record;
    const change: Record<string, unknown> = { password, passwordConfirm: password };
    // The mail reached the address the record still has: that proves it, as a verification would.
    if (record.verified !== true && record.email === readUncheckedClaim(token, TokenClaim.email)) change.verified = true;
    await this.save(collection, record, change, 'Failed to set new password.');
    this.deps.locks.delete(`@limitPasswordResetEmail_${collection.id}${record.id}`);
  }

  async requestEmailChange(ctx: RequestContext, ref: string, body: Record<string, unknown>): Promise<void> {
    const { collection, record } = this.emailChangeRequester(ctx, ref);
    if (collection.name === SUPERUSERS) throw badRequest(SUPERUSERS_CHANGE_EMAIL);
    const { newEmail } = readStrings(body, ['newEmail']);
    let error = emailError(newEmail);
    if (!error && newEmail === record.email) error = notInList();
    if (!error) {
      const owner = await this.findByEmail(collection, newEmail);
      if (owner && owner.id !== record.id) error = { code: 'validation_invalid_new_email', message: 'Invalid new email address.' };
    }
    throwIfInvalid({ newEmail: error });
    try {
      const token = await signEmailChangeToken(record, collection, newEmail);
      await this.sendRecordEmail(collection, record, 'confirmEmailChangeTemplate', newEmail, token);
    } catch (e) {
      ctx.logger.error({ err: e, collection: collection.name }, 'failed to send the email change mail');
      throw badRequest('Failed to request email change.');
    }
  }

  async confirmEmailChange(_ctx: RequestContext, ref: string, body: Record<string, unknown>): Promise<void> {
    const collection = this.authCollection(ref);
    if (collection.name === SUPERUSERS) throw badRequest(SUPERUSERS_CHANGE_EMAIL);
    const { token, password } = readStrings(body, ['token', 'password']);
    const parsed = token === '' ? undefined : await this.parseEmailChangeToken(collection, token);
    let passwordError: FieldError | undefined = password === '' ? required() : lengthRule(password, 1, 100);
    if (!passwordError) {
      const ok = parsed && 'record' in parsed && (await verifyPassword(password, String(parsed.record.password ?? '')));
      if (!ok) passwordError = { code: 'validation_invalid_password', message: 'Missing or invalid auth record password.' };
    }
    throwIfInvalid({
      token: token === '' ? required() : parsed && 'error' in parsed ? parsed.error : undefined,
      password: passwordError,
    });
    if (!parsed || !('record' in parsed)) throw badRequest('Invalid or expired token.');
    await this.save(collection, parsed.record, { email: parsed.newEmail, verified: true }, 'Failed to confirm email change.');
  }

  /** Resolves once every mail sent in the background so far has been handed over (or failed). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** PocketBase's `EmailChangeConfirmForm.parseToken`: the record and the new email, or the field error. */
  private async parseEmailChangeToken(
    collection: Collection,
    token: string,
  ): Promise<{ record: RecordData; newEmail: string } | { error: FieldError }> {
    const newEmail = readUncheckedClaim(token, TokenClaim.newEmail);
    if (typeof newEmail !== 'string' || newEmail === '') {
      return { error: { code: 'validation_invalid_token_payload', message: 'Invalid token payload - newEmail must be set.' } };
    }
    const found = await this.findByToken(token, TokenType.emailChange);
    if (!found) return { error: tokenInvalid() };
    if (found.collection.id !== collection.id) return { error: tokenCollectionMismatch() };
    if (await this.findByEmail(collection, newEmail)) {
      return { error: { code: 'validation_invalid_token_email', message: 'The new email address is invalid.' } };
    }
    return { record: found.record, newEmail };
  }

  /** The auth record a token of `type` belongs to, in whichever auth collection it names; undefined for any invalid token. */
  private async findByToken(token: string, type: EmailTokenType): Promise<{ collection: Collection; record: RecordData } | undefined> {
    const claims = parseTokenClaims(token);
    if (!claims || claims.type !== type) return undefined;
    const collection = this.deps.schema.find(claims.collectionId);
    if (!collection || collection.type !== 'auth') return undefined;
    const row = await this.deps.db.get(sql`SELECT * FROM ${ident(collection.name)} WHERE ${ident('id')} = ${claims.id}`, rowShape(collection));
    if (!row) return undefined;
    const record = decodeRow(collection, row);
    return (await verifyEmailFlowToken(token, record, collection, type)) ? { collection, record } : undefined;
  }

  /**
   * PocketBase's `FindAuthRecordByEmail`: case-insensitive when the email's UNIQUE index is
   * `COLLATE NOCASE`, exact otherwise (with or without an index).
   */
  private async findByEmail(collection: Collection, email: string): Promise<RecordData | undefined> {
    const { db } = this.deps;
    const index = uniqueIndexOn(collection, 'email') ?? { column: 'email', nocase: false };
    const row = await db.get(sql`${selectFrom(collection, identityMatch(db.dialect, collection, index, email))} LIMIT 1`, rowShape(collection));
    return row ? decodeRow(collection, row) : undefined;
  }

  private async sendRecordEmail(collection: Collection, record: RecordData, template: RecordTemplateName, to: string, token: string) {
    const { subject, html } = renderRecordEmail(collection, record, template, await this.deps.appMeta(), { '{TOKEN}': token });
    await this.deps.mailer.send({ to: [{ address: to }], subject, html });
  }

  /** Saves through the records API with full rights; its validation errors come back under `message`. */
  private async save(collection: Collection, record: RecordData, body: Record<string, unknown>, message: string, randomPassword = false): Promise<void> {
    const superusers = this.deps.schema.find(SUPERUSERS)!;
    const ctx = systemContext(this.deps.logger, { kind: 'superuser', collection: superusers, record: {} });
    try {
      await this.deps.records.update(ctx, collection.id, String(record.id), { body, source: 'json', randomPassword });
    } catch (e) {
      if (isApiError(e) && e.status < 500) throw badRequest(message, e.data);
      throw e;
    }
  }

  private background(kind: string, send: () => Promise<void>): void {
    const task = send()
      .catch((e: unknown) => this.deps.logger.error({ err: e }, `failed to send the ${kind} mail`))
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }
}

/** ozzo's Required, Length(1, 255) and is.EmailFormat, first failure only. */
function emailError(email: string): FieldError | undefined {
  if (email === '') return required();
  return lengthRule(email, 1, 255) ?? (isEmailAddress(email) ? undefined : invalidEmail());
}

function throwIfInvalid(errors: Record<string, FieldError | undefined>): void {
  const data: ErrorData = {};
  for (const [k, v] of Object.entries(errors)) if (v) data[k] = v;
  if (Object.keys(data).length) throw badRequest(VALIDATION_FAILED, data);
}

const passwordAuthEnabled = (collection: Collection): boolean =>
  (collection.options.passwordAuth as { enabled?: boolean } | undefined)?.enabled === true;
