// Benchmark: what SQLite's statement budgets cost (docs/ARCHITECTURE.md, "Statement budgets").
//
// Usage: node --import tsx bench/sqlite-budgets.ts [--rows=1000000] [--rounds=3] [--queries=5000]
//
// 1. Loop guards, on the main thread: a filtered count and a LIKE scan (the sampled scan guard),
//    and a json_each walk (a per-row guard per array item, three per row), each with and without
//    its guards: what they add to a statement that is all loop.
// 2. Reader threads: one small guarded SELECT (30 rows by primary key range), run --queries times
//    one after another through the database (it stays on the main connection), then on a reader
//    thread: the price of the round trip, paid only by reads that overran their inline slice.
// 3. `~` (docs/performance.md, "Worst-case client filters"): SQLite's LIKE against `~` as Baton
//    compiles it (SqliteDialect.like: LIKE where text x pattern bytes are few, else baton_like,
//    the linear function of sqlite-like.js), on the main connection: a search in the --rows short
//    titles and in 10,000 texts of 5,000 characters of words, and the attacks of the review: 300
//    texts of 5,000 'a's searched for 'a'x3000 + 'b' and for 'a'x252 + 'b' (the longest a client
//    may send), and one text of 1 MB of 'a's for the latter.
// Every figure is the median of --rounds; ratios compare runs of the same round.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteDatabase } from '../src/db/dialects/sqlite-database.ts';
import { sqliteDialect } from '../src/db/dialects/sqlite.ts';
import { eachGuard, raw, render, scanGuard, sql, type Sql } from '../src/db/sql.ts';

const { values: args } = parseArgs({ options: { rows: { type: 'string' }, rounds: { type: 'string' }, queries: { type: 'string' } } });
const ROWS = Number(args.rows ?? 1_000_000);
const ROUNDS = Number(args.rounds ?? 3);
const QUERIES = Number(args.queries ?? 5000);

const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-budgets-'));
const db = new SqliteDatabase(path.join(dir, 'data.db'), { statementTimeoutMs: 600_000, clientStatementTimeoutMs: 600_000 });

