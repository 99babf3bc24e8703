import type { ColumnKind, ColumnSpec, ExprType, TypedSql } from '../dialect.ts';
import type { IndexSpec } from '../indexes.ts';
import { ident, join, raw, sql, type Sql, type ValueType } from '../sql.ts';

/** The numbers of the haversine formula (see `StandardSqlDialect.geoDistance`). */
export interface HaversineArgs {
  readonly lonA: Sql;
  readonly latA: Sql;
  readonly lonB: Sql;
  readonly latB: Sql;
  readonly cosLatA: Sql;
  readonly cosLatB: Sql;
}

/**
 * The SQL the three databases write alike: column DDL, views, paging, the haversine formula.
 * Each dialect extends it and overrides only what differs (Kysely's dialect pattern).
 */
export abstract class StandardSqlDialect {
  /** The DDL type (with default and NOT NULL) of a column of each kind. */
  protected abstract readonly columnTypes: Readonly<Record<ColumnKind, string>>;
  /** The dialect's index DDL (`*-indexes.ts`). */
  protected abstract readonly indexDdl: {
    createIndexSql(spec: IndexSpec, table: string, columns: Readonly<Record<string, ColumnKind>>): Sql[];
    dropIndexSql(spec: IndexSpec, table: string): Sql[];
    indexLookupSql(spec: IndexSpec, table: string, columns: Readonly<Record<string, ColumnKind>>, value: string, asciiLower: (e: Sql) => Sql): Sql;
  };
  /** CREATE statements of the system tables (`*-system-tables.ts`). */
  protected abstract readonly systemTableStatements: { readonly data: readonly Sql[]; readonly aux: readonly Sql[] };

  createIndex(index: IndexSpec, table: string, columns: Readonly<Record<string, ColumnKind>>): Sql[] {
    return this.indexDdl.createIndexSql(index, table, columns);
  }

  dropIndex(index: IndexSpec, table: string): Sql[] {
    return this.indexDdl.dropIndexSql(index, table);
  }

  /** The text of `expr` with ASCII letters lower-cased (`Dialect.lower`). */
  abstract lower(expr: Sql): Sql;

  /** Rendered beside the index DDL, so the lookup compares what the index keeps. */
  indexLookup(index: IndexSpec, table: string, columns: Readonly<Record<string, ColumnKind>>, value: string): Sql {
    return this.indexDdl.indexLookupSql(index, table, columns, value, (e) => this.lower(e));
  }

  systemTables(): { readonly data: readonly Sql[]; readonly aux: readonly Sql[] } {
    return this.systemTableStatements;
  }

  /** SQLite and MySQL: the system tables are all there is (PostgreSQL overrides it). */
  dropSystemRoutines(): readonly Sql[] {
    return [];
  }

  /** SQLite: none (the server databases override it). */
  otherSessions(): Sql | undefined {
    return undefined;
  }

  /** SQLite and MySQL sort NULLs first ascending and last descending: the plain order is SQLite's. */
  orderBy(expr: Sql, descending: boolean, _nullable?: boolean): Sql {
    return descending ? sql`${expr} DESC` : sql`${expr} ASC`;
  }

  /** SQLite's order is the value's own (its dialect); the others override it for JSON values. */
  sortKeys(expr: Sql, _type: ExprType): readonly Sql[] {
    return [expr];
  }

  /** SQLite and MySQL list a table, and keep ties, in their row id's order. */
  listTieBreak(_tableAlias: string, _sorted: boolean, _view: boolean): Sql | undefined {
    return undefined;
  }

  /** MySQL's LENGTH counts bytes, of any value's text. */
  storedBytes(expr: Sql, _type: ValueType): Sql {
    return sql`COALESCE(LENGTH(${expr}), 0)`;
  }

  /** SQLite keeps JSON as text, and MySQL's driver hands it back as text (`jsonStrings`). */
  jsonAsText(expr: Sql): Sql {
    return expr;
  }

  /** The physical row order column, where `caps.rowid` says there is one. */
  rowid(tableAlias: string): Sql {
    return sql`${ident(tableAlias, '_rowid_')}`;
  }

  protected column(c: ColumnSpec): Sql {
    return sql`${ident(c.name)} ${raw(this.columnTypes[c.kind])}`;
  }

