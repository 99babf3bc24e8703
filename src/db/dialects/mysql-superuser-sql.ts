import type mysql from 'mysql2/promise';
import { budgetPassed, cellText, ResultBytes, splitStatements, SuperuserSqlError, type SuperuserSqlColumn, type SuperuserSqlQuery, type SuperuserSqlResult } from '../superuser-sql.ts';

export interface MysqlConsoleTarget {
  /** A connection of the system pool (Baton's session: sql_mode, UTC, max_statement_time = the system budget). */
  connect(): Promise<mysql.PoolConnection>;
  budgetMs: number;
  /** Ends a session from another connection (KILL CONNECTION), releasing what it holds. */
  kill(threadId: number): Promise<void>;
  /** Takes Baton's cross-process write lock on `conn` (released when the connection is destroyed). */
  lockWrites(conn: mysql.PoolConnection): Promise<void>;
}

/** go-sql-driver's type names for the protocol's column types. */
const TYPE_NAMES: Record<number, string> = {
  0: 'DECIMAL', 1: 'TINYINT', 2: 'SMALLINT', 3: 'INT', 4: 'FLOAT', 5: 'DOUBLE', 6: 'NULL', 7: 'TIMESTAMP', 8: 'BIGINT',
  9: 'MEDIUMINT', 10: 'DATE', 11: 'TIME', 12: 'DATETIME', 13: 'YEAR', 15: 'VARCHAR', 16: 'BIT', 245: 'JSON',
  246: 'DECIMAL', 247: 'ENUM', 248: 'SET', 249: 'TEXT', 250: 'TEXT', 251: 'TEXT', 252: 'TEXT', 253: 'VARCHAR', 254: 'CHAR', 255: 'GEOMETRY',
};
const BINARY_NAMES: Record<string, string> = { TEXT: 'BLOB', VARCHAR: 'VARBINARY', CHAR: 'BINARY' };
const BINARY_CHARSET = 63;
const NOT_NULL_FLAG = 1;

type Field = { name: string; columnType?: number; type?: number; flags?: number; characterSet?: number };

/**
 * The SQL console on MariaDB (see superuser-sql.ts): a connection of the system pool, destroyed
 * after the request rather than returned, so nothing the statements set stays in the pool. The
 * statements run one by one (the pool's connections take one per query): a read in a READ ONLY
 * transaction with `sql_select_limit` at `maxRows`, so the server sends no more; a write in a
 * transaction under Baton's write lock (DDL commits implicitly on MySQL, as always).
 */
export async function runMysqlSuperuserSql(target: MysqlConsoleTarget, query: SuperuserSqlQuery): Promise<SuperuserSqlResult> {
  const statements = splitStatements(query.text);
  if (statements.length === 0) throw new SuperuserSqlError('empty query');
  const conn = await target.connect();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void target.kill(conn.threadId).catch(() => undefined);
  }, target.budgetMs);
  try {
    return query.write ? await write(conn, target, statements) : await read(conn, statements, query);
  } catch (e) {
    if (timedOut) throw budgetPassed(target.budgetMs);
    throw e;
  } finally {
    clearTimeout(timer);
    conn.destroy();
  }
}

async function write(conn: mysql.PoolConnection, target: MysqlConsoleTarget, statements: string[]): Promise<SuperuserSqlResult> {
  await target.lockWrites(conn);
  await conn.query('START TRANSACTION');
  let affectedRows = 0;
  try {
    for (const s of statements) {
      const [result] = await conn.query(s);
      affectedRows = Array.isArray(result) ? 0 : Number((result as mysql.ResultSetHeader).affectedRows ?? 0);
    }
    await conn.query('COMMIT');
  } catch (e) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
  return { affectedRows, columns: [], rows: [] };
}

async function read(conn: mysql.PoolConnection, statements: string[], query: SuperuserSqlQuery): Promise<SuperuserSqlResult> {
  await conn.query(`SET SESSION sql_select_limit = ${query.maxRows}`);
  await conn.query('START TRANSACTION READ ONLY');
  // Every statement's rows are read as the last one's are, bounded, and dropped.
  for (const s of statements.slice(0, -1)) await streamRows(conn, s, query);
  const { fields, rows } = await streamRows(conn, statements[statements.length - 1], query);
  await conn.query('ROLLBACK');
  const columns: SuperuserSqlColumn[] = (fields ?? []).map((f) => {
    const name = TYPE_NAMES[f.columnType ?? f.type ?? -1] ?? '';
    const type = f.characterSet === BINARY_CHARSET ? (BINARY_NAMES[name] ?? name) : name;
    return { name: f.name, type, nullable: ((f.flags ?? 0) & NOT_NULL_FLAG) === 0 };
  });
  return { affectedRows: 0, columns, rows };
}

/** mysql2's callback connection under the promise wrapper: its query emits rows as they arrive. */
interface CoreConnection extends NodeJS.EventEmitter {
  query(options: { sql: string; rowsAsArray: boolean; typeCast: boolean }): NodeJS.EventEmitter;
  pause(): void;
}

/**
 * The last statement's rows, read as they arrive rather than buffered whole, so that a result
 * past `maxBytes` stops the reading at once (the connection is destroyed after, which ends the
 * query on the server). Cells are the text the server sends, as PocketBase scans them into strings.
 */
function streamRows(conn: mysql.PoolConnection, statement: string, query: SuperuserSqlQuery): Promise<{ fields?: Field[]; rows: (string | null)[][] }> {
  const core = (conn as unknown as { connection: CoreConnection }).connection;
  const bytes = new ResultBytes(query.maxBytes);
  const rows: (string | null)[][] = [];
  let fields: Field[] | undefined;
  let lost: (e?: Error) => void = () => undefined;
  return new Promise<{ fields?: Field[]; rows: (string | null)[][] }>((resolve, reject) => {
    let failed = false;
    // A connection ended under the query (KILL at the budget) fails the connection, not the query.
    lost = (e?: Error) => {
      failed = true;
      reject(e ?? new Error('the connection was closed'));
    };
    core.once('error', lost);
    core.once('end', lost);
    const q = core.query({ sql: statement, rowsAsArray: true, typeCast: false });
    q.on('fields', (f: Field[]) => {
      fields = f;
    });
    q.on('result', (r: unknown) => {
      if (failed || !Array.isArray(r) || rows.length >= query.maxRows) return;
      try {
        const row = r.map(cellText);
        bytes.add(row);
        rows.push(row);
      } catch (e) {
        failed = true;
        core.pause();
        reject(e);
      }
    });
    q.on('error', (e: Error) => {
      failed = true;
      reject(e);
    });
    q.on('end', () => {
      if (!failed) resolve({ fields, rows });
    });
  }).finally(() => {
    core.removeListener('end', lost);
    core.removeListener('error', lost);
  });
}