async function seed(): Promise<void> {
  await db.run(raw('CREATE TABLE t (id INTEGER PRIMARY KEY, title TEXT NOT NULL, rel TEXT NOT NULL)'));
  await db.run(sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
    INSERT INTO t (id, title, rel) SELECT i, 'title ' || i, json_array(i % 100, (i * 7) % 100, (i * 13) % 100) FROM n`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** The main thread's own connection, as unguarded reads use it (guards render, but run inline). */
const inline = (q: Sql) => (db as unknown as { reader: { all(q: Sql): Promise<unknown[]> } }).reader.all(q);

async function main(): Promise<void> {
  await seed();
  const scans: Array<[string, Sql, Sql]> = [
    // What a filtered list counts: a cheap comparison per row, the scan guard sampling one row in 256.
    ['filtered count', sql`SELECT COUNT(*) AS n FROM t WHERE t.id % 7 = 3`, sql`SELECT COUNT(*) AS n FROM t WHERE ${scanGuard('t')} AND (t.id % 7 = 3)`],
    ['LIKE scan', sql`SELECT COUNT(*) AS n FROM t WHERE title LIKE '%zzz%'`, sql`SELECT COUNT(*) AS n FROM t WHERE ${scanGuard('t')} AND (title LIKE '%zzz%')`],
    // A multi-valued step: one per-row guard per array item.
    [
      'json_each walk',
      sql`SELECT COUNT(*) AS n FROM t WHERE EXISTS (SELECT 1 FROM (SELECT 1) AS a LEFT JOIN json_each(t.rel) AS j ON 1=1 WHERE j.value = 1000)`,
      sql`SELECT COUNT(*) AS n FROM t WHERE EXISTS (SELECT 1 FROM (SELECT 1) AS a LEFT JOIN json_each(t.rel) AS j ON (1=1) AND ${eachGuard('j')} WHERE j.value = 1000)`,
    ],
  ];
  console.log(`${ROWS} rows, ${ROUNDS} rounds (median ms)`);
  for (const [label, plain, guarded] of scans) {
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      a.push(await time(() => inline(plain)));
      b.push(await time(() => inline(guarded)));
    }
    console.log(`${label.padEnd(16)} plain ${median(a).toFixed(1)}  guarded ${median(b).toFixed(1)}  (x${(median(b) / median(a)).toFixed(2)})`);
  }
  // A 30-row page, guarded: on the main connection (where it starts and, being quick, ends) and
  // on a reader thread (where a costly one moves): the round trip a costly read pays.
  const small = (i: number) => sql`SELECT * FROM t WHERE ${scanGuard('t')} AND id > ${i % (ROWS - 30)} LIMIT 30`;
  const pool = (db as unknown as { threads: { run(kind: 'all', text: string, params: unknown[], budgetMs: number): Promise<unknown> } }).threads;
  const rendered = (q: Sql) => render(q, sqliteDialect);
  const main: number[] = [];
  const threads: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    main.push(await time(async () => { for (let i = 0; i < QUERIES; i++) await db.all(small(i * 7919)); }));
    threads.push(await time(async () => {
      for (let i = 0; i < QUERIES; i++) {
        const { text, params } = rendered(small(i * 7919));
        await pool.run('all', text, params.map((p) => (typeof p === 'number' ? BigInt(p) : p)), 600_000);
      }
    }));
  }
  const per = (ms: number) => ((ms * 1000) / QUERIES).toFixed(1);
  console.log(`30-row SELECT    main thread ${per(median(main))} µs  reader thread ${per(median(threads))} µs per query (${QUERIES} in sequence)`);
  await likes();
}

async function likes(): Promise<void> {
  const words = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua '.split(' ');
  const prose = (i: number) => {
    let out = '';
    for (let k = 0; out.length < 5000; k++) out += `${words[(i * 31 + k * 7) % words.length]} `;
    return out.slice(0, 5000);
  };
  await db.run(raw('CREATE TABLE prose (id INTEGER PRIMARY KEY, body TEXT NOT NULL)'));
  for (let i = 1; i <= 10_000; i++) await db.run(sql`INSERT INTO prose (id, body) VALUES (${i}, ${prose(i)})`);
  await db.run(raw('CREATE TABLE flood (id INTEGER PRIMARY KEY, body TEXT NOT NULL)'));
  for (let i = 1; i <= 300; i++) await db.run(sql`INSERT INTO flood (id, body) VALUES (${i}, ${'a'.repeat(5000)})`);
  await db.run(raw('CREATE TABLE big (id INTEGER PRIMARY KEY, body TEXT NOT NULL)'));
  await db.run(sql`INSERT INTO big (id, body) VALUES (1, ${'a'.repeat(1_000_000)})`);
  const cases: Array<[string, string, string, string]> = [
    [`${ROWS} titles, '%Zzz%'`, 't', 'title', '%Zzz%'],
    ['10,000 x 5,000 chars, \'%Tempor magna%\'', 'prose', 'body', '%Tempor magna%'],
    ['300 x 5,000 a, a x3000 + b', 'flood', 'body', `%${'a'.repeat(3000)}b%`],
    ['300 x 5,000 a, a x252 + b', 'flood', 'body', `%${'a'.repeat(252)}b%`],
    ['1 x 1 MB a, a x252 + b', 'big', 'body', `%${'a'.repeat(252)}b%`],
  ];
  for (const [label, table, column, pattern] of cases) {
    const native = sql`SELECT COUNT(*) AS n FROM ${raw(table)} WHERE ${raw(column)} LIKE ${pattern} ESCAPE '\\'`;
    const ours = sql`SELECT COUNT(*) AS n FROM ${raw(table)} WHERE ${sqliteDialect.like(raw(column), sql`${pattern}`, false)}`;
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      a.push(await time(() => inline(native)));
      b.push(await time(() => inline(ours)));
    }
    console.log(`~ ${label.padEnd(34)} LIKE ${median(a).toFixed(1)} ms  as compiled ${median(b).toFixed(1)} ms  (x${(median(b) / median(a)).toFixed(2)})`);
  }
}

try {
  await main();
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
