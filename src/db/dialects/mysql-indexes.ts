/**
 * Index DDL for MySQL/MariaDB (written for and tested on MariaDB 10.11), which has neither
 * partial indexes nor expressions in keys, and needs key lengths on TEXT columns. The emulation:
 *
 * - A helper column stands in for each key part that is not a plain column: a VIRTUAL INVISIBLE
 *   generated column `_idx_<index>_<n>` (`indexHelperColumnName`), named from the index so
 *   dropIndexSql can find it again. INVISIBLE keeps it out of `SELECT *` and out of INSERTs
 *   without a column list; VIRTUAL stores nothing in the table. Text helpers are
 *   `utf8mb4_nopad_bin`, so they compare as SQLite's BINARY does (case and trailing spaces
 *   count) whatever the table's collation.
 * - Plain key parts compare by the column's own collation: the dialect should give text columns
 *   `utf8mb4_nopad_bin` too, or a plain UNIQUE index would refuse 'a' next to 'A' (a `_ci`
 *   collation) or next to 'a ' (any PAD SPACE one) where SQLite does not.
 * - `COLLATE NOCASE` -> helper `LOWER(col)`, `COLLATE RTRIM` -> `RTRIM(col)` (text columns only,
 *   as in SQLite); `lower()`/`upper()` -> the same function in a helper.
 * - A UNIQUE index with WHERE: every key part becomes a helper `IF(<where>, <part>, NULL)`. Rows
 *   outside the WHERE index all-NULL keys, and NULLs never collide in a unique index, so they may
 *   repeat; rows inside collide exactly as in SQLite (where NULL parts never collide either).
 * - A non-unique index with WHERE drops the WHERE: it answers the same queries, over more rows.
 * - Non-unique keys on TEXT-like columns (and text helpers) get a prefix length, shared so the
 *   key stays within InnoDB's 3072 bytes. Unique keys get none: a prefix would make values that
 *   only share their start collide. MariaDB (10.4+) enforces such keys with a hidden hash
 *   ("long unique", `USING HASH`); that is what makes UNIQUE on TEXT work at all. The optimizer
 *   cannot read rows through that hash, so such a key gets a plain, prefixed twin over the same
 *   parts (`_idx_<index>_lookup`) for lookups (`indexLookupSql`).
 * - Everything is one ALTER TABLE, so a UNIQUE index refused over duplicate values leaves no
 *   helper column behind: MySQL commits DDL statement by statement, not with the transaction.
 *
 * Assumed column types from the dialect: TEXT/LONGTEXT/JSON for text, json, jsonArray and
 * geoPoint (prefixed); VARCHAR(<=255) for textPrimaryKey and date (not prefixed: a prefix longer
 * than a VARCHAR is an error); DOUBLE for numbers, BOOLEAN (TINYINT(1)) for bools.
 *
 * MariaDB-only: long unique keys, `DROP INDEX IF EXISTS`, `DROP COLUMN IF EXISTS`, the
 * `utf8mb4_nopad_bin` collation. MySQL 8 would need VARCHAR helpers, `utf8mb4_0900_bin` and
 * separate statements.
 *
 * Literals are spliced as encoded SQL literals (`mysqlStringLiteral`, `numericLiteral`): a
 * generated column's expression is part of the table's definition and cannot take parameters.
 */
import { createHash } from 'node:crypto';
import { VALUE_TYPE_OF, type ColumnKind } from '../dialect.ts';
import { indexedColumn, resolveIndexColumn, type IndexColumn, type IndexOrder, type IndexSpec } from '../indexes.ts';
import { checkLiteral, conditionSql, functionSql, lookupKey, orderSql, type ConditionDialect } from '../indexes-render.ts';
import { ident, join, raw, sql, value as bound, type Sql, type ValueType } from '../sql.ts';


/** Kinds stored as TEXT/LONGTEXT/JSON, which a non-unique key can only hold by a prefix. */
const LONG_TEXT_KINDS: ReadonlySet<ColumnKind> = new Set<ColumnKind>(['text', 'json', 'jsonArray', 'geoPoint']);

const HELPER_TYPE: Readonly<Record<ValueType, string>> = {
  text: 'LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin',
  json: 'LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin',
  number: 'DOUBLE',
  bool: 'TINYINT(1)',
};

