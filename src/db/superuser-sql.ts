/**
 * SQL written by a superuser in the dashboard's console (`POST /api/sql`), run as written: the
 * one place where statement text from a request reaches the database. What each database does
 * with it is in its dialect's `*-superuser-sql.ts`; the rules are the same everywhere:
 * - it runs on a session of its own, opened for the request and closed after it, so nothing it
 *   sets (a `SET statement_timeout = 0`, a session variable) outlives it;
 * - within the system statement budget (`--query-timeout`, 30 s by default): the database's own
 *   statement timeout, and a timer that ends the session (PostgreSQL/MySQL: terminated from
 *   another connection; SQLite: the child process that runs it is killed) once the budget has
 *   passed, whatever the statements did to their own timeout;
 * - a read (any statement PocketBase does not take for a write) runs in a read-only transaction
 *   and returns at most `maxRows` rows of at most `maxBytes` of text;
 * - a write runs in a transaction serialized with Baton's own writes, and commits only if every
 *   statement succeeded (on MySQL, DDL commits implicitly, as always);
 * - neither holds ATTACH, DETACH or a PRAGMA that is not a query (consoleRefusal).
 */

export interface SuperuserSqlQuery {
  /** The statements, as written (trimmed). */
  readonly text: string;
  /** PocketBase's loose classification (knownWriteQueryPrefixes): run as a write transaction. */
  readonly write: boolean;
  readonly maxRows: number;
  /** Characters of cell text a read may return in all. */
  readonly maxBytes: number;
}

export interface SuperuserSqlColumn {
  name: string;
  /** The database's name for the column's type, upper-cased; '' where it has none (SQLite expressions). */
  type: string;
  nullable: boolean;
}

export interface SuperuserSqlResult {
  affectedRows: number;
  columns: SuperuserSqlColumn[];
  /** Cells as text (PocketBase scans every value into a string), NULL as null. */
  rows: (string | null)[][];
}

/** A failure of the console's own making (budget, result size): its message goes to the client as the database's would. */
export class SuperuserSqlError extends Error {
  override name = 'SuperuserSqlError';
}

export const budgetPassed = (budgetMs: number): SuperuserSqlError =>
  new SuperuserSqlError(`the query ran past its time budget of ${budgetMs / 1000} s and was stopped`);

export const resultTooLarge = (maxBytes: number): SuperuserSqlError =>
  new SuperuserSqlError(`the result is larger than ${Math.round(maxBytes / (1 << 20))} MiB; select fewer rows or columns`);

/** A cell as PocketBase returns it: text, NULL as null, bytes read as UTF-8. */
export function cellText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return String(v);
}

/** Counts the text of the rows read so far, failing once past the limit. */
export class ResultBytes {
  private used = 0;
  constructor(private readonly max: number) {}

  add(row: readonly (string | null)[]): void {
    for (const c of row) this.used += c === null ? 4 : c.length + 2;
    if (this.used > this.max) throw resultTooLarge(this.max);
  }
}

/**
 * Splits SQL text into statements at top-level semicolons: not inside quotes ('…', "…", `…`,
 * […]), comments (-- …, /* … *\/) or PostgreSQL dollar quotes ($tag$…$tag$). Empty statements
 * are dropped. Used for reads only (writes go to the database whole, where a trigger's
 * BEGIN … END may hold semicolons).
 */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = text.length;
  const skipTo = (end: string, from: number): number => {
    const j = text.indexOf(end, from);
    return j < 0 ? n : j + end.length;
  };
  while (i < n) {
    const ch = text[i];
    if (ch === "'" || ch === '"' || ch === '`') {
      // A doubled quote inside is the quote itself: scanning on reads it as two strings, same split.
      i = skipTo(ch, i + 1);
    } else if (ch === '[') {
      i = skipTo(']', i + 1);
    } else if (ch === '-' && text[i + 1] === '-') {
      i = skipTo('\n', i + 2);
    } else if (ch === '/' && text[i + 1] === '*') {
      i = skipTo('*/', i + 2);
    } else if (ch === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i, i + 64));
      i = tag ? skipTo(tag[0], i + tag[0].length) : i + 1;
    } else if (ch === ';') {
      const s = text.slice(start, i).trim();
      if (s) out.push(s);
      start = ++i;
    } else {
      i++;
    }
  }
  const last = text.slice(start).trim();
  if (last) out.push(last);
  return out;
}

