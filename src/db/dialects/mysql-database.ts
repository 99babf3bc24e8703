import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { Dialect, ExclusiveSession, Executor, RowShape, RunResult } from '../dialect.ts';
import { NormalizerCache } from '../normalize.ts';
import { render, type Sql } from '../sql.ts';
import { PooledDatabase } from '../pooled-database.ts';
import { abortReason, runAbortable } from '../abortable.ts';
import { duplicateKeyName, mysqlDialect, UNIQUE_COLUMNS } from './mysql.ts';
import { TEXT_COLLATION } from './mysql-system-tables.ts';
import { DEFAULT_CLIENT_STATEMENT_TIMEOUT_MS, DEFAULT_STATEMENT_TIMEOUT_MS } from '../timeouts.ts';
import { runMysqlSuperuserSql } from './mysql-superuser-sql.ts';
import { ConsoleSlots, type SuperuserSqlQuery, type SuperuserSqlResult } from '../superuser-sql.ts';

/**
 * The session every pooled connection starts with (MariaDB 10.6+):
 * - text literals and parameters in the collation of the columns (binary, NO PAD), so comparing
 *   them never mixes collations and compares as SQLite does;
 * - strict mode (a value that does not fit is an error, not a silent truncation);
 * - `||` concatenates and `\` is an ordinary character in string literals, as in SQLite, for
 *   superuser-written view queries. Baton's own SQL reads the same with or without these two.
 *   (Not ANSI_QUOTES: it would also change how the server prints names in SHOW CREATE TABLE and
 *   information_schema expressions, which tools and tests read.)
 *   NO_BACKSLASH_ESCAPES is safe only because every value is bound server-side (`execute`):
 *   mysql2's client-side escaping (`query` with values) writes `\'` and must never be used here;
 * - UTC, English names in DATE_FORMAT, and a time budget per statement (max_statement_time).
 */
const SQL_MODE = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION,PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES';

/** Several processes on one database serialize their writes on this lock (one per database). */
const WRITE_LOCK = "CONCAT('baton_write_', MD5(DATABASE()))";

/**
 * Held by a schema change (`exclusive`) for as long as the tables it holds (`holdWrites`) refuse
 * other connections' writes: their triggers check it, and a refused write waits for it, then
 * runs again (see QueryExecutor).
 */
const HOLD_LOCK = "CONCAT('baton_hold_', MD5(DATABASE()))";
/** The message of the error a held table's trigger raises (SIGNAL, MySQL errno 1644). */
const HOLD_MESSAGE = 'baton: table held by a schema change';
/** How many times a held write is retried after waiting for the change: each wait is a full lock wait. */
const HOLD_RETRIES = 5;

const isHeldWrite = (e: unknown): boolean => (e as { errno?: unknown })?.errno === 1644 && (e as { message?: unknown }).message === HOLD_MESSAGE;

const DDL = /^\s*(CREATE|ALTER|DROP|RENAME|TRUNCATE)\b/i;

/**
 * MariaDB hands JSON back as text (with jsonStrings) and BOOLEAN (TINYINT(1)) as 0/1: the row
 * shapes turn them into values and booleans (cheaper than a per-column typeCast on every row).
 */
const normalizers = new NormalizerCache(true);

/** Values as the server should receive them: booleans as 1/0, structures as JSON text. */
function bindable(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v) && !(v instanceof Date)) return JSON.stringify(v);
  return v;
}

export interface MysqlOptions {
  /** Connections in the pool. */
  poolSize?: number;
  /** Longest a statement may run before the server stops it (MariaDB's max_statement_time). */
  statementTimeoutMs?: number;
  /** Longest a write waits for another process's write to finish. */
  lockTimeoutMs?: number;
  /** The statement budget of reads made for clients (`forClients`). */
  clientStatementTimeoutMs?: number;
}

type Target = mysql.Pool | mysql.PoolConnection;

/**
 * The columns of the unique key a duplicate-entry error names, attached to the error for
 * classifyError: MariaDB's message names only the key. An index helper column
 * (mysql-indexes.ts: `lower(email)`, a partial key's `IF(<where>, email, NULL)`) stands for the
 * last column its expression reads. Best effort: on any failure the error goes out as it came.
 */
