/**
 * SIGTERM on a busy `baton serve` (issue 6, item 4): requests already received are answered,
 * requests that arrive while the server drains are answered with `Connection: close`, idle
 * keep-alive connections are closed cleanly, and no client ever sees a connection reset.
 */
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { serve, tempDirs } from './support/cli.ts';
import { createTestDatabase } from './support/databases.ts';

const tempDir = tempDirs('baton-shutdown-');

interface Exchange {
  /** The response, once complete. */
  status?: number;
  connectionClose?: boolean;
}

interface Client {
  exchanges: Exchange[];
  /** How the server closed the connection: 'end' (FIN) or an error code such as ECONNRESET. */
  closed: Promise<string>;
}

const contentLength = (head: string) => Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);

/**
 * A keep-alive client on one raw connection: sends `request`, reads the whole response, pauses
 * 0-2 ms and sends again, until the server closes the connection (or says it will).
 */
function keepAliveClient(url: string, request: string): Client {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port) });
  onTestFinished(() => {
    socket.destroy();
  });
  const exchanges: Exchange[] = [];
  let buffer = '';
  const send = () => {
    exchanges.push({});
    socket.write(request);
  };
  socket.on('connect', send);
  socket.on('data', (d) => {
    buffer += d.toString('latin1');
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.slice(0, end);
      const total = end + 4 + contentLength(head);
      if (buffer.length < total) return;
      buffer = buffer.slice(total);
      const exchange = exchanges.find((e) => e.status === undefined)!;
      exchange.status = Number(head.split(' ')[1]);
      exchange.connectionClose = /\r\nconnection: *close/i.test(head);
      if (!exchange.connectionClose) setTimeout(send, Math.random() * 2);
    }
  });
  const closed = new Promise<string>((resolve) => {
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    socket.on('end', () => resolve('end'));
    socket.on('close', () => resolve('close'));
  });
  return { exchanges, closed };
}

/** A connection that writes what the test says and keeps what it receives. */
async function rawClient(url: string): Promise<{ socket: net.Socket; received: () => string; closed: Promise<string> }> {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port) });
  onTestFinished(() => {
    socket.destroy();
  });
  let received = '';
  socket.on('data', (d) => (received += d.toString('latin1')));
  const closed = new Promise<string>((resolve) => {
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    socket.on('end', () => resolve('end'));
  });
  await new Promise((r) => socket.once('connect', r));
  return { socket, received: () => received, closed };
}

const until = async (condition: () => boolean, what: string) => {
  for (const deadline = Date.now() + 5000; !condition(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
};

const HEALTH = 'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n';

describe('SIGTERM', () => {
  it('answers what it received, closes keep-alive connections cleanly, and resets none', { timeout: 60_000 }, async () => {
    const database = await createTestDatabase();
    onTestFinished(() => database.drop());
    const s = await serve([`--dir=${tempDir()}`, ...(database.url ? [`--db=${database.url}`] : [])], 'Server started');

    // Many connections in tight request loops: some are idle at the moment the signal lands.
    const clients = Array.from({ length: 24 }, () => keepAliveClient(s.url, HEALTH));
    // A keep-alive connection that is idle when the signal lands and sends a request just after.
    const idle = await rawClient(s.url);
    idle.socket.write(HEALTH);
    await until(() => idle.received().endsWith('}'), 'the idle client\'s first answer');
    // A request whose body is still arriving when the signal lands.
    const body = JSON.stringify({ identity: 'nobody@example.com', password: 'wrong-password' });
    const inFlight = await rawClient(s.url);
    inFlight.socket.write(
      `POST /api/collections/_superusers/auth-with-password HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );

    await new Promise((r) => setTimeout(r, 300));
    s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    inFlight.socket.write(body.slice(10));
    const firstAnswer = idle.received().length;
    idle.socket.write(HEALTH);

    const closes = await Promise.all([...clients.map((c) => c.closed), idle.closed, inFlight.closed]);
    expect(await s.exited).toBe(0);

    // Never a reset: every connection was closed with a FIN.
    expect(closes.filter((how) => how !== 'end')).toEqual([]);

    // The request whose body was still arriving was answered, and told the connection closes.
    expect(inFlight.received()).toMatch(/^HTTP\/1\.1 400 /);
    expect(inFlight.received()).toMatch(/\r\nconnection: close\r\n/i);

    // The request sent on the idle connection after the signal was answered, with `Connection: close`.
    const late = idle.received().slice(firstAnswer);
    expect(late).toMatch(/^HTTP\/1\.1 200 /);
    expect(late).toMatch(/\r\nconnection: close\r\n/i);

    // The busy connections: every answer is a 200 (no 503 while draining); answers given while
    // the server drained say the connection closes; at most one request per connection went
    // unanswered, the one that met the server's FIN on its way (not processed, safe to resend).
    for (const c of clients) {
      expect(c.exchanges.filter((e) => e.status !== undefined && e.status !== 200)).toEqual([]);
      expect(c.exchanges.filter((e) => e.status === undefined).length).toBeLessThanOrEqual(1);
    }
    expect(clients.flatMap((c) => c.exchanges).some((e) => e.connectionClose)).toBe(true);
  });
});
