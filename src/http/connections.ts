import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ApiError } from '../kernel/errors.ts';
import { clientErrorToApiError, rawErrorResponse, requestTimeout } from './errors.ts';
import type { ConnectionLimits } from './limits.ts';

/** One client connection as the guard sees it. */
interface Connection {
  readonly socket: Socket;
  /** The latest request whose headers are in, and its response. */
  req?: IncomingMessage;
  res?: ServerResponse;
  /** Bytes read plus written when progress was last seen, and when that was. */
  bytes: number;
  progressAt: number;
  /** The guard is closing it: it is no longer a candidate for anything. */
  closing: boolean;
}

const bytesMoved = (socket: Socket): number => socket.bytesRead + socket.bytesWritten;

/** A request is under way: its body is still arriving, or its response is not yet written. */
const requestInProgress = (c: Connection): boolean =>
  (c.req !== undefined && !c.req.complete) || (c.res !== undefined && !c.res.writableFinished);

/**
 * The server waits on the client, not the other way round: no request yet (or only part of its
 * headers), its body still arriving, or its response written and being read. A connection whose
 * request is being handled is never in this state.
 */
const waitingOnClient = (c: Connection): boolean => c.res === undefined || c.res.writableEnded || !c.req!.complete;

/**
 * Keeps the server able to serve real clients whatever other clients do with their connections.
 *
 * One Node process serves every connection from one descriptor table: a client that opens
 * connections and sends part of a request (the slow-body attack: headers and a few bytes of
 * body, then nothing) held them for as long as it liked, and at 1,100 such connections against
 * a 1,024-descriptor limit every accept failed, so every real request did too. The defences:
 *
 * - A cap on connections, below the descriptor limit (limits.ts), so descriptors always remain
 *   for the databases and for the real client's connection.
 * - At the cap, a new connection evicts the connection that has gone longest without progress
 *   among those the server is waiting on (idle keep-alive, partial headers, stalled body, a
 *   response the client does not read). Connections are kept in order of last observed progress
 *   (bytes read or written), checked lazily at eviction and by the periodic sweep, so eviction
 *   costs O(1) amortised. A real client's new connection is the newest and its request is
 *   handled within milliseconds, after which it is not a candidate; to starve it an attacker would
 *   have to open as many connections as the cap in that time. Only when every connection is
 *   running a request is a newcomer refused, since the server is then genuinely full.
 * - A request body that stops arriving for `bodyStallTimeoutMs` is cut with a 408, so stalled
 *   connections are released long before the 5 minute request timeout (PocketBase's value,
 *   which Node enforces) even when the server is far from the cap. A request under way on which
 *   nothing moves for `responseStallTimeoutMs` (a client that does not read its response) is cut.
 * - On shutdown, idle connections are closed by half-closing them (FIN, then waiting for the
 *   client to close its side), never by destroying them: destroying a socket whose client has
 *   just sent a request makes the kernel answer with a reset.
 */
export class ConnectionGuard {
  /** Open connections, in order of last observed progress: the first has waited longest. */
  private readonly open = new Map<Socket, Connection>();
  private sweeper: NodeJS.Timeout | undefined;
  private draining = false;
  private closeIdleAt = Infinity;

  constructor(
    server: Server,
    private readonly limits: ConnectionLimits,
  ) {
    server.on('connection', (socket: Socket) => this.admit(socket));
    server.on('listening', () => {
      this.sweeper ??= setInterval(() => this.sweep(), limits.sweepIntervalMs).unref();
    });
    server.on('close', () => {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    });
    // Node's close() destroys idle connections, which resets those a request is arriving on;
    // half-close them instead (see drain). An own property: this server only.
    server.closeIdleConnections = () => this.drain(0);
  }

  /**
   * Begins a graceful shutdown: responses from now on carry `Connection: close` (those already
   * under way too, unless their headers are out); after `lingerMs`, connections with no request
   * under way are half-closed, and so is any that becomes idle later. A request that was already
   * on its way within the linger is answered; one that arrives after the half-close cannot be,
   * and is not processed (server.ts drops requests on half-closed connections), so a client may
   * safely send it again.
   */
  drain(lingerMs = this.limits.shutdownLingerMs): void {
    if (this.draining) return;
    this.draining = true;
    for (const c of this.open.values()) {
      if (c.res && !c.res.headersSent) c.res.setHeader('connection', 'close');
    }
    this.closeIdleAt = Date.now() + lingerMs;
    if (lingerMs > 0) setTimeout(() => this.sweep(), lingerMs).unref();
    else this.sweep();
  }

  /** Destroys every connection: the end of a shutdown's grace period. */
  destroyAll(): void {
    for (const c of this.open.values()) c.socket.destroy();
  }

