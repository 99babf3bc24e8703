/**
 * What one client may hold of the HTTP server: time, connections and body shape. PocketBase's
 * values are those of its `http.Server` (apis/serve.go, v0.39: ReadTimeout 5 min,
 * ReadHeaderTimeout 1 min, WriteTimeout 5 min, IdleTimeout unset); the others are Baton's own,
 * needed because one Node process serves every connection from one event loop and one
 * descriptor table. These are the defaults; `baton serve` takes some from its configuration
 * (`resolveConnectionLimits`).
 */
import { readFileSync } from 'node:fs';
import { type Config, ConfigError } from '../config/config.ts';

export interface ConnectionLimits {
  /**
   * Time to receive a request's headers (Node's `server.headersTimeout`): PocketBase's
   * ReadHeaderTimeout, 1 minute.
   */
  headersTimeoutMs: number;
  /**
   * Time to receive a whole request, headers and body (Node's `requestTimeout`): PocketBase's
   * ReadTimeout, 5 minutes; a body still arriving then is cut with a 408.
   */
  requestTimeoutMs: number;
  /**
   * How long a keep-alive connection may wait for its next request (`keepAliveTimeout`): Go uses
   * ReadTimeout when IdleTimeout is unset, so 5 minutes.
   */
  keepAliveTimeoutMs: number;
  /**
   * A connection with a request under way on which nothing has moved in either direction for
   * this long is closed. This stands for PocketBase's WriteTimeout (5 minutes), for which Node has
   * no equivalent: a client that stops reading its response is cut. Checked by the connection
   * sweep rather than with Node's socket timeout (Fastify's `connectionTimeout`), which Node
   * re-arms with a new timer on every keep-alive request and refreshes on every read and write.
   */
  responseStallTimeoutMs: number;
  /**
   * A request body that stops arriving for this long is cut with a 408 (Baton's own). The 5 minute
   * request timeout alone lets a client hold a connection for 5 minutes with a few bytes; a real
   * client's upload does not pause for 30 s, and one that does can retry.
   */
  bodyStallTimeoutMs: number;
  /**
   * Connections held at once. At the cap, a new connection evicts the one that has waited longest
   * on its client (see connections.ts); none can be evicted only when every connection is running
   * a request. Default: below the process's descriptor limit (`defaultMaxConnections`).
   */
  maxConnections: number;
  /** How often stalled bodies and connection progress are checked. */
  sweepIntervalMs: number;
  /**
   * How long, once a shutdown begins, idle keep-alive connections stay open to answer a request
   * that was already on its way (with `Connection: close`) before they are closed. 500 ms is Go's
   * own pause before closing a connection it has answered with `Connection: close`
   * (net/http's rstAvoidanceDelay).
   */
  shutdownLingerMs: number;
  /**
   * How long a shutdown waits for in-flight requests before cutting their connections (Baton's
   * own, 10 s); the linger is part of it.
   */
  shutdownGraceMs: number;
  /**
   * A connection the server has half-closed (FIN sent) is fully closed when the client closes its
   * side, or after this long.
   */
  halfCloseTimeoutMs: number;
}

/**
 * Descriptors kept for everything but client connections: the listening socket, SQLite's data
 * and auxiliary files with their WAL and shared-memory files, a pool of 10 connections per
 * database server, log files, the event loop's own descriptors, worker threads, and files opened
 * for uploads and downloads. 128 leaves room for all of these several times over.
 */
export const RESERVED_DESCRIPTORS = 128;

/**
 * Upper bound on connections whatever the descriptor limit: every connection costs memory (a
 * parser, buffers), roughly 10-20 KB when idle, so 10,000 idle connections hold ~200 MB at most.
 * Only the default stops there: `--max-connections` may go up to the descriptor bound (realtime
 * clients hold one connection each).
 */
export const MAX_CONNECTIONS_CEILING = 10_000;

/**
 * The soft RLIMIT_NOFILE of this process (Node raises it to the hard limit at start), read from
 * /proc on Linux; undefined where that is not available.
 */