async function withUniqueColumns(target: Target, e: unknown): Promise<unknown> {
  const err = e as { errno?: unknown; message?: unknown; [UNIQUE_COLUMNS]?: string[] };
  if (err?.errno !== 1062 || typeof err.message !== 'string') return e;
  const key = duplicateKeyName(err.message);
  if (!key || key === 'PRIMARY') return e;
  try {
    const [rows] = await target.execute<mysql.RowDataPacket[]>(
      `SELECT s.COLUMN_NAME AS col, c.GENERATION_EXPRESSION AS expr FROM information_schema.STATISTICS s
       LEFT JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
       WHERE s.TABLE_SCHEMA = DATABASE() AND s.INDEX_NAME = ? ORDER BY s.TABLE_NAME, s.SEQ_IN_INDEX`,
      [key],
    );
    const columns = rows.map((r) => {
      const expr = typeof r.expr === 'string' ? r.expr : '';
      // Names as the server prints them: in backticks, or in double quotes under ANSI_QUOTES.
      const read = [...expr.matchAll(/`((?:[^`]|``)+)`|"((?:[^"]|"")+)"/g)].map((m) => m[1]?.replace(/``/g, '`') ?? m[2].replace(/""/g, '"'));
      return read.length ? read[read.length - 1] : String(r.col);
    });
    err[UNIQUE_COLUMNS] = [...new Set(columns)];
  } catch {
    // the original error is what matters
  }
  return e;
}

class QueryExecutor implements Executor {
  readonly dialect: Dialect = mysqlDialect;
  /**
   * `afterDdl`: inside a transaction, reopens it after the implicit commit of a DDL statement.
   * `waitForHold`: for statements in autocommit (a statement refused by a held table did nothing),
   * waits until the schema change holding the table ended, so the statement can run again.
   */
  constructor(
    private readonly target: Target,
    private readonly afterDdl?: () => Promise<void>,
    private readonly waitForHold?: () => Promise<void>,
  ) {}

  private async execute(query: Sql): Promise<unknown> {
    const { text, params } = render(query, this.dialect);
    const ddl = this.afterDdl !== undefined && DDL.test(text);
    let result: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        // Server-side prepared statements: values never pass through client-side escaping.
        [result] = await this.target.execute(text, params.map(bindable) as never[]);
        break;
      } catch (e) {
        if (this.waitForHold && isHeldWrite(e) && attempt < HOLD_RETRIES) {
          await this.waitForHold();
          continue;
        }
        const err = await withUniqueColumns(this.target, e);
        if (ddl) await this.afterDdl?.().catch(() => undefined);
        throw err;
      }
    }
    if (ddl) await this.afterDdl?.();
    return result;
  }

  async all<T>(query: Sql, shape?: RowShape): Promise<T[]> {
    const rows = await this.execute(query);
    return normalizers.rows<T>(Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [], shape);
  }

  async get<T>(query: Sql, shape?: RowShape): Promise<T | undefined> {
    return (await this.all<T>(query, shape))[0];
  }

  async run(query: Sql): Promise<RunResult> {
    const result = await this.execute(query);
    // affectedRows counts the rows matched (mysql2 connects with CLIENT_FOUND_ROWS), as SQLite's changes.
    return { changes: Array.isArray(result) ? 0 : ((result as mysql.ResultSetHeader).affectedRows ?? 0) };
  }
}

/**
 * After a DDL statement inside a transaction: MySQL committed before running it, and the session
 * is back in autocommit. A new transaction keeps what follows atomic. Only then: START TRANSACTION
 * inside an open transaction would commit it (a DDL that failed before running commits nothing).
 */
async function reopen(conn: mysql.PoolConnection): Promise<void> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT @@in_transaction AS open');
  if (rows[0]?.open !== 1) await conn.query('START TRANSACTION');
}

const lockTimeout = (): Error =>
  Object.assign(new Error('Timed out waiting for another process to finish writing'), { errno: 1205, sqlState: 'HY000', code: 'ER_LOCK_WAIT_TIMEOUT' });

/** A pool whose connections are set up as Baton needs them, with the given statement budget. */
function createPool(url: string, poolSize: number | undefined, statementTimeoutMs: number): mysql.Pool {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: poolSize ?? 10,
    charset: 'UTF8MB4_BIN',
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    decimalNumbers: true,
    jsonStrings: true,
    // No stack captured per query: a measurable cost on the hot path (bench/run.ts).
    trace: false,
    // Prepared statements are per connection; the server allows 16382 in all by default.
    maxPreparedStatements: 256,
    enableKeepAlive: true,
  });
  const session =
    // SET NAMES, not collation_connection alone: bound parameters take their collation from it.
    `SET NAMES utf8mb4 COLLATE ${TEXT_COLLATION}, SESSION sql_mode = '${SQL_MODE}', SESSION time_zone = '+00:00', ` +
    `SESSION lc_time_names = 'en_US', SESSION max_statement_time = ${statementTimeoutMs / 1000}`;
  // Runs before anything else on each new connection (mysql2 queues commands in order). A
  // connection that cannot be set up is dropped rather than used with the server's defaults.
  pool.pool.on('connection', (conn) => {
    conn.query(session, (err: unknown) => {
      if (err) conn.destroy();
    });
  });
  return pool;
}

