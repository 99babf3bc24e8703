import type { Database } from '../db/dialect.ts';
import { consoleRefusal, splitStatements, type SuperuserSqlColumn, withoutLeadingComments } from '../db/superuser-sql.ts';
import { badRequest, fieldError } from '../kernel/errors.ts';

/** PocketBase's limits (apis/sql.go): the query's length in characters, the rows returned. */
export const MAX_SQL_QUERY_LENGTH = 5000;
export const MAX_SQL_ROWS = 1000;
/**
 * Baton's own bound on the text of the rows returned (PocketBase has none): 1,000 rows of a
 * megabyte each would otherwise be built in memory and sent. The time budget is the system
 * statement budget (`--query-timeout`, 30 s by default; PocketBase allows 3 minutes), enforced by
 * each database's runner (db/superuser-sql.ts).
 */
export const MAX_SQL_RESULT_BYTES = 16 << 20;

/**
 * Statements PocketBase runs as writes (its knownWriteQueryPrefixes; a leading SELECT never is).
 * Everything else runs as a read, in a read-only transaction (PocketBase runs it on its
 * concurrent connection, where it could write): a `WITH … DELETE` is refused rather than run
 * outside a transaction.
 */
const WRITE_PREFIXES = ['INSERT', 'CREATE', 'UPDATE', 'DELETE', 'DROP', 'DETACH', 'ALTER', 'REPLACE'];

export interface SqlConsoleResult {
  execTime: number;
  affectedRows: number;
  columns: SuperuserSqlColumn[];
  rows: (string | null)[][];
}

function parseQuery(input: unknown): string {
  // PocketBase binds the body onto {query string}: anything else fails to load.
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw badRequest('An error occurred while loading the submitted data.');
  const query = (input as Record<string, unknown>).query ?? '';
  if (typeof query !== 'string') throw badRequest('An error occurred while loading the submitted data.');
  const invalid = (code: string, message: string) => badRequest('An error occurred while validating the submitted data.', { query: fieldError(code, message) });
  if (query === '') throw invalid('validation_required', 'Cannot be blank.');
  // Characters, not UTF-16 units (Go's validation counts runes).
  if ([...query].length > MAX_SQL_QUERY_LENGTH) throw invalid('validation_length_too_long', `The length must be no more than ${MAX_SQL_QUERY_LENGTH}.`);
  return query;
}

/** `POST /api/sql`: a superuser's SQL, run as written (the caller checked the superuser). */
export async function runSqlConsole(db: Database, input: unknown): Promise<SqlConsoleResult> {
  const query = parseQuery(input).trim();
  const failed = (reason: string) => badRequest(`Failed to execute query. Raw error:\n${reason}`);
  if (query === '') throw failed('empty query');
  if (!db.runSuperuserSql) throw failed('this database cannot run console queries');
  const upper = withoutLeadingComments(query).toUpperCase();
  const write = !upper.startsWith('SELECT') && WRITE_PREFIXES.some((p) => upper.startsWith(p));
  const refusal = consoleRefusal(splitStatements(query), write);
  if (refusal) throw failed(refusal);
  const started = performance.now();
  try {
    const result = await db.runSuperuserSql({ text: query, write, maxRows: MAX_SQL_ROWS, maxBytes: MAX_SQL_RESULT_BYTES });
    return { execTime: Math.round(performance.now() - started), ...result };
  } catch (e) {
    // Only superusers reach this: the database's own message is what they need (PocketBase's wording).
    throw failed(e instanceof Error ? e.message : String(e));
  }
}
