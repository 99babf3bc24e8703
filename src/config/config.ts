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
  /**
   * Bounds on one record response (domain/records/limits.ts has the defaults and their reasons):
   * related records under `expand`, and bytes.
   */
  readonly responseLimits: { readonly maxExpandedRecords?: number; readonly maxResponseBytes?: number };
  /**
   * What clients may hold of the HTTP server, and how a shutdown ends (http/limits.ts has the
   * defaults). `maxConnections` is checked against the descriptor limit when the server starts
   * (`resolveConnectionLimits`), since that is the process's, not the configuration's.
   */
  readonly connections: {
    readonly maxConnections?: number;
    readonly bodyStallTimeoutMs?: number;
    readonly shutdownGraceMs?: number;
    readonly shutdownLingerMs?: number;
  };
  /** JSON items per request body for guests and users (http/limits.ts, MAX_JSON_ITEMS). */
  readonly maxJsonItems?: number;
  /** Threads running costly SQLite reads, per database file (db/dialects/sqlite-reader-pool.ts: 2). */
  readonly sqliteReaderThreads?: number;
  /** Successful requests logged one by one per second; 0: every one (domain/logs/writer.ts, REQUEST_LOG_RATE). */
  readonly requestLogRate?: number;
  /** How often `baton serve` measures the data for the cost estimate; 0: never (domain/records/statistics.ts: 10 min). */
  readonly statisticsIntervalMs?: number;
  /** Record changes kept for realtime clients that reconnect (domain/realtime/replay.ts: 1,000, 5 min, 64 MiB). */
  readonly realtimeReplay: { readonly maxEvents?: number; readonly maxAgeMs?: number; readonly maxBytes?: number };
  /**
   * How new passwords are hashed: `bcrypt` at the password field's cost, as PocketBase does, so the
   * data stays readable by PocketBase; or `argon2id`, which PocketBase cannot verify. Both verify.
   */
  readonly passwordHash: PasswordHash;
  readonly dev: boolean;
  /**
   * The name each numeric setting that was given came by (`--max-connections` or
   * `BATON_MAX_CONNECTIONS`), for checks made later that refuse it (`resolveConnectionLimits`).
   */
  readonly givenAs?: Readonly<Partial<Record<NumericSetting, string>>>;
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const PASSWORD_HASHES = ['bcrypt', 'argon2id'] as const;
export type PasswordHash = (typeof PASSWORD_HASHES)[number];

export const DEFAULTS = {
  http: '127.0.0.1:8090',
  dir: './baton_data',
  logLevel: 'info',
  maxBodySize: 32 << 20,
  passwordHash: 'bcrypt',
} as const;

/**
 * Flags win over BATON_* environment variables (an empty one counts as unset), which win over
 * defaults. A refused value is reported under the name it came from: `--query-timeout` or
 * `BATON_QUERY_TIMEOUT`.
 */
export interface ConfigInput {
  http?: string;
  dir?: string;
  db?: string;
  logLevel?: string;
  maxBodySize?: string | number;
  /** Seconds (decimals allowed). */
  queryTimeout?: string | number;
  clientQueryTimeout?: string | number;
  maxExpandedRecords?: string | number;
  /** Bytes. */
  maxResponseSize?: string | number;
  maxConnections?: string | number;
  /** Seconds (decimals allowed), as are the shutdown ones and the statistics interval. */
  bodyStallTimeout?: string | number;
  maxJsonItems?: string | number;
  shutdownTimeout?: string | number;
  shutdownLinger?: string | number;
  sqliteReaderThreads?: string | number;
  statisticsInterval?: string | number;
  requestLogRate?: string | number;
  realtimeReplayEvents?: string | number;
  /** Seconds (decimals allowed). */
  realtimeReplayAge?: string | number;
  realtimeReplayBytes?: string | number;
  /** `bcrypt` or `argon2id`. */
  passwordHash?: string;
  dev?: boolean;
}

/** A setting read as a number: its flag (without `--`), environment variable and bounds. */
interface NumericSpec {
  readonly flag: string;
  readonly env: string;
  /** `count`: a whole number; `seconds`: decimals allowed, returned in milliseconds. */
  readonly unit: 'count' | 'seconds';
  readonly min: number;
  readonly max: number;
  /** 0 is accepted besides [min, max], meaning "off". */
  readonly zeroIsOff?: boolean;
  /** What 0 means, for messages (default "off"). */
  readonly zeroMeans?: string;
}

/**
 * The numeric settings. Bounds keep a typo from becoming an outage (a cap of 0 refuses every
 * request) and timers within what setTimeout-style clocks hold (2^31 ms, about 24 days).
 */
