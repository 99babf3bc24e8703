/**
 * One-time passwords, as PocketBase has them (apis/record_auth_otp_request.go,
 * apis/record_auth_with_otp.go): `request-otp` mails a code of `otp.length` digits and answers
 * the id of its `_otps` row; `auth-with-otp` takes the id and the code back and signs the record
 * in. An unknown email gets an id all the same (a random one, nothing stored or sent), so the
 * answer tells nobody which addresses have an account.
 *
 * Codes are stored hashed (the `_otps.password` field, bcrypt cost 8), live `otp.duration`
 * seconds and are single-use: a successful sign-in deletes its row first, whatever follows (MFA,
 * authRule). Guessing is bounded twice: as in PocketBase, a record takes at most 5 attempts in
 * 3 minutes whatever the code or the client's address (then 429); and beyond PocketBase, a row
 * that took MAX_ATTEMPTS wrong codes is deleted, so an 8-digit code gives an attacker 5 tries in
 * 10^8 per mail however long they wait.
 */
import { randomInt } from 'node:crypto';
import { ident, sql } from '../../db/sql.ts';
import type { Executor } from '../../db/dialect.ts';
import type { Collection } from '../../db/schema.ts';
import type { Mailer } from '../../infra/mailer.ts';
import { ApiError, badRequest, fieldError, forbidden, type ErrorData } from '../../kernel/errors.ts';
import { MemoryRateLimiter, type RateLimiter } from '../../infra/rate-limit.ts';
import { newRecordId } from '../../kernel/ids.ts';
import type { Logger } from '../../kernel/logger.ts';
import { formatDate } from '../../kernel/time.ts';
import { isEmailAddress } from '../collections/fields/domains.ts';
import { systemContext, systemContextFor, type Principal, type RequestContext } from '../context.ts';
import type { RecordData } from '../records/codec.ts';
import type { RecordService } from '../records/service.ts';
import { readStrings } from './body.ts';
import { renderRecordEmail, type AppMeta } from './email-templates.ts';
import { verifyPassword } from './passwords.ts';

export const OTPS = '_otps';

/** Wrong codes a row takes before it is deleted. */
export const MAX_ATTEMPTS = 5;
/** Attempts per record and window, whatever the code (PocketBase's `@pb_otp_` rule: 5 in 180 s). */
const RECORD_ATTEMPTS = { maxRequests: 5, durationMs: 180_000 };
/** Unexpired codes a record may hold before a request re-answers the newest (PocketBase: 9). */
const MAX_PENDING = 9;
const DIGITS = '1234567890';

export interface OtpOptions {
  enabled: boolean;
  duration: number;
  length: number;
}

export function otpOptions(collection: Collection): OtpOptions {
  const o = (collection.options.otp ?? {}) as Partial<OtpOptions>;
  return {
    enabled: o.enabled === true,
    duration: typeof o.duration === 'number' && o.duration > 0 ? o.duration : 180,
    length: typeof o.length === 'number' && o.length >= 4 ? o.length : 8,
  };
}

export interface OtpDeps {
  db: Executor;
  records: RecordService;
  /** Absent: codes cannot be mailed (CLI use: `baton superuser otp` prints them). */
  mailer?: Mailer;
  appMeta?: () => AppMeta | Promise<AppMeta>;
  logger: Logger;
  /** A superuser principal for Baton's own writes to `_otps`. */
  system: () => Principal;
  /** Counts attempts per record (a memory store of its own unless given; several nodes share one). */
  attemptLimiter?: RateLimiter;
}

const disabled = () => forbidden('The collection is not configured to allow OTP authentication.');
const invalidOtp = () => badRequest('Invalid or expired OTP.');

/** A code of `length` digits from the CSPRNG. */
export function otpCode(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += DIGITS[randomInt(DIGITS.length)];
  return out;
}

