/**
 * Publish/subscribe between the parts of Baton that follow changes (realtime first). The local
 * implementation serves one process; several nodes share one bus with the same interface (Redis
 * pub/sub, PostgreSQL LISTEN/NOTIFY), which is why messages must survive a JSON round trip and
 * why nothing here waits for, or hears back from, the subscribers.
 */
export interface Bus {
  /**
   * Hands `message` to every subscriber of `channel`, on every node (this one included), in the
   * order this node published. Returns at once, and never throws: a delivery failure is reported
   * to the bus's error handler, never to the publisher, whose write has already happened.
   */
  publish(channel: string, message: unknown): void;
  /** Calls `handler` for each message on `channel` from now on; returns the unsubscribe function. */
  subscribe(channel: string, handler: (message: unknown) => void): () => void;
  /** Stops delivering: messages published afterwards are dropped. */
  close(): Promise<void>;
}

export interface LocalBusOptions {
  /** A subscriber threw (its message is still delivered to the others). */
  onError?: (error: unknown, channel: string) => void;
}

/**
 * The bus within one process. Messages are delivered on a microtask, never during `publish`, so a
 * publisher (a record write on its way to answering its request) pays for none of the handlers and
 * sees none of their failures; microtasks run in order, so every subscriber gets one channel's
 * messages in publish order. The message object itself is handed over, not a copy: subscribers
 * treat it as read-only, as they would a message decoded from a shared bus.
 */
export class LocalBus implements Bus {
  private readonly handlers = new Map<string, Set<(message: unknown) => void>>();
  private closed = false;

  constructor(private readonly options: LocalBusOptions = {}) {}

  publish(channel: string, message: unknown): void {
    if (this.closed || !this.handlers.get(channel)?.size) return;
    queueMicrotask(() => this.deliver(channel, message));
  }

  subscribe(channel: string, handler: (message: unknown) => void): () => void {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    // Wrapped, so the same function subscribed twice is two subscriptions.
    const entry = (message: unknown) => handler(message);
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.handlers.get(channel) === set) this.handlers.delete(channel);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
  }

  private deliver(channel: string, message: unknown): void {
    if (this.closed) return;
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(message);
      } catch (e) {
        this.options.onError?.(e, channel);
      }
    }
  }
}