/** Characters of prefix shared by the TEXT parts of one key: 4 bytes each in utf8mb4, 1536 of 3072 bytes. */
const PREFIX_BUDGET = 384;
const MAX_PREFIX = 255;

/**
 * A string literal for MySQL DDL: `CONVERT(X'<utf-8 hex>' USING utf8mb4) COLLATE utf8mb4_nopad_bin`.
 *
 * - Hex, because no quote or backslash then reaches the parser, whatever the sql_mode
 *   (NO_BACKSLASH_ESCAPES or not) or the connection's character set.
 * - Not `_utf8mb4 X'…'`: MariaDB stores a generated column's expression by printing it again, and
 *   prints introducer literals unescaped (`'it's'`, `a\b` read back as a backspace); CONVERT() is
 *   printed as written.
 * - An explicit `utf8mb4_nopad_bin` collation: the comparison is then SQLite's BINARY (case and
 *   trailing spaces count) whatever the column's collation, and never an "illegal mix of
 *   collations" with it.
 */
export function mysqlStringLiteral(value: string): Sql {
  checkLiteral(value);
  return raw(`CONVERT(X'${Buffer.from(value, 'utf8').toString('hex')}' USING utf8mb4) COLLATE utf8mb4_nopad_bin`);
}

/** `_idx_<index>_<suffix>`, shortened with a hash to fit MySQL's 64 characters. */
function nameFromIndex(indexName: string, suffix: string): string {
  const plain = `_idx_${indexName}_${suffix}`;
  if (plain.length <= 64) return plain;
  const hash = createHash('sha256').update(indexName).digest('hex').slice(0, 10);
  return `_idx_${indexName.slice(0, 40)}_${hash}_${suffix}`;
}

/**
 * The helper column for key part `position` of an index: `_idx_<index>_<n>`, derived from the
 * index name alone so dropIndexSql finds it again.
 */
export const indexHelperColumnName = (indexName: string, position: number): string => nameFromIndex(indexName, String(position + 1));

/**
 * The readable twin of a unique index (see `createIndexSql`): `_idx_<index>_lookup`, derived from
 * the index name alone, like the helper columns; index names have a namespace of their own.
 */
export const indexLookupKeyName = (indexName: string): string => nameFromIndex(indexName, 'lookup');

type Columns = Readonly<Record<string, ColumnKind>>;

function conditionDialect(columnKinds: Columns): ConditionDialect {
  return {
    string: mysqlStringLiteral,
    typeOf: (name) => VALUE_TYPE_OF[columnKinds[resolveIndexColumn(name, columnKinds)]],
    column: (name) => sql`${ident(resolveIndexColumn(name, columnKinds))}`,
  };
}

/** Whether the entry may need a helper column, from the spec alone (so dropping needs no kinds). */
const mayNeedHelper = (spec: IndexSpec, entry: IndexColumn): boolean =>
  (spec.unique && spec.where !== null) || entry.kind === 'expression' || entry.collate === 'nocase' || entry.collate === 'rtrim';

/**
 * What a key part computes from its column, when not the column itself: the function of an
 * expression entry, LOWER for NOCASE and RTRIM for RTRIM (text only, as in SQLite).
 */
function keyFunction(entry: IndexColumn, type: ValueType): ((value: Sql) => Sql) | undefined {
  if (entry.kind === 'expression') return (value) => sql`${functionSql(entry.fn)}(${value})`;
  if (type !== 'text' && type !== 'json') return undefined;
  if (entry.collate === 'nocase') return (value) => sql`LOWER(${value})`;
  if (entry.collate === 'rtrim') return (value) => sql`RTRIM(${value})`;
  return undefined;
}

interface KeyPart {
  column: Sql;
  /** TEXT-like: needs a prefix in a non-unique key. */
  long: boolean;
  order?: IndexOrder;
}