/** The statement without the comments and blanks before its first word. */
export function withoutLeadingComments(statement: string): string {
  let s = statement.trimStart();
  for (;;) {
    if (s.startsWith('--')) {
      const end = s.indexOf('\n');
      s = end < 0 ? '' : s.slice(end + 1).trimStart();
    } else if (s.startsWith('/*')) {
      const end = s.indexOf('*/');
      s = end < 0 ? '' : s.slice(end + 2).trimStart();
    } else {
      return s;
    }
  }
}

/** Whether a statement yields rows through a cursor (PostgreSQL's DECLARE … CURSOR FOR takes these). */
export const isQueryStatement = (statement: string): boolean => /^\(*\s*(select|with|values|table)\b/i.test(withoutLeadingComments(statement));

/**
 * The statements a read may hold, every one of them: queries, and the databases' ways to look at
 * a plan or the schema. Anything else (a COMMIT that would end the read-only transaction, MySQL's
 * DDL that commits it implicitly, SQLite's VACUUM INTO that writes a file, a SET that lifts a
 * limit, FETCH/EXECUTE whose rows no cursor bounds) is refused rather than reasoned about.
 */
const READ_STATEMENT = /^\(*\s*(select|with|values|table|explain|show|describe|desc|pragma)\b/i;

/** Statements that start, end or shape a transaction: a write runs in one of Baton's, whole. */
const TRANSACTION_CONTROL =
  /^(begin|start\s+transaction|commit|end|rollback|abort|savepoint|release|prepare\s+transaction|set\s+transaction|set\s+session\s+characteristics|set\s+(@@(session\.)?|session\s+|local\s+)?autocommit|xa|lock|unlock)\b/i;

/**
 * SQLite's pragmas the console runs, reads or writes, and only as queries: bare (`PRAGMA
 * user_version`, which reads a setting), or with an argument for those whose argument names what
 * to look at (`PRAGMA table_info(posts)`). `PRAGMA x = v` or `PRAGMA x(v)` on a setting changes it
 * (`hard_heap_limit = 0`, `writable_schema = 1`, `foreign_keys = OFF`), and some bare ones act
 * (`optimize`, `wal_checkpoint`, `incremental_vacuum`, `shrink_memory`): all refused. The same
 * pragmas serve as table-valued functions (`SELECT * FROM pragma_table_info('posts')`).
 */
const PRAGMAS_WITH_ARGUMENT = new Set([
  'table_info', 'table_xinfo', 'table_list', 'index_list', 'index_info', 'index_xinfo', 'foreign_key_list', 'foreign_key_check',
  'integrity_check', 'quick_check',
]);
const PRAGMAS_BARE = new Set([
  ...PRAGMAS_WITH_ARGUMENT, 'analysis_limit', 'application_id', 'auto_vacuum', 'automatic_index', 'busy_timeout', 'cache_size',
  'cache_spill', 'cell_size_check', 'checkpoint_fullfsync', 'collation_list', 'compile_options', 'data_version', 'database_list',
  'defer_foreign_keys', 'encoding', 'foreign_keys', 'freelist_count', 'fullfsync', 'function_list', 'hard_heap_limit',
  'ignore_check_constraints', 'journal_mode', 'journal_size_limit', 'legacy_alter_table', 'locking_mode', 'max_page_count',
  'mmap_size', 'module_list', 'page_count', 'page_size', 'pragma_list', 'query_only', 'read_uncommitted', 'recursive_triggers',
  'reverse_unordered_selects', 'schema_version', 'secure_delete', 'soft_heap_limit', 'synchronous', 'temp_store', 'threads',
  'trusted_schema', 'user_version', 'wal_autocheckpoint',
]);
/** A name as SQLite reads one: plain, or in "…", […], `…` or '…'. */
const NAME = '(?:[A-Za-z_][A-Za-z0-9_$]*|"[^"]*"|\\[[^\\]]*\\]|`[^`]*`|\'[^\']*\')';
const PRAGMA = new RegExp(`^pragma\\s+(?:${NAME}\\s*\\.\\s*)?(${NAME})\\s*(\\(.*\\))?\\s*$`, 'is');
const unquote = (name: string): string => (/^["[`']/.test(name) ? name.slice(1, -1) : name).toLowerCase();

/**
 * Why the console refuses a PRAGMA, ATTACH or DETACH statement (`bare`: without its leading
 * comments), or undefined when `bare` is none of them or a pragma it runs. ATTACH would reach
 * other files from the console's connection: another database (auxiliary.db's `_logs`), or a new
 * file created wherever the server may write. Anything not in the plain shapes above (a comment
 * inside, a value after the argument) is refused rather than parsed further.
 */
function statementRefusal(bare: string): string | undefined {
  if (/^(attach|detach)\b/i.test(bare)) return `"${firstWords(bare)}": the console works on its own database only`;
  if (!/^pragma\b/i.test(bare)) return undefined;
  const m = PRAGMA.exec(bare);
  const name = m ? unquote(m[1]) : '';
  if (m && (m[2] ? PRAGMAS_WITH_ARGUMENT : PRAGMAS_BARE).has(name)) return undefined;
  return `"${bare.slice(0, 60)}": the console runs PRAGMA only to read a setting or the schema (PRAGMA table_info(t), PRAGMA user_version …), never to change one`;
}

/**
 * Why the console will not run `statements` (split by `splitStatements`), or undefined. A read
 * holds read statements only; a write holds no transaction control, a trigger's (or a
 * `BEGIN ATOMIC` function's) own BEGIN … END excepted; neither holds ATTACH, DETACH, or a PRAGMA
 * other than a query (statementRefusal).
 */
export function consoleRefusal(statements: readonly string[], write: boolean): string | undefined {
  for (const s of statements) {
    const refused = statementRefusal(withoutLeadingComments(s));
    if (refused) return refused;
  }
  if (!write) {
    for (const s of statements) {
      const bare = withoutLeadingComments(s);
      if (!READ_STATEMENT.test(bare)) {
        return `a read runs SELECT, WITH, VALUES, TABLE, EXPLAIN, SHOW, DESCRIBE and PRAGMA statements only, not "${firstWords(bare)}"; a query that starts with INSERT, UPDATE, DELETE, CREATE, ALTER, DROP or REPLACE runs as a write`;
      }
    }
    return undefined;
  }
  let inBody = false;
  for (const s of statements) {
    const bare = withoutLeadingComments(s);
    if (inBody) {
      // A body's statements up to its closing END (splitStatements cut the body at its semicolons).
      if (/^end\s*$/i.test(bare)) inBody = false;
      continue;
    }
    if (/^create\s+(temp\s+|temporary\s+)?trigger\b/i.test(bare) || /\bbegin\s+atomic\b/i.test(bare)) {
      inBody = !/\bend\s*$/i.test(bare);
      continue;
    }
    if (TRANSACTION_CONTROL.test(bare)) {
      return `"${firstWords(bare)}": the console runs a write in a transaction of its own, whole or not at all, and takes no transaction control`;
    }
  }
  return undefined;
}

const firstWords = (statement: string): string => statement.split(/\s+/, 2).join(' ').slice(0, 40);

/**
 * Console queries at once per database; more wait for one to end, and past `maxWaiting` waiting
 * ones they are refused: a burst of console queries cannot take every connection (or, on SQLite,
 * fill the machine with processes).
 */
export class ConsoleSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly max = 2,
    private readonly maxWaiting = 8,
  ) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running < this.max) this.running++;
    else if (this.waiting.length >= this.maxWaiting) {
      throw new SuperuserSqlError(`the SQL console is busy: ${this.max} queries are running and ${this.maxWaiting} waiting`);
    }
    // A slot freed is handed to the next waiting query as it is, never counted free in between.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
