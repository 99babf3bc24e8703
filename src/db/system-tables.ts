import type { Database, Executor } from './dialect.ts';
import { raw, sql } from './sql.ts';

/**
 * The tables every data directory has before any collection exists, in PocketBase's on-disk
 * layout. Statements are SQLite's; the PostgreSQL/MySQL dialects will bring their own set.
 */
const DATA_TABLES = [
  `CREATE TABLE IF NOT EXISTS \`_migrations\` (file VARCHAR(255) PRIMARY KEY NOT NULL, applied INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS \`_collections\` (
    \`id\`         TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,
    \`system\`     BOOLEAN DEFAULT FALSE NOT NULL,
    \`type\`       TEXT DEFAULT 'base' NOT NULL,
    \`name\`       TEXT UNIQUE NOT NULL,
    \`fields\`     JSON DEFAULT '[]' NOT NULL,
    \`indexes\`    JSON DEFAULT '[]' NOT NULL,
    \`listRule\`   TEXT DEFAULT NULL,
    \`viewRule\`   TEXT DEFAULT NULL,
    \`createRule\` TEXT DEFAULT NULL,
    \`updateRule\` TEXT DEFAULT NULL,
    \`deleteRule\` TEXT DEFAULT NULL,
    \`options\`    JSON DEFAULT '{}' NOT NULL,
    \`created\`    TEXT DEFAULT '' NOT NULL,
    \`updated\`    TEXT DEFAULT '' NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS idx__collections_type on `_collections` (`type`)',
  `CREATE TABLE IF NOT EXISTS \`_params\` (
    \`id\`      TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,
    \`value\`   JSON DEFAULT NULL,
    \`created\` TEXT DEFAULT '' NOT NULL,
    \`updated\` TEXT DEFAULT '' NOT NULL
  )`,
];

const AUX_TABLES = [
  `CREATE TABLE IF NOT EXISTS \`_migrations\` (file VARCHAR(255) PRIMARY KEY NOT NULL, applied INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS \`_logs\` (
    \`id\`      TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,
    \`level\`   INTEGER DEFAULT 0 NOT NULL,
    \`message\` TEXT DEFAULT '' NOT NULL,
    \`data\`    JSON DEFAULT '{}' NOT NULL,
    \`created\` TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL,
    \`updated\` TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS idx_logs_level on `_logs` (`level`)',
  'CREATE INDEX IF NOT EXISTS idx_logs_created_hour on `_logs` (strftime(\'%Y-%m-%d %H:00:00\', `created`))',
];

export async function hasTable(db: Executor, name: string): Promise<boolean> {
  const row = await db.get(sql`SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = ${name}`);
  return row !== undefined;
}

export async function hasMigration(db: Executor, file: string): Promise<boolean> {
  return (await db.get(sql`SELECT 1 AS ok FROM _migrations WHERE file = ${file}`)) !== undefined;
}

export async function recordMigration(db: Executor, file: string): Promise<void> {
  // PocketBase stores the applied time in microseconds.
  await db.run(sql`INSERT INTO _migrations (file, applied) VALUES (${file}, ${Date.now() * 1000})`);
}

async function createAll(tx: Executor, statements: readonly string[]): Promise<void> {
  for (const s of statements) await tx.run(raw(s));
}

export async function ensureDataTables(db: Database): Promise<void> {
  await db.transaction((tx) => createAll(tx, DATA_TABLES));
  db.schemaChanged();
}

export async function ensureAuxTables(db: Database): Promise<void> {
  await db.transaction((tx) => createAll(tx, AUX_TABLES));
  db.schemaChanged();
}
