import type { Executor, RowShape } from '../../db/dialect.ts';
import { ident, join, loopGuard, scanGuard, slot, sql, SqlTemplate, type Sql } from '../../db/sql.ts';
import { badRequest } from '../../kernel/errors.ts';
import { compileFilter, compileSortTerm, type FilterEnv } from '../../filter/index.ts';
import type { Collection } from '../../db/schema.ts';
import type { FilterScope } from './access.ts';

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 1000;
const MAX_SORT_FIELDS = 8;
const MAX_SORT_FIELD_LENGTH = 255;

export interface ListParams {
  page?: string;
  perPage?: string;
  sort?: string;
  filter?: string;
  skipTotal?: string;
}

export interface Paging {
  page: number;
  perPage: number;
  skipTotal: boolean;
}

const invalid = () => badRequest();

function parseIntParam(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^[+-]?\d{1,15}$/.test(raw.trim())) throw invalid();
  return Number(raw.trim());
}

const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_VALUES = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool, which PocketBase uses for `skipTotal`. */
export function parseBoolParam(raw: string | undefined): boolean {
  if (raw === undefined || raw === '') return false;
  if (TRUE_VALUES.has(raw)) return true;
  if (FALSE_VALUES.has(raw)) return false;
  throw invalid();
}

export function parsePaging(params: ListParams): Paging {
  let page = parseIntParam(params.page, 1);
  let perPage = parseIntParam(params.perPage, DEFAULT_PER_PAGE);
  if (page <= 0) page = 1;
  if (perPage <= 0) perPage = DEFAULT_PER_PAGE;
  if (perPage > MAX_PER_PAGE) perPage = MAX_PER_PAGE;
  return { page, perPage, skipTotal: parseBoolParam(params.skipTotal) };
}

/** `sort=-created,title,@random` -> ORDER BY fragment (or undefined for none). */
export function compileSort(db: Executor, scope: FilterScope, sortParam: string | undefined): Sql | undefined {
  if (!sortParam || sortParam.trim() === '') return undefined;
  const parts = sortParam.split(',');
  if (parts.length > MAX_SORT_FIELDS) throw invalid();
  const terms: Sql[] = [];
  for (const part of parts) {
    let name = part.trim();
    let descending = false;
    if (name.startsWith('-')) {
      descending = true;
      name = name.slice(1);
    } else if (name.startsWith('+')) {
      name = name.slice(1);
    }
    if (name === '' || name.length > MAX_SORT_FIELD_LENGTH) throw invalid();
    // Views have no row id to sort by, nor has any table on a database without row ids.
    if (name === '@rowid' && (scope.collection.type === 'view' || !db.dialect.caps.rowid)) throw invalid();
    terms.push(compileSortTerm(name, clientEnv(db, scope), descending));
  }
  return join(terms);
}

/** The client's filter as a WHERE fragment. */
export function compileClientFilter(db: Executor, scope: FilterScope, filter: string | undefined): Sql | undefined {
  if (!filter || filter.trim() === '') return undefined;
  return compileFilter(filter, clientEnv(db, scope));
}

/** What the client's own filter and sort may read: hidden fields only for superusers. */
function clientEnv(db: Executor, scope: FilterScope): FilterEnv {
  return {
    dialect: db.dialect,
    schema: scope.schema,
    collection: scope.collection,
    tableAlias: scope.tableAlias,
    request: scope.request,
    allowHiddenFields: scope.superuser,
    statistics: scope.statistics,
  };
}

/**
 * `SELECT * FROM collection [WHERE where]`. `scanGuard`: the statement scans or sorts the table as a
 * client chose (a filter or sort parameter), so it carries a loop guard per row of the table and
 * runs within its statement budget, however costly that turns out (see `SqlLoopGuard`).
 * `columns`: what to read in place of every column (a list's `PagePlan.select`).
 */
export function selectFrom(collection: Collection, where: Sql | undefined, scanGuard: ScanGuard = false, columns?: Sql): Sql {
  const table = ident(collection.name);
  const list = columns ?? sql`${table}.*`;
  const condition = scanGuard ? guardedWhere(collection, where, scanGuard) : where;
  return condition ? sql`SELECT ${list} FROM ${table} WHERE ${condition}` : sql`SELECT ${list} FROM ${table}`;
}

const byIdTemplates = new WeakMap<Collection, SqlTemplate>();

/**
 * `SELECT` of the record with the id given to `bind`, as `selectFrom` with `id = ?` writes it,
 * built and rendered once per collection (the view of a record by id is the hottest read).
 */
export function selectById(collection: Collection): SqlTemplate {
  let template = byIdTemplates.get(collection);
  if (!template) {
    template = new SqlTemplate(selectFrom(collection, sql`${ident(collection.name, 'id')} = ${slot()}`));
    byIdTemplates.set(collection, template);
  }
  return template;
}

/**
 * Where a scan's loop guard goes: `true`, first, so it runs for every row; `'afterFilter'`, after
 * the filter, so only the rows that pass it pay for it (a filter that compares a small table's own
 * columns, whose scan is cheap and bounded; see RecordService.list). `false`: none.
 */
export type ScanGuard = boolean | 'afterFilter';

function guardedWhere(collection: Collection, where: Sql | undefined, placement: ScanGuard): Sql {
  // Views have no row id: their rows are checked one by one.
  const guard = collection.type === 'view' ? loopGuard(collection.name) : scanGuard(collection.name);
  if (!where) return guard;
  return placement === 'afterFilter' ? sql`(${where}) AND ${guard}` : sql`${guard} AND (${where})`;
}

/** The shape of `countFrom`'s row. */
export const COUNT_SHAPE: RowShape = Object.freeze({ n: 'number' });

/** `SELECT COUNT(*)`; `scanGuard` as for `selectFrom`. */
export function countFrom(collection: Collection, where: Sql | undefined, scanGuard: ScanGuard = false): Sql {
  const table = ident(collection.name);
  const condition = scanGuard ? guardedWhere(collection, where, scanGuard) : where;
  return condition ? sql`SELECT COUNT(*) AS n FROM ${table} WHERE ${condition}` : sql`SELECT COUNT(*) AS n FROM ${table}`;
}
