// Benchmark: what SQLite's statement budgets cost (docs/ARCHITECTURE.md, "Statement budgets").
//
// Usage: node --import tsx bench/sqlite-budgets.ts [--rows=1000000] [--rounds=3] [--queries=5000]
//
// 1. Loop guards: a full scan with a LIKE filter (one guard per row), and a json_each walk (one
//    per array item, three per row), with and without the guards (the `baton_tick` function
//    call), on the main thread: what the guards add to a statement that is all loop.
// 2. Reader threads: one small guarded SELECT (30 rows by primary key range), run --queries times
//    one after another on the main connection, then through the reader threads: the price of the
//    round trip to a thread, paid only by guarded (costly) reads.
// Every figure is the median of --rounds; ratios compare runs of the same round.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteDatabase } from '../src/db/dialects/sqlite-database.ts';
import { loopGuard, raw, sql, type Sql } from '../src/db/sql.ts';

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
    ['LIKE scan', sql`SELECT COUNT(*) AS n FROM t WHERE title LIKE '%zzz%'`, sql`SELECT COUNT(*) AS n FROM t WHERE ${loopGuard('t')} AND (title LIKE '%zzz%')`],
    [
      'json_each walk',
      sql`SELECT COUNT(*) AS n FROM t WHERE EXISTS (SELECT 1 FROM (SELECT 1) AS a LEFT JOIN json_each(t.rel) AS j ON 1=1 WHERE j.value = 1000)`,
      sql`SELECT COUNT(*) AS n FROM t WHERE EXISTS (SELECT 1 FROM (SELECT 1) AS a LEFT JOIN json_each(t.rel) AS j ON (1=1) AND ${loopGuard('j')} WHERE j.value = 1000)`,
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
  const small = (i: number) => sql`SELECT * FROM t WHERE id > ${i % (ROWS - 30)} AND ${loopGuard('t')} LIMIT 30`;
  const main: number[] = [];
  const threads: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    main.push(await time(async () => { for (let i = 0; i < QUERIES; i++) await inline(small(i * 7919)); }));
    threads.push(await time(async () => { for (let i = 0; i < QUERIES; i++) await db.all(small(i * 7919)); }));
  }
  const per = (ms: number) => ((ms * 1000) / QUERIES).toFixed(1);
  console.log(`30-row SELECT    main thread ${per(median(main))} µs  reader thread ${per(median(threads))} µs per query (${QUERIES} in sequence)`);
}

try {
  await main();
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