const NUMERIC = {
  maxExpandedRecords: { flag: 'max-expanded-records', env: 'BATON_MAX_EXPANDED_RECORDS', unit: 'count', min: 1, max: 1_000_000 },
  // Below 1 KiB most record responses would be refused; past 1 GiB one response could take the process's memory.
  maxResponseSize: { flag: 'max-response-size', env: 'BATON_MAX_RESPONSE_SIZE', unit: 'count', min: 1024, max: 1 << 30 },
  // Also checked against the descriptor limit when the server starts (http/limits.ts).
  maxConnections: { flag: 'max-connections', env: 'BATON_MAX_CONNECTIONS', unit: 'count', min: 1, max: 1_000_000 },
  bodyStallTimeout: { flag: 'body-stall-timeout', env: 'BATON_BODY_STALL_TIMEOUT', unit: 'seconds', min: 0.001, max: 86_400 },
  maxJsonItems: { flag: 'max-json-items', env: 'BATON_MAX_JSON_ITEMS', unit: 'count', min: 1, max: 10_000_000 },
  shutdownTimeout: { flag: 'shutdown-timeout', env: 'BATON_SHUTDOWN_TIMEOUT', unit: 'seconds', min: 0.001, max: 86_400 },
  shutdownLinger: { flag: 'shutdown-linger', env: 'BATON_SHUTDOWN_LINGER', unit: 'seconds', min: 0, max: 60 },
  sqliteReaderThreads: { flag: 'sqlite-reader-threads', env: 'BATON_SQLITE_READER_THREADS', unit: 'count', min: 1, max: 64 },
  // Each refresh reads every collection (bounded): more often than every second is a constant scan.
  statisticsInterval: { flag: 'statistics-interval', env: 'BATON_STATISTICS_INTERVAL', unit: 'seconds', min: 1, max: 86_400, zeroIsOff: true },
  // 0 logs every request, as PocketBase does.
  requestLogRate: { flag: 'request-log-rate', env: 'BATON_REQUEST_LOG_RATE', unit: 'count', min: 1, max: 1_000_000, zeroIsOff: true, zeroMeans: 'every request' },
  // Whole records are kept in memory: bounded by their count and by their estimated size.
  realtimeReplayEvents: { flag: 'realtime-replay-events', env: 'BATON_REALTIME_REPLAY_EVENTS', unit: 'count', min: 1, max: 1_000_000, zeroIsOff: true },
  realtimeReplayAge: { flag: 'realtime-replay-age', env: 'BATON_REALTIME_REPLAY_AGE', unit: 'seconds', min: 1, max: 86_400 },
  realtimeReplayBytes: { flag: 'realtime-replay-bytes', env: 'BATON_REALTIME_REPLAY_BYTES', unit: 'count', min: 1024, max: 2 ** 34 },
} as const satisfies Record<string, NumericSpec>;

export type NumericSetting = keyof typeof NUMERIC;

/** The command-line options of the numeric settings, for the CLI's parser: `{ 'max-connections': 'maxConnections', … }`. */
export const NUMERIC_FLAGS: Readonly<Record<string, NumericSetting>> = Object.freeze(
  Object.fromEntries(Object.entries(NUMERIC).map(([key, spec]) => [spec.flag, key as NumericSetting])),
);

/** A setting's value and the name it came by, for messages: the flag (`--http`) or the variable (`BATON_HTTP`). */
interface Given<T> {
  readonly raw: T;
  readonly from: string;
}

/** A setting from its flag, else its environment variable (empty counts as unset), else undefined. */
function given<T>(flagValue: T | undefined, flag: string, variable: string, env: NodeJS.ProcessEnv): Given<T | string> | undefined {
  if (flagValue !== undefined) return { raw: flagValue, from: flag };
  const value = env[variable];
  return value === undefined || value === '' ? undefined : { raw: value, from: variable };
}

/** A numeric setting, or undefined: the default of the layer that uses it. */
function numeric(key: NumericSetting, input: ConfigInput, env: NodeJS.ProcessEnv, givenAs?: Partial<Record<NumericSetting, string>>): number | undefined {
  const spec: NumericSpec = NUMERIC[key];
  const setting = given(input[key], `--${spec.flag}`, spec.env, env);
  if (setting === undefined) return undefined;
  const { raw, from } = setting;
  if (givenAs) givenAs[key] = from;
  const text = String(raw).trim();
  const n = text === '' ? NaN : Number(text);
  const valid = (spec.zeroIsOff === true && n === 0) || (n >= spec.min && n <= spec.max);
  const off = spec.zeroIsOff ? `0 (${spec.zeroMeans ?? 'off'}) or ` : '';
  if (spec.unit === 'count') {
    if (!/^\d+$/.test(text) || !valid) throw new ConfigError(`invalid ${from} "${raw}", expected ${off}a whole number from ${spec.min} to ${spec.max}`);
    return n;
  }
  if (!valid) throw new ConfigError(`invalid ${from} "${raw}", expected ${off}seconds from ${spec.min} to ${spec.max}`);
  return Math.round(n * 1000);
}

/** An object without its undefined members: spread over defaults, absent means the default. */
function defined<T extends object>(o: T): T {
  return Object.freeze(Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T);
}