  createTable(table: string, columns: readonly ColumnSpec[]): Sql {
    return sql`CREATE TABLE ${ident(table)} (${join(columns.map((c) => this.column(c)))})`;
  }

  addColumn(table: string, column: ColumnSpec): Sql {
    return sql`ALTER TABLE ${ident(table)} ADD COLUMN ${this.column(column)}`;
  }

  dropColumn(table: string, column: string): Sql {
    return sql`ALTER TABLE ${ident(table)} DROP COLUMN ${ident(column)}`;
  }

  renameColumn(table: string, from: string, to: string): Sql {
    return sql`ALTER TABLE ${ident(table)} RENAME COLUMN ${ident(from)} TO ${ident(to)}`;
  }

  renameTable(from: string, to: string): Sql {
    return sql`ALTER TABLE ${ident(from)} RENAME TO ${ident(to)}`;
  }

  /** Several renames; where one statement cannot do them all, one each (inside the caller's transaction). */
  renameTables(pairs: ReadonlyArray<readonly [from: string, to: string]>): Sql[] {
    return pairs.map(([from, to]) => this.renameTable(from, to));
  }

  dropTable(table: string): Sql {
    return sql`DROP TABLE IF EXISTS ${ident(table)}`;
  }

  createView(name: string, selectQuery: string, columns?: readonly string[]): Sql {
    // The view query is a superuser-authored SELECT, validated by the collection service
    // (single statement, SELECT only) before it reaches here. The newline ends a trailing
    // `-- comment` in the query before the closing parenthesis.
    const list = columns
      ? join(columns.map((c) => (c === 'id' ? sql`${this.textCast(sql`${ident('_view', c)}`)} AS ${ident(c)}` : sql`${ident('_view', c)}`)))
      : raw('*');
    return sql`CREATE VIEW ${ident(name)} AS SELECT ${list} FROM (${raw(selectQuery)}\n) AS ${ident('_view')}`;
  }

  /** `expr` as text (SQLite's CAST(… AS TEXT)). */
  protected textCast(expr: Sql): Sql {
    return sql`CAST(${expr} AS TEXT)`;
  }

  dropView(name: string): Sql {
    return sql`DROP VIEW IF EXISTS ${ident(name)}`;
  }

  /**
   * Haversine on a sphere of the Earth's mean radius (6371 km), as PocketBase writes it for SQLite:
   * `radians(latB - latA)`, `cos(radians(latA))`, … SQLite reads a text or JSON argument two ways
   * there, and the other dialects reproduce both (`geoNumber`): a subtraction takes the leading
   * number of any text ('12abc' is 12, 'abc' 0), a math function only a text that is a number
   * (else NULL, and so the distance).
   */
  geoDistance(lonA: TypedSql, latA: TypedSql, lonB: TypedSql, latB: TypedSql): Sql {
    const [x1, y1, x2, y2] = [lonA, latA, lonB, latB].map((a) => this.geoNumber(a, 'arithmetic'));
    return this.haversine({ lonA: x1, latA: y1, lonB: x2, latB: y2, cosLatA: this.geoNumber(latA, 'math'), cosLatB: this.geoNumber(latB, 'math') });
  }

  /** The formula over numbers: `cosLatA`/`cosLatB` are the latitudes read by `cos(radians(…))`. */
  protected haversine(p: HaversineArgs): Sql {
    return sql`(6371 * 2 * asin(sqrt(power(sin(radians(${p.latB} - ${p.latA}) / 2), 2) + cos(radians(${p.cosLatA})) * cos(radians(${p.cosLatB})) * power(sin(radians(${p.lonB} - ${p.lonA}) / 2), 2))))`;
  }

  /**
   * A geoDistance() argument as the number SQLite computes with: `arithmetic` as an operand of
   * `-` (text: its leading number), `math` as the argument of radians() (text: only a number).
   * SQLite's own dialect passes the value as it is.
   */
  protected geoNumber(arg: TypedSql, _use: 'arithmetic' | 'math'): Sql {
    return arg.sql;
  }

  limitOffset(limit: number, offset: number): Sql {
    return sql` LIMIT ${Math.trunc(limit)} OFFSET ${Math.trunc(offset)}`;
  }
}
