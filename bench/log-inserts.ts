// Benchmark: what one request-log row costs to insert into auxiliary.db's `_logs`, as the SQLite
// appender thread writes them (prepared INSERT per row, one transaction per batch, WAL,
// synchronous=NORMAL), with Baton's `_logs` (SQLITE_AUX_TABLES) and with PocketBase's extra index
// on `message`. Rows are shaped as a busy server's: time-ordered ids, messages naming records.
//
// Usage: node --import tsx bench/log-inserts.ts [--rows=300000] [--batch=200] [--rounds=3]
// Pin it for steadier figures: taskset -c 1 node --import tsx bench/log-inserts.ts
// Every figure is the median of --rounds; the two layouts alternate within a round.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { SQLITE_AUX_TABLES } from '../src/db/dialects/sqlite-system-tables.ts';
import { requestLogRow } from '../src/domain/logs/entry.ts';
import { newRecordId, timeOrderedId } from '../src/kernel/ids.ts';

const { values: args } = parseArgs({ options: { rows: { type: 'string' }, batch: { type: 'string' }, rounds: { type: 'string' } } });
const ROWS = Number(args.rows ?? 300_000);
const BATCH = Number(args.batch ?? 200);
const ROUNDS = Number(args.rounds ?? 3);

const LAYOUTS = {
  baton: SQLITE_AUX_TABLES,
  'baton + idx_logs_message (PocketBase)': [...SQLITE_AUX_TABLES, 'CREATE INDEX idx_logs_message on `_logs` (`message`)'],
};

const recordIds = Array.from({ length: 10_000 }, () => newRecordId());

/** Microseconds per row for ROWS rows into a fresh auxiliary.db of the given layout. */
function run(statements: readonly string[]): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-logs-'));
  try {
    const db = new Database(path.join(dir, 'auxiliary.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    for (const s of statements) db.exec(s);
    const insert = db.prepare('INSERT INTO "_logs" ("id", "level", "message", "data", "created", "updated") VALUES (?, ?, ?, ?, ?, ?)');
    const write = db.transaction((rows: unknown[][]) => {
      for (const row of rows) insert.run(...row);
    });
    let elapsed = 0n;
    for (let done = 0; done < ROWS; done += BATCH) {
      const rows: unknown[][] = [];
      for (let i = 0; i < BATCH; i++) {
        const r = requestLogRow(
          {
            at: Date.now(),
            method: 'GET',
            url: `/api/collections/posts/records/${recordIds[(done + i) % recordIds.length]}`,
            status: 200,
            execTime: 0.41,
            referer: '',
            userAgent: 'autocannon',
            auth: '',
            remoteIP: '127.0.0.1',
            userIP: '127.0.0.1',
          },
          timeOrderedId(),
        );
        rows.push([r.id, r.level, r.message, r.data, r.created, r.created]);
      }
      // Only the inserts are timed: building the rows is the main thread's share.
      const start = process.hrtime.bigint();
      write(rows);
      elapsed += process.hrtime.bigint() - start;
    }
    db.close();
    return Number(elapsed) / ROWS / 1000;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, statements] of Object.entries(LAYOUTS)) {
    const list = results.get(name) ?? [];
    list.push(run(statements));
    results.set(name, list);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${ROWS} rows in batches of ${BATCH}, ${ROUNDS} rounds (median; per round in brackets)`);
for (const [name, list] of results) {
  console.log(`  ${name}: ${median(list).toFixed(2)} µs/row [${list.map((x) => x.toFixed(2)).join(', ')}]`);
}