  /**
   * Answers a malformed or timed-out request with a PocketBase-shaped error and closes the
   * connection; or just closes it when a response has already started on it, since bytes
   * written now would corrupt that response.
   */
  refuse(socket: Socket, error: ApiError): void {
    const c = this.open.get(socket);
    if (c?.closing || socket.destroyed) return;
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const pending = c?.res && !c.res.writableFinished ? c.res : undefined;
    if (pending && c!.req!.complete) {
      // The bytes refused follow a whole request whose response is not out yet (pipelining):
      // anything written now would come before or inside it. It goes out alone, and the
      // connection closes after it.
      if (!pending.headersSent) pending.setHeader('connection', 'close');
      if (c) c.closing = true;
      pending.once('finish', () => this.halfClose(socket, c));
      return;
    }
    // The request refused already has a response under way: nothing can be added to it.
    if (pending?.headersSent) socket.destroy();
    else this.halfClose(socket, c, rawErrorResponse(error));
  }

  /** Node's `clientError`: a request the HTTP parser refused, a request timeout, a socket error. */
  onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
    const code = error.code ?? '';
    if (code.startsWith('HPE_') || code === 'ERR_HTTP_REQUEST_TIMEOUT') this.refuse(socket, clientErrorToApiError(code));
    else socket.destroy();
  }

  private admit(socket: Socket): void {
    const c: Connection = { socket, bytes: 0, progressAt: Date.now(), closing: false };
    this.open.set(socket, c);
    socket.once('close', () => this.open.delete(socket));
    if (this.open.size <= this.limits.maxConnections) return;
    const victim = this.victim(c);
    if (victim) {
      victim.closing = true;
      victim.socket.destroy();
    } else {
      socket.destroy();
    }
  }

  /**
   * Records the request a connection is now receiving or answering; server.ts calls it first thing
   * for every request (one listener less on the server's 'request' event, which Node would copy
   * on every emit).
   */
  track(req: IncomingMessage, res: ServerResponse): void {
    const c = this.open.get(req.socket);
    if (!c) return;
    c.req = req;
    c.res = res;
    if (this.draining && !res.headersSent) res.setHeader('connection', 'close');
  }

  /** Moves a connection that made progress to the back of the eviction order. */
  private progressed(c: Connection, bytes: number, now: number): void {
    c.bytes = bytes;
    c.progressAt = now;
    this.open.delete(c.socket);
    this.open.set(c.socket, c);
  }

  /** The connection to evict for `newcomer`: see the class comment. */
  private victim(newcomer: Connection): Connection | undefined {
    const now = Date.now();
    const moved: Array<[Connection, number]> = [];
    let found: Connection | undefined;
    for (const c of this.open.values()) {
      if (c === newcomer || c.closing || !waitingOnClient(c)) continue;
      const bytes = bytesMoved(c.socket);
      if (bytes !== c.bytes) {
        moved.push([c, bytes]);
        continue;
      }
      found = c;
      break;
    }
    // Every candidate moved since it was last seen: the one that had waited longest goes.
    found ??= moved.shift()?.[0];
    for (const [c, bytes] of moved) this.progressed(c, bytes, now);
    return found;
  }

  private sweep(): void {
    const now = Date.now();
    const moved: Array<[Connection, number]> = [];
    for (const c of this.open.values()) {
      if (c.closing) continue;
      const bytes = bytesMoved(c.socket);
      if (bytes !== c.bytes) {
        moved.push([c, bytes]);
      } else if (c.req && !c.req.complete && now - c.progressAt >= this.limits.bodyStallTimeoutMs) {
        this.refuse(c.socket, requestTimeout());
        continue;
      } else if (requestInProgress(c) && now - c.progressAt >= this.limits.responseStallTimeoutMs) {
        c.closing = true;
        c.socket.destroy();
        continue;
      }
      if (now >= this.closeIdleAt && !requestInProgress(c)) this.halfClose(c.socket, c);
    }
    for (const [c, bytes] of moved) if (!c.closing) this.progressed(c, bytes, now);
  }

  /**
   * Closes our side (FIN after `last`, if given) and lets the client close its own; destroyed
   * after `halfCloseTimeoutMs` if it does not. Input that arrives meanwhile is still read, so the
   * kernel has no unread data to answer with a reset.
   */
  private halfClose(socket: Socket, c: Connection | undefined, last?: string): void {
    if (c) c.closing = true;
    if (last === undefined) socket.end();
    else socket.end(last);
    const timer = setTimeout(() => socket.destroy(), this.limits.halfCloseTimeoutMs).unref();
    socket.once('close', () => clearTimeout(timer));
  }
}
