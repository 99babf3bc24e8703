import { parseArgs } from 'node:util';
import { ConfigError, DEFAULTS, loadConfig, NUMERIC_FLAGS, type ConfigInput } from '../config/config.ts';
import { DEFAULT_CLIENT_STATEMENT_TIMEOUT_MS, DEFAULT_STATEMENT_TIMEOUT_MS } from '../db/timeouts.ts';
import { DEFAULT_READER_THREADS } from '../db/dialects/sqlite-reader-pool.ts';
import { DEFAULT_RESPONSE_LIMITS } from '../domain/records/limits.ts';
import { STATISTICS_REFRESH_MS } from '../domain/records/statistics.ts';
import { DEFAULT_CONNECTION_LIMITS, MAX_CONNECTIONS_CEILING, MAX_JSON_ITEMS } from '../http/limits.ts';
import { isApiError } from '../kernel/errors.ts';

const USAGE = `Baton: a complete application backend in one command.

Usage:
  baton serve [--http=${DEFAULTS.http}] [--dir=${DEFAULTS.dir}] [--db=URL]
  baton superuser upsert|create EMAIL PASSWORD [--dir=...] [--db=URL]
  baton superuser update EMAIL PASSWORD [--dir=...] [--db=URL]
  baton superuser delete EMAIL [--dir=...] [--db=URL]
  baton superuser otp EMAIL [--dir=...] [--db=URL]   (a one-time password, printed)
  baton migrate copy --from=DIR|URL --to=DIR|URL [--force]   (details: baton migrate help)

Flags:
  --http       host:port to listen on (env BATON_HTTP)
  --dir        data directory: files, and the SQLite database unless --db is given (env BATON_DIR)
  --db         postgres://user@host:5432/name or mysql://user@host:3306/name (env BATON_DB)
  --from, --to migrate copy: a data directory or a database URL
  --force      migrate copy: replace the Baton already in the target
  --client-query-timeout  seconds a guest's or user's query may run (default ${DEFAULT_CLIENT_STATEMENT_TIMEOUT_MS / 1000}; env BATON_CLIENT_QUERY_TIMEOUT)
  --query-timeout         seconds a superuser's or Baton's own query may run (default ${DEFAULT_STATEMENT_TIMEOUT_MS / 1000}; env BATON_QUERY_TIMEOUT)
  --log-level  fatal|error|warn|info|debug|trace|silent (default info; debug adds a line per request; env BATON_LOG_LEVEL)
  --password-hash  bcrypt|argon2id for new password hashes (default bcrypt, at the field's cost, which PocketBase reads; env BATON_PASSWORD_HASH)
  --dev        verbose logs: a line per request (log level debug unless --log-level is given)
  -h, --help   show this help

Limits of \`serve\` (each also an env BATON_<NAME>, e.g. BATON_MAX_CONNECTIONS; seconds may have decimals):
  --max-expanded-records  related records one record response may carry (default ${DEFAULT_RESPONSE_LIMITS.maxExpandedRecords})
  --max-response-size     bytes of one record response (default ${DEFAULT_RESPONSE_LIMITS.maxResponseBytes}, 64 MiB)
  --max-connections       connections held at once (default: below the open-files limit, at most ${MAX_CONNECTIONS_CEILING}; never above that limit allows)
  --body-stall-timeout    seconds a request body may stop arriving before a 408 (default ${DEFAULT_CONNECTION_LIMITS.bodyStallTimeoutMs / 1000})
  --max-json-items        JSON items per request body from guests and users (default ${MAX_JSON_ITEMS})
  --shutdown-timeout      seconds a shutdown waits for requests under way (default ${DEFAULT_CONNECTION_LIMITS.shutdownGraceMs / 1000})
  --shutdown-linger       seconds idle connections stay open once a shutdown begins (default ${DEFAULT_CONNECTION_LIMITS.shutdownLingerMs / 1000})
  --sqlite-reader-threads threads for costly SQLite reads, per database file (default ${DEFAULT_READER_THREADS})
  --statistics-interval   seconds between measurements of the data for the filter cost estimate (default ${STATISTICS_REFRESH_MS / 1000}; 0: never)
`;

/** Runs a CLI command and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        http: { type: 'string' },
        dir: { type: 'string' },
        db: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        force: { type: 'boolean' },
        'log-level': { type: 'string' },
        'query-timeout': { type: 'string' },
        'client-query-timeout': { type: 'string' },
        'password-hash': { type: 'string' },
        ...Object.fromEntries(Object.keys(NUMERIC_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
        dev: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    const numeric: ConfigInput = Object.fromEntries(
      Object.entries(NUMERIC_FLAGS).map(([flag, key]) => [key, (values as Record<string, unknown>)[flag]]),
    );
    const config = loadConfig({
      ...numeric,
      http: values.http,
      dir: values.dir,
      db: values.db,
      logLevel: values['log-level'],
      queryTimeout: values['query-timeout'],
      clientQueryTimeout: values['client-query-timeout'],
      passwordHash: values['password-hash'],
      dev: values.dev,
    });
    // Commands are loaded on demand: `--help` or a bad flag should not load the whole server.
    switch (command) {
      case 'serve':
        return await (await import('./serve.ts')).serve(config);
      case 'superuser':
        return await (await import('./superuser.ts')).superuserCommand(config, rest);
      case 'migrate':
        return await (await import('./migrate.ts')).migrateCommand(rest, { from: values.from, to: values.to, force: values.force });
      default:
        process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`config error: ${e.message}\n`);
      return 2;
    }
    if (isApiError(e)) {
      const details = Object.entries(e.data)
        .map(([k, v]) => `  ${k}: ${(v as { message?: string }).message ?? JSON.stringify(v)}`)
        .join('\n');
      process.stderr.write(`error: ${e.message}\n${details ? details + '\n' : ''}`);
      return 1;
    }
    // The environment refusing something (address in use, directory not writable, not a
    // database file) is the operator's to fix: one line, no stack trace.
    if (isEnvironmentError(e)) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

function isEnvironmentError(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  const { code, syscall } = e as NodeJS.ErrnoException;
  if (typeof code === 'string' && typeof syscall === 'string') return true;
  // Database servers refusing the connection, the credentials or the database name.
  return ['SqliteError', 'EnvironmentError', 'PostgresError'].includes(e.name) || typeof (e as { sqlState?: unknown }).sqlState === 'string';
}
