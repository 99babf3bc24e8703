import type { RealtimeConnection } from '../../domain/realtime/clients.ts';

/** How long realtime connections (SSE, WebSocket) live and how much each may hold back; `buildServer`'s `realtime` option. */
export interface RealtimeTransportOptions {
  /**
   * A connection that sent nothing for this long is ended (PocketBase: 5 minutes); the SDK
   * reconnects and subscribes again, so forgotten connections do not pile up.
   */
  idleTimeoutMs: number;
  /** Every connection is ended after this long, whatever it does (PocketBase: 30 minutes). */
  maxLifetimeMs: number;
  /**
   * Bytes an event may find waiting, not yet taken by the client, before the connection is
   * closed instead of buffering more (Baton's own: PocketBase blocks a goroutine per event on a
   * client that does not read). One event larger than this still goes to a client that keeps up.
   */
  maxBufferedBytes: number;
}

/** How long a closing server lets a connection's client take what was sent before cutting it. */
export const SHUTDOWN_GRACE_MS = 1000;

export const DEFAULT_REALTIME_TRANSPORT: Readonly<RealtimeTransportOptions> = Object.freeze({
  idleTimeoutMs: 5 * 60_000,
  maxLifetimeMs: 30 * 60_000,
  maxBufferedBytes: 1 << 20,
});

/**
 * What SSE and WebSocket connections share: events written without waiting, the idle and
 * lifetime timers, the buffer bound, and the shutdown grace. A transport says how to frame an
 * event, how much is still waiting for its client, and how to end or cut its connection.
 */
export abstract class RealtimeTransport<Target> implements RealtimeConnection {
  private idle: NodeJS.Timeout | undefined;
  private lifetime: NodeJS.Timeout | undefined;

  constructor(
    /** What the transport writes to: the SSE response, the WebSocket. */
    protected readonly target: Target,
    private readonly options: RealtimeTransportOptions,
    private readonly onOverflow: () => void,
  ) {}

  /** Nothing more can be written. */
  protected abstract get ended(): boolean;
  /** The client has taken everything, or the connection is gone. */
  protected abstract get finished(): boolean;
  /** Bytes written but not yet taken by the client. */
  protected abstract get buffered(): number;
  protected abstract write(event: string, data: string, id: string): void;
  /** Ends the connection politely (`shutdown`: because the server is closing). */
  protected abstract end(shutdown: boolean): void;
  /** Drops the connection at once. */
  protected abstract cut(): void;
  protected abstract onClosed(listener: () => void): void;

  /** Starts the timers; returns the transport, for RealtimeService.connect. */
  start(): this {
    this.idle = setTimeout(() => this.close(), this.options.idleTimeoutMs).unref();
    this.lifetime = setTimeout(() => this.close(), this.options.maxLifetimeMs).unref();
    return this;
  }

  send(event: string, data: string, id: string): void {
    if (this.ended) return;
    // The client does not read what it is sent: cut it loose rather than hold more for it.
    if (this.buffered > this.options.maxBufferedBytes) {
      this.onOverflow();
      this.stop();
      this.cut();
      return;
    }
    this.write(event, data, id);
    this.idle?.refresh();
  }

  close(): void {
    this.stop();
    if (!this.ended) this.end(false);
  }

  /**
   * Ends the connection for a closing server; one whose client does not take what is left within
   * `graceMs` is cut, so that it cannot hold the shutdown up.
   */
  shutDown(graceMs: number): void {
    this.stop();
    if (!this.ended) this.end(true);
    if (this.finished) return;
    const cut = setTimeout(() => this.cut(), graceMs).unref();
    this.onClosed(() => clearTimeout(cut));
  }

  stop(): void {
    clearTimeout(this.idle);
    clearTimeout(this.lifetime);
  }
}

