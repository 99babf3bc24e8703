/**
 * HTTP written byte by byte, for tests of what the server does with partial, stalled or malformed
 * requests that fetch cannot send.
 */
import net from 'node:net';
import { expect, onTestFinished } from 'vitest';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parseResponse(text: string): RawResponse | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(end + 4) };
}

export interface RawConnection {
  socket: net.Socket;
  /** Everything received so far. */
  text(): string;
  response(): RawResponse | undefined;
  /** Resolves once the server has closed the connection: 'end' for a clean close, else the error code. */
  closed: Promise<string>;
  isClosed(): boolean;
}

/** A connection that writes exactly what a test says, to send partial or malformed requests. */
export async function rawConnect(url: string, data?: string | Buffer): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port) });
  let received = '';
  let done = false;
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', () => undefined); // reported through `closed`
  const closed = new Promise<string>((resolve) => {
    socket.once('end', () => resolve('end'));
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    socket.once('close', () => resolve('close'));
  }).then((how) => {
    done = true;
    socket.destroy();
    return how;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  if (data !== undefined) socket.write(data);
  onTestFinished(() => {
    socket.destroy();
  });
  return { socket, text: () => received, response: () => parseResponse(received), closed, isClosed: () => done };
}

/** Polls until `condition` holds; fails after `ms`. */
export async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A POST whose body stops after a few of its 100 bytes. */
export const PARTIAL_POST = 'POST /api/collections/notes/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"title":';

/** The headers every response carries, errors included. */
export const SECURITY = { 'x-xss-protection': '1; mode=block', 'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN' };

/** `res` is an error in PocketBase's shape, with the security headers and empty data. */
export function expectApiError(res: RawResponse | undefined, status: number, message?: string): void {
  expect(res, 'a response').toBeDefined();
  expect(res!.status).toBe(status);
  expect(res!.headers).toMatchObject(SECURITY);
  expect(res!.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(res!.body);
  expect(Object.keys(body).sort()).toEqual(['data', 'message', 'status']);
  expect(body.status).toBe(status);
  expect(body.data).toEqual({});
  if (message) expect(body.message).toBe(message);
}
