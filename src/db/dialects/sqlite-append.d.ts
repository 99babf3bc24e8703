import type BetterSqlite3 from 'better-sqlite3';

export declare const ROWS_PER_STATEMENT: number;
export declare function rowAppender(conn: BetterSqlite3.Database): (table: string, columns: readonly string[], values: readonly unknown[]) => void;