/** `host:port`; `from` names where the value came from, for the message if it is refused. */
export function parseHostPort(value: string, from = '--http'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value.trim());
  if (!m) throw new ConfigError(`invalid ${from} "${value}", expected host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`invalid ${from} "${value}", expected a port from 0 to 65535`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** BATON_DEV: 1 or true turns dev mode on, 0 or false (or unset, or empty) leaves it off; anything else is refused. */
function devFromEnv(env: NodeJS.ProcessEnv): boolean {
  const raw = env.BATON_DEV?.trim().toLowerCase();
  if (!raw || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(`invalid BATON_DEV "${env.BATON_DEV}", expected 1 or 0 (true or false)`);
}

/** Validates once at start and freezes the result; nothing reads process.env after this. */
export function loadConfig(input: ConfigInput, env: NodeJS.ProcessEnv = process.env): Config {
  const dev = input.dev ?? devFromEnv(env);
  const level = given(input.logLevel, '--log-level', 'BATON_LOG_LEVEL', env);
  // `--dev` is verbose: one line per request (debug) unless a level is given.
  const logLevel = level?.raw ?? (dev ? 'debug' : DEFAULTS.logLevel);
  if (level && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`invalid ${level.from} "${logLevel}", expected one of ${LOG_LEVELS.join(', ')}`);
  }
  // No flag: only programs embedding Baton pass it in.
  const bodySize = given(input.maxBodySize, 'maxBodySize', 'BATON_MAX_BODY_SIZE', env);
  const maxBodySize = Number(bodySize?.raw ?? DEFAULTS.maxBodySize);
  if (bodySize && (!Number.isInteger(maxBodySize) || maxBodySize <= 0)) {
    throw new ConfigError(`invalid ${bodySize.from} "${bodySize.raw}", expected a whole number of bytes above 0`);
  }
  const seconds = (setting: Given<string | number> | undefined): number | undefined => {
    if (setting === undefined) return undefined;
    const n = Number(setting.raw);
    // Up to a day: a longer budget is no budget, and setTimeout-style clocks overflow past 2^31 ms.
    if (setting.raw === '' || !Number.isFinite(n) || n <= 0 || n > 86_400) {
      throw new ConfigError(`invalid ${setting.from} "${setting.raw}", expected seconds (0 < s <= 86400)`);
    }
    return Math.round(n * 1000);
  };
  const queryTimeouts = Object.freeze({
    client: seconds(given(input.clientQueryTimeout, '--client-query-timeout', 'BATON_CLIENT_QUERY_TIMEOUT', env)),
    system: seconds(given(input.queryTimeout, '--query-timeout', 'BATON_QUERY_TIMEOUT', env)),
  });
  const hash = given(input.passwordHash, '--password-hash', 'BATON_PASSWORD_HASH', env);
  const passwordHash = hash?.raw ?? DEFAULTS.passwordHash;
  if (hash && !(PASSWORD_HASHES as readonly string[]).includes(passwordHash)) {
    throw new ConfigError(`invalid ${hash.from} "${passwordHash}", expected ${PASSWORD_HASHES.join(' or ')}`);
  }
  const db = given(input.db, '--db', 'BATON_DB', env);
  if (db !== undefined && !/^(postgres(ql)?|mysql|mariadb):\/\/./i.test(db.raw)) {
    throw new ConfigError(`invalid ${db.from} "${db.raw.replace(/\/\/[^@/]*@/, '//…@')}", expected postgres://… or mysql://…`);
  }
  const http = given(input.http, '--http', 'BATON_HTTP', env);
  const givenAs: Partial<Record<NumericSetting, string>> = {};
  const config: Config = {
    http: Object.freeze(http ? parseHostPort(http.raw, http.from) : parseHostPort(DEFAULTS.http)),
    dataDir: path.resolve(given(input.dir, '--dir', 'BATON_DIR', env)?.raw ?? DEFAULTS.dir),
    db: db?.raw || undefined,
    logLevel: logLevel as Config['logLevel'],
    maxBodySize,
    queryTimeouts,
    responseLimits: defined({
      maxExpandedRecords: numeric('maxExpandedRecords', input, env),
      maxResponseBytes: numeric('maxResponseSize', input, env),
    }),
    connections: defined({
      maxConnections: numeric('maxConnections', input, env, givenAs),
      bodyStallTimeoutMs: numeric('bodyStallTimeout', input, env),
      shutdownGraceMs: numeric('shutdownTimeout', input, env, givenAs),
      shutdownLingerMs: numeric('shutdownLinger', input, env, givenAs),
    }),
    maxJsonItems: numeric('maxJsonItems', input, env),
    sqliteReaderThreads: numeric('sqliteReaderThreads', input, env),
    statisticsIntervalMs: numeric('statisticsInterval', input, env),
    requestLogRate: numeric('requestLogRate', input, env),
    realtimeReplay: defined({
      maxEvents: numeric('realtimeReplayEvents', input, env),
      maxAgeMs: numeric('realtimeReplayAge', input, env),
      maxBytes: numeric('realtimeReplayBytes', input, env),
    }),
    passwordHash: passwordHash as PasswordHash,
    dev,
    givenAs: Object.freeze(givenAs),
  };
  return Object.freeze(config);
}
