// A reader thread of SqliteReaderPool (sqlite-reader-pool.ts): runs guarded SELECTs on a
// read-only connection of its own, so a costly read never holds the main thread's event loop,
// and cuts each one off when its time budget is spent (see sqlite-budget.ts, whose check this
// repeats). Plain JavaScript: a worker thread starts without the TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { likeFunction } from './sqlite-like.js';

const BUDGET_ERROR_CODE = 'SQLITE_INTERRUPT';
const CACHE_SIZE = 200;

const conn = new BetterSqlite3(workerData.file, { readonly: true, fileMustExist: true, timeout: workerData.busyTimeoutMs });
conn.pragma('cache_size = -16000');
conn.pragma('temp_store = MEMORY');

let deadline = Infinity;
let calls = 0;
function check() {
  if (performance.now() > deadline) throw Object.assign(new Error('statement time budget exceeded'), { code: BUDGET_ERROR_CODE });
  return 1;
}
const guardOptions = { deterministic: false, varargs: true, directOnly: true };
conn.function('baton_tick', guardOptions, () => ((++calls & 63) === 0 ? check() : 1));
conn.function('baton_check', guardOptions, check);
conn.function('baton_like', { deterministic: true, directOnly: true }, likeFunction(check));

/** Prepared statements, least recently used evicted. */
const cache = new Map();
function prepare(text) {
  let stmt = cache.get(text);
  if (stmt) cache.delete(text);
  else {
    stmt = conn.prepare(text);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value);
  }
  cache.set(text, stmt);
  return stmt;
}

parentPort.on('message', (job) => {
  if (job.kind === 'reset') {
    cache.clear();
    return;
  }
  const started = performance.now();
  deadline = started + job.budgetMs;
  calls = 0;
  try {
    const stmt = prepare(job.text);
    const rows = job.kind === 'get' ? stmt.get(...job.params) : stmt.all(...job.params);
    // ms: the statement's own time on this thread, without the queue or the messages around it.
    parentPort.postMessage({ id: job.id, rows, ms: performance.now() - started });
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: { name: e?.name, message: String(e?.message ?? e), code: e?.code } });
  } finally {
    deadline = Infinity;
  }
});
