import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { Config } from '../config/config.ts';
import { buildServer } from '../http/server.ts';
import { descriptorLimit, resolveConnectionLimits, type ConnectionLimits } from '../http/limits.ts';
import { DEFAULT_REPLAY_WINDOW } from '../domain/realtime/replay.ts';
import { openBaton, type Baton } from './wire.ts';
import { installerLink } from './installer.ts';
import { batonCommand } from './invocation.ts';
import { undoNewDatabase } from './new-database.ts';
import { undoNewDirectory } from './new-directory.ts';

/**
 * The process log: JSON lines on stdout (errors and lifecycle events at the default level; a line
 * per request from debug), or with `--dev` readable lines in colour through pino-pretty, in a
 * worker thread so formatting never holds the event loop.
 */
function createLogger(config: Config) {
  return pino({
    level: config.logLevel,
    ...(config.dev ? { transport: { target: 'pino-pretty', options: { destination: 1, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
}

/** Where the data lives, for the banner: never the URL's password. */
function describeDatabase(config: Config, kind: string): string {
  if (!config.db) return `SQLite in ${config.dataDir}`;
  const u = new URL(config.db);
  const name = kind === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB';
  return `${name} at ${u.host}${u.pathname}`;
}

/** How often expired OTPs and MFA sessions are deleted (PocketBase: an hourly job). */
const AUTH_CLEANUP_INTERVAL_MS = 60 * 60_000;

/** What `serve` runs: the data directory opened and the server built from the configuration. */
export interface Serving {
  readonly baton: Baton;
  /** Built, not yet listening. */
  readonly server: FastifyInstance;
  readonly limits: ConnectionLimits;
}

/**
 * Opens the data directory and builds the server with every configured limit, as `serve` does,
 * but does not listen. The connection limits are checked against the descriptor limit first, so
 * a refused value opens nothing.
 */
export async function openServing(config: Config, logger: pino.Logger): Promise<Serving> {
  const limits = resolveConnectionLimits(config.connections, descriptorLimit(), config.givenAs);
  const baton = await openBaton({
    dataDir: config.dataDir,
    db: config.db,
    exclusive: true,
    queryTimeouts: config.queryTimeouts,
    responseLimits: config.responseLimits,
    sqliteReaderThreads: config.sqliteReaderThreads,
    passwordHash: config.passwordHash,
    realtimeReplay: { ...DEFAULT_REPLAY_WINDOW, ...config.realtimeReplay },
    ...(config.requestLogRate !== undefined ? { requestLogs: { maxPerSecond: config.requestLogRate } } : {}),
    logger,
  });
  try {
    const server = await buildServer(baton.services, { maxBodySize: config.maxBodySize, logger, limits, maxJsonItems: config.maxJsonItems });
    // Only a serving process measures the data (the cost estimate's figures); CLI commands do not.
    baton.services.statistics.start(config.statisticsIntervalMs);
    baton.services.auth.startCleanup(AUTH_CLEANUP_INTERVAL_MS);
    return { baton, server, limits };
  } catch (e) {
    await baton.close();
    throw e;
  }
}

/**
 * A graceful shutdown, as Go's Shutdown does for PocketBase: stop accepting connections, answer
 * the requests under way, close idle connections, and wait; but idle connections are half-closed
 * after `limits.shutdownLingerMs` rather than destroyed (connections.ts), so a request that was on
 * its way is answered with `Connection: close` and none gets a reset. After
 * `limits.shutdownGraceMs` what is left is cut. Then mails still being sent are waited for, until
 * that same grace has passed. Only then is the database closed, so no request sees a closed handle.
 */
export async function shutDown({ baton, server, limits }: Serving): Promise<void> {
  const deadline = Date.now() + limits.shutdownGraceMs;
  server.connections.drain();
  const closed = server.close();
  const cut = setTimeout(() => server.connections.destroyAll(), limits.shutdownGraceMs).unref();
  try {
    await closed;
  } finally {
    clearTimeout(cut);
  }
  // Mails that answered requests send in the background (verification, password reset) are
  // handed to the mail server before the process ends, within what is left of the same grace.
  if (!(await settlesBy(Promise.all([baton.services.emailFlows.idle(), baton.services.auth.idle()]), deadline))) {
    server.log.warn('shutdown: mails still being sent when the shutdown timeout passed are dropped');
  }
  await baton.close();
}

/** Whether `task` settles (either way) before `deadline` (epoch milliseconds). */
async function settlesBy(task: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), false);
  });
  try {
    return await Promise.race([task.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `baton serve`: opens the data directory, listens, and shuts down cleanly on SIGINT/SIGTERM. */
export async function serve(config: Config): Promise<number> {
  const logger = createLogger(config);
  // A serve that fails to start (address in use, bad database) leaves no data directory it made,
  // and a database it found without a Baton as it found it.
  const undoDir = undoNewDirectory(config.dataDir);
  const undoDatabase = await undoNewDatabase(config.db, config.dataDir);
  const undo = async () => {
    try {
      if (!(await undoDatabase())) logger.warn('left the tables this serve set up in the database: another session is connected to it');
    } catch (e) {
      logger.warn({ err: e }, 'could not remove the tables this serve set up in the database');
    }
    undoDir();
  };
  let serving: Serving;
  try {
    serving = await openServing(config, logger);
  } catch (e) {
    await undo();
    throw e;
  }
  const { baton, server } = serving;
  try {
    await server.listen({ host: config.http.host, port: config.http.port });
  } catch (e) {
    await baton.close();
    await undo();
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
      shutDown(serving).then(
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
  // No superuser yet (the installer's own does not count): the installer link, and the CLI way.
  // Made before the banner, so that the banner is written whole, at once.
  let link: string | undefined | null = null;
  try {
    link = await installerLink(baton, base, logger);
  } catch (e) {
    logger.warn({ err: e }, 'could not make the installer link');
  }
  // Printed only once the signal handlers are in place: a supervisor that stops the server as
  // soon as it reports ready must get a clean shutdown, not the default kill.
  let banner = `Server started at ${base}\n├─ REST API: ${base}/api/\n├─ Dashboard: ${base}/_/\n└─ Database: ${describeDatabase(config, baton.databaseKind)}\n`;
  if (link !== undefined) {
    const where = config.db ? `--db=${JSON.stringify(config.db)}` : `--dir=${JSON.stringify(config.dataDir)}`;
    banner += `\nNo superuser yet. Create one to manage collections and settings:\n  ${batonCommand()} superuser upsert EMAIL PASSWORD ${where}\n`;
    if (link) banner += `or in the dashboard, with this link (valid for 30 minutes):\n  ${link}\n`;
  }
  process.stdout.write(banner);
  return stopped;
}
