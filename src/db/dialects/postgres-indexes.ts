/**
 * Index DDL for PostgreSQL, reproducing what the SQLite index means:
 *
 * - `COLLATE NOCASE` becomes the expression `lower(col COLLATE "C")`: a NOCASE unique index must
 *   refuse 'A' next to 'a', and PostgreSQL has no NOCASE collation (a nondeterministic ICU
 *   collation would depend on how the server was built). Under "C", lower() folds ASCII letters
 *   only, as NOCASE does ('É' and 'é' stay apart). `COLLATE RTRIM` becomes `rtrim(col)`;
 *   `BINARY` is plain (PostgreSQL's equality is bytewise). SQLite applies collations to text
 *   only, so on number and bool columns they change nothing.
 * - `lower()`/`upper()` stay expressions; partial WHERE clauses are native.
 * - Literals are converted as SQLite's column affinity converts them (a TEXT column compared with
 *   5 compares with '5', a numeric one with 'abc' is decided by NULL alone, booleans are 0/1), and
 *   JSON columns compare by their text ("C" collation), since PostgreSQL refuses to compare JSONB
 *   with text.
 *
 * Column types, as postgres.ts creates them: TEXT COLLATE "C" for text/textPrimaryKey/date,
 * DOUBLE PRECISION, BOOLEAN, and JSONB for json/jsonArray/geoPoint (plain TEXT works too).
 *
 * Literals are spliced as escaped SQL literals (`postgresStringLiteral`, `numericLiteral`):
 * PostgreSQL takes no bound parameters in utility statements such as CREATE INDEX.
 * Note that index names share one namespace with tables in PostgreSQL.
 */
import { VALUE_TYPE_OF, type ColumnKind } from '../dialect.ts';
import { resolveIndexColumn, type IndexColumn, type IndexSpec } from '../indexes.ts';
import { checkLiteral, conditionSql, functionSql, lookupKey, orderSql, type ConditionDialect } from '../indexes-render.ts';
import { ident, join, raw, sql, value as bound, type Sql, type ValueType } from '../sql.ts';


/**
 * A string literal for PostgreSQL DDL. Quotes are doubled; a value with a backslash uses the
 * E'' form with backslashes doubled, which reads the same whatever standard_conforming_strings
 * says. Other characters pass as they are (the driver talks UTF-8).
 */
export function postgresStringLiteral(value: string): Sql {
  checkLiteral(value);
  const quoted = value.replace(/'/g, "''");
  return raw(value.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`);
}

type Columns = Readonly<Record<string, ColumnKind>>;

/** The column's exact name (qualified by `table` when given) and value type. */
function columnOf(name: string, columnKinds: Columns, table?: string): { col: Sql; type: ValueType } {
  const exact = resolveIndexColumn(name, columnKinds);
  return { col: sql`${table === undefined ? ident(exact) : ident(table, exact)}`, type: VALUE_TYPE_OF[columnKinds[exact]] };
}

/**
 * The column as text in the "C" collation: JSONB documents, numbers and booleans by their text
 * form. "C" folds case for ASCII letters only and orders by code point, as SQLite's NOCASE and
 * BINARY do, whatever collation the column or the database has.
 */
const asText = (col: Sql, type: ValueType): Sql => (type === 'text' ? sql`${col} COLLATE "C"` : sql`${col}::text COLLATE "C"`);

/** The key of a NOCASE entry; `indexLookupSql` compares the same expression, so the index serves it. */
const nocaseKey = (col: Sql, type: ValueType): Sql => sql`lower(${asText(col, type)})`;

function entrySql(entry: IndexColumn, columnKinds: Columns): Sql {
  const order = orderSql(entry.order);
  if (entry.kind === 'expression') {
    const { col, type } = columnOf(entry.column, columnKinds);
    return sql`(${functionSql(entry.fn)}(${asText(col, type)}))${order}`;
  }
  const { col, type } = columnOf(entry.name, columnKinds);
  const textual = type === 'text' || type === 'json';
  if (textual && entry.collate === 'nocase') return sql`(${nocaseKey(col, type)})${order}`;
  if (textual && entry.collate === 'rtrim') return sql`(rtrim(${asText(col, type)}))${order}`;
  return sql`${col}${order}`;
}

function conditionDialect(columnKinds: Columns, table?: string): ConditionDialect {
  return {
    string: postgresStringLiteral,
    typeOf: (name) => columnOf(name, columnKinds).type,
    column(name, against) {
      const { col, type } = columnOf(name, columnKinds, table);
      if (type === 'json' && against !== 'null') return sql`(${asText(col, type)})`;
      // SQLite stores booleans as 0/1 and compares them with numbers as such.
      if (type === 'bool' && against === 'number') return sql`CAST(${col} AS INTEGER)`;
      return col;
    },
  };
}

/** `CREATE [UNIQUE] INDEX` on `table` (the collection's current name, whatever the spec says). */
export function createIndexSql(spec: IndexSpec, table: string, columnKinds: Columns): Sql[] {
  const unique = raw(spec.unique ? 'UNIQUE ' : '');
  const entries = join(spec.columns.map((c) => entrySql(c, columnKinds)));
  const where = spec.where ? sql` WHERE ${conditionSql(spec.where, conditionDialect(columnKinds))}` : raw('');
  return [sql`CREATE ${unique}INDEX ${ident(spec.name)} ON ${ident(table)} (${entries})${where}`];
}

export function dropIndexSql(spec: IndexSpec, _table: string): Sql[] {
  return [sql`DROP INDEX IF EXISTS ${ident(spec.name)}`];
}

/**
 * `Dialect.indexLookup`: a NOCASE key compared as the index computes it, `lower(col COLLATE "C")`
 * (ASCII letters only, as NOCASE), and a partial index's WHERE rendered as in CREATE INDEX,
 * literals spliced: PostgreSQL uses a partial index only when it can prove the query implies the
 * index's predicate, which a bound parameter under a generic plan never lets it.
 */
export function indexLookupSql(spec: IndexSpec, table: string, columnKinds: Columns, value: string): Sql {
  const key = lookupKey(spec, columnKinds);
  const { col, type } = columnOf(key.name, columnKinds, table);
  const v = sql`${bound(value, 'text')}`;
  const equal = key.collate === 'nocase' ? sql`${nocaseKey(col, type)} = ${nocaseKey(v, 'text')}` : sql`${col} = ${v}`;
  if (!spec.where) return equal;
  return sql`(${equal} AND (${conditionSql(spec.where, conditionDialect(columnKinds, table))}))`;
}
