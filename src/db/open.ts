import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { EnvironmentError } from '../kernel/errors.ts';
import type { Database } from './dialect.ts';

/** The databases a Baton runs on: data (collections, records) and auxiliary (logs). */
export interface Databases {
  readonly data: Database;
  /** On SQLite `auxiliary.db`; on a server database, the same database as `data`. */
  readonly aux: Database;
  /** Which database kind, for messages: 'sqlite', 'postgres' or 'mysql'. */
  readonly kind: Database['dialect']['name'];
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A `postgres://…` or `mysql://…` URL; absent: SQLite files in `dataDir`. */
  url?: string;
  dataDir: string;
  /** Fail when another process serves the same SQLite directory (see `SqliteDirectoryLock`). */
  exclusive?: boolean;
  /** Statement budgets (db/timeouts.ts has the defaults). */
  statementTimeoutMs?: number;
  clientStatementTimeoutMs?: number;
  /** SQLite only: threads for costly reads, per database file (see SqliteOptions). */
  readerThreads?: number;
  /** SQLite only: open an existing data directory, never create one (commands that act on existing data). */
  mustExist?: boolean;
}

/** What kind of database a `--db` value names, or undefined when it is not one Baton knows. */
export function databaseKind(url: string): 'postgres' | 'mysql' | undefined {
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgres';
  if (/^(mysql|mariadb):\/\//i.test(url)) return 'mysql';
  return undefined;
}

/** Opens the databases; drivers are loaded only for the kind asked for. */
export async function openDatabases(options: OpenDatabaseOptions): Promise<Databases> {
  const budgets = { statementTimeoutMs: options.statementTimeoutMs, clientStatementTimeoutMs: options.clientStatementTimeoutMs };
  const sqlite = { ...budgets, readerThreads: options.readerThreads };
  if (options.url) {
    const kind = databaseKind(options.url);
    if (kind === 'postgres') {
      const { PostgresDatabase } = await import('./dialects/postgres-database.ts');
      const db = new PostgresDatabase(options.url, budgets);
      return { data: db, aux: db, kind, close: () => db.close() };
    }
    if (kind === 'mysql') {
      const { MysqlDatabase } = await import('./dialects/mysql-database.ts');
      const db = new MysqlDatabase(options.url.replace(/^mariadb:/i, 'mysql:'), budgets);
      return { data: db, aux: db, kind, close: () => db.close() };
    }
    throw new EnvironmentError('unsupported database URL (expected postgres://… or mysql://…)');
  }
  const { SqliteDatabase, SqliteDirectoryLock } = await import('./dialects/sqlite-database.ts');
  if (options.mustExist && !existsSync(path.join(options.dataDir, 'data.db'))) {
    throw new EnvironmentError(`no Baton data directory at ${options.dataDir} (data.db is missing); check --dir`);
  }
  mkdirSync(path.join(options.dataDir, 'storage'), { recursive: true });
  const lock = options.exclusive ? SqliteDirectoryLock.acquire(options.dataDir) : undefined;
  let data: Database | undefined;
  try {
    data = new SqliteDatabase(path.join(options.dataDir, 'data.db'), sqlite);
    const aux = new SqliteDatabase(path.join(options.dataDir, 'auxiliary.db'), sqlite);
    const opened = data;
    return {
      data: opened,
      aux,
      kind: 'sqlite',
      async close() {
        await opened.close();
        await aux.close();
        lock?.release();
      },
    };
  } catch (e) {
    await data?.close();
    lock?.release();
    throw e;
  }
}
