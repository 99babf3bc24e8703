// Benchmark: which PostgreSQL driver Baton should use, `pg` (node-postgres) or `postgres`
// (Postgres.js), measured on a table shaped like a Baton record table, and what JS types each
// driver reads and writes for the column kinds Baton uses.
//
// Usage: node --import tsx bench/pg-drivers.ts [--duration=5] [--rounds=3] [--pool=10] [--callers=32]
//          [--variants=pg,pg-named,postgres] (also available: postgres-unprepared, postgres-nopipeline)
// Connects with PGHOST/PGPORT/PGUSER/PGPASSWORD (default 127.0.0.1:5432, user postgres) to
// PGDATABASE (default postgres), creates a database of its own, and drops it at the end.
//
// Each round runs every operation for every driver variant, for --duration seconds each after a
// short warm-up, with --callers concurrent callers sharing a pool of --pool connections. The
// order of the variants rotates from round to round, so no driver always runs first or last; the
// figure reported is the median ops/s over the rounds.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import postgres from 'postgres';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    rounds: { type: 'string' },
    pool: { type: 'string' },
    callers: { type: 'string' },
    variants: { type: 'string' },
  },
});
const DURATION_MS = Number(args.duration ?? 5) * 1000;
const WARMUP_MS = Math.min(1000, DURATION_MS / 5);
const ROUNDS = Number(args.rounds ?? 3);
const POOL = Number(args.pool ?? 10);
const CALLERS = Number(args.callers ?? 32);
const SEED = 10_000;

const server = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  password: process.env.PGPASSWORD,
};
const ADMIN_DB = process.env.PGDATABASE ?? 'postgres';
const BENCH_DB = `baton_bench_${randomBytes(4).toString('hex')}`;

type Row = Record<string, unknown>;

/** One way of running Baton's queries: a driver, its pool and how it is called. */
interface Variant {
  driver: 'pg' | 'postgres';
  label: string;
  /** Runs one parameterized statement. `key` identifies the statement text, for drivers that prepare by name. */
  query(key: string, text: string, values: unknown[]): Promise<Row[]>;
  /** What to bind for a json/jsonb column so that the driver stores `value` as that JSON (see the type probe). */
  json(value: unknown): unknown;
  close(): Promise<void>;
}

/**
 * node-postgres. A `{ text, values }` query goes out as Parse/Bind/Execute of the unnamed
 * statement, so the server parses and plans it on every call; with `name` it is prepared once per
 * connection and only bound and executed afterwards.
 */
function pgVariant(named: boolean): Variant {
  // idleTimeoutMillis 0: keep connections (and their prepared statements) while other variants run,
  // as a busy server would.
  const pool = new pg.Pool({ ...server, database: BENCH_DB, max: POOL, idleTimeoutMillis: 0 });
  return {
    driver: 'pg',
    label: named ? 'pg (named)' : 'pg',
    query: async (key, text, values) => (await pool.query(named ? { name: key, text, values } : { text, values })).rows,
    // pg sends a string as it is and turns JS arrays into PostgreSQL array literals, so JSON goes as text.
    json: (value) => JSON.stringify(value),
    close: () => pool.end(),
  };
}

/**
 * Postgres.js. `sql.unsafe(text, params, { prepare: true })` is how a server that builds its SQL
 * at run time (as Baton does) gets named prepared statements; without `prepare` every call is
 * described first. Postgres.js pipelines queries on its connections by itself (up to 100 in
 * flight on one connection by default); `pipeline: false` allows one at a time, as pg does.
 */
function postgresVariant(label: string, prepare: boolean, pipeline: boolean): Variant {
  const sql = postgres({
    ...server,
    username: server.user,
    database: BENCH_DB,
    max: POOL,
    ...(pipeline ? {} : { max_pipeline: 1 }),
    onnotice: () => {},
  });
  return {
    driver: 'postgres',
    label,
    query: async (_key, text, values) => await sql.unsafe<Row[]>(text, values as never[], { prepare }),
    // Postgres.js JSON.stringifies whatever is bound to a json/jsonb parameter, so JSON goes as the value.
    json: (value) => value,
    close: () => sql.end(),
  };
}

const VARIANTS: Record<string, () => Variant> = {
  pg: () => pgVariant(false),
  'pg-named': () => pgVariant(true),
  postgres: () => postgresVariant('postgres', true, true),
  'postgres-unprepared': () => postgresVariant('postgres (unprepared)', false, true),
  'postgres-nopipeline': () => postgresVariant('postgres (no pipeline)', true, false),
};

// ---- the table and the operations -------------------------------------------------------------

