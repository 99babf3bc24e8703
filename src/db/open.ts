import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
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
  /**
   * How long a write waits for a lock another process holds: SQLite's write lock on the file,
   * MySQL's write lock (GET_LOCK). Default 10 s.
   */
  lockWaitMs?: number;
  /**
   * Open only existing data, never create any (commands that act on existing data): a SQLite data
   * directory must hold data.db, a server database Baton's `_collections` and `_params`.
   */
  mustExist?: boolean;
}

/** What kind of database a `--db` value names, or undefined when it is not one Baton knows. */
export function databaseKind(url: string): 'postgres' | 'mysql' | undefined {
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgres';
  if (/^(mysql|mariadb):\/\//i.test(url)) return 'mysql';
  return undefined;
}

/**
 * The server database's counterpart of a missing data.db: opening sets up whatever tables are
 * missing, so a mistyped `--db` given to a command meant for existing data would otherwise get
 * Baton's whole schema. Only reads the catalog.
 */
async function refuseNonBatonDatabase(db: Database, url: string): Promise<void> {
  const missing: string[] = [];
  for (const table of ['_collections', '_params']) {
    if (!(await db.all(db.dialect.tableColumns(table))).length) missing.push(table);
  }
  if (!missing.length) return;
  const u = new URL(url);
  throw new EnvironmentError(`not a Baton database at ${u.host}${u.pathname} (no ${missing.join(' or ')} table); check --db`);
}

/**
 * Refuses a SQLite data directory this process may not write, naming the file: SQLite opens a file
 * it may only read without complaint, and says "attempt to write a readonly database" (no path)
 * at the first write, or "unable to open database file" when it cannot make the -wal beside it.
 * A file that does not exist yet is SQLite's to create, in the directory checked last.
 */
function refuseUnwritable(dataDir: string): void {
  const files = ['data.db', 'auxiliary.db', '.baton.lock'].flatMap((name) => [name, `${name}-wal`, `${name}-shm`]);
  for (const file of [...files.map((name) => path.join(dataDir, name)), dataDir]) {
    if (!existsSync(file)) continue;
    try {
      accessSync(file, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new EnvironmentError(
        file === dataDir
          ? `cannot write in the data directory ${file} (${code}); check its owner and permissions: the user running Baton must be able to create files in it`
          : `cannot write ${file} (${code}); check its owner and permissions: the user running Baton must be able to write it`,
      );
    }
  }
}

/** Opens the databases; drivers are loaded only for the kind asked for. */
export async function openDatabases(options: OpenDatabaseOptions): Promise<Databases> {
  const budgets = { statementTimeoutMs: options.statementTimeoutMs, clientStatementTimeoutMs: options.clientStatementTimeoutMs };
  const sqlite = { ...budgets, readerThreads: options.readerThreads, busyTimeoutMs: options.lockWaitMs };
  if (options.url) {
    const kind = databaseKind(options.url);
    let db: Database;
    if (kind === 'postgres') {
      const { PostgresDatabase } = await import('./dialects/postgres-database.ts');
      db = new PostgresDatabase(options.url, budgets);
    } else if (kind === 'mysql') {
      const { MysqlDatabase } = await import('./dialects/mysql-database.ts');
      db = new MysqlDatabase(options.url.replace(/^mariadb:/i, 'mysql:'), { ...budgets, lockTimeoutMs: options.lockWaitMs });
    } else {
      throw new EnvironmentError('unsupported database URL (expected postgres://… or mysql://…)');
    }
    if (options.mustExist) {
      try {
        await refuseNonBatonDatabase(db, options.url);
      } catch (e) {
        await db.close();
        throw e;
      }
    }
    return { data: db, aux: db, kind, close: () => db.close() };
  }
  const { SqliteDatabase, SqliteDirectoryLock } = await import('./dialects/sqlite-database.ts');
  if (options.mustExist && !existsSync(path.join(options.dataDir, 'data.db'))) {
    throw new EnvironmentError(`no Baton data directory at ${options.dataDir} (data.db is missing); check --dir`);
  }
  refuseUnwritable(options.dataDir);
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