export function descriptorLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return Infinity;
    const n = Number(soft);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Connections held at once: below the descriptor limit by RESERVED_DESCRIPTORS (half of it for
 * tiny limits), so that a flood of connections can never leave the process unable to open a
 * database file or accept the connection of a real client. Where the limit is unknown, 1,024 (the
 * common default soft limit) is assumed.
 */
export function defaultMaxConnections(limit = descriptorLimit() ?? 1024): number {
  return Math.min(MAX_CONNECTIONS_CEILING, connectionsBound(limit));
}

/** The most connections a descriptor limit leaves room for (see defaultMaxConnections). */
function connectionsBound(limit: number): number {
  return Math.max(1, Math.floor(limit / 2), limit - RESERVED_DESCRIPTORS);
}

export const DEFAULT_CONNECTION_LIMITS: Readonly<Omit<ConnectionLimits, 'maxConnections'>> = Object.freeze({
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 300_000,
  responseStallTimeoutMs: 300_000,
  bodyStallTimeoutMs: 30_000,
  sweepIntervalMs: 1_000,
  shutdownLingerMs: 500,
  shutdownGraceMs: 10_000,
  halfCloseTimeoutMs: 2_000,
});

/**
 * The connection limits `baton serve` runs with: the configured ones over the defaults, checked
 * against each other and against this process's descriptor limit (`descriptorLimit()`; where it
 * cannot be read, the default assumes 1,024 and a configured cap is held to the configuration's
 * own bounds only). Throws a ConfigError, before anything is opened.
 */
export function resolveConnectionLimits(settings: Config['connections'], descriptors: number | undefined, givenAs: Config['givenAs'] = {}): ConnectionLimits {
  const name = (key: 'maxConnections' | 'shutdownTimeout' | 'shutdownLinger', flag: string) => givenAs?.[key] ?? flag;
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, maxConnections: defaultMaxConnections(descriptors ?? 1024), ...settings };
  // A grace period shorter than the default linger, with no linger given, takes half of it as its linger.
  if (settings.shutdownLingerMs === undefined) limits.shutdownLingerMs = Math.min(limits.shutdownLingerMs, Math.floor(limits.shutdownGraceMs / 2));
  if (settings.maxConnections !== undefined && descriptors !== undefined && settings.maxConnections > connectionsBound(descriptors)) {
    throw new ConfigError(
      `invalid ${name('maxConnections', '--max-connections')} ${settings.maxConnections}: this process may open ${descriptors} files (ulimit -n), ` +
        `which leaves room for ${connectionsBound(descriptors)} connections once the databases' and files' descriptors are kept; ` +
        `raise the limit or lower ${name('maxConnections', '--max-connections')}`,
    );
  }
  // Past the grace period every connection is cut, so a linger as long would answer nothing more.
  if (limits.shutdownLingerMs >= limits.shutdownGraceMs) {
    throw new ConfigError(
      `invalid ${name('shutdownLinger', '--shutdown-linger')} ${limits.shutdownLingerMs / 1000}: it must be shorter than ${name('shutdownTimeout', '--shutdown-timeout')} (${limits.shutdownGraceMs / 1000} s)`,
    );
  }
  return Object.freeze(limits);
}

/**
 * Deepest JSON nesting accepted in a request body: deeper documents would overflow the recursive
 * code that walks them (sorting a JSON field's keys, picking `fields`).
 */
export const MAX_JSON_DEPTH = 512;

/**
 * Most JSON items (containers opened plus separators, which is the number of values within a
 * factor of two) in a client's request body, checked before it is parsed. Parsing and then
 * walking a body costs event-loop time per value, not per byte: 12 MB of small nested arrays
 * held the loop 5 s, 30 MB in one string ~0.1 s. At 100,000 items the costliest shapes measured
 * (objects in a JSON field, which the record is then built from, stored and sent back) held the
 * loop well under 100 ms on a loaded 2-core machine, and a JSON field still takes 100,000
 * numbers or short strings. Superusers import whole schemas, so they may send more. The default of
 * `--max-json-items` (json.ts, `jsonShapes`).
 */
export const MAX_JSON_ITEMS = 100_000;
export const SUPERUSER_MAX_JSON_ITEMS = 4_000_000;

/** Most values in a form (urlencoded or multipart) body, counted before any is decoded. */
export const MAX_FORM_FIELDS = 1000;
