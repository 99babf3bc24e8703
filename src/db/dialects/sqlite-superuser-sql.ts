import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { budgetPassed, ConsoleSlots, resultTooLarge, splitStatements, SuperuserSqlError, type SuperuserSqlQuery, type SuperuserSqlResult } from '../superuser-sql.ts';

/**
 * The SQL console on SQLite runs in a child process of its own, on its own connection to the data
 * database, and that process is killed (SIGKILL) when the budget has passed. Nothing else stops
 * an arbitrary SQLite statement: better-sqlite3 has no interrupt, a console statement has no
 * loop guards, and a worker thread cannot be stopped inside a native call. Killing the process
 * is safe for the database (SQLite is made to survive a crash: an uncommitted transaction is
 * simply not in the WAL) and releases its locks. The cost is starting a process per query
 * (~50 ms), acceptable for a superuser's console.
 *
 * Its memory is bounded by the kernel, on Linux: the process starts under `ulimit -d` (RLIMIT_DATA,
 * which since Linux 4.7 counts every private writable mapping: malloc's heap and its mmap'd
 * blocks, V8's heap, thread stacks), so an allocation past DATA_LIMIT_MB fails, which SQLite
 * reports as "out of memory" (a string built to 400 MB by `group_concat`, say) and V8 as a fatal
 * out-of-memory error; either ends the query, never the server. SQLite's own `hard_heap_limit`
 * would not do: better-sqlite3 is built with SQLITE_DEFAULT_MEMSTATUS=0, which turns its
 * accounting off, so the pragma answers its value and enforces nothing. Elsewhere (macOS does not
 * enforce RLIMIT_DATA on mmap; Windows has no rlimits) only the JavaScript heap is bounded, by
 * `--max-old-space-size`. One value is at most 536,870,888 bytes everywhere: better-sqlite3 sets
 * SQLITE_LIMIT_LENGTH to the longest string V8 can hold ("string or blob too big" past it).
 */
const DATA_LIMIT_MB = 256;
/** The JavaScript heap's share: a 16 MiB result and its JSON fit well within it. */
const JS_HEAP_MB = 128;
/** Plain JavaScript (run with `node -e`): reads the job on stdin, writes `{ok}` or `{error}` on stdout. */
const CHILD = String.raw`
const fs = require('node:fs');
const job = JSON.parse(fs.readFileSync(0, 'utf8'));
// A watchdog on a thread of its own, which a statement running on the main thread cannot hold: the
// process ends at its deadline even if the server that started it is gone.
const { Worker } = require('node:worker_threads');
new Worker('setTimeout(() => process.kill(process.pid, "SIGKILL"), ' + job.deadlineMs + ')', { eval: true }).unref();
const Database = require(job.driver);
const done = (o) => process.stdout.write(JSON.stringify(o));
const cell = (v) => v === null || v === undefined ? null : typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
let db;
try {
  db = new Database(job.file, { readonly: !job.write, fileMustExist: true, timeout: job.busyTimeoutMs });
  db.pragma('foreign_keys = ON');
  if (job.write) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(job.text);
      const changes = Number(db.prepare('SELECT changes()').pluck().get());
      if (db.inTransaction) db.exec('COMMIT');
      done({ ok: { affectedRows: changes, columns: [], rows: [] } });
    } catch (e) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw e;
    }
  } else {
    const statements = job.statements;
    for (let i = 0; i < statements.length - 1; i++) db.exec(statements[i]);
    const stmt = db.prepare(statements[statements.length - 1]);
    if (!stmt.reader) {
      stmt.run();
      done({ ok: { affectedRows: 0, columns: [], rows: [] } });
    } else {
      stmt.raw(true).safeIntegers(true);
      const columns = stmt.columns().map((c) => ({ name: c.name, type: (c.type || '').toUpperCase(), nullable: true }));
      const rows = [];
      let bytes = 0;
      let tooLarge = false;
      for (const r of stmt.iterate()) {
        if (rows.length >= job.maxRows) break;
        const row = r.map(cell);
        for (const c of row) bytes += c === null ? 4 : c.length + 2;
        if (bytes > job.maxBytes) { tooLarge = true; break; }
        rows.push(row);
      }
      done(tooLarge ? { tooLarge } : { ok: { affectedRows: 0, columns, rows } });
    }
  }
} catch (e) {
  done({ error: { message: String((e && e.message) || e), code: e && e.code } });
}
`;