/**
 * MariaDB through mysql2 pools (see PooledDatabase). Serialized transactions take a named lock
 * (GET_LOCK), so checks made inside one (the last superuser, a delete's cascade) hold across
 * processes too. DDL commits implicitly in MySQL (caps.transactionalDdl is false): after one, the
 * transaction is reopened, so only what follows the last DDL rolls back.
 */
export class MysqlDatabase extends PooledDatabase {
  readonly dialect: Dialect = mysqlDialect;
  private readonly pool: mysql.Pool;
  protected readonly reader: QueryExecutor;
  private readonly lockWaitSeconds: number;
  private readonly clientPool: mysql.Pool;
  protected readonly clientReader: QueryExecutor;
  /** The SQL console's budget: the system one, which the pool's sessions carry. */
  private readonly consoleBudgetMs: number;
  /** Console queries at once (each on a pooled connection, destroyed after). */
  private readonly consoleSlots = new ConsoleSlots();

  constructor(url: string, options: MysqlOptions = {}) {
    super();
    const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    this.consoleBudgetMs = statementTimeoutMs;
    // The lock is taken by a statement, which the statement budget would otherwise cut short.
    this.lockWaitSeconds = Math.max(1, Math.floor(Math.min(options.lockTimeoutMs ?? 10_000, statementTimeoutMs) / 1000));
    this.pool = createPool(url, options.poolSize, statementTimeoutMs);
    this.clientPool = createPool(url, options.poolSize, options.clientStatementTimeoutMs ?? DEFAULT_CLIENT_STATEMENT_TIMEOUT_MS);
    this.reader = new QueryExecutor(this.pool, undefined, () => this.waitForHold());
    this.clientReader = new QueryExecutor(this.clientPool);
  }

