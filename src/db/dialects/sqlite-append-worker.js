// The appender thread of SqliteAppender (sqlite-appender.ts): inserts batches of rows into one
// table on a connection of its own, so bulk appends (request logs) never hold the main thread's
// event loop, neither for the inserts nor for the WAL checkpoints they cause. Plain JavaScript: a
// worker thread starts without the TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';

const conn = new BetterSqlite3(workerData.file, { fileMustExist: true, timeout: workerData.busyTimeoutMs });
conn.pragma('journal_mode = WAL');
conn.pragma('synchronous = NORMAL');

/** Prepared INSERTs per (table, columns): one statement for every row of a batch, in one transaction. */
const statements = new Map();
function insertFor(table, columns) {
  const key = `${table}\n${columns.join('\n')}`;
  let stmt = statements.get(key);
  if (!stmt) {
    // Names come from Baton's own code (never a client), and are quoted.
    const quote = (name) => `"${name.replaceAll('"', '""')}"`;
    stmt = conn.prepare(`INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    statements.set(key, stmt);
  }
  return stmt;
}

parentPort.on('message', (job) => {
  try {
    const stmt = insertFor(job.table, job.columns);
    conn.transaction((rows) => {
      for (const row of rows) stmt.run(...row);
    })(job.rows);
    parentPort.postMessage({ id: job.id });
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: { name: e?.name, message: String(e?.message ?? e), code: e?.code } });
  }
});