/** `ALTER TABLE` adding the helper columns and the index on `table` (the collection's current name). */
export function createIndexSql(spec: IndexSpec, table: string, columnKinds: Columns): Sql[] {
  const where = spec.unique && spec.where ? conditionSql(spec.where, conditionDialect(columnKinds)) : undefined;
  const helpers: Sql[] = [];
  const parts = spec.columns.map((entry, i): KeyPart => {
    const name = resolveIndexColumn(indexedColumn(entry), columnKinds);
    const kind = columnKinds[name];
    const col = sql`${ident(name)}`;
    const type = entry.kind === 'expression' ? 'text' : VALUE_TYPE_OF[kind];
    let value = keyFunction(entry, VALUE_TYPE_OF[kind])?.(col);
    if (where) value = sql`IF(${where}, ${value ?? col}, NULL)`;
    if (!value) return { column: col, long: LONG_TEXT_KINDS.has(kind), order: entry.order };
    const helper = sql`${ident(indexHelperColumnName(spec.name, i))}`;
    helpers.push(sql`ADD COLUMN ${helper} ${raw(HELPER_TYPE[type])} GENERATED ALWAYS AS (${value}) VIRTUAL INVISIBLE`);
    return { column: helper, long: type === 'text' || type === 'json', order: entry.order };
  });
  const longParts = parts.filter((p) => p.long).length;
  const prefix = raw(`(${Math.min(MAX_PREFIX, Math.floor(PREFIX_BUDGET / Math.max(1, longParts)))})`);
  const keys = (prefixed: boolean) => join(parts.map((p) => sql`${p.column}${prefixed && p.long ? prefix : raw('')}${orderSql(p.order)}`));
  const indexes = [sql`ADD ${raw(spec.unique ? 'UNIQUE INDEX' : 'INDEX')} ${ident(spec.name)} (${keys(!spec.unique)})`];
  // A unique key with a TEXT part is a long unique key, which MariaDB enforces through a hash it
  // cannot read rows by (MDEV-34880): every lookup by it would scan the table. A plain twin over
  // the same parts, prefixed, is what serves lookups (`indexLookupSql`).
  if (spec.unique && longParts > 0) indexes.push(sql`ADD INDEX ${ident(indexLookupKeyName(spec.name))} (${keys(true)})`);
  return [sql`ALTER TABLE ${ident(table)} ${join([...helpers, ...indexes])}`];
}

/** Drops the index and whatever helper columns it may have had, in one statement. */
export function dropIndexSql(spec: IndexSpec, table: string): Sql[] {
  const helpers = spec.columns.flatMap((entry, i) =>
    mayNeedHelper(spec, entry) ? [sql`DROP COLUMN IF EXISTS ${ident(indexHelperColumnName(spec.name, i))}`] : [],
  );
  const twin = spec.unique ? [sql`DROP INDEX IF EXISTS ${ident(indexLookupKeyName(spec.name))}`] : [];
  return [sql`ALTER TABLE ${ident(table)} ${join([sql`DROP INDEX IF EXISTS ${ident(spec.name)}`, ...twin, ...helpers])}`];
}

/**
 * `Dialect.indexLookup`. The key is compared where the index keeps it, the helper column of a
 * NOCASE, RTRIM or partial unique key (MariaDB never matches an expression to a generated column),
 * and read through the index's twin. The helper holds NULL outside a partial index's WHERE, so
 * those rows never match. The helper's LOWER() also folds non-ASCII letters, so the key only
 * narrows the rows down; the exact comparison (ASCII letters folded, `asciiLower`, as NOCASE
 * compares) decides.
 */
export function indexLookupSql(spec: IndexSpec, table: string, columnKinds: Columns, value: string, asciiLower: (e: Sql) => Sql): Sql {
  const key = lookupKey(spec, columnKinds);
  const col = sql`${ident(table, key.name)}`;
  const v = sql`${bound(value, 'text')}`;
  const equal = key.collate === 'nocase' ? sql`${asciiLower(col)} = ${asciiLower(v)}` : sql`${col} = ${v}`;
  const keyed = keyFunction(spec.columns[0], VALUE_TYPE_OF[columnKinds[key.name]]);
  if (!keyed && !(spec.unique && spec.where)) return equal;
  const helper = sql`${ident(table, indexHelperColumnName(spec.name, 0))}`;
  return sql`(${helper} = ${keyed ? keyed(v) : v} AND ${equal})`;
}
