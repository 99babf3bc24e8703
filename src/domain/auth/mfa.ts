/**
 * Multi-factor authentication as PocketBase has it: an auth collection with `mfa.enabled` asks
 * every sign-in that its `mfa.rule` selects (all of them when the rule is empty) for two
 * different methods. The first (password, otp or oauth2) leaves a `_mfas` row and answers 401
 * with its id; a second sign-in with another method that presents that id completes it. Token
 * refreshes and impersonation are not sign-ins and never ask.
 */
import { ident, sql } from '../../db/sql.ts';
import type { Collection } from '../../db/schema.ts';
import type { Executor } from '../../db/dialect.ts';
import { badRequest } from '../../kernel/errors.ts';
import { formatDate } from '../../kernel/time.ts';
import type { RequestInfo } from '../../filter/index.ts';
import type { RecordService } from '../records/service.ts';
import type { RecordData } from '../records/codec.ts';
import { systemContextFor, type Principal, type RequestContext } from '../context.ts';

export const MFAS = '_mfas';

/** The sign-in methods that count as a factor. */
export type AuthMethod = 'password' | 'otp' | 'oauth2';

/** PocketBase's defaults and bounds for `mfa.duration` (seconds). */
export const MFA_DEFAULT_DURATION = 600;

interface MfaOptions {
  enabled: boolean;
  duration: number;
  rule: string;
}

export function mfaOptions(collection: Collection): MfaOptions {
  const o = (collection.options.mfa ?? {}) as Partial<MfaOptions>;
  return {
    enabled: o.enabled === true,
    duration: typeof o.duration === 'number' && o.duration > 0 ? o.duration : MFA_DEFAULT_DURATION,
    rule: typeof o.rule === 'string' ? o.rule : '',
  };
}

/** The first factor is in: the client must sign in again with another method and this id. */
export interface MfaRequired {
  readonly mfaId: string;
}

export interface MfaDeps {
  db: Executor;
  records: RecordService;
  /** A superuser principal for Baton's own writes to `_mfas`. */
  system: () => Principal;
}

const invalidOrExpired = () => badRequest('Invalid or expired MFA session.');

export class MfaSessions {
  constructor(private readonly deps: MfaDeps) {}

  /**
   * Where a sign-in of `record` by `method` stands: undefined when it may go on (MFA off, the
   * rule does not select it, or `mfaId` completes an earlier first factor), or the id the client
   * must come back with. `selects` decides the collection's `mfa.rule` for the record.
   */
  async check(
    ctx: RequestContext,
    collection: Collection,
    record: RecordData,
    method: AuthMethod,
    mfaId: string,
    selects: (rule: string, info: RequestInfo) => Promise<boolean>,
    info: RequestInfo,
  ): Promise<MfaRequired | undefined> {
    const options = mfaOptions(collection);
    if (!options.enabled) return undefined;
    if (options.rule.trim() !== '') {
      let wanted: boolean;
      try {
        wanted = await selects(options.rule, info);
      } catch {
        throw badRequest('Failed to authenticate.');
      }
      if (!wanted) return undefined;
    }
    const system = this.systemContext(ctx);
    if (!mfaId) {
      await this.dropExpired(collection, options.duration);
      const row = await this.deps.records.create(system, MFAS, {
        body: { collectionRef: collection.id, recordRef: String(record.id), method },
        source: 'json',
      });
      return { mfaId: String(row.id) };
    }
    const session = await this.find(system, mfaId);
    if (!session || Date.now() - Date.parse(String(session.created).replace(' ', 'T')) > options.duration * 1000) {
      if (session) await this.deps.records.delete(system, MFAS, mfaId);
      throw invalidOrExpired();
    }
    if (session.collectionRef !== collection.id || session.recordRef !== String(record.id)) throw badRequest('Invalid MFA session.');
    if (session.method === method) throw badRequest('A different authentication method is required.');
    await this.deps.records.delete(system, MFAS, mfaId);
    return undefined;
  }

  private async find(system: RequestContext, id: string): Promise<Record<string, unknown> | undefined> {
    try {
      return await this.deps.records.view(system, MFAS, id);
    } catch {
      return undefined;
    }
  }

  /** First factors of the collection older than `duration`: they can no longer be completed. */
  async dropExpired(collection: Collection, durationSeconds: number): Promise<void> {
    const cutoff = formatDate(new Date(Date.now() - durationSeconds * 1000));
    await this.deps.db.run(
      sql`DELETE FROM ${ident(MFAS)} WHERE ${ident('collectionRef')} = ${collection.id} AND ${ident('created')} < ${cutoff}`,
    );
  }

  private systemContext(ctx: RequestContext): RequestContext {
    return systemContextFor(ctx, this.deps.system());
  }
}
