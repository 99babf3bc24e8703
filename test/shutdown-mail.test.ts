/**
 * A shutdown waits for the mails answered requests still send in the background (a password
 * reset answers 204 before its mail goes out), but no longer than the shutdown timeout. The mail
 * server sits behind a gate that holds each connection until the test opens it.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openServing, shutDown } from '../src/cli/serve.ts';
import { loadConfig } from '../src/config/config.ts';
import { systemContext } from '../src/domain/context.ts';
import { silentLogger } from '../src/kernel/logger.ts';
import { api } from './support/baton.ts';
import { tempDirs } from './support/cli.ts';
import { createTestDatabase } from './support/databases.ts';
import { startSmtpServer, type TestSmtpServer } from './support/smtp.ts';

const tempDir = tempDirs('baton-shutdown-mail-');

/** A TCP port that forwards to `smtp` only once `open()` is called; until then clients wait for the greeting. */
async function gatedSmtp(smtp: TestSmtpServer): Promise<{ port: number; open(): void }> {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const sockets = new Set<net.Socket>();
  const gate = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    void opened.then(() => {
      const upstream = net.connect({ host: smtp.host, port: smtp.port });
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
  });
  await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => gate.close(resolve));
  });
  return { port: (gate.address() as AddressInfo).port, open };
}

/** A server built as `serve` builds it, mailing through `smtpPort`, with a user whose password reset is requested. */
async function servingWithPendingMail(shutdownTimeout: string, smtpPort: number) {
  const database = await createTestDatabase();
  onTestFinished(() => database.drop());
  const config = loadConfig({ dir: tempDir(), db: database.url, logLevel: 'silent', shutdownTimeout }, {});
  const serving = await openServing(config, pino({ level: 'silent' }));
  await serving.server.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(serving.server.addresses()[0] as AddressInfo).port}`;
  const { settings, records, schema } = serving.baton.services;
  const ctx = systemContext(silentLogger, { kind: 'superuser', collection: schema.find('_superusers')!, record: {} });
  await settings.update(ctx, { smtp: { enabled: true, host: '127.0.0.1', port: smtpPort } });
  await records.create(ctx, 'users', { body: { email: 'late@example.com', password: 'late-password-1', passwordConfirm: 'late-password-1' }, source: 'json' });
  const res = await api({ url }, 'POST', '/api/collections/users/request-password-reset', { body: { email: 'late@example.com' } });
  expect(res.status).toBe(204);
  return serving;
}

describe('shutdown and mails being sent', () => {
  it('waits for a mail still being sent before closing', { timeout: 30_000 }, async () => {
    const smtp = await startSmtpServer();
    onTestFinished(() => smtp.close());
    const gate = await gatedSmtp(smtp);
    const serving = await servingWithPendingMail('10', gate.port);

    let done = false;
    const stopping = shutDown(serving).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(done).toBe(false);
    gate.open();
    await stopping;
    // Handed over before shutDown returned: no waiting needed.
    expect(smtp.mails.map((m) => m.to)).toEqual([['late@example.com']]);
  });

  it('gives up on it once the shutdown timeout has passed', { timeout: 30_000 }, async () => {
    const smtp = await startSmtpServer();
    onTestFinished(() => smtp.close());
    const gate = await gatedSmtp(smtp);
    const serving = await servingWithPendingMail('0.5', gate.port);

    const started = Date.now();
    await shutDown(serving);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(400);
    expect(took).toBeLessThan(5_000);
    expect(smtp.mails).toEqual([]);
  });
});
