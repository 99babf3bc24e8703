/**
 * The database a test run targets. `npm test` runs the whole suite on SQLite, and again on
 * PostgreSQL and MariaDB when they answer (vitest.config.ts makes one project per dialect and
 * sets BATON_TEST_DIALECT). Each server started by a test gets a database of its own, dropped after.
 */
import { randomBytes } from 'node:crypto';

export type TestDialect = 'sqlite' | 'postgres' | 'mysql';

export const TEST_DIALECT = (process.env.BATON_TEST_DIALECT ?? 'sqlite') as TestDialect;

export const TEST_SERVER_URLS = {
  postgres: process.env.BATON_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.BATON_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306/test',
} as const;

export interface TestDatabase {
  /** The URL to pass as `--db`; undefined for SQLite (the data directory holds it). */
  readonly url: string | undefined;
  drop(): Promise<void>;
}

const withDatabase = (url: string, name: string): string => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

/** A fresh, empty database on the run's dialect. */
export async function createTestDatabase(dialect: TestDialect = TEST_DIALECT): Promise<TestDatabase> {
  const name = `baton_t_${randomBytes(6).toString('hex')}`;
  if (dialect === 'postgres') {
    const { default: postgres } = await import('postgres');
    const run = async (statement: string) => {
      const admin = postgres(TEST_SERVER_URLS.postgres, { max: 1, onnotice: () => undefined });
      try {
        await admin.unsafe(statement);
      } finally {
        await admin.end();
      }
    };
    await run(`CREATE DATABASE "${name}"`);
    return { url: withDatabase(TEST_SERVER_URLS.postgres, name), drop: () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
  }
  if (dialect === 'mysql') {
    const mysql = await import('mysql2/promise');
    const run = async (statement: string) => {
      const c = await mysql.createConnection(TEST_SERVER_URLS.mysql);
      try {
        await c.query(statement);
      } finally {
        await c.end();
      }
    };
    await run(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    return { url: withDatabase(TEST_SERVER_URLS.mysql, name), drop: () => run(`DROP DATABASE IF EXISTS \`${name}\``) };
  }
  return { url: undefined, drop: async () => undefined };
}
