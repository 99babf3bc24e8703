import { existsSync } from 'node:fs';
import net from 'node:net';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * One project per database. SQLite always runs; PostgreSQL and MariaDB run whenever their server
 * answers (BATON_TEST_PG / BATON_TEST_MYSQL, defaulting to the services on 127.0.0.1), each test
 * server in a database of its own (test/support/databases.ts). A missing server is one printed
 * line and a skipped project, unless BATON_REQUIRE_DATABASES=1 (CI), which makes it a failure.
 */
const SERVERS = {
  postgres: process.env.BATON_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.BATON_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306/test',
} as const;

/**
 * The suites that run on every database: the API, SDK, schema and CLI tests through a real server,
 * and the filter tests, which execute every expression on the database.
 */
const EVERY_DATABASE = ['test/**/*.test.ts', 'src/filter/**/*.test.ts'];
/**
 * SQLite's own: the CLI over a data directory (it inspects the files), and tests that touch no
 * database (the parser, the import graph) or are about the UI (the dashboard): run once.
 */
const SQLITE_ONLY = [
  'test/cli.test.ts', 'test/layering.test.ts', 'src/filter/parser.test.ts', 'src/filter/helpers.test.ts',
  // SQLite's file lock, held by another connection.
  'test/sqlite-lock-wait.test.ts',
  // The dashboard: its files and the browser tests, which exercise the UI rather than the database.
  'test/dashboard/**',
];

function answers(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export default defineConfig(async () => {
  const projects: TestProjectInlineConfiguration[] = [
    // The differential test compares a server database with SQLite: it runs in the servers' projects.
    { extends: true, test: { name: 'sqlite', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: ['src/filter/differential.test.ts'] } },
  ];
  const dialects = (process.env.BATON_TEST_DIALECTS ?? 'postgres,mysql').split(',').filter(Boolean) as Array<keyof typeof SERVERS>;
  for (const dialect of dialects) {
    const url = SERVERS[dialect];
    if (await answers(url)) {
      projects.push({
        extends: true,
        test: { name: dialect, include: EVERY_DATABASE, exclude: SQLITE_ONLY, env: { BATON_TEST_DIALECT: dialect } },
      });
    } else if (process.env.BATON_REQUIRE_DATABASES === '1') {
      throw new Error(`${dialect} tests: no server answers at ${new URL(url).host} (BATON_REQUIRE_DATABASES=1)`);
    } else {
      console.log(`skipped: ${dialect} tests, no server answers at ${new URL(url).host} (set ${dialect === 'postgres' ? 'BATON_TEST_PG' : 'BATON_TEST_MYSQL'})`);
    }
  }
  // The dashboard's browser tests (test/support/browser.ts) skip without Chromium: said once here,
  // not once per test file; BATON_REQUIRE_BROWSER=1 (CI) makes them fail instead.
  const chromium = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium) && process.env.BATON_REQUIRE_BROWSER !== '1') {
    console.log(`skipped: dashboard browser tests, ${chromium} not found (apt-get install -y chromium)`);
  }
  return {
    test: {
      testTimeout: 30_000,
      hookTimeout: 60_000,
      pool: 'forks',
      projects,
    },
  };
});
