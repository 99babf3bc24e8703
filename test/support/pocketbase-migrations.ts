/**
 * What PocketBase (v0.39, pocketbase/pocketbase core/migrations_runner.go and migrations/) looks at
 * before running its system migrations on a data directory, read from the files (read-only):
 * - data.db's `_migrations`: it runs every system migration whose name is not listed there. Since
 *   v0.23 this is the only `_migrations` it reads; auxiliary.db's is a leftover of the older
 *   `logs.db` that upgraded directories carry (PocketBase's test data lists four names there).
 * - auxiliary.db's `_logs`: `1640988000_aux_init.go` is applied again wherever it is missing.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { POCKETBASE_MIGRATIONS } from '../../src/domain/collections/system.ts';

/**
 * PocketBase's system migrations: the names Baton records (checked against PocketBase's own test
 * data, which lists every one), and the one that builds auxiliary.db whatever that list says.
 */
const SYSTEM_MIGRATIONS = [...new Set(['1640988000_aux_init.go', ...POCKETBASE_MIGRATIONS])];

/** What `1640988000_aux_init.go` makes in auxiliary.db. */
export const POCKETBASE_LOGS_TABLE = {
  columns: ['id', 'level', 'message', 'data', 'created'],
  indexes: ['idx_logs_created_hour', 'idx_logs_level', 'idx_logs_message'],
};

/**
 * The indexes of a `_logs` Baton makes: PocketBase's `idx_logs_level`, and a plain index on
 * `created` for its `message` and hourly ones (SQLITE_AUX_TABLES says why).
 */
export const BATON_LOGS_INDEXES = ['idx_logs_created', 'idx_logs_level'];

export interface AuxiliaryLogs {
  /** Undefined when auxiliary.db has no `_logs`. */
  columns?: string[];
  indexes: string[];
}

function readDb<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** The system migrations PocketBase would run, or run again, on opening the directory. */
export function pendingPocketBaseMigrations(dir: string): string[] {
  const applied = new Set(
    readDb(path.join(dir, 'data.db'), (db) => db.prepare('SELECT file FROM _migrations').all() as Array<{ file: string }>).map((r) => r.file),
  );
  const pending = SYSTEM_MIGRATIONS.filter((m) => !applied.has(m));
  if (auxiliaryLogs(dir).columns === undefined && !pending.includes('1640988000_aux_init.go')) pending.unshift('1640988000_aux_init.go');
  return pending;
}

/** auxiliary.db's `_logs`: its columns and the names of its indexes (sorted). */
export function auxiliaryLogs(dir: string): AuxiliaryLogs {
  return readDb(path.join(dir, 'auxiliary.db'), (db) => {
    const columns = (db.prepare("SELECT name FROM pragma_table_info('_logs') ORDER BY cid").all() as Array<{ name: string }>).map((r) => r.name);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '_logs' AND sql IS NOT NULL ORDER BY name").all() as Array<{ name: string }>;
    return { columns: columns.length ? columns : undefined, indexes: indexes.map((r) => r.name) };
  });
}