/** A Baton record table as the PostgreSQL dialect would create it for text, number, bool, json fields. */
const SCHEMA = [
  `CREATE TABLE posts (
    id text PRIMARY KEY,
    title text NOT NULL DEFAULT '',
    n double precision NOT NULL DEFAULT 0,
    flag boolean NOT NULL DEFAULT false,
    tags jsonb NOT NULL DEFAULT '[]',
    data json,
    created text NOT NULL DEFAULT '',
    updated text NOT NULL DEFAULT ''
  )`,
  'CREATE INDEX idx_posts_created ON posts (created)',
  // Seeded titles are "post <i>"; rows written by the create operation are "new <i>" and are
  // deleted after each create measurement, so every measurement sees the same table.
  `INSERT INTO posts (id, title, n, flag, tags, data, created, updated)
   SELECT substr(md5('seed' || i), 1, 15), 'post ' || i, (i % 1000) * 1.5, i % 3 <> 0,
          jsonb_build_array('tag' || (i % 10)), json_build_object('i', i, 'note', 'seeded'),
          to_char(timestamp '2024-01-01' + i * interval '1 minute', 'YYYY-MM-DD HH24:MI:SS.MS"Z"'),
          to_char(timestamp '2024-01-01' + i * interval '1 minute', 'YYYY-MM-DD HH24:MI:SS.MS"Z"')
   FROM generate_series(1, ${SEED}) AS i`,
  'ANALYZE posts',
];

const VIEW = 'SELECT * FROM posts WHERE id = $1';
const LIST = 'SELECT * FROM posts WHERE title ILIKE $1 ORDER BY created DESC, id LIMIT 30 OFFSET 0';
const COUNT = 'SELECT COUNT(*) FROM posts WHERE title ILIKE $1';
const CREATE = 'INSERT INTO posts (id, title, n, flag, tags, data, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)';

type OpName = 'view' | 'list' | 'create';
const OPS: readonly OpName[] = ['view', 'list', 'create'];

let ids: string[] = [];
let created = 0;

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];
const newId = (): string => Math.random().toString(36).slice(2, 9) + Math.random().toString(36).slice(2, 10);
const timestamp = (): string => new Date().toISOString().replace('T', ' '); // Baton's "2024-01-01 00:00:00.000Z"

const operations: Record<OpName, (v: Variant) => Promise<void>> = {
  // (a) one record by id
  async view(v) {
    const rows = await v.query('view', VIEW, [pick(ids)]);
    if (rows.length !== 1) throw new Error(`view: ${rows.length} rows`);
  },
  // (b) a filtered page and its total, sent together as Baton's list does (Promise.all)
  async list(v) {
    const pattern = `%${Math.floor(Math.random() * 100)}%`; // matches a few hundred of the seeded titles
    const [rows, count] = await Promise.all([v.query('list', LIST, [pattern]), v.query('count', COUNT, [pattern])]);
    if (rows.length === 0 || count.length !== 1) throw new Error('list: no rows');
  },
  // (c) one new record, every column bound
  async create(v) {
    const i = ++created;
    const now = timestamp();
    await v.query('create', CREATE, [newId(), `new ${i}`, i * 0.5, i % 2 === 0, v.json(['a', `t${i % 7}`]), v.json({ i, note: 'created' }), now, now]);
  },
};

// ---- measuring --------------------------------------------------------------------------------

