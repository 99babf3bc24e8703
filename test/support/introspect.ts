/**
 * What the database itself says about its schema, for tests that check the DDL a schema change
 * ran: columns, indexes, whether a table or view exists, and a snapshot of everything. Each
 * database is asked through its own catalog (SQLite: sqlite_master and pragmas; PostgreSQL:
 * information_schema and pg_catalog of the current schema; MySQL: information_schema of
 * DATABASE()). Names are always bound, never spliced.
 */
import type { Database, RowShape } from '../../src/db/dialect.ts';
import { indexLookupKeyName } from '../../src/db/dialects/mysql-indexes.ts';
import { ident, sql, value, type Sql } from '../../src/db/sql.ts';

export interface ColumnInfo {
  name: string;
  /** The type as the database reports it: SQLite the declared type, PostgreSQL upper-cased with a non-default collation. */
  type: string;
  notNull: boolean;
  /** The default expression as the database reports it, or null. */
  default: string | null;
  primaryKey: boolean;
}

export interface IndexInfo {
  name: string;
  unique: boolean;
  /**
   * SQLite: the CREATE INDEX text sqlite_master keeps. PostgreSQL: pg_indexes.indexdef.
   * MySQL, which keeps no index text: `CREATE [UNIQUE] INDEX` rebuilt from information_schema.
   */
  sql: string;
}

export type ObjectType = 'table' | 'view';

export interface SchemaObject {
  type: string;
  name: string;
  /** The table an index belongs to; a table's or view's own name. */
  table: string;
  /** The object's definition; for tables on PostgreSQL/MySQL, their columns as tableColumns reads them. */
  sql: string | null;
}

// Shapes are module constants: the database caches a row normaliser per shape object.
const COLUMN_SHAPE: RowShape = Object.freeze({ name: 'text', type: 'text', notNull: 'bool', default: 'text', primaryKey: 'bool' });
const INDEX_SHAPE: RowShape = Object.freeze({ name: 'text', unique: 'bool', sql: 'text' });
const OBJECT_SHAPE: RowShape = Object.freeze({ type: 'text', name: 'text', table: 'text', sql: 'text' });
const MYSQL_KEY_SHAPE: RowShape = Object.freeze({ name: 'text', nonUnique: 'bool', seq: 'number', column: 'text', descending: 'bool', subPart: 'number' });

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A bound name; typed as text, so PostgreSQL compares it with catalog names without guessing. */
const bound = (name: string) => value(name, 'text');

/**
 * A MySQL catalog column naming `name`, compared the way MySQL resolves table names: exactly
 * where names are case-sensitive (lower_case_table_names = 0), else case-insensitively.
 */
const mysqlNameIs = (column: Sql, name: string): Sql =>
  sql`(CASE WHEN @@lower_case_table_names = 0 THEN CAST(${column} AS BINARY) = CAST(${bound(name)} AS BINARY) ELSE LOWER(${column}) = LOWER(${bound(name)}) END)`;

/** The columns of a table or view, in order. */
export async function tableColumns(db: Database, table: string): Promise<ColumnInfo[]> {
  const as = (name: string) => ident(name);
  switch (db.dialect.name) {
    case 'sqlite':
      return db.all<ColumnInfo>(
        sql`SELECT name, type, "notnull" AS ${as('notNull')}, dflt_value AS ${as('default')}, pk AS ${as('primaryKey')}
            FROM pragma_table_info(${bound(table)}) ORDER BY cid`,
        COLUMN_SHAPE,
      );
    case 'postgres':
      return db.all<ColumnInfo>(
        sql`SELECT c.column_name AS ${ident('name')},
                   upper(c.data_type) || COALESCE(' COLLATE "' || c.collation_name || '"', '') AS ${ident('type')},
                   c.is_nullable = 'NO' AS ${as('notNull')},
                   c.column_default AS ${as('default')},
                   EXISTS (
                     SELECT 1 FROM information_schema.table_constraints tc
                     JOIN information_schema.key_column_usage k
                       ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name
                      AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name
                     WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema
                       AND tc.table_name = c.table_name AND k.column_name = c.column_name
                   ) AS ${as('primaryKey')}
            FROM information_schema.columns c
            WHERE c.table_schema = current_schema() AND c.table_name = ${bound(table)}
            ORDER BY c.ordinal_position`,
        COLUMN_SHAPE,
      );
    case 'mysql':
      return db.all<ColumnInfo>(
        sql`SELECT COLUMN_NAME AS ${ident('name')}, UPPER(COLUMN_TYPE) AS ${ident('type')}, IS_NULLABLE = 'NO' AS ${as('notNull')},
                   COLUMN_DEFAULT AS ${as('default')}, COLUMN_KEY = 'PRI' AS ${as('primaryKey')}
            FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = DATABASE() AND ${mysqlNameIs(sql`TABLE_NAME`, table)}
              AND EXTRA NOT LIKE '%INVISIBLE%'
            ORDER BY ORDINAL_POSITION`,
        COLUMN_SHAPE,
      );
  }
}

