// The appender thread of SqliteAppender (sqlite-appender.ts): inserts batches of rows into one
// table on a connection of its own, so bulk appends (request logs) never hold the main thread's
// event loop, neither for the inserts nor for the WAL checkpoints they cause. Plain JavaScript: a
// worker thread starts without the TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { rowAppender } from './sqlite-append.js';

const conn = new BetterSqlite3(workerData.file, { fileMustExist: true, timeout: workerData.busyTimeoutMs });
conn.pragma('journal_mode = WAL');
conn.pragma('synchronous = NORMAL');
const append = rowAppender(conn);

parentPort.on('message', (job) => {
  try {
    append(job.table, job.columns, job.values);
    parentPort.postMessage({ id: job.id });
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: { name: e?.name, message: String(e?.message ?? e), code: e?.code } });
  }
});
