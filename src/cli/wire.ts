import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SqliteDatabase } from '../db/dialects/sqlite-database.ts';
import { ensureAuxTables, ensureDataTables } from '../db/system-tables.ts';
import type { Logger } from '../kernel/logger.ts';
import { AuthService } from '../domain/auth/service.ts';
import { CollectionService } from '../domain/collections/service.ts';
import { CollectionStore } from '../domain/collections/store.ts';
import { initializeDataDirectory } from '../domain/collections/system.ts';
import { RecordService } from '../domain/records/service.ts';
import type { Services } from '../domain/services.ts';

export interface OpenOptions {
  dataDir: string;
  logger: Logger;
}

export interface Baton {
  readonly services: Services;
  readonly dataDir: string;
  close(): Promise<void>;
}

/**
 * Opens a data directory in PocketBase's layout (data.db, auxiliary.db, storage/), creating it
 * when new, and wires the services. The only place that knows every concrete implementation.
 */
export async function openBaton(options: OpenOptions): Promise<Baton> {
  const dir = options.dataDir;
  mkdirSync(path.join(dir, 'storage'), { recursive: true });
  const db = new SqliteDatabase(path.join(dir, 'data.db'));
  const aux = new SqliteDatabase(path.join(dir, 'auxiliary.db'));
  try {
    await ensureDataTables(db);
    await ensureAuxTables(aux);
    const schema = new CollectionStore();
    await schema.load(db);
    const collections = new CollectionService({ db, store: schema });
    await initializeDataDirectory(db, collections);
    const services: Services = {
      db,
      schema,
      collections,
      records: new RecordService({ db, schema }),
      auth: new AuthService({ db, schema }),
    };
    options.logger.info({ dataDir: dir, collections: schema.all().length }, 'data directory opened');
    return {
      services,
      dataDir: dir,
      async close() {
        await db.close();
        await aux.close();
      },
    };
  } catch (e) {
    await db.close();
    await aux.close();
    throw e;
  }
}