export class OtpService {
  /** Wrong codes per `_otps` id (in memory; a row outlives its attempts by at most its duration). */
  private readonly attempts = new Map<string, number>();
  /** Mails still being sent (request-otp answers before its mail is out). */
  private readonly sending = new Set<Promise<void>>();

  private readonly recordAttempts: RateLimiter;

  constructor(private readonly deps: OtpDeps) {
    this.recordAttempts = deps.attemptLimiter ?? new MemoryRateLimiter();
  }

  /** `request-otp`: the id to sign in with; a random one for an unknown email. */
  async request(ctx: RequestContext, collection: Collection, body: { email?: unknown }, findByEmail: (email: string) => Promise<RecordData | undefined>): Promise<{ otpId: string }> {
    const options = otpOptions(collection);
    if (!options.enabled) throw disabled();
    const { email } = readStrings(body, ['email']);
    const errors: ErrorData = {};
    if (email === '') errors.email = fieldError('validation_required', 'Cannot be blank.');
    else if (email.length > 255) errors.email = fieldError('validation_length_out_of_range', 'The length must be between 1 and 255.');
    else if (!isEmailAddress(email)) errors.email = fieldError('validation_is_email', 'Must be a valid email address.');
    if (Object.keys(errors).length) throw badRequest('An error occurred while validating the submitted data.', errors);

    const record = await findByEmail(email);
    if (!record) return { otpId: newRecordId() };
    const system = this.system(ctx);
    await this.dropExpired(collection, options.duration);
    const pending = await this.pending(collection, record, options.duration);
    if (pending.length > MAX_PENDING) return { otpId: pending[0] };

    const code = otpCode(options.length);
    const row = await this.deps.records.create(system, OTPS, {
      body: { collectionRef: collection.id, recordRef: String(record.id), password: code },
      source: 'json',
    });
    const otpId = String(row.id);
    this.track(this.mail(system, collection, record, otpId, code));
    return { otpId };
  }

  /**
   * A new code for `record` without a mail (`baton superuser otp`): the id and the code. Refused
   * when the collection does not allow OTP sign-in.
   */
  async issue(collection: Collection, record: RecordData, logger: Logger): Promise<{ otpId: string; code: string; duration: number }> {
    const options = otpOptions(collection);
    if (!options.enabled) throw new Error(`OTP auth is not enabled for the ${collection.name} collection`);
    const code = otpCode(options.length);
    const row = await this.deps.records.create(systemContext(logger, this.deps.system()), OTPS, {
      body: { collectionRef: collection.id, recordRef: String(record.id), password: code },
      source: 'json',
    });
    return { otpId: String(row.id), code, duration: options.duration };
  }

  /**
   * `auth-with-otp`'s checks: the record the code is for, its row deleted (single use), and
   * whether the code went to the record's current address (which verifies it). Every failure is
   * the same 400.
   */
  async consume(
    collection: Collection,
    body: { otpId?: unknown; password?: unknown },
    findById: (id: string) => Promise<RecordData | undefined>,
  ): Promise<{ record: RecordData; sentToOwner: boolean }> {
    const options = otpOptions(collection);
    if (!options.enabled) throw disabled();
    const { otpId, password: code } = readStrings(body, ['otpId', 'password']);
    const errors: ErrorData = {};
    if (otpId === '') errors.otpId = fieldError('validation_required', 'Cannot be blank.');
    else if (otpId.length > 255) errors.otpId = fieldError('validation_length_out_of_range', 'The length must be between 1 and 255.');
    if (code === '') errors.password = fieldError('validation_required', 'Cannot be blank.');
    else if (code.length > 71) errors.password = fieldError('validation_length_out_of_range', 'The length must be between 1 and 71.');
    if (Object.keys(errors).length) throw badRequest('An error occurred while validating the submitted data.', errors);

    const row = await this.find(otpId);
    const created = row ? Date.parse(String(row.created).replace(' ', 'T')) : NaN;
    if (!row || row.collectionRef !== collection.id || !(Date.now() - created <= options.duration * 1000)) throw invalidOtp();
    const record = await findById(String(row.recordRef));
    if (!record) throw invalidOtp();
    const { maxRequests, durationMs } = RECORD_ATTEMPTS;
    if (!(await this.recordAttempts.hit(`${collection.id}/${String(record.id)}`, maxRequests, durationMs)).allowed) {
      throw new ApiError(429, 'Too many attempts, please try again later with a new OTP.');
    }
    if (!(await verifyPassword(code, String(row.password ?? '')))) {
      const failures = (this.attempts.get(otpId) ?? 0) + 1;
      if (failures >= MAX_ATTEMPTS) {
        this.attempts.delete(otpId);
        await this.deleteRow(otpId);
      } else {
        this.attempts.set(otpId, failures);
      }
      throw invalidOtp();
    }
    this.attempts.delete(otpId);
    await this.deleteRow(otpId);
    const sentTo = String(row.sentTo ?? '');
    return { record, sentToOwner: sentTo !== '' && sentTo === String(record.email ?? '') };
  }

