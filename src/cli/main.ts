import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULTS, loadConfig, NUMERIC_FLAGS, type ConfigInput } from '../config/config.ts';
import { DEFAULT_CLIENT_STATEMENT_TIMEOUT_MS, DEFAULT_STATEMENT_TIMEOUT_MS } from '../db/timeouts.ts';
import { DEFAULT_READER_THREADS } from '../db/dialects/sqlite-reader-pool.ts';
import { DEFAULT_RESPONSE_LIMITS } from '../domain/records/limits.ts';
import { STATISTICS_REFRESH_MS } from '../domain/records/statistics.ts';
import { REQUEST_LOG_RATE } from '../domain/logs/writer.ts';
import { DEFAULT_REPLAY_WINDOW } from '../domain/realtime/replay.ts';
import { DEFAULT_CONNECTION_LIMITS, MAX_CONNECTIONS_CEILING, MAX_JSON_ITEMS } from '../http/limits.ts';
import { isApiError } from '../kernel/errors.ts';
import { MIGRATE_USAGE } from './migrate-usage.ts';

const USAGE = `Baton: a complete application backend in one command.

Usage:
  baton serve [flags]                     serve the API (baton serve --help for its flags)
  baton superuser upsert|create|update EMAIL PASSWORD [--dir=...] [--db=URL]
  baton superuser delete EMAIL [--dir=...] [--db=URL]
  baton superuser otp EMAIL [--dir=...] [--db=URL]   (a one-time password, printed)
  baton migrate copy --from=DIR|URL --to=DIR|URL [--force]   (baton migrate --help)

Flags of every command:
  -h, --help     show the command's help
  -v, --version  print Baton's version
`;

const DATA_FLAGS = `  --dir        data directory: files, and the SQLite database unless --db is given (default ${DEFAULTS.dir}; env BATON_DIR)
  --db         postgres://user@host:5432/name or mysql://user@host:3306/name (env BATON_DB)
  --password-hash  bcrypt|argon2id for new password hashes (default bcrypt, at the field's cost, which PocketBase reads; env BATON_PASSWORD_HASH)
`;

const SERVE_USAGE = `Usage: baton serve [flags]

Serves the API on the data directory (SQLite) or the database --db names.

Flags:
  --http       host:port to listen on (default ${DEFAULTS.http}; env BATON_HTTP)
${DATA_FLAGS}  --client-query-timeout  seconds a guest's or user's query may run (default ${DEFAULT_CLIENT_STATEMENT_TIMEOUT_MS / 1000}; env BATON_CLIENT_QUERY_TIMEOUT)
  --query-timeout         seconds a superuser's or Baton's own query may run (default ${DEFAULT_STATEMENT_TIMEOUT_MS / 1000}; env BATON_QUERY_TIMEOUT)
  --log-level  fatal|error|warn|info|debug|trace|silent (default info; debug adds a line per request; env BATON_LOG_LEVEL)
  --dev        readable, verbose logs (pino-pretty): a line per request (log level debug unless --log-level is given; env BATON_DEV=1)

Limits (each also an env BATON_<NAME>, e.g. BATON_MAX_CONNECTIONS; seconds may have decimals):
  --max-expanded-records  related records one record response may carry (default ${DEFAULT_RESPONSE_LIMITS.maxExpandedRecords})
  --max-response-size     bytes of one record response (default ${DEFAULT_RESPONSE_LIMITS.maxResponseBytes}, 64 MiB)
  --max-connections       connections held at once (default: below the open-files limit, at most ${MAX_CONNECTIONS_CEILING}; never above that limit allows)
  --body-stall-timeout    seconds a request body may stop arriving before a 408 (default ${DEFAULT_CONNECTION_LIMITS.bodyStallTimeoutMs / 1000})
  --max-json-items        JSON items per request body from guests and users (default ${MAX_JSON_ITEMS})
  --shutdown-timeout      seconds a shutdown waits for requests under way (default ${DEFAULT_CONNECTION_LIMITS.shutdownGraceMs / 1000})
  --shutdown-linger       seconds idle connections stay open once a shutdown begins (default ${DEFAULT_CONNECTION_LIMITS.shutdownLingerMs / 1000})
  --sqlite-reader-threads threads for costly SQLite reads, per database file (default ${DEFAULT_READER_THREADS})
  --statistics-interval   seconds between measurements of the data for the filter cost estimate (default ${STATISTICS_REFRESH_MS / 1000}; 0: never)
  --request-log-rate      successful requests logged one by one a second; more are counted, in one entry a second (default ${REQUEST_LOG_RATE}; 0: every one)
  --realtime-replay-events record changes kept for realtime clients that reconnect with Last-Event-ID (default ${DEFAULT_REPLAY_WINDOW.maxEvents}; 0: none)
  --realtime-replay-age   seconds a change is kept for them (default ${DEFAULT_REPLAY_WINDOW.maxAgeMs / 1000})
  --realtime-replay-bytes estimated bytes of the changes kept for them (default ${DEFAULT_REPLAY_WINDOW.maxBytes})
`;

