import path from 'node:path';

export interface Config {
  readonly http: { readonly host: string; readonly port: number };
  readonly dataDir: string;
  /** A PostgreSQL or MySQL URL; absent: SQLite files in `dataDir`. */
  readonly db: string | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest accepted request body in bytes (PocketBase's default is 32 MiB). */
  readonly maxBodySize: number;
  /**
   * Statement time budgets in milliseconds: `client` for guests' and users' reads, `system` for
   * superusers and Baton's own work (see docs/ARCHITECTURE.md, "Statement budgets"). Absent: the
   * database layer's defaults (db/timeouts.ts).
   */
  readonly queryTimeouts: { readonly client?: number; readonly system?: number };
  readonly dev: boolean;
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const DEFAULTS = {
  http: '127.0.0.1:8090',
  dir: './baton_data',
  logLevel: 'info',
  maxBodySize: 32 << 20,
} as const;

/** Flags win over BATON_* environment variables, which win over defaults. */
export interface ConfigInput {
  http?: string;
  dir?: string;
  db?: string;
  logLevel?: string;
  maxBodySize?: string | number;
  /** Seconds (decimals allowed). */
  queryTimeout?: string | number;
  clientQueryTimeout?: string | number;
  dev?: boolean;
}

export function parseHostPort(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value.trim());
  if (!m) throw new ConfigError(`invalid --http address "${value}", expected host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`invalid port ${port}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** Validates once at start and freezes the result; nothing reads process.env after this. */
export function loadConfig(input: ConfigInput, env: NodeJS.ProcessEnv = process.env): Config {
  const dev = input.dev ?? env.BATON_DEV === '1';
  // `--dev` is verbose: one line per request (debug) unless a level is given.
  const logLevel = input.logLevel ?? env.BATON_LOG_LEVEL ?? (dev ? 'debug' : DEFAULTS.logLevel);
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError(`invalid log level "${logLevel}"`);
  const maxBodySize = Number(input.maxBodySize ?? env.BATON_MAX_BODY_SIZE ?? DEFAULTS.maxBodySize);
  if (!Number.isInteger(maxBodySize) || maxBodySize <= 0) throw new ConfigError('invalid max body size');
  const seconds = (name: string, v: string | number | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    // Up to a day: a longer budget is no budget, and setTimeout-style clocks overflow past 2^31 ms.
    if (v === '' || !Number.isFinite(n) || n <= 0 || n > 86_400) throw new ConfigError(`invalid ${name} "${v}", expected seconds (0 < s <= 86400)`);
    return Math.round(n * 1000);
  };
  const queryTimeouts = Object.freeze({
    client: seconds('--client-query-timeout', input.clientQueryTimeout ?? env.BATON_CLIENT_QUERY_TIMEOUT),
    system: seconds('--query-timeout', input.queryTimeout ?? env.BATON_QUERY_TIMEOUT),
  });
  const db = input.db ?? (env.BATON_DB || undefined);
  if (db !== undefined && !/^(postgres(ql)?|mysql|mariadb):\/\/./i.test(db)) {
    throw new ConfigError(`invalid --db "${db.replace(/\/\/[^@/]*@/, '//…@')}", expected postgres://… or mysql://…`);
  }
  const config: Config = {
    http: Object.freeze(parseHostPort(input.http ?? env.BATON_HTTP ?? DEFAULTS.http)),
    dataDir: path.resolve(input.dir ?? env.BATON_DIR ?? DEFAULTS.dir),
    db: db || undefined,
    logLevel: logLevel as Config['logLevel'],
    maxBodySize,
    queryTimeouts,
    dev,
  };
  return Object.freeze(config);
}
