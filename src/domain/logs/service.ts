import type { Database, RowShape } from '../../db/dialect.ts';
import { empty, sql, type Sql } from '../../db/sql.ts';
import { emptyRequestInfo } from '../../filter/index.ts';
import { notFound } from '../../kernel/errors.ts';
import type { FilterScope } from '../records/access.ts';
import { compileClientFilter, compileSort, type ListParams, parsePaging } from '../records/query.ts';
import { LOGS_COLLECTION, LOGS_SCHEMA } from './collection.ts';

/** A `_logs` row as the API returns it (PocketBase's core.Log: no `updated`). */
export interface LogEntry {
  id: string;
  created: string;
  data: Record<string, unknown>;
  message: string;
  level: number;
}

export interface LogList {
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
  items: LogEntry[];
}

/** One hour of `stats`: PocketBase's LogsStatsItem. */
export interface LogsStatsItem {
  date: string;
  total: number;
}

const LOG_SHAPE: RowShape = Object.freeze({ id: 'text', created: 'text', data: 'json', message: 'text', level: 'number' });
const STATS_SHAPE: RowShape = Object.freeze({ total: 'number', hour: 'text' });
const COUNT_SHAPE: RowShape = Object.freeze({ n: 'number' });

const COLUMNS = sql`id, created, data, message, level`;

/**
 * Reading the request logs (PocketBase's apis/logs.go, core/log_query.go). Callers check that the
 * caller is a superuser; filters and sorts go through the filter compiler over `LOGS_COLLECTION`,
 * so their values are bound and their fields checked like a collection's.
 */
export class LogService {
  private readonly scope: FilterScope = Object.freeze({
    schema: LOGS_SCHEMA,
    collection: LOGS_COLLECTION,
    tableAlias: '_logs',
    request: emptyRequestInfo(),
    superuser: true,
  });

  /** `db`: the auxiliary database. */
  constructor(private readonly db: Database) {}

  async list(params: ListParams): Promise<LogList> {
    const paging = parsePaging(params);
    // A bad filter or sort is a 400 in PocketBase's shape that names the problem, where PocketBase
    // says only "Something went wrong…" (stats: "Invalid filter format."). Only superusers read the
    // logs, so the reason tells no one what they may not know, and the dashboard shows it inline.
    const where = compileClientFilter(this.db, this.scope, params.filter);
    const order = compileSort(this.db, this.scope, params.sort);
    const condition = where ? sql` WHERE ${where}` : empty;
    const orderBy = order ? sql` ORDER BY ${order}` : empty;
    const offset = (paging.page - 1) * paging.perPage;
    const items = await this.db.all<LogEntry>(
      sql`SELECT ${COLUMNS} FROM _logs${condition}${orderBy} LIMIT ${paging.perPage} OFFSET ${offset}`,
      LOG_SHAPE,
    );
    let totalItems = -1;
    let totalPages = -1;
    if (!paging.skipTotal) {
      const row = await this.db.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM _logs${condition}`, COUNT_SHAPE);
      totalItems = row?.n ?? 0;
      totalPages = Math.ceil(totalItems / paging.perPage);
    }
    for (const item of items) item.data = keysInGoOrder(item.data) as Record<string, unknown>;
    return { page: paging.page, perPage: paging.perPage, totalItems, totalPages, items };
  }

  async view(id: string): Promise<LogEntry> {
    const entry = await this.db.get<LogEntry>(sql`SELECT ${COLUMNS} FROM _logs WHERE id = ${id}`, LOG_SHAPE);
    if (!entry) throw notFound();
    entry.data = keysInGoOrder(entry.data) as Record<string, unknown>;
    return entry;
  }

  /** Entries per hour, oldest first (PocketBase's LogsStats). */
  async stats(filter: string | undefined): Promise<LogsStatsItem[]> {
    const where: Sql | undefined = compileClientFilter(this.db, this.scope, filter);
    // `created` is `YYYY-MM-DD HH:MM:SS.mmmZ` text on every database: its first 13 characters
    // name the hour, which PocketBase's strftime('%Y-%m-%d %H:00:00', created) groups by.
    const hour = sql`SUBSTR(created, 1, 13)`;
    const rows = await this.db.all<{ total: number; hour: string }>(
      sql`SELECT COUNT(id) AS total, ${hour} AS hour FROM _logs${where ? sql` WHERE ${where}` : empty} GROUP BY ${hour} ORDER BY ${hour}`,
      STATS_SHAPE,
    );
    // PocketBase's field order: date, then total.
    return rows.map((r) => ({ date: `${r.hour}:00:00.000Z`, total: r.total }));
  }
}

/**
 * `data` with its objects' keys in the order PocketBase answers them: Go's JSON writes a map's keys
 * sorted by their bytes (the same order as JavaScript's sort except for characters past U+FFFF).
 * PostgreSQL's JSONB keeps an order of its own (shorter keys first), and nested values keep the
 * order they were built in.
 */
function keysInGoOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(keysInGoOrder);
  if (value === null || typeof value !== 'object') return value;
  // fromEntries makes own properties, a `__proto__` key included.
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, keysInGoOrder((value as Record<string, unknown>)[key])]));
}
