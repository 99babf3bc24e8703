import { randomAlphanumeric } from '../../kernel/ids.ts';
import { GUEST, type Principal } from '../context.ts';
import { parseTopic, type Topic } from './topics.ts';

/**
 * What a transport (SSE, WebSocket) gives the realtime service for one connection.
 * `send` never waits: a transport that cannot keep up closes its connection instead (a bounded
 * buffer), so one slow client never holds up another.
 */
export interface RealtimeConnection {
  /** Writes one event: `data` is its JSON text, `id` its event id. */
  send(event: string, data: string, id: string): void;
  /** Ends the connection (the client may reconnect). */
  close(): void;
}

/** One subscription of one client. */
export interface Subscription {
  readonly client: RealtimeClient;
  readonly topic: Topic;
}

/** A connected realtime client: PocketBase's subscriptions.Client. */
export class RealtimeClient {
  /** Subscriptions by topic string (a topic subscribed twice is one subscription). */
  readonly subscriptions = new Map<string, Subscription>();
  /**
   * Whom the events are for: bound by the first POST /api/realtime (a guest until then), kept
   * fresh when that record changes, dropped (back to guest) when it is deleted or its tokenKey
   * changes.
   */
  auth: Principal = GUEST;
  /** Set once unregistered: nothing more is sent. */
  discarded = false;
  /**
   * Set when the connection ended while changes are kept for resuming: the client stays
   * registered with its auth and subscriptions for the window's age, out of reach of requests,
   * and its events are still settled as they happen (which ones it may see, then), without being
   * sent: a connection that resumes it gets those (RealtimeService).
   */
  parkedAt: number | undefined;
  /**
   * The positions of the record events this client was given (sent, or settled while parked), in
   * order; complete for the positions after `givenSince`. What a resume of this client replays.
   */
  given: number[] = [];
  givenSince: number;
  /**
   * What a resumed connection came with (`Last-Event-ID`): the connection it continues and the
   * position it got to; undefined fields when the id cannot be continued (it is told it missed
   * events). Used by its first subscription request.
   */
  resume: { readonly lastEventId: string; readonly from: number | undefined; readonly previous: string | undefined } | undefined;
  /**
   * While a resume's replay is under way, the live events that arrive for this client wait here
   * (in order, after the replay); undefined otherwise.
   */
  held: Array<{ event: string; data: string; id: string }> | undefined;

  constructor(
    /** 40 random letters and digits: the SSE event id, and the OAuth2 popup flow's state. */
    readonly id: string,
    /** The client's address when it connected ('' when unknown: not checked then). */
    readonly ip: string,
    private readonly connection: RealtimeConnection,
    /**
     * The replay-log position its stream starts after: where it connected, or the position a
     * resume took up from. Its PB_CONNECT id resumes from there.
     */
    public startsAfter: number,
  ) {
    this.givenSince = startsAfter;
  }

  /** Sends one event; its id is the client id (PocketBase's) unless given (record events). */
  send(event: string, data: string, id: string = this.id): void {
    if (!this.discarded && this.parkedAt === undefined) this.connection.send(event, data, id);
  }

  /**
   * Notes that the record event at `seq` was given to this client; keeps at least the last `max`
   * positions (and at most twice as many, trimmed now and then).
   */
  gave(seq: number, max: number): void {
    const given = this.given;
    if (given[given.length - 1] === seq) return;
    given.push(seq);
    if (given.length > 2 * max) this.givenSince = given.splice(0, given.length - max).pop()!;
  }

  close(): void {
    this.connection.close();
  }
}

export const newClientId = (): string => randomAlphanumeric(40);

/**
 * The clients this node holds (PocketBase's subscriptions.Broker), with their subscriptions
 * indexed by topic base (`posts/*`, `posts/ID`, `pbc_123/*` …), so that an event looks up the
 * few bases it concerns rather than every subscription of every client.
 */
export class ClientRegistry {
  private readonly clients = new Map<string, RealtimeClient>();
  private readonly byBase = new Map<string, Set<Subscription>>();

  get size(): number {
    return this.clients.size;
  }

  add(client: RealtimeClient): void {
    this.clients.set(client.id, client);
  }

  /** Unregisters the client and forgets its subscriptions; nothing is sent to it any more. */
  remove(client: RealtimeClient): void {
    if (this.clients.get(client.id) !== client) return;
    this.clients.delete(client.id);
    client.discarded = true;
    this.unsubscribe(client);
  }

  get(id: string): RealtimeClient | undefined {
    return this.clients.get(id);
  }

  all(): IterableIterator<RealtimeClient> {
    return this.clients.values();
  }

  /** The subscriptions whose topic base is `base`. */
  matching(base: string): ReadonlySet<Subscription> | undefined {
    return this.byBase.get(base);
  }

  /** Replaces every subscription of the client; empty topics are skipped, as PocketBase does. */
  replace(client: RealtimeClient, topics: readonly string[]): void {
    this.unsubscribe(client);
    if (client.discarded) return;
    for (const name of topics) {
      if (name === '' || client.subscriptions.has(name)) continue;
      const subscription: Subscription = { client, topic: parseTopic(name) };
      client.subscriptions.set(name, subscription);
      let set = this.byBase.get(subscription.topic.base);
      if (!set) this.byBase.set(subscription.topic.base, (set = new Set()));
      set.add(subscription);
    }
  }

  /** Removes the client's subscription to `name`, or all of them. */
  unsubscribe(client: RealtimeClient, name?: string): void {
    const names = name === undefined ? [...client.subscriptions.keys()] : [name];
    for (const n of names) {
      const subscription = client.subscriptions.get(n);
      if (!subscription) continue;
      client.subscriptions.delete(n);
      const set = this.byBase.get(subscription.topic.base);
      set?.delete(subscription);
      if (set?.size === 0) this.byBase.delete(subscription.topic.base);
    }
  }
}
