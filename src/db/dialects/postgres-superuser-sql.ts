import postgres from 'postgres';
import { budgetPassed, cellText, isQueryStatement, ResultBytes, splitStatements, SuperuserSqlError, type SuperuserSqlColumn, type SuperuserSqlQuery, type SuperuserSqlResult } from '../superuser-sql.ts';

export interface PostgresConsoleTarget {
  url: string;
  /** The system statement budget: the session's statement_timeout, and past it the session is terminated. */
  budgetMs: number;
  /** Ends a backend from another connection (pg_terminate_backend), releasing whatever it holds. */
  terminate(pid: number): Promise<void>;
  /** The advisory lock Baton's serialized writes hold, taken by a console write too. */
  writeLockKey: number;
}

type Session = postgres.Sql<Record<string, never>>;
type Tx = postgres.TransactionSql<Record<string, never>>;
type Column = { name: string; type: number; table: number; number: number };

/** Rows fetched from the cursor at a time: the result's size is checked between batches. */
const FETCH_BATCH = 100;

/**
 * The SQL console on PostgreSQL (see superuser-sql.ts): a connection of its own, closed after the
 * request. A read runs in a READ ONLY transaction, each query statement through a cursor so that
 * no more than `maxRows` rows ever leave the server (only the last statement's are returned); a write runs whole (the simple protocol
 * takes several statements) in a transaction that holds Baton's write lock.
 */
export async function runPostgresSuperuserSql(target: PostgresConsoleTarget, query: SuperuserSqlQuery): Promise<SuperuserSqlResult> {
  const session = postgres(target.url, {
    max: 1,
    onnotice: () => undefined,
    // Values stay as the server writes them (text), as PocketBase scans them into strings.
    connection: { statement_timeout: target.budgetMs, TimeZone: 'UTC', application_name: 'baton-sql' },
  }) as unknown as Session;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const [{ pid }] = await session.unsafe<{ pid: number }[]>('SELECT pg_backend_pid() AS pid');
    timer = setTimeout(() => {
      timedOut = true;
      void target.terminate(pid).catch(() => undefined);
    }, target.budgetMs);
    return query.write ? await write(session, target, query) : await read(session, query);
  } catch (e) {
    if (timedOut) throw budgetPassed(target.budgetMs);
    throw e;
  } finally {
    clearTimeout(timer);
    await session.end({ timeout: 1 }).catch(() => undefined);
  }
}

async function write(session: Session, target: PostgresConsoleTarget, query: SuperuserSqlQuery): Promise<SuperuserSqlResult> {
  const affectedRows = await session.begin(async (tx) => {
    await tx.unsafe('SELECT pg_advisory_xact_lock($1)', [target.writeLockKey]);
    const results = (await tx.unsafe(query.text).simple()) as unknown;
    // Several statements give one result each: PocketBase reports the last one's count.
    const last = (Array.isArray(results) && Array.isArray(results[results.length - 1]) ? results[results.length - 1] : results) as { count?: number | null };
    return Number(last?.count ?? 0);
  });
  return { affectedRows: affectedRows as unknown as number, columns: [], rows: [] };
}

async function read(session: Session, query: SuperuserSqlQuery): Promise<SuperuserSqlResult> {
  const statements = splitStatements(query.text);
  if (statements.length === 0) throw new SuperuserSqlError('empty query');
  return (await session.begin('READ ONLY', async (tx) => {
    let result: { columns: Column[]; rows: (string | null)[][] } = { columns: [], rows: [] };
    // Every statement's rows are bounded as the last one's are; only the last one's are kept.
    for (const [i, s] of statements.entries()) result = await readStatement(tx, s, query, `baton_sql_${i}`);
    return { affectedRows: 0, columns: await describe(tx, result.columns), rows: result.rows };
  })) as unknown as SuperuserSqlResult;
}

type Batch = unknown[][] & { columns?: unknown };

/**
 * One statement of a read: a query through a cursor, in batches, so that the result's size is
 * checked before the next rows are fetched and no more than `maxRows` rows leave the server; the
 * others a read may hold (EXPLAIN, SHOW: a plan, a setting) as they are.
 */
async function readStatement(tx: Tx, statement: string, query: SuperuserSqlQuery, cursor: string): Promise<{ columns: Column[]; rows: (string | null)[][] }> {
  const bytes = new ResultBytes(query.maxBytes);
  const rows: (string | null)[][] = [];
  const take = (batch: Batch) => {
    for (const r of batch.slice(0, query.maxRows - rows.length)) {
      const row = r.map(cellText);
      bytes.add(row);
      rows.push(row);
    }
  };
  let columns: Column[] = [];
  if (isQueryStatement(statement)) {
    await tx.unsafe(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${statement}`).simple();
    for (;;) {
      const size = Math.min(FETCH_BATCH, query.maxRows - rows.length);
      const batch = (await tx.unsafe(`FETCH FORWARD ${size} FROM ${cursor}`).raw()) as unknown as Batch;
      columns = (batch.columns ?? []) as Column[];
      take(batch);
      if (batch.length < size || rows.length >= query.maxRows) break;
    }
    await tx.unsafe(`CLOSE ${cursor}`).simple();
  } else {
    const result = (await tx.unsafe(statement).raw()) as unknown as Batch;
    columns = (result.columns ?? []) as Column[];
    take(result);
  }
  return { columns, rows };
}

/** Type names (upper-cased, as Go's lib/pq gives them) and NOT NULL from the catalog, where a column comes from a table. */
async function describe(tx: Tx, columns: Column[]): Promise<SuperuserSqlColumn[]> {
  if (columns.length === 0) return [];
  const types = await tx.unsafe<{ oid: number; name: string }[]>(
    'SELECT oid::int AS oid, typname AS name FROM pg_type WHERE oid = ANY($1::oid[])',
    [[...new Set(columns.map((c) => c.type))]] as never[],
  );
  const typeName = new Map(types.map((t) => [Number(t.oid), String(t.name).toUpperCase()]));
  const fromTables = columns.filter((c) => c.table > 0 && c.number > 0);
  const notNull = new Set<string>();
  if (fromTables.length) {
    const attrs = await tx.unsafe<{ t: number; n: number }[]>(
      `SELECT a.attrelid::int AS t, a.attnum::int AS n FROM pg_attribute a
       JOIN unnest($1::int[], $2::int[]) AS u(t, n) ON a.attrelid = u.t::oid AND a.attnum = u.n WHERE a.attnotnull`,
      [fromTables.map((c) => c.table), fromTables.map((c) => c.number)] as never[],
    );
    for (const a of attrs) notNull.add(`${a.t}:${a.n}`);
  }
  return columns.map((c) => ({ name: c.name, type: typeName.get(c.type) ?? '', nullable: !notNull.has(`${c.table}:${c.number}`) }));
}