/** Runs `op` from CALLERS concurrent callers for `ms` milliseconds; returns completed ops per second. */
async function drive(v: Variant, op: (v: Variant) => Promise<void>, ms: number): Promise<number> {
  let done = 0;
  let failure: unknown;
  const start = performance.now();
  const until = start + ms;
  const caller = async (): Promise<void> => {
    while (failure === undefined && performance.now() < until) {
      try {
        await op(v);
        done++;
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
  if (failure !== undefined) throw failure;
  return done / ((performance.now() - start) / 1000);
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

// ---- type behaviour ---------------------------------------------------------------------------

/** A value as "<JS type> <JSON text>", e.g. `number 1.5`, `string "10000"`, `array ["a"]`. */
function describe(x: unknown): string {
  const kind = x === null ? 'null' : Array.isArray(x) ? 'array' : x instanceof Date ? 'Date' : typeof x;
  return `${kind} ${typeof x === 'bigint' ? `${x}n` : JSON.stringify(x)}`;
}

/** Runs `f`; an error is reported as its message instead of thrown. */
async function attempt(f: () => Promise<string>): Promise<string> {
  try {
    return await f();
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

/**
 * What each driver returns for the column types Baton reads, and what it stores for the JS values
 * Baton binds, through the same call path as the benchmark. Returns one map per row label.
 */
async function probeTypes(v: Variant): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const [row] = await v.query(
    'probe_read',
    `SELECT flag, n, tags, data, (SELECT COUNT(*) FROM posts) AS count, 12.50::numeric AS numeric FROM posts WHERE id = $1`,
    [ids[0]],
  );
  out.set('read boolean', describe(row.flag));
  out.set('read double precision', describe(row.n));
  out.set('read jsonb', describe(row.tags));
  out.set('read json', describe(row.data));
  out.set('read COUNT(*) (int8)', describe(row.count));
  out.set('read numeric', describe(row.numeric));

  const jsonb = (value: unknown) =>
    attempt(async () => {
      const [r] = await v.query('probe_jsonb', 'INSERT INTO probe (tags) VALUES ($1) RETURNING jsonb_typeof(tags) AS kind, tags::text AS text', [value]);
      return `${r.kind} ${r.text}`;
    });
  out.set(`bind '["a"]' (string) -> jsonb`, await jsonb('["a"]'));
  out.set(`bind ["a"] (array) -> jsonb`, await jsonb(['a']));
  out.set(`bind {"a":1} (object) -> jsonb`, await jsonb({ a: 1 }));
  out.set(`bind '{"a":1}' (string) -> json`, await attempt(async () => {
    const [r] = await v.query('probe_json', 'INSERT INTO probe (data) VALUES ($1) RETURNING json_typeof(data) AS kind, data::text AS text', ['{"a":1}']);
    return `${r.kind} ${r.text}`;
  }));
  const bool = (value: unknown) =>
    attempt(async () => {
      const [r] = await v.query('probe_bool', 'INSERT INTO probe (flag) VALUES ($1) RETURNING flag', [value]);
      return describe(r.flag);
    });
  out.set('bind true -> boolean', await bool(true));
  out.set('bind 1 -> boolean', await bool(1));
  out.set('bind 0 -> boolean', await bool(0));
  out.set(`bind 'false' -> boolean`, await bool('false'));
  return out;
}

// ---- output -----------------------------------------------------------------------------------

/** Prints a Markdown table; `numeric` right-aligns every column but the first. */
function printTable(header: readonly string[], rows: readonly (readonly string[])[], numeric: boolean): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = (i: number) => numeric && i > 0;
  const line = (cells: readonly string[]) => '| ' + cells.map((c, i) => (right(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w, i) => (right(i) ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

/** The installed version of a package (Postgres.js does not export its package.json). */
const versionOf = (name: string): string =>
  (JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;

// ---- main -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const names = (args.variants ?? 'pg,pg-named,postgres').split(',');
  for (const n of names) if (!VARIANTS[n]) throw new Error(`unknown variant ${n}; known: ${Object.keys(VARIANTS).join(', ')}`);

  const admin = new pg.Client({ ...server, database: ADMIN_DB });
  await admin.connect();
  const { rows: [{ server_version: version }] } = await admin.query<{ server_version: string }>('SHOW server_version');
  await admin.query(`CREATE DATABASE ${BENCH_DB}`); // dropped in the finally below (drop it by hand if the run is killed)
  const variants: Variant[] = [];
  // Housekeeping (seeding, cleanup, the probe table) goes through its own connection.
  const house = new pg.Client({ ...server, database: BENCH_DB });
  try {
    await house.connect();
    for (const statement of SCHEMA) await house.query(statement);
    await house.query('CREATE TABLE probe (tags jsonb, data json, flag boolean)');
    ids = (await house.query<{ id: string }>('SELECT id FROM posts')).rows.map((r) => r.id);
    const cleanup = async () => {
      await house.query(`DELETE FROM posts WHERE title LIKE 'new %'`);
      await house.query('VACUUM ANALYZE posts');
    };

    for (const n of names) variants.push(VARIANTS[n]());
    console.log(`PostgreSQL ${version}, Node ${process.version}, pg ${versionOf('pg')}, postgres ${versionOf('postgres')}`);
    console.log(`database ${BENCH_DB}: ${SEED} rows, pool ${POOL}, ${CALLERS} callers, ${DURATION_MS / 1000} s per measurement, ${ROUNDS} rounds\n`);

    // ops/s per variant label and operation, one entry per round
    const results = new Map<string, Record<OpName, number[]>>(variants.map((v) => [v.label, { view: [], list: [], create: [] }]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]);
      for (const op of OPS) {
        for (const v of order) {
          await drive(v, operations[op], WARMUP_MS); // opens connections, prepares statements, warms the JIT
          if (op === 'create') await cleanup();
          const opsPerSecond = await drive(v, operations[op], DURATION_MS);
          if (op === 'create') await cleanup();
          results.get(v.label)![op].push(opsPerSecond);
          console.log(`round ${round + 1}  ${op.padEnd(6)}  ${v.label.padEnd(22)} ${opsPerSecond.toFixed(0).padStart(7)} ops/s`);
        }
      }
    }

    console.log('\nMedian ops/s (list = one page query + one count query)\n');
    printTable(
      ['operation', ...variants.map((v) => v.label)],
      OPS.map((op) => [op, ...variants.map((v) => median(results.get(v.label)![op]).toFixed(0))]),
      true,
    );

    // Types: prepared or named statements do not change them, so one variant per driver suffices.
    const probed: Array<[string, Map<string, string>]> = [];
    for (const v of variants) if (!probed.some(([driver]) => driver === v.driver)) probed.push([v.driver, await probeTypes(v)]);
    console.log('\nTypes. "read": the JS type and value the driver returns for a column or expression.');
    console.log('"bind": what the column holds after INSERTing that JS value as a parameter (jsonb_typeof/json_typeof');
    console.log('and text for JSON, the value read back for boolean), or the error.\n');
    printTable(
      ['', ...probed.map(([label]) => label)],
      [...probed[0][1].keys()].map((k) => [k, ...probed.map(([, m]) => m.get(k)!)]),
      false,
    );
  } finally {
    await Promise.allSettled(variants.map((v) => v.close()));
    await house.end().catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
