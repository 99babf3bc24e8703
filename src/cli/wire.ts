import path from 'node:path';
import { openDatabases } from '../db/open.ts';
import { ensureAuxTables, ensureDataTables, refuseUnfinishedCopy } from '../db/system-tables.ts';
import type { Logger } from '../kernel/logger.ts';
import { LocalBus } from '../infra/bus.ts';
import { MemoryExpiringKeys } from '../infra/expiring-keys.ts';
import { MemoryRateLimiter } from '../infra/rate-limit.ts';
import { settingsMailer } from '../infra/settings-mailer.ts';
import { settingsStorage } from '../infra/storage-settings.ts';
import type { PasswordAlgorithm } from '../domain/auth/passwords.ts';
import { EmailFlowService } from '../domain/auth/email-flows.ts';
import { AuthService } from '../domain/auth/service.ts';
import { CollectionService } from '../domain/collections/service.ts';
import { CollectionStore } from '../domain/collections/store.ts';
import { FileService } from '../domain/files/service.ts';
import { OrphanFileCleanup } from '../domain/files/orphans.ts';
import { RecordFiles } from '../domain/files/record-files.ts';
import { initializeDataDirectory } from '../domain/collections/system.ts';
import { DEFAULT_RESPONSE_LIMITS, type ResponseLimits } from '../domain/records/limits.ts';
import { RecordService } from '../domain/records/service.ts';
import { BatchService } from '../domain/records/batch.ts';
import { CollectionStatistics } from '../domain/records/statistics.ts';
import { SettingsService } from '../domain/settings/service.ts';
import { OAuth2RedirectNames, OAuth2RedirectService } from '../domain/realtime/oauth2-redirect.ts';
import { RealtimeService } from '../domain/realtime/service.ts';
import type { ReplayWindow } from '../domain/realtime/replay.ts';
import { LogService } from '../domain/logs/service.ts';
import { RequestLogWriter, type RequestLogOptions } from '../domain/logs/writer.ts';

import type { Services } from '../domain/services.ts';

export interface OpenOptions {
  dataDir: string;
  /** A `postgres://…` or `mysql://…` URL; absent: SQLite in `dataDir`. */
  db?: string;
  /** Refuse a SQLite directory another process serves (`baton serve`). */
  exclusive?: boolean;
  /** Open only an existing data directory or Baton database; never set one up (see OpenDatabaseOptions). */
  mustExist?: boolean;
  /** Statement budgets in milliseconds (see Config.queryTimeouts). */
  queryTimeouts?: { readonly client?: number; readonly system?: number };
  /** Bounds on one record response over DEFAULT_RESPONSE_LIMITS (see Config.responseLimits). */
  responseLimits?: Partial<ResponseLimits>;
  /** Threads for costly SQLite reads (see Config.sqliteReaderThreads). */
  sqliteReaderThreads?: number;
  /** How long a write waits for another process's lock (OpenDatabaseOptions.lockWaitMs; default 10 s). */
  lockWaitMs?: number;
  /** How new passwords are hashed (see Config.passwordHash; default bcrypt at the field's cost). */
  passwordHash?: PasswordAlgorithm;
  /** Record changes kept for reconnecting realtime clients (default DEFAULT_REPLAY_WINDOW). */
  realtimeReplay?: Partial<ReplayWindow>;
  /** Request log buffering and retention (default DEFAULT_REQUEST_LOG_OPTIONS); tests shorten the flush interval. */
  requestLogs?: Partial<RequestLogOptions>;
  /**
   * Whether the background jobs start: orphan-file cleanup, and the request logs' flush timer and
   * retention (which deletes old entries at once). Default true; a one-shot command (`superuser`)
   * opens without them, so that it changes nothing but what it was asked to.
   */
  background?: boolean;
  logger: Logger;
}

export interface Baton {
  readonly services: Services;
  readonly dataDir: string;
  /** 'sqlite', 'postgres' or 'mysql'. */
  readonly databaseKind: string;
  /** Removes stored files no record names (run 1 minute after opening, then every 6 hours). */
  readonly orphanFiles: OrphanFileCleanup;
  close(): Promise<void>;
}