/**
 * The named indexes of a table, by name: those made by CREATE INDEX, not the ones the database
 * keeps for a primary key or constraint (SQLite's autoindexes, PostgreSQL's `_pkey`, MySQL's PRIMARY).
 */
export async function tableIndexes(db: Database, table: string): Promise<IndexInfo[]> {
  let out: IndexInfo[];
  switch (db.dialect.name) {
    case 'sqlite':
      out = await db.all<IndexInfo>(
        sql`SELECT il.name AS ${ident('name')}, il."unique" AS ${ident('unique')}, m.sql AS ${ident('sql')}
            FROM pragma_index_list(${bound(table)}) AS il
            JOIN sqlite_master AS m ON m.type = 'index' AND m.name = il.name
            WHERE il.origin = 'c'`,
        INDEX_SHAPE,
      );
      break;
    case 'postgres':
      out = await db.all<IndexInfo>(
        sql`SELECT p.indexname AS ${ident('name')}, x.indisunique AS ${ident('unique')}, p.indexdef AS ${ident('sql')}
            FROM pg_indexes p
            JOIN pg_class i ON i.relname = p.indexname AND i.relnamespace = current_schema()::regnamespace
            JOIN pg_index x ON x.indexrelid = i.oid
            WHERE p.schemaname = current_schema() AND p.tablename = ${bound(table)}
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)`,
        INDEX_SHAPE,
      );
      break;
    case 'mysql': {
      // The dialect's own keys: the invisible row-order primary key, the unique key on `id`
      // (what a primary key is on the other databases) and the lookup twins of unique keys.
      const all = await mysqlIndexes(db, table);
      const twins = new Set(all.filter((i) => i.unique).map((i) => indexLookupKeyName(i.name)));
      out = all.filter((i) => i.name !== 'PRIMARY' && i.name !== 'id' && !twins.has(i.name));
      break;
    }
  }
  return out.sort((a, b) => byCodeUnits(a.name, b.name));
}

/** MySQL keeps no index text: each index rebuilt as a CREATE INDEX over its key parts, in order. */
async function mysqlIndexes(db: Database, table: string): Promise<IndexInfo[]> {
  const parts = await db.all<{ name: string; nonUnique: boolean; seq: number; column: string; descending: boolean; subPart: number | null }>(
    sql`SELECT INDEX_NAME AS ${ident('name')}, NON_UNIQUE AS ${ident('nonUnique')}, SEQ_IN_INDEX AS ${ident('seq')}, COLUMN_NAME AS ${ident('column')},
               COLLATION = 'D' AS ${ident('descending')}, SUB_PART AS ${ident('subPart')}
        FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = DATABASE() AND ${mysqlNameIs(sql`TABLE_NAME`, table)}
        ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
    MYSQL_KEY_SHAPE,
  );
  const byName = new Map<string, typeof parts>();
  for (const p of parts) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const q = (name: string) => `\`${name.replace(/`/g, '``')}\``;
  return [...byName].map(([name, keys]) => {
    const unique = !keys[0].nonUnique;
    const list = keys.map((k) => `${q(k.column)}${k.subPart ? `(${k.subPart})` : ''}${k.descending ? ' DESC' : ''}`).join(', ');
    return { name, unique, sql: `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${q(name)} ON ${q(table)} (${list})` };
  });
}

/**
 * Whether `name` is a table, a view, or nothing, matched as the database resolves names: SQLite
 * case-insensitively (a leftover `ITEMS` counts as `items`), PostgreSQL exactly (`"Goods"` and
 * `"goods"` are two tables), MySQL by its lower_case_table_names.
 */
