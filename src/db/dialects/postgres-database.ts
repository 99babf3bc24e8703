import postgres from 'postgres';
import type { Dialect, Executor, RowShape, RunResult } from '../dialect.ts';
import { NormalizerCache } from '../normalize.ts';
import { render, type Sql } from '../sql.ts';
import { DEFAULT_CLIENT_STATEMENT_TIMEOUT_MS, DEFAULT_STATEMENT_TIMEOUT_MS } from '../timeouts.ts';
import { PooledDatabase } from '../pooled-database.ts';
import { abortReason, runAbortable } from '../abortable.ts';
import { postgresDialect } from './postgres.ts';
import { runPostgresSuperuserSql } from './postgres-superuser-sql.ts';
import { ConsoleSlots, type SuperuserSqlQuery, type SuperuserSqlResult } from '../superuser-sql.ts';

/**
 * The driver is postgres (Postgres.js), chosen by measurement (bench/pg-drivers.ts,
 * docs/performance.md): with its prepared statements and pipelining it serves 2-4x the views of
 * `pg` on the same pool. Two of its defaults are changed here:
 * - JSON parameters: it would encode a JS string bound to a json/jsonb parameter as a JSON string;
 *   Baton binds JSON documents as JSON text (what the field codecs produce), so text goes through
 *   as it is and only structures are stringified.
 * - int8 and numeric come back as numbers (counts), not strings.
 */
const TYPES = {
  json: {
    to: 114,
    from: [114, 3802],
    serialize: (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v)),
    parse: (v: string) => JSON.parse(v) as unknown,
  },
  number: { to: 0, from: [20, 1700], serialize: (v: unknown) => String(v), parse: (v: string) => Number(v) },
};

/** The driver parses JSON/JSONB and booleans itself; shapes only fix up the rest. */
const normalizers = new NormalizerCache(false);

type Client = postgres.Sql<Record<string, never>> | postgres.TransactionSql<Record<string, never>>;

function bindable(v: unknown): postgres.ParameterOrJSON<never> {
  return (v === undefined ? null : v) as postgres.ParameterOrJSON<never>;
}

export interface PostgresOptions {
  /** Connections in the pool. */
  poolSize?: number;
  /** Longest a statement may run before the server cancels it (PostgreSQL's statement_timeout). */
  statementTimeoutMs?: number;
  /** The same for reads made for clients (`forClients`). */
  clientStatementTimeoutMs?: number;
}


class QueryExecutor implements Executor {
  readonly dialect: Dialect = postgresDialect;
  /**
   * `prepare`: named server-side statements, cached per connection by text. Off inside
   * transactions: a schema change there (ALTER TABLE) invalidates statements prepared before it,
   * which PostgreSQL reports as an error that the driver can only retry outside a transaction.
   * `signal`: a transaction's (`TransactionOptions.signal`); when it aborts, a query it is running
   * gets a cancel request, and one still waiting for its turn on the connection is never sent.
   */
  constructor(
    private readonly client: Client,
    private readonly prepare: boolean,
    private readonly signal?: AbortSignal,
  ) {}

  private query(query: Sql) {
    const { text, params } = render(query, this.dialect);
    const pending = this.client.unsafe(text, params.map(bindable), { prepare: this.prepare });
    return this.signal ? pending.signal(this.signal) : pending;
  }

  async all<T>(query: Sql, shape?: RowShape): Promise<T[]> {
    const rows = (await this.query(query)) as unknown as Record<string, unknown>[];
    return normalizers.rows<T>(rows, shape);
  }

  async get<T>(query: Sql, shape?: RowShape): Promise<T | undefined> {
    return (await this.all<T>(query, shape))[0];
  }

  async run(query: Sql): Promise<RunResult> {
    const res = await this.query(query);
    return { changes: res.count ?? 0 };
  }
}

/** Serializes Baton's writers across processes too: every write transaction holds this advisory lock. */
const WRITE_LOCK_KEY = 0x62617430; // 'bat0'

/**
 * PostgreSQL through a Postgres.js pool. Reads go to any pooled connection. Transactions are
 * serialized, as on SQLite, by a queue in the process and an advisory lock in the database, so
 * Baton's checks made inside one (the last superuser, a delete's cascade) hold across processes;
 * single-record writes marked `concurrent` run side by side, kept whole by the database itself.
 */
export class PostgresDatabase extends PooledDatabase {
  readonly dialect: Dialect = postgresDialect;
  private readonly sql: postgres.Sql<Record<string, never>>;
  /** A second pool whose sessions carry the client statement budget (connections open lazily). */
  private readonly clientSql: postgres.Sql<Record<string, never>>;
  protected readonly reader: QueryExecutor;
  protected readonly clientReader: QueryExecutor;
  /** The SQL console's connection string and budget (the system one). */
  private readonly console: { url: string; budgetMs: number };
  /** Console queries at once (each on a connection of its own). */
  private readonly consoleSlots = new ConsoleSlots();

  constructor(url: string, options: PostgresOptions = {}) {
    super();
    this.console = { url, budgetMs: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS };
    const pool = (statementTimeoutMs: number, name: string) =>
      postgres(url, {
        max: options.poolSize ?? 10,
        types: TYPES,
        // Notices ("table does not exist, skipping") are not errors and not the operator's concern.
        onnotice: () => undefined,
        connection: {
          statement_timeout: statementTimeoutMs,
          // Dates are text in PocketBase's format; the session's zone only matters to date functions.
          TimeZone: 'UTC',
          application_name: name,
        },
      }) as unknown as postgres.Sql<Record<string, never>>;
    this.sql = pool(options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS, 'baton');
    this.clientSql = pool(options.clientStatementTimeoutMs ?? DEFAULT_CLIENT_STATEMENT_TIMEOUT_MS, 'baton-clients');
    this.reader = new QueryExecutor(this.sql, true);
    this.clientReader = new QueryExecutor(this.clientSql, true);
  }

  protected async runTransaction<T>(fn: (tx: Executor) => Promise<T>, serialized: boolean, signal?: AbortSignal): Promise<T> {
    const begin = this.sql.begin(async (tx) => {
      if (serialized) {
        const lock = tx.unsafe('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK_KEY]);
        await (signal ? lock.signal(signal) : lock);
      }
      const executor = new QueryExecutor(tx as unknown as Client, false, signal);
      return { value: signal ? await runAbortable(executor, signal, fn) : await fn(executor) };
    });
    try {
      // A transaction given up on while it waits for a connection never gets one.
      const result = await (signal ? begin.signal(signal) : begin);
      return (result as unknown as { value: T }).value;
    } catch (e) {
      throw abortReason(signal, e);
    }
  }

  /** Database.runSuperuserSql (postgres-superuser-sql.ts); writes in turn with Baton's serialized transactions. */
  runSuperuserSql(query: SuperuserSqlQuery): Promise<SuperuserSqlResult> {
    const target = {
      ...this.console,
      writeLockKey: WRITE_LOCK_KEY,
      terminate: async (pid: number) => void (await this.sql.unsafe('SELECT pg_terminate_backend($1)', [pid])),
    };
    const run = () => this.consoleSlots.run(() => runPostgresSuperuserSql(target, query));
    return query.write ? this.serialized(run) : run();
  }

  protected async endPools(): Promise<void> {
    await Promise.all([this.sql.end({ timeout: 5 }), this.clientSql.end({ timeout: 5 })]);
  }
}