  /** Resolves once the mails under way are out (or failed). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.sending]);
  }

  private track(p: Promise<void>): void {
    this.sending.add(p);
    void p.finally(() => this.sending.delete(p));
  }

  /** Mails the code; on failure the row goes (the code can never arrive), and the error is logged. */
  private async mail(system: RequestContext, collection: Collection, record: RecordData, otpId: string, code: string): Promise<void> {
    const to = String(record.email ?? '');
    try {
      if (!this.deps.mailer || !this.deps.appMeta) throw new Error('no mailer');
      const { subject, html } = renderRecordEmail(collection, record, 'otp', await this.deps.appMeta(), { '{OTP}': code, '{OTP_ID}': otpId });
      await this.deps.mailer.send({ to: [{ address: to }], subject, html });
      await this.deps.records.update(system, OTPS, otpId, { body: { sentTo: to }, source: 'json' });
    } catch (e) {
      this.deps.logger.error({ err: e, collection: collection.name, otpId }, 'OTP mail not sent');
      await this.deleteRow(otpId).catch(() => undefined);
    }
  }

  /** Ids of the record's unexpired codes, newest first. */
  private async pending(collection: Collection, record: RecordData, durationSeconds: number): Promise<string[]> {
    const cutoff = formatDate(new Date(Date.now() - durationSeconds * 1000));
    const rows = await this.deps.db.all<{ id: string }>(
      sql`SELECT ${ident('id')} FROM ${ident(OTPS)} WHERE ${ident('collectionRef')} = ${collection.id} AND ${ident('recordRef')} = ${String(record.id)} AND ${ident('created')} >= ${cutoff} ORDER BY ${ident('created')} DESC${this.deps.db.dialect.limitOffset(MAX_PENDING + 1, 0)}`,
    );
    return rows.map((r) => r.id);
  }

  /** The collection's codes older than `duration`: they can no longer be used. */
  async dropExpired(collection: Collection, durationSeconds: number): Promise<void> {
    const cutoff = formatDate(new Date(Date.now() - durationSeconds * 1000));
    await this.deps.db.run(sql`DELETE FROM ${ident(OTPS)} WHERE ${ident('collectionRef')} = ${collection.id} AND ${ident('created')} < ${cutoff}`);
  }

  /** The stored row, hash included (the records API would hide it). */
  private async find(id: string): Promise<Record<string, unknown> | undefined> {
    return this.deps.db.get(sql`SELECT * FROM ${ident(OTPS)} WHERE ${ident('id')} = ${id}`);
  }

  private async deleteRow(id: string): Promise<void> {
    await this.deps.db.run(sql`DELETE FROM ${ident(OTPS)} WHERE ${ident('id')} = ${id}`);
  }

  private system(ctx: RequestContext): RequestContext {
    return systemContextFor(ctx, this.deps.system());
  }
}
