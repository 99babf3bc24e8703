import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Config } from '../config/config.ts';
import { buildServer } from '../http/server.ts';
import { SHUTDOWN_GRACE_MS } from '../http/limits.ts';
import { openBaton } from './wire.ts';
import { STATISTICS_REFRESH_MS } from '../domain/records/statistics.ts';

function createLogger(config: Config) {
  return pino({
    level: config.logLevel,
    ...(config.dev ? { transport: { target: 'pino/file', options: { destination: 1 } } } : {}),
  });
}

/** Where the data lives, for the banner: never the URL's password. */
function describeDatabase(config: Config, kind: string): string {
  if (!config.db) return `SQLite in ${config.dataDir}`;
  const u = new URL(config.db);
  const name = kind === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB';
  return `${name} at ${u.host}${u.pathname}`;
}

/** `baton serve`: opens the data directory, listens, and shuts down cleanly on SIGINT/SIGTERM. */
export async function serve(config: Config): Promise<number> {
  const logger = createLogger(config);
  const baton = await openBaton({ dataDir: config.dataDir, db: config.db, exclusive: true, queryTimeouts: config.queryTimeouts, logger });
  const server = await buildServer(baton.services, { maxBodySize: config.maxBodySize, logger });
  // Only a serving process measures the data (the cost estimate's figures); CLI commands do not.
  baton.services.statistics.start(STATISTICS_REFRESH_MS);
  try {
    await server.listen({ host: config.http.host, port: config.http.port });
  } catch (e) {
    await baton.close();
    throw e;
  }
  const address = server.addresses()[0] as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const base = `http://${host}:${address.port}`;

  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: waiting for in-flight requests');
      // As Go's Shutdown does for PocketBase: stop accepting connections, answer the requests
      // under way, close idle connections, and wait; but idle connections are half-closed after
      // a short linger rather than destroyed (connections.ts), so a request that was on its way
      // is answered with `Connection: close` and none gets a reset. After the grace period what
      // is left is cut. Only then is the database closed, so no request sees a closed handle.
      server.connections.drain();
      const closed = server.close();
      setTimeout(() => server.connections.destroyAll(), SHUTDOWN_GRACE_MS).unref();
      closed
        .then(() => baton.close())
        .then(
          () => resolve(0),
          (e) => {
            logger.error({ err: e }, 'shutdown failed');
            resolve(1);
          },
        );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  // Printed only once the signal handlers are in place: a supervisor that stops the server as
  // soon as it reports ready must get a clean shutdown, not the default kill.
  process.stdout.write(`Server started at ${base}\n├─ REST API: ${base}/api/\n└─ Database: ${describeDatabase(config, baton.databaseKind)}\n`);
  return stopped;
}
