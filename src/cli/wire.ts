import { openDatabases } from '../db/open.ts';
import { ensureAuxTables, ensureDataTables } from '../db/system-tables.ts';
import type { Logger } from '../kernel/logger.ts';
import { MemoryExpiringKeys } from '../infra/expiring-keys.ts';
import { MemoryRateLimiter } from '../infra/rate-limit.ts';
import { settingsMailer } from '../infra/settings-mailer.ts';
import type { PasswordAlgorithm } from '../domain/auth/passwords.ts';
import { EmailFlowService } from '../domain/auth/email-flows.ts';
import { AuthService } from '../domain/auth/service.ts';
import { CollectionService } from '../domain/collections/service.ts';
import { CollectionStore } from '../domain/collections/store.ts';
import { initializeDataDirectory } from '../domain/collections/system.ts';
import { DEFAULT_RESPONSE_LIMITS, type ResponseLimits } from '../domain/records/limits.ts';
import { RecordService } from '../domain/records/service.ts';
import { CollectionStatistics } from '../domain/records/statistics.ts';
import { SettingsService } from '../domain/settings/service.ts';

import type { Services } from '../domain/services.ts';

export interface OpenOptions {
  dataDir: string;
  /** A `postgres://…` or `mysql://…` URL; absent: SQLite in `dataDir`. */
  db?: string;
  /** Refuse a SQLite directory another process serves (`baton serve`). */
  exclusive?: boolean;
  /** Statement budgets in milliseconds (see Config.queryTimeouts). */
  queryTimeouts?: { readonly client?: number; readonly system?: number };
  /** Bounds on one record response over DEFAULT_RESPONSE_LIMITS (see Config.responseLimits). */
  responseLimits?: Partial<ResponseLimits>;
  /** Threads for costly SQLite reads (see Config.sqliteReaderThreads). */
  sqliteReaderThreads?: number;
  /** How new passwords are hashed (see Config.passwordHash; default bcrypt at the field's cost). */
  passwordHash?: PasswordAlgorithm;
  logger: Logger;
}

export interface Baton {
  readonly services: Services;
  readonly dataDir: string;
  /** 'sqlite', 'postgres' or 'mysql'. */
  readonly databaseKind: string;
  close(): Promise<void>;
}

/**
 * Opens a data directory in PocketBase's layout (data.db, auxiliary.db, storage/), creating it
 * when new, and wires the services. The only place that knows every concrete implementation.
 */
export async function openBaton(options: OpenOptions): Promise<Baton> {
  const dir = options.dataDir;
  const databases = await openDatabases({
    url: options.db,
    dataDir: dir,
    exclusive: options.exclusive,
    statementTimeoutMs: options.queryTimeouts?.system,
    clientStatementTimeoutMs: options.queryTimeouts?.client,
    readerThreads: options.sqliteReaderThreads,
  });
  const { data: db, aux } = databases;
  try {
    await ensureDataTables(db);
    await ensureAuxTables(aux);
    const schema = new CollectionStore();
    await schema.load(db);
    const settings = await SettingsService.open(db);
    // Rate limit labels name collections: a rename rewrites them in the same transaction.
    const collections = new CollectionService({ db, store: schema, renameFollowers: [settings] });
    const statistics = new CollectionStatistics(db, schema, options.logger);
    const limits: ResponseLimits = Object.freeze({ ...DEFAULT_RESPONSE_LIMITS, ...options.responseLimits });
    await initializeDataDirectory(db, collections, schema);
    const records = new RecordService({ db, schema, statistics, limits, passwordHash: options.passwordHash });
    const mailer = settingsMailer(() => settings.get(), options.logger);
    const services: Services = {
      db,
      schema,
      collections,
      records,
      statistics,
      settings,
      rateLimiter: new MemoryRateLimiter(),
      auth: new AuthService({
        superuserIPs: () => settings.get().superuserIPs,
        db, schema, limits, records, passwordHash: options.passwordHash, mailer, appMeta: () => settings.get().meta, logger: options.logger,
      }),
      mailer,
      emailFlows: new EmailFlowService({
        db,
        schema,
        records,
        mailer,
        appMeta: () => settings.get().meta,
        locks: new MemoryExpiringKeys(),
        logger: options.logger,
      }),
    };
    options.logger.info({ dataDir: dir, database: databases.kind, collections: schema.all().length }, 'data directory opened');
    return {
      services,
      dataDir: dir,
      databaseKind: databases.kind,
      close: async () => {
        services.statistics.stop();
        services.auth.stop();
        await databases.close();
      },
    };
  } catch (e) {
    await databases.close();
    throw e;
  }
}