  /**
   * A concurrent transaction refused by a table a schema change holds (`holdWrites`) rolls back,
   * waits for the change to end, and runs again, as a held statement in autocommit does: its body
   * only reads and writes through `tx`, so a second run starts from the same data. Waiting inside
   * the transaction instead could deadlock: it holds the table's metadata lock, which the change
   * needs to swap the table. A serialized transaction is never held: the change takes the write
   * lock first.
   */
  protected async runTransaction<T>(fn: (tx: Executor) => Promise<T>, serialized: boolean, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.runTransactionOnce(fn, serialized, signal);
      } catch (e) {
        if (serialized || !isHeldWrite(e) || attempt >= HOLD_RETRIES) throw e;
        await this.waitForHold();
      }
    }
  }

  private async runTransactionOnce<T>(fn: (tx: Executor) => Promise<T>, serialized: boolean, signal?: AbortSignal): Promise<T> {
    const conn = await this.pool.getConnection();
    let healthy = true;
    let locked = false;
    try {
      if (serialized) {
        const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT GET_LOCK(${WRITE_LOCK}, ${this.lockWaitSeconds}) AS ok`);
        if (rows[0]?.ok !== 1) throw lockTimeout();
        locked = true;
      }
      await conn.query('START TRANSACTION');
      const executor = new QueryExecutor(conn, () => reopen(conn));
      // Given up on: a statement running for it is stopped from another connection (awaited, so
      // the KILL never reaches a statement of whoever has the connection next); the ROLLBACK
      // queues behind it on the connection.
      const kill = () => this.pool.query(`KILL QUERY ${Number(conn.threadId)}`);
      const result = signal ? await runAbortable(executor, signal, fn, kill) : await fn(executor);
      await conn.query('COMMIT');
      return result;
    } catch (e) {
      try {
        await conn.query('ROLLBACK');
      } catch {
        // (A KILL that came as its statement ended may have hit the ROLLBACK: the connection goes.)
        healthy = false;
      }
      throw abortReason(signal, e);
    } finally {
      if (locked && healthy) {
        try {
          await conn.query(`DO RELEASE_LOCK(${WRITE_LOCK})`);
        } catch {
          healthy = false;
        }
      }
      // A connection in an unknown state is closed, which also releases its lock.
      if (healthy) conn.release();
      else conn.destroy();
    }
  }

  /** Waits (within the lock wait) until no schema change holds tables: it takes and frees the hold lock. */
  private async waitForHold(): Promise<void> {
    const conn = await this.pool.getConnection();
    try {
      const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT GET_LOCK(${HOLD_LOCK}, ${this.lockWaitSeconds}) AS ok`);
      if (rows[0]?.ok !== 1) throw lockTimeout();
      await conn.query(`DO RELEASE_LOCK(${HOLD_LOCK})`);
      conn.release();
    } catch (e) {
      conn.destroy();
      throw e;
    }
  }

  /**
   * Database.exclusive: one pooled connection that takes the write lock (after this process's
   * queued writes) and the hold lock. `holdWrites` puts BEFORE INSERT/UPDATE/DELETE triggers on a
   * table that refuse the write of any other connection while the hold lock is taken (a trigger
   * moves with its table on RENAME, so a table swapped in stays held); the refused write did
   * nothing, and its connection waits for the hold lock and runs it again. Plain reads never wait.
   * A trigger was chosen over LOCK TABLES, under which MariaDB refuses RENAME TABLE, and over
   * a second connection's READ lock, which the swap's RENAME would have to wait for.
   */
  exclusive<T>(fn: (session: ExclusiveSession) => Promise<T>): Promise<T> {
    return this.serialized(async () => {
      const conn = await this.pool.getConnection();
      let healthy = true;
      const taken: string[] = [];
      const triggers: string[] = [];
      try {
        for (const lock of [WRITE_LOCK, HOLD_LOCK]) {
          const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT GET_LOCK(${lock}, ${this.lockWaitSeconds}) AS ok`);
          if (rows[0]?.ok !== 1) throw lockTimeout();
          taken.push(lock);
        }
        const [named] = await conn.query<mysql.RowDataPacket[]>(`SELECT ${HOLD_LOCK} AS name`);
        const holdName = String(named[0].name);
        const executor = new QueryExecutor(conn);
        const session: ExclusiveSession = {
          dialect: this.dialect,
          all: (q, shape) => executor.all(q, shape),
          get: (q, shape) => executor.get(q, shape),
          run: (q) => executor.run(q),
          transaction: async (body) => {
            await conn.query('START TRANSACTION');
            try {
              const result = await body(new QueryExecutor(conn, () => reopen(conn)));
              await conn.query('COMMIT');
              return result;
            } catch (e) {
              await conn.query('ROLLBACK').catch(() => {
                healthy = false;
              });
              throw e;
            }
          },
          holdWrites: async (table) => {
            const quoted = '`' + table.replace(/`/g, '``') + '`';
            const tag = createHash('md5').update(table).digest('hex').slice(0, 20);
            for (const event of ['INSERT', 'UPDATE', 'DELETE']) {
              const name = `baton_hold_${tag}_${event[0].toLowerCase()}`;
              // Left by a change whose connection died (harmless while the lock is free): made anew.
              await conn.query(`DROP TRIGGER IF EXISTS \`${name}\``);
              await conn.query(
                `CREATE TRIGGER \`${name}\` BEFORE ${event} ON ${quoted} FOR EACH ROW ` +
                  `IF IS_USED_LOCK('${holdName}') <> CONNECTION_ID() THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${HOLD_MESSAGE}'; END IF`,
              );
              triggers.push(name);
            }
          },
        };
        return await fn(session);
      } finally {
        try {
          // A table dropped by the change took its triggers with it.
          for (const name of triggers) await conn.query(`DROP TRIGGER IF EXISTS \`${name}\``);
          for (const lock of taken.reverse()) await conn.query(`DO RELEASE_LOCK(${lock})`);
        } catch {
          healthy = false;
        }
        // A connection in an unknown state is closed, which also releases its locks (and the
        // triggers left behind let every write through once the hold lock is free).
        if (healthy) conn.release();
        else conn.destroy();
      }
    });
  }

  /** Database.runSuperuserSql (mysql-superuser-sql.ts); writes in turn with Baton's serialized transactions. */
  runSuperuserSql(query: SuperuserSqlQuery): Promise<SuperuserSqlResult> {
    const target = {
      connect: () => this.pool.getConnection(),
      budgetMs: this.consoleBudgetMs,
      kill: async (threadId: number) => void (await this.pool.query(`KILL CONNECTION ${Number(threadId)}`)),
      lockWrites: async (conn: mysql.PoolConnection) => {
        const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT GET_LOCK(${WRITE_LOCK}, ${this.lockWaitSeconds}) AS ok`);
        if (rows[0]?.ok !== 1) throw lockTimeout();
      },
    };
    const run = () => this.consoleSlots.run(() => runMysqlSuperuserSql(target, query));
    return query.write ? this.serialized(run) : run();
  }

  protected async endPools(): Promise<void> {
    await Promise.all([this.pool.end(), this.clientPool.end()]);
  }
}
