/**
 * The tables every SQLite data directory has before any collection exists, in PocketBase's
 * on-disk layout (same columns, types and defaults, so PocketBase can open the files too).
 */
export const SQLITE_DATA_TABLES = [
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

/**
 * auxiliary.db: `_logs` as PocketBase's `1640988000_aux_init.go` creates it, but for two of its
 * indexes. Every request writes a row, and each index is paid for on every write
 * (`bench/log-inserts.ts`, figures in docs/performance.md):
 * - none on `message`: messages such as `GET /api/…/<id>` land anywhere in it, which made each
 *   insert several times dearer, while the logs filters users write (`message ~ "…"`, LIKE with a
 *   leading wildcard) cannot use it;
 * - a plain index on `created` where PocketBase has one on strftime('%Y-%m-%d %H:00:00',
 *   created): Baton's logs statistics group by SUBSTR(created, 1, 13) (logs/service.ts, on every
 *   database), which that expression index does not serve, while the retention job's
 *   `created <= ?` and the readers' sorts and ranges on `created` use a plain one, as on
 *   PostgreSQL and MySQL. The expression index cost about 0.7 µs more per row written.
 * A directory PocketBase or an earlier Baton made keeps the indexes it has, and gains
 * `idx_logs_created` on its next start (missing indexes are made then). PocketBase
 * records that migration in data.db's `_migrations` (as every system migration since v0.23) and
 * applies it again only where auxiliary.db has no `_logs`; it never reads auxiliary.db's own
 * `_migrations`, a leftover of the pre-v0.23 `logs.db` that upgraded directories still carry
 * (Baton creates it empty, and `migrate copy` copies it between directories). The `updated`
 * column is the pre-v0.23 one, which PocketBase's own test data still has; PocketBase ignores it.
 */
export const SQLITE_AUX_TABLES = [
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
  'CREATE INDEX IF NOT EXISTS idx_logs_created on `_logs` (`created`)',
];
