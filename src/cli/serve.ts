import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Config } from '../config/config.ts';
import { buildServer } from '../http/server.ts';
import { openBaton } from './wire.ts';

function createLogger(config: Config) {
  return pino({
    level: config.logLevel,
    ...(config.dev ? { transport: { target: 'pino/file', options: { destination: 1 } } } : {}),
  });
}

/** `baton serve`: opens the data directory, listens, and shuts down cleanly on SIGINT/SIGTERM. */
export async function serve(config: Config): Promise<number> {
  const logger = createLogger(config);
  const baton = await openBaton({ dataDir: config.dataDir, logger });
  const server = await buildServer(baton.services, { maxBodySize: config.maxBodySize, logger });
  try {
    await server.listen({ host: config.http.host, port: config.http.port });
  } catch (e) {
    await baton.close();
    throw e;
  }
  const address = server.addresses()[0] as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const base = `http://${host}:${address.port}`;
  process.stdout.write(`Server started at ${base}\n└─ REST API: ${base}/api/\n`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: waiting for in-flight requests');
      // server.close() stops accepting connections and waits for in-flight requests;
      // only then is the database closed, so no request sees a closed handle.
      server
        .close()
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
}