const SUPERUSER_USAGE = `Usage:
  baton superuser upsert EMAIL PASSWORD   create the superuser, or set its password
  baton superuser create EMAIL PASSWORD   create it (an error if it exists)
  baton superuser update EMAIL PASSWORD   set its password (an error if it is missing)
  baton superuser delete EMAIL            delete it (nothing to do if it is missing)
  baton superuser otp EMAIL               print a one-time password (_superusers must allow OTP)

Flags:
${DATA_FLAGS}`;

/** Each command's flags (besides --help and --version) and the positional arguments it takes. */
const COMMANDS: Record<string, { usage: string; flags: readonly string[]; args: (rest: string[]) => number }> = {
  serve: {
    usage: SERVE_USAGE,
    flags: ['http', 'dir', 'db', 'password-hash', 'client-query-timeout', 'query-timeout', 'log-level', 'dev', ...Object.keys(NUMERIC_FLAGS)],
    args: () => 0,
  },
  superuser: {
    usage: SUPERUSER_USAGE,
    flags: ['dir', 'db', 'password-hash'],
    // The action, then its email (and password, but for delete and otp).
    args: ([action]) => (action === 'delete' || action === 'otp' ? 2 : 3),
  },
  migrate: { usage: MIGRATE_USAGE, flags: ['from', 'to', 'force'], args: () => 1 },
};

/** Every command's flags, for the parser; COMMANDS says which command takes which. */
const OPTIONS = {
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
  version: { type: 'boolean', short: 'v' },
} as const satisfies Record<string, { type: 'string' | 'boolean'; short?: string }>;

/**
 * The parser's refusal in the CLI's words. Node's messages name the flag ("Unknown option '--x'",
 * "Option '--http <value>' argument missing", "Option '--dir' argument is ambiguous" when the
 * next word is a flag, "Option '-h, --help' does not take an argument"); the long name is kept.
 */
function flagError(e: Error): string {
  const quoted = /'([^']*)'/.exec(e.message)?.[1];
  if (quoted === undefined) return e.message;
  if ((e as NodeJS.ErrnoException).code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `unknown flag ${quoted}`;
  const name = /--([\w-]+)/.exec(quoted)?.[1] ?? '';
  const option: { type: string } | undefined = (OPTIONS as Record<string, { type: string }>)[name];
  if (!option) return e.message;
  return option.type === 'boolean' ? `--${name} takes no value` : `--${name} needs a value (--${name}=<value>)`;
}

/** Runs a CLI command and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (e) {
    const spec = COMMANDS[argv.find((a) => !a.startsWith('-')) ?? ''];
    process.stderr.write(`${flagError(e as Error)}\n\n${spec?.usage ?? USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.version) {
    process.stdout.write(`baton ${version()}\n`);
    return 0;
  }
  const spec = command === undefined ? undefined : COMMANDS[command];
  if (command !== undefined && !spec) {
    process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  if (!spec) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  if (values.help) {
    process.stdout.write(spec.usage);
    return 0;
  }
  const foreign = Object.keys(values).find((flag) => !spec.flags.includes(flag));
  if (foreign) {
    process.stderr.write(`baton ${command} takes no --${foreign} flag\n\n${spec.usage}`);
    return 2;
  }
  const extra = rest.slice(spec.args(rest));
  if (extra.length) {
    process.stderr.write(`baton ${command}: unexpected argument "${extra[0]}"\n\n${spec.usage}`);
    return 2;
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
      default: // migrate (COMMANDS has no other)
        return await (await import('./migrate.ts')).migrateCommand(rest, { from: values.from, to: values.to, force: values.force });
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

/** Baton's version: the `version` of its package.json, found above this module (src/cli or dist). */
function version(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'baton' && pkg.version) return pkg.version;
    } catch {
      // No package.json here: one level up.
    }
    if (dir.pathname === '/') return 'unknown';
  }
}