export async function objectType(db: Database, name: string): Promise<ObjectType | undefined> {
  let rows: Array<{ type: ObjectType }>;
  switch (db.dialect.name) {
    case 'sqlite':
      rows = await db.all(sql`SELECT type FROM sqlite_master WHERE type IN ('table', 'view') AND name = ${bound(name)} COLLATE NOCASE`);
      break;
    case 'postgres':
      rows = await db.all(
        sql`SELECT CASE WHEN relkind IN ('v', 'm') THEN 'view' ELSE 'table' END AS ${ident('type')}
            FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relname = ${bound(name)} AND relkind IN ('r', 'p', 'v', 'm')`,
      );
      break;
    case 'mysql':
      rows = await db.all(
        sql`SELECT CASE WHEN TABLE_TYPE = 'VIEW' THEN 'view' ELSE 'table' END AS ${ident('type')}
            FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND ${mysqlNameIs(sql`TABLE_NAME`, name)}`,
      );
      break;
  }
  if (rows.length > 1) throw new Error(`${rows.length} objects answer to the name ${JSON.stringify(name)}`);
  return rows[0]?.type;
}

const columnsText = (columns: readonly ColumnInfo[]) =>
  columns
    .map((c) => `${c.name} ${c.type}${c.default === null ? '' : ` DEFAULT ${c.default}`}${c.notNull ? ' NOT NULL' : ''}${c.primaryKey ? ' PRIMARY KEY' : ''}`)
    .join(', ');

/**
 * Every table, view and index (and on SQLite every trigger) with its definition, sorted by type
 * and name: two snapshots are equal only if no object was added, dropped, renamed or redefined.
 */
export async function schemaSnapshot(db: Database): Promise<SchemaObject[]> {
  let out: SchemaObject[];
  switch (db.dialect.name) {
    case 'sqlite':
      out = await db.all<SchemaObject>(sql`SELECT type, name, tbl_name AS ${ident('table')}, sql FROM sqlite_master`, OBJECT_SHAPE);
      break;
    case 'postgres':
      out = await db.all<SchemaObject>(
        sql`SELECT CASE WHEN c.relkind IN ('r', 'p') THEN 'table' WHEN c.relkind IN ('v', 'm') THEN 'view'
                        WHEN c.relkind IN ('i', 'I') THEN 'index' ELSE 'sequence' END AS ${ident('type')},
                   c.relname AS ${ident('name')},
                   COALESCE(t.relname, c.relname) AS ${ident('table')},
                   CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid)
                        WHEN c.relkind IN ('i', 'I') THEN pg_get_indexdef(c.oid) END AS ${ident('sql')}
            FROM pg_class c
            LEFT JOIN pg_index x ON x.indexrelid = c.oid
            LEFT JOIN pg_class t ON t.oid = x.indrelid
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'i', 'I', 'S')`,
        OBJECT_SHAPE,
      );
      break;
    case 'mysql': {
      out = await db.all<SchemaObject>(
        sql`SELECT CASE WHEN t.TABLE_TYPE = 'VIEW' THEN 'view' ELSE 'table' END AS ${ident('type')}, t.TABLE_NAME AS ${ident('name')},
                   t.TABLE_NAME AS ${ident('table')}, v.VIEW_DEFINITION AS ${ident('sql')}
            FROM information_schema.TABLES t
            LEFT JOIN information_schema.VIEWS v ON v.TABLE_SCHEMA = t.TABLE_SCHEMA AND v.TABLE_NAME = t.TABLE_NAME
            WHERE t.TABLE_SCHEMA = DATABASE()`,
        OBJECT_SHAPE,
      );
      const tables = out.filter((o) => o.type === 'table').map((o) => o.name);
      for (const table of tables) {
        for (const index of await mysqlIndexes(db, table)) out.push({ type: 'index', name: index.name, table, sql: index.sql });
      }
      break;
    }
  }
  for (const o of out) if (o.type === 'table' && db.dialect.name !== 'sqlite') o.sql = columnsText(await tableColumns(db, o.name));
  return out.sort((a, b) => byCodeUnits(a.type, b.type) || byCodeUnits(a.name, b.name) || byCodeUnits(a.table, b.table));
}

/**
 * The names of the routines and types defined in the database's own schema, beside its tables:
 * PostgreSQL's functions and composite types (not a table's row type), MySQL's routines. SQLite
 * keeps none.
 */
export async function routineNames(db: Database): Promise<string[]> {
  const name = ident('name');
  switch (db.dialect.name) {
    case 'postgres':
      return (
        await db.all<{ name: string }>(sql`SELECT proname AS ${name} FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
          UNION ALL SELECT t.typname FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid
          WHERE t.typnamespace = current_schema()::regnamespace AND t.typtype = 'c' AND c.relkind = 'c'`)
      ).map((r) => r.name).sort();
    case 'mysql':
      return (await db.all<{ name: string }>(sql`SELECT ROUTINE_NAME AS ${name} FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()`)).map((r) => r.name).sort();
    default:
      return [];
  }
}
