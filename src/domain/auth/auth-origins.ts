/**
 * Where accounts sign in from, and the new-device alert, as PocketBase has them
 * (apis/record_helpers.go authAlert, core/auth_origin_model.go): each completed sign-in by a
 * method (password, OTP, OAuth2; not a refresh or an impersonation) of a collection whose
 * `authAlert` is enabled records a fingerprint of the client (its IP and user agent) in
 * `_authOrigins`. A fingerprint not seen before, for an account that has signed in before from
 * somewhere, sends the collection's alert mail. An account keeps its 5 latest origins.
 */
import { createHash } from 'node:crypto';
import { ident, sql } from '../../db/sql.ts';
import type { Executor } from '../../db/dialect.ts';
import type { Collection } from '../../db/schema.ts';
import type { Mailer } from '../../infra/mailer.ts';
import { formatDate } from '../../kernel/time.ts';
import { systemContextFor, type Principal, type RequestContext } from '../context.ts';
import type { RecordData } from '../records/codec.ts';
import type { RecordService } from '../records/service.ts';
import { escapeHtml, renderRecordEmail, type AppMeta } from './email-templates.ts';

export const AUTH_ORIGINS = '_authOrigins';
/** Origins an account keeps (the oldest go first). */
export const MAX_ORIGINS = 5;
const MAX_USER_AGENT = 200;

export interface AuthOriginDeps {
  db: Executor;
  records: RecordService;
  mailer?: Mailer;
  appMeta?: () => AppMeta | Promise<AppMeta>;
  system: () => Principal;
}

/** PocketBase's fingerprint: MD5 of the client's IP and its user agent (cut to 200 characters). */
export function fingerprint(ip: string, userAgent: string): string {
  const agent = userAgent.length > MAX_USER_AGENT ? `${userAgent.slice(0, MAX_USER_AGENT)}...` : userAgent;
  return createHash('md5').update(ip + agent).digest('hex');
}

export class AuthOrigins {
  private readonly sending = new Set<Promise<void>>();

  constructor(private readonly deps: AuthOriginDeps) {}

  /** Records the sign-in's origin; mails the alert for a new one. Failures are logged, never thrown. */
  async signedIn(ctx: RequestContext, collection: Collection, record: RecordData): Promise<void> {
    const alert = (collection.options.authAlert ?? {}) as { enabled?: boolean };
    // No client (Baton's own sign-ins, CLI): nothing to fingerprint.
    if (alert.enabled !== true || ctx.realIp === '') return;
    try {
      const userAgent = ctx.headers['user-agent'] ?? '';
      const print = fingerprint(ctx.realIp, userAgent);
      const system = systemContextFor(ctx, this.deps.system());
      const rows = await this.deps.db.all<{ id: string; fingerprint: string }>(
        sql`SELECT ${ident('id')}, ${ident('fingerprint')} FROM ${ident(AUTH_ORIGINS)} WHERE ${ident('collectionRef')} = ${collection.id} AND ${ident('recordRef')} = ${String(record.id)} ORDER BY ${ident('created')} DESC, ${ident('id')} DESC`,
      );
      const known = rows.find((r) => r.fingerprint === print);
      if (known) {
        await this.deps.db.run(sql`UPDATE ${ident(AUTH_ORIGINS)} SET ${ident('updated')} = ${formatDate(new Date())} WHERE ${ident('id')} = ${known.id}`);
        return;
      }
      for (const old of rows.slice(MAX_ORIGINS - 1)) await this.deps.db.run(sql`DELETE FROM ${ident(AUTH_ORIGINS)} WHERE ${ident('id')} = ${old.id}`);
      await this.deps.records.create(system, AUTH_ORIGINS, {
        body: { collectionRef: collection.id, recordRef: String(record.id), fingerprint: print },
        source: 'json',
      });
      const email = String(record.email ?? '');
      if (rows.length > 0 && email !== '') this.track(this.mail(ctx, collection, record, email, `${formatDate(new Date())} - ${ctx.realIp} ${userAgent}`));
    } catch (e) {
      ctx.logger.error({ err: e, collection: collection.name }, 'could not record the sign-in origin');
    }
  }

  /** Resolves once the alert mails under way are out (or failed). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.sending]);
  }

  private track(p: Promise<void>): void {
    this.sending.add(p);
    void p.finally(() => this.sending.delete(p));
  }

  private async mail(ctx: RequestContext, collection: Collection, record: RecordData, to: string, info: string): Promise<void> {
    try {
      if (!this.deps.mailer || !this.deps.appMeta) return;
      const { subject, html } = renderRecordEmail(collection, record, 'authAlert', await this.deps.appMeta(), { '{ALERT_INFO}': escapeHtml(info) });
      await this.deps.mailer.send({ to: [{ address: to }], subject, html });
    } catch (e) {
      ctx.logger.error({ err: e, collection: collection.name }, 'new sign-in alert not sent');
    }
  }
}