const ORPHAN_CLEANUP_FIRST_MS = 60_000;
const ORPHAN_CLEANUP_EVERY_MS = 6 * 60 * 60_000;

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
    mustExist: options.mustExist,
    statementTimeoutMs: options.queryTimeouts?.system,
    clientStatementTimeoutMs: options.queryTimeouts?.client,
    readerThreads: options.sqliteReaderThreads,
    lockWaitMs: options.lockWaitMs,
  });
  const { data: db, aux } = databases;
  try {
    await refuseUnfinishedCopy(db, options.db ? 'the database' : `the data directory ${dir}`);
    await ensureDataTables(db);
    await ensureAuxTables(aux);
    const schema = new CollectionStore();
    await schema.load(db);
    const settings = await SettingsService.open(db);
    // Record files go where the settings say, looked up per call: S3 when enabled, else storage/.
    const storage = settingsStorage(() => settings.get().s3, path.join(dir, 'storage'));
    const recordFiles = new RecordFiles(storage, options.logger);
    // Rate limit labels name collections: a rename rewrites them in the same transaction. A
    // deleted collection's files, and a truncated one's records' files, go after the commit.
    const collections = new CollectionService({ db, store: schema, renameFollowers: [settings], files: recordFiles });
    const statistics = new CollectionStatistics(db, schema, options.logger);
    const limits: ResponseLimits = Object.freeze({ ...DEFAULT_RESPONSE_LIMITS, ...options.responseLimits });
    await initializeDataDirectory(db, collections, schema);
    // Record changes go on the bus (local: this process) to the realtime clients of every node.
    const bus = new LocalBus({ onError: (err, channel) => options.logger.error({ err, channel }, 'bus subscriber failed') });
    const realtime = new RealtimeService({ db, schema, statistics, limits, bus, logger: options.logger, replay: options.realtimeReplay });
    // Apple's user names from the popup flow's redirect, for auth-with-oauth2 (one minute each).
    const redirectNames = new OAuth2RedirectNames();
    const records = new RecordService({
      db, schema, statistics, limits, passwordHash: options.passwordHash, changes: realtime.changes, files: recordFiles,
    });
    // A crash between storing an upload and writing its record leaves files no record names.
    const orphanFiles = new OrphanFileCleanup({ db, schema, storage, logger: options.logger });
    if (options.background !== false) orphanFiles.start(ORPHAN_CLEANUP_FIRST_MS, ORPHAN_CLEANUP_EVERY_MS);
    const mailer = settingsMailer(() => settings.get(), options.logger);
    // Request logs go to the auxiliary database (auxiliary.db on SQLite), in batches.
    const requestLogs = new RequestLogWriter(
      { db: aux, settings: () => settings.get().logs, logger: options.logger, subscribe: (listener) => settings.subscribe(listener) },
      options.requestLogs,
    );
    if (options.background !== false) requestLogs.start();
    const services: Services = {
      db,
      schema,
      collections,
      records,
      files: new FileService({
        db, schema, storage, superuserIPs: () => settings.get().superuserIPs, logger: options.logger,
      }),
      statistics,
      settings,
      rateLimiter: new MemoryRateLimiter(),
      batch: new BatchService({ db, records, settings: () => settings.get().batch }),
      realtime,
      oauth2Redirect: new OAuth2RedirectService({ realtime, names: redirectNames, logger: options.logger }),
      logs: new LogService(aux),
      requestLogs,
      auth: new AuthService({
        superuserIPs: () => settings.get().superuserIPs,
        db, schema, limits, records, passwordHash: options.passwordHash, mailer, appMeta: () => settings.get().meta, logger: options.logger,
        oauth2RedirectNames: redirectNames,
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
      orphanFiles,
      close: async () => {
        await orphanFiles.stop();
        services.statistics.stop();
        services.auth.stop();
        realtime.close();
        await bus.close();
        await storage.close();
        // After the server has stopped answering: the last requests' entries are written.
        await requestLogs.close();
        await databases.close();
      },
    };
  } catch (e) {
    await databases.close();
    throw e;
  }
}
