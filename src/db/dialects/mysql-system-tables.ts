/**
 * The tables every Baton database on MySQL/MariaDB has before any collection exists: PocketBase's
 * system tables with MySQL types (JSON, BOOLEAN, BIGINT). Text is `utf8mb4_nopad_bin`, so it
 * compares and sorts by code point with trailing spaces significant, as in SQLite; keys and short
 * texts are VARCHAR (a TEXT column cannot be a primary key or a plain index key).
 */

/** The collation of all text: binary (case-sensitive, code point order) and NO PAD ('a' != 'a '). */
export const TEXT_COLLATION = 'utf8mb4_nopad_bin';

/** Table options of every table Baton creates: InnoDB (transactions, foreign keys), utf8mb4 text. */
export const MYSQL_TABLE_OPTIONS = `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${TEXT_COLLATION}`;

/**
 * A hidden auto-increment primary key, so InnoDB (which stores a table in primary-key order) keeps
 * rows in insertion order as SQLite's rowid does: a list without a sort comes back oldest first,
 * not in the order of random ids. INVISIBLE keeps it out of `SELECT *` and of tableColumns; the
 * id is then a UNIQUE key.
 */
export const ROW_ID_COLUMN = '`_rowid_` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT INVISIBLE PRIMARY KEY';

const SHORT = `VARCHAR(255) CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`;
const LONG = `LONGTEXT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`;
const JSON = `JSON COLLATE ${TEXT_COLLATION}`;
const ID = `${SHORT} NOT NULL DEFAULT (CONCAT('r', SUBSTR(MD5(RAND()), 1, 14))) UNIQUE`;
/** PocketBase's date format with milliseconds ('2024-01-02 03:04:05.678Z'), in UTC. */
const NOW = `(CONCAT(LEFT(DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%d %H:%i:%s.%f'), 23), 'Z'))`;

export const MYSQL_DATA_TABLES = [
  `CREATE TABLE IF NOT EXISTS \`_migrations\` (\`file\` ${SHORT} NOT NULL PRIMARY KEY, \`applied\` BIGINT NOT NULL) ${MYSQL_TABLE_OPTIONS}`,
  `CREATE TABLE IF NOT EXISTS \`_collections\` (
    ${ROW_ID_COLUMN},
    \`id\`         ${ID},
    \`system\`     BOOLEAN NOT NULL DEFAULT FALSE,
    \`type\`       ${SHORT} NOT NULL DEFAULT 'base',
    \`name\`       ${SHORT} NOT NULL UNIQUE,
    \`fields\`     ${JSON} NOT NULL DEFAULT ('[]'),
    \`indexes\`    ${JSON} NOT NULL DEFAULT ('[]'),
    \`listRule\`   ${LONG} DEFAULT NULL,
    \`viewRule\`   ${LONG} DEFAULT NULL,
    \`createRule\` ${LONG} DEFAULT NULL,
    \`updateRule\` ${LONG} DEFAULT NULL,
    \`deleteRule\` ${LONG} DEFAULT NULL,
    \`options\`    ${JSON} NOT NULL DEFAULT ('{}'),
    \`created\`    ${SHORT} NOT NULL DEFAULT '',
    \`updated\`    ${SHORT} NOT NULL DEFAULT ''
  ) ${MYSQL_TABLE_OPTIONS}`,
  'CREATE INDEX IF NOT EXISTS `idx__collections_type` ON `_collections` (`type`)',
  `CREATE TABLE IF NOT EXISTS \`_params\` (
    ${ROW_ID_COLUMN},
    \`id\`      ${ID},
    \`value\`   ${JSON} DEFAULT NULL,
    \`created\` ${SHORT} NOT NULL DEFAULT '',
    \`updated\` ${SHORT} NOT NULL DEFAULT ''
  ) ${MYSQL_TABLE_OPTIONS}`,
];

export const MYSQL_AUX_TABLES = [
  `CREATE TABLE IF NOT EXISTS \`_logs\` (
    ${ROW_ID_COLUMN},
    \`id\`      ${ID},
    \`level\`   INTEGER NOT NULL DEFAULT 0,
    \`message\` ${LONG} NOT NULL DEFAULT '',
    \`data\`    ${JSON} NOT NULL DEFAULT ('{}'),
    \`created\` ${SHORT} NOT NULL DEFAULT ${NOW},
    \`updated\` ${SHORT} NOT NULL DEFAULT ${NOW}
  ) ${MYSQL_TABLE_OPTIONS}`,
  'CREATE INDEX IF NOT EXISTS `idx_logs_level` ON `_logs` (`level`)',
  'CREATE INDEX IF NOT EXISTS `idx_logs_created` ON `_logs` (`created`)',
];
