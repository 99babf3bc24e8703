// Appending rows in bulk on one better-sqlite3 connection: what the appender thread
// (sqlite-append-worker.js) runs for every batch, and what bench/log-inserts.ts measures. Plain
// JavaScript, as the thread's script that imports it (types in sqlite-append.d.ts).

/**
 * Rows per INSERT statement (ROWS_PER_INSERT in db/append.ts, which plain JavaScript cannot
 * import). One multi-row INSERT binds its values in one call into SQLite: a prepared single-row
 * INSERT run per row cost about 1.5 µs more per row of `_logs` (5.4 against 3.9 µs in a loop like
 * bench/log-inserts.ts). 64 rows of up to a few dozen columns stay far below SQLite's limit of
 * 32,766 bound values.
 */
export const ROWS_PER_STATEMENT = 64;

/** A function that inserts rows (`values`: `columns.length` per row, one row after another) in one transaction. */
export function rowAppender(conn) {
  /** Prepared INSERTs per (table, columns, row count). */
  const statements = new Map();
  const insertFor = (table, columns, rowCount) => {
    const key = `${table}\n${columns.join('\n')}\n${rowCount}`;
    let stmt = statements.get(key);
    if (!stmt) {
      // Names come from Baton's own code (never a client), and are quoted.
      const quote = (name) => `"${name.replaceAll('"', '""')}"`;
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      stmt = conn.prepare(`INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES ${Array(rowCount).fill(tuple).join(', ')}`);
      statements.set(key, stmt);
    }
    return stmt;
  };
  return conn.transaction((table, columns, values) => {
    const width = columns.length;
    if (width === 0 || values.length % width !== 0) throw new Error('appendRows: values are not whole rows');
    const full = ROWS_PER_STATEMENT * width;
    let at = 0;
    for (; at + full <= values.length; at += full) insertFor(table, columns, ROWS_PER_STATEMENT).run(values.slice(at, at + full));
    // The rest row by row: a statement for every remainder size would fill the cache with one-off texts.
    for (; at < values.length; at += width) insertFor(table, columns, 1).run(values.slice(at, at + width));
  });
}