/**
 * The shell line that sets the data limit (`kib` KiB) and execs node (`$0 "$@"`): it lowers the
 * soft limit, never raises one already lower, and runs nothing when the limit cannot be set.
 */
const underDataLimit = (kib: number): string =>
  `l=$(ulimit -d); if [ "$l" = unlimited ] || [ "$l" -gt ${kib} ]; then ulimit -d ${kib} || exit 125; fi; exec "$0" "$@"`;

const driverPath = (): string => createRequire(import.meta.url).resolve('better-sqlite3');

export interface SqliteConsoleTarget {
  file: string;
  busyTimeoutMs: number;
  /** The system statement budget: past it the process is killed. */
  budgetMs: number;
}

/** The SQL console of one SQLite database (Database.runSuperuserSql), two processes at most at once. */
export class SqliteConsole {
  private readonly slots = new ConsoleSlots();

  constructor(private readonly target: SqliteConsoleTarget) {}

  run(query: SuperuserSqlQuery): Promise<SuperuserSqlResult> {
    return this.slots.run(() => runInChild(this.target, query));
  }
}

function runInChild(target: SqliteConsoleTarget, query: SuperuserSqlQuery): Promise<SuperuserSqlResult> {
  const job = {
    driver: driverPath(),
    file: target.file,
    busyTimeoutMs: Math.min(target.busyTimeoutMs, target.budgetMs),
    // The parent kills the process at the budget; this is the child's own stop, a little later.
    deadlineMs: target.budgetMs + 1000,
    write: query.write,
    text: query.text,
    statements: query.write ? [] : splitStatements(query.text),
    maxRows: query.maxRows,
    maxBytes: query.maxBytes,
  };
  if (!query.write && job.statements.length === 0) return Promise.reject(new SuperuserSqlError('empty query'));
  // The child's output: the result JSON, whose text the child already bounded; a little slack for the quoting.
  const maxOutput = query.maxBytes * 2 + (1 << 20);
  const env = { ...process.env };
  // Loaders the parent runs under (tsx in tests) are not needed by plain JavaScript.
  delete env.NODE_OPTIONS;
  const node = [`--max-old-space-size=${JS_HEAP_MB}`, '-e', CHILD];
  return new Promise((resolve, reject) => {
    const child =
      process.platform === 'linux'
        ? spawn('/bin/sh', ['-c', underDataLimit(DATA_LIMIT_MB << 10), process.execPath, ...node], { stdio: ['pipe', 'pipe', 'pipe'], env })
        : spawn(process.execPath, node, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const chunks: Buffer[] = [];
    let size = 0;
    let failure: Error | undefined;
    const kill = (e: Error) => {
      failure ??= e;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(budgetPassed(target.budgetMs)), target.budgetMs);
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > maxOutput) kill(resultTooLarge(query.maxBytes));
      else chunks.push(b);
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 4096) stderr += b.toString('utf8');
    });
    child.on('error', (e) => kill(e));
    // Settled once the process has exited: its locks are gone, so the write queue may move on.
    child.on('close', () => {
      clearTimeout(timer);
      if (failure) return reject(failure);
      let out: { ok?: SuperuserSqlResult; error?: { message: string; code?: string }; tooLarge?: boolean };
      try {
        out = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof out;
      } catch {
        // Out of memory in V8, killed from outside, or the limit could not be set: no answer.
        const reason = /out of memory/i.test(stderr) ? ' (out of memory)' : stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : '';
        return reject(new SuperuserSqlError(`the query process ended without an answer${reason}`));
      }
      if (out.tooLarge) return reject(resultTooLarge(query.maxBytes));
      if (out.error) return reject(Object.assign(new SuperuserSqlError(out.error.message), { code: out.error.code }));
      resolve(out.ok!);
    });
    // A process that died before reading its job (killed, out of memory) is reported on 'close';
    // the write that failed with it must not become an unhandled error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(job));
  });
}
