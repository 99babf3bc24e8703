import type { Database, Executor, RunResult, RowShape } from './dialect.ts';
import type { Sql } from './sql.ts';

/**
 * An open transaction seen as a Database, so code written against a Database (the record service)
 * runs inside it unchanged: every read and write goes to the transaction (reads see its own
 * uncommitted writes), and a nested `transaction` joins it, to commit or roll back with it.
 * Schema changes and closing are not for a transaction's users.
 */
export class TransactionDatabase implements Database {
  readonly dialect;

  constructor(private readonly tx: Executor) {
    this.dialect = tx.dialect;
  }

  all<T = Record<string, unknown>>(query: Sql, shape?: RowShape): Promise<T[]> {
    return this.tx.all<T>(query, shape);
  }

  get<T = Record<string, unknown>>(query: Sql, shape?: RowShape): Promise<T | undefined> {
    return this.tx.get<T>(query, shape);
  }

  run(query: Sql): Promise<RunResult> {
    return this.tx.run(query);
  }

  /** A write returning rows: on a transaction, a read of the statement's rows. */
  write<T = Record<string, unknown>>(query: Sql, shape?: RowShape): Promise<T[]> {
    return this.tx.all<T>(query, shape);
  }

  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    return fn(this.tx);
  }

  forClients(): Executor {
    return this.tx;
  }

  schemaChanged(): void {
    throw new Error('no schema change inside a record transaction');
  }

  close(): Promise<void> {
    return Promise.reject(new Error('a transaction is not closed, it commits or rolls back'));
  }
}
