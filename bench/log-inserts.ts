// Benchmark: what one request-log row costs to insert into auxiliary.db's `_logs`, as the SQLite
// appender thread writes them (its own code, sqlite-append.js: multi-row INSERTs, one transaction
// per batch; WAL, synchronous=NORMAL), with Baton's `_logs` (SQLITE_AUX_TABLES), with
// PocketBase's extra index on `message`, and with PocketBase's hourly expression index on
// `created` in place of Baton's plain one. Rows are shaped as a busy server's: time-ordered ids, messages naming
// records. Also times building the rows (requestLogRow and the id), the main thread's share.
//
// Usage: node --import tsx bench/log-inserts.ts [--rows=300000] [--batch=1000] [--rounds=3]
// Pin it for steadier figures: taskset -c 1 node --import tsx bench/log-inserts.ts
// Every figure is the median of --rounds; the layouts alternate within a round.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { SQLITE_AUX_TABLES } from '../src/db/dialects/sqlite-system-tables.ts';
import { rowAppender } from '../src/db/dialects/sqlite-append.js';
import { requestLogRow } from '../src/domain/logs/entry.ts';
import { newRecordId, timeOrderedId } from '../src/kernel/ids.ts';

const { values: args } = parseArgs({ options: { rows: { type: 'string' }, batch: { type: 'string' }, rounds: { type: 'string' } } });
const ROWS = Number(args.rows ?? 300_000);
const BATCH = Number(args.batch ?? 1000);
const ROUNDS = Number(args.rounds ?? 3);

const LAYOUTS = {
  baton: SQLITE_AUX_TABLES,
  'baton + idx_logs_message (PocketBase)': [...SQLITE_AUX_TABLES, 'CREATE INDEX idx_logs_message on `_logs` (`message`)'],
  "baton with PocketBase's hourly index on created for the plain one": [
    ...SQLITE_AUX_TABLES.filter((s) => !s.includes('idx_logs_created ')),
    "CREATE INDEX idx_logs_created_hour on `_logs` (strftime('%Y-%m-%d %H:00:00', `created`))",
  ],
};

const recordIds = Array.from({ length: 10_000 }, () => newRecordId());

/** Microseconds per row for ROWS rows into a fresh auxiliary.db of the given layout: [insert, build]. */
function run(statements: readonly string[]): [number, number] {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-logs-'));
  try {
    const db = new Database(path.join(dir, 'auxiliary.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    for (const s of statements) db.exec(s);
    const append = rowAppender(db);
    const columns = ['id', 'level', 'message', 'data', 'created', 'updated'];
    let inserting = 0n;
    let building = 0n;
    for (let done = 0; done < ROWS; done += BATCH) {
      const built = process.hrtime.bigint();
      const values: unknown[] = [];
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
        values.push(r.id, r.level, r.message, r.data, r.created, r.created);
      }
      const start = process.hrtime.bigint();
      building += start - built;
      append('_logs', columns, values);
      inserting += process.hrtime.bigint() - start;
    }
    db.close();
    return [Number(inserting) / ROWS / 1000, Number(building) / ROWS / 1000];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = new Map<string, number[]>();
const builds: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, statements] of Object.entries(LAYOUTS)) {
    const [insert, build] = run(statements);
    results.set(name, [...(results.get(name) ?? []), insert]);
    builds.push(build);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
console.log(`${ROWS} rows in batches of ${BATCH}, ${ROUNDS} rounds (median; per round in brackets)`);
console.log(`  building a row (requestLogRow, id): ${median(builds).toFixed(2)} µs/row`);
for (const [name, xs] of results) console.log(`  insert, ${name}: ${median(xs).toFixed(2)} µs/row [${list(xs)}]`);
