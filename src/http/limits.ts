/**
 * What one client may hold of the HTTP server: time, connections and body shape. PocketBase's
 * values are those of its `http.Server` (apis/serve.go, v0.39: ReadTimeout 5 min,
 * ReadHeaderTimeout 1 min, WriteTimeout 5 min, IdleTimeout unset); the others are Baton's own,
 * needed because one Node process serves every connection from one event loop and one
 * descriptor table.
 */
import { readFileSync } from 'node:fs';

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
 * Should become configurable (realtime clients hold one connection each).
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
  const usable = Math.max(Math.floor(limit / 2), limit - RESERVED_DESCRIPTORS);
  return Math.max(1, Math.min(MAX_CONNECTIONS_CEILING, usable));
}

export const DEFAULT_CONNECTION_LIMITS: Readonly<Omit<ConnectionLimits, 'maxConnections'>> = Object.freeze({
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 300_000,
  responseStallTimeoutMs: 300_000,
  bodyStallTimeoutMs: 30_000,
  sweepIntervalMs: 1_000,
  shutdownLingerMs: 500,
  halfCloseTimeoutMs: 2_000,
});

/** How long a shutdown waits for in-flight requests before cutting their connections (Baton's own). */
export const SHUTDOWN_GRACE_MS = 10_000;

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
 * numbers or short strings. Superusers import whole schemas, so they may send more.
 */
export const MAX_JSON_ITEMS = 100_000;
export const SUPERUSER_MAX_JSON_ITEMS = 4_000_000;

/** Most values in a form (urlencoded or multipart) body, counted before any is decoded. */
export const MAX_FORM_FIELDS = 1000;
