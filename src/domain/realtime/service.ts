/**
 * Realtime subscriptions, as PocketBase serves them (apis/realtime.go): a client connects through
 * a transport (SSE), gets its id in `PB_CONNECT`, and sets its topics with POST /api/realtime;
 * stored record changes arrive on the bus, and each goes to the subscribers allowed to see it.
 */
import type { Database } from '../../db/dialect.ts';
import type { Collection, SchemaLookup } from '../../db/schema.ts';
import { badRequest, fieldError, forbidden, notFound } from '../../kernel/errors.ts';
import type { Logger } from '../../kernel/logger.ts';
import type { DataStatistics } from '../../filter/index.ts';
import type { Bus } from '../../infra/bus.ts';
import type { RecordChange, RecordChangeSink } from '../records/changes.ts';
import type { ResponseLimits } from '../records/limits.ts';
import { TOKEN_OPTIONS_KEY } from '../auth/tokens.ts';
import { GUEST, type Principal, type RequestContext } from '../context.ts';
import { BusRecordChanges, RECORD_CHANGES, type RecordChangeMessage } from './changes.ts';
import { ClientRegistry, newClientId, RealtimeClient, type RealtimeConnection } from './clients.ts';
import { readSubscriptionForm } from './form.ts';
import { parseTopic } from './topics.ts';
import { groupKey, RecordEventRenderer, type RuleKind, type SubscriberGroup } from './record-events.ts';
import { ReplayLog, type ReplayEntry, type ReplayWindow } from './replay.ts';

export interface RealtimeDeps {
  db: Database;
  schema: SchemaLookup;
  statistics?: DataStatistics;
  /** The records API's bounds (expanded records per event). */
  limits: ResponseLimits;
  bus: Bus;
  logger: Logger;
  /**
   * Events evaluated at once (default 16); later ones wait their turn. Whatever order their
   * evaluations end in, events are delivered in the order they arrived.
   */
  maxEventsInFlight?: number;
  /** What is kept for reconnecting clients (DEFAULT_REPLAY_WINDOW). */
  replay?: Partial<ReplayWindow>;
}

/** The event that tells a resumed client it missed events (see `replay`). */
const MISSED_EVENT = 'PB_MISSED';

/** Longer `lastEventId`s are cut to this (none of ours is nearly as long): PB_MISSED echoes it. */
const MAX_LAST_EVENT_ID = 255;

const DEFAULT_EVENTS_IN_FLIGHT = 16;

/** Ended connections kept for resuming (the oldest go first past it), each for the replay window's age. */
const MAX_PARKED_CLIENTS = 1000;

/** Replays under way at once; a resume past it is told it missed events (it reloads instead). */
const MAX_REPLAYS = 4;

/**
 * Distinct subscription options (filter, expand, fields, headers) a client, and all the clients
 * of one address (ended ones kept for resuming included), may hold: every distinct options of
 * every auth is its own access check for each event, so without a bound one guest's thousand
 * filtered topics cost every write seconds of evaluation. PocketBase has no such bound.
 */
export const MAX_OPTION_SETS_PER_CLIENT = 50;
export const MAX_OPTION_SETS_PER_ADDRESS = 200;

/** How long a delete's events settled before its commit wait for it (a rolled-back delete's are dropped then). */
const PREPARED_DELETE_TTL_MS = 60_000;

/** PocketBase's isSameAuth: the same record of the same collection, or both guests. */
const sameAuth = (a: Principal, b: Principal): boolean =>
  a.kind === 'guest' || b.kind === 'guest'
    ? a.kind === b.kind
    : a.collection.id === b.collection.id && a.record.id === b.record.id;

/** The secret an auth collection signs its auth tokens with (options.authToken.secret). */
const authSecretOf = (collection: Collection): unknown =>
  (collection.options[TOKEN_OPTIONS_KEY.auth] as { secret?: unknown } | undefined)?.secret;

/** One event's outcome: the data each group's members get, in group order. */
type Delivery = Array<{ members: SubscriberGroup['members']; data: string }>;

export class RealtimeService {
  /** Give this to RecordService: every stored change goes on the bus, to every node. */
  readonly changes: RecordChangeSink;
  private readonly registry = new ClientRegistry();
  private readonly renderer: RecordEventRenderer;
  private readonly stopListening: () => void;
  /** Each event's delivery is chained after the previous one's. */
  private delivered: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly log: ReplayLog;
  /** Ended connections kept for resuming, oldest first (see `disconnect`). */
  private readonly parked = new Map<string, RealtimeClient>();
  private replays = 0;
  private closing = false;
  /** Deletes' events settled before their commit, by `<collectionId>/<recordId>`, oldest first. */
  private readonly preparedDeletes = new Map<string, { at: number; evaluated: Promise<Delivery> }>();

  constructor(private readonly deps: RealtimeDeps) {
    this.log = new ReplayLog(deps.replay);
    this.changes = new BusRecordChanges(deps.bus, (changes) => this.prepareDeletes(changes));
    this.renderer = new RecordEventRenderer(deps);
    this.stopListening = deps.bus.subscribe(RECORD_CHANGES, (m) => this.onRecordChange(m as RecordChangeMessage));
  }

  /** Clients connected to this node. */
  get clientCount(): number {
    return this.registry.size - this.parked.size;
  }

  /**
   * Registers a new client on the connection `open` makes for its id, and sends `PB_CONNECT`.
   * Its auth is bound later, by its first subscription request. `lastEventId` (the last event id
   * a previous connection got) makes it a resumed connection: its first subscription request is
   * followed by what that connection missed, or by PB_MISSED.
   */
  connect(ctx: RequestContext, open: (clientId: string) => RealtimeConnection, resumeFrom = ''): RealtimeClient {
    this.pruneParked();
    const id = newClientId();
    const lastEventId = resumeFrom.slice(0, MAX_LAST_EVENT_ID);
    const client = new RealtimeClient(id, ctx.realIp, open(id), this.log.position);
    if (lastEventId !== '') client.resume = { lastEventId, ...this.resumePoint(lastEventId) };
    this.registry.add(client);
    client.send('PB_CONNECT', `{"clientId":"${id}"}`);
    this.deps.logger.debug({ clientId: id }, 'realtime connection established');
    return client;
  }

  /**
   * The connection ended. While changes are kept for resuming, a client with subscriptions is
   * parked for the window's age (at most MAX_PARKED_CLIENTS): its events go on being settled as
   * they happen, with its auth and rules of that moment, so that a resume gets exactly what this
   * connection would have been sent. Otherwise the client and its subscriptions are forgotten.
   */
  disconnect(client: RealtimeClient): void {
    if (client.discarded || client.parkedAt !== undefined) return;
    if (this.closing || !this.log.keeps || client.subscriptions.size === 0) {
      this.registry.remove(client);
      return;
    }
    client.parkedAt = Date.now();
    this.parked.set(client.id, client);
    this.pruneParked();
  }

  /** A connected client of this node, by id (not an ended one kept for resuming). */
  client(id: string): RealtimeClient | undefined {
    const client = this.registry.get(id);
    return client?.parkedAt === undefined ? client : undefined;
  }

  /** Drops one of the client's subscriptions (the `@oauth2` topic once its redirect came). */
  unsubscribe(client: RealtimeClient, topic: string): void {
    this.registry.unsubscribe(client, topic);
  }

  /**
   * POST /api/realtime: replaces the client's subscriptions, as PocketBase does. The request must
   * come from the client's address; its auth binds the client, and once bound only the same auth
   * may change the subscriptions (a guest client may be upgraded, never switched).
   */
  setSubscriptions(ctx: RequestContext, body: Record<string, unknown>, source: 'json' | 'form'): void {
    const form = readSubscriptionForm(body, source);
    const client = this.client(form.clientId);
    if (!client) throw notFound('Missing or invalid client id.');
    // Against guessed or stolen ids (PocketBase's check): the client's own address only.
    if (client.ip !== '' && client.ip !== ctx.realIp) throw badRequest('Invalid realtime client.');
    // A bound auth whose collection is gone or signs with a new secret is a guest's (PocketBase unsets it).
    const bound = this.currentAuth(client);
    if (bound.kind !== 'guest' && !sameAuth(bound, ctx.principal)) {
      throw forbidden("The current and the previous request authorization don't match.");
    }
    this.assertOptionBounds(client, ctx.principal, form.subscriptions);
    client.auth = ctx.principal;
    this.registry.replace(client, form.subscriptions);
    this.deps.logger.debug({ clientId: client.id, subscriptions: form.subscriptions.length }, 'realtime subscriptions updated');
    if (client.resume) this.resume(client, client.resume);
  }

  /**
   * Refuses subscriptions past MAX_OPTION_SETS_PER_CLIENT distinct options, or that would take the
   * client's address past MAX_OPTION_SETS_PER_ADDRESS distinct (auth, options) evaluations.
   */
  private assertOptionBounds(client: RealtimeClient, auth: Principal, topics: readonly string[]): void {
    const who = (p: Principal) => (p.kind === 'guest' ? '' : `${p.collection.id}/${String(p.record.id)}`);
    const own = new Set<string>();
    for (const name of topics) {
      const key = parseTopic(name).optionsKey;
      if (key !== '') own.add(key);
    }
    const refuse = (message: string, max: number) => {
      throw badRequest('Something went wrong while processing your request.', {
        subscriptions: fieldError('validation_length_too_long', message, { max }),
      });
    };
    if (own.size > MAX_OPTION_SETS_PER_CLIENT) {
      refuse(`At most ${MAX_OPTION_SETS_PER_CLIENT} subscriptions with distinct options per client.`, MAX_OPTION_SETS_PER_CLIENT);
    }
    if (own.size === 0 || client.ip === '') return;
    const address = new Set([...own].map((key) => `${who(auth)}\u0000${key}`));
    for (const other of this.registry.all()) {
      if (other === client || other.ip !== client.ip) continue;
      for (const { topic } of other.subscriptions.values()) {
        if (topic.optionsKey !== '') address.add(`${who(other.auth)}\u0000${topic.optionsKey}`);
      }
    }
    if (address.size > MAX_OPTION_SETS_PER_ADDRESS) {
      refuse(`At most ${MAX_OPTION_SETS_PER_ADDRESS} distinct subscription options per address.`, MAX_OPTION_SETS_PER_ADDRESS);
    }
  }

  /** Ends every connection and stops following changes. */
  close(): void {
    this.closing = true;
    this.parked.clear();
    this.stopListening();
    for (const client of [...this.registry.all()]) {
      client.close();
      this.registry.remove(client);
    }
  }

  /**
   * A stored change, from the bus. The subscribers are gathered now (a client that subscribes
   * afterwards does not get it), evaluated concurrently with other events, delivered in order.
   */
  private onRecordChange(message: RecordChangeMessage): void {
    this.pruneParked();
    const seq = this.log.append(message);
    const collection = this.deps.schema.find(message.collectionId);
    if (!collection) return;
    const prepared = message.action === 'delete' ? this.takePreparedDelete(collection.id, String(message.record.id)) : undefined;
    if (prepared) {
      if (collection.type === 'auth') this.followAuthRecord(collection, message);
      this.enqueue(async () => this.deliver(await prepared, seq));
      return;
    }
    // A deleted auth record's own clients get its delete, as in PocketBase, where the event's
    // subscribers are settled before their auth is unset: groups first, then the auth follows.
    // An update's rules see the record as it is now (PocketBase refreshes the auth first).
    if (collection.type === 'auth' && message.action !== 'delete') this.followAuthRecord(collection, message);
    const groups = this.groupsFor(collection, String(message.record.id));
    if (collection.type === 'auth' && message.action === 'delete') this.followAuthRecord(collection, message);
    if (groups.length > 0) this.schedule(seq, message, collection, groups);
  }

  /**
   * A delete of this node, before it commits (RecordChangeSink.beforeDelete): its events are
   * settled now, for the subscribers of now, while the records it removes and those its rules
   * read through them (a parent the cascade deletes too, the rows of a back-relation) are still
   * there outside its transaction, as PocketBase settles them before the delete. They are sent
   * when the delete comes back committed on the bus; a delete that rolls back sends nothing, and
   * its settled events are dropped after PREPARED_DELETE_TTL_MS. (A delete made on another node
   * is settled where it arrives, after its commit.)
   */
  private async prepareDeletes(changes: readonly RecordChange[]): Promise<void> {
    const now = Date.now();
    for (const [key, prepared] of this.preparedDeletes) {
      if (prepared.at >= now - PREPARED_DELETE_TTL_MS) break;
      this.preparedDeletes.delete(key);
    }
    const settling: Array<Promise<Delivery>> = [];
    for (const { collection, record } of changes) {
      const groups = this.groupsFor(collection, String(record.id));
      const message: RecordChangeMessage = { action: 'delete', collectionId: collection.id, record };
      // Never fails the delete: an evaluation that fails sends nothing, as a live one.
      const evaluated = groups.length
        ? this.limited(() => this.evaluate(message, collection, groups)).catch((e: unknown): Delivery => {
            this.deps.logger.error({ err: e }, 'realtime: delete events not settled');
            return [];
          })
        : Promise.resolve([]);
      const key = `${collection.id}/${String(record.id)}`;
      this.preparedDeletes.delete(key);
      this.preparedDeletes.set(key, { at: now, evaluated });
      settling.push(evaluated);
    }
    await Promise.all(settling);
  }

  private takePreparedDelete(collectionId: string, recordId: string): Promise<Delivery> | undefined {
    const key = `${collectionId}/${recordId}`;
    const prepared = this.preparedDeletes.get(key);
    this.preparedDeletes.delete(key);
    return prepared?.evaluated;
  }

  /** Evaluates the event for `groups` (concurrently with others) and delivers it in its turn. */
  private schedule(seq: number, message: RecordChangeMessage, collection: Collection, groups: SubscriberGroup[]): void {
    const evaluated = this.limited(() => this.evaluate(message, collection, groups));
    this.enqueue(async () => this.deliver(await evaluated, seq));
  }

  /** Runs `step` after every delivery queued before it. */
  private enqueue(step: () => void | Promise<void>): void {
    this.delivered = this.delivered.then(step).catch((e: unknown) => this.deps.logger.error({ err: e }, 'realtime: delivery failed'));
  }

  /**
   * The connection an event id continues and the position it got to: a record event's id names
   * both; a client id (PB_CONNECT's) stands for the start of that connection's stream.
   */
  private resumePoint(lastEventId: string): { from: number | undefined; previous: string | undefined } {
    const parsed = this.log.parse(lastEventId);
    if (parsed) return { from: parsed.seq, previous: parsed.clientId };
    const previous = this.registry.get(lastEventId);
    return previous ? { from: previous.startsAfter, previous: previous.id } : { from: undefined, previous: undefined };
  }

  /** Forgets the parked clients past the window's age, and the oldest past MAX_PARKED_CLIENTS. */
  private pruneParked(): void {
    const expired = Date.now() - this.log.maxAgeMs;
    for (const client of this.parked.values()) {
      if (this.parked.size <= MAX_PARKED_CLIENTS && client.parkedAt! >= expired) break;
      this.parked.delete(client.id);
      this.registry.remove(client);
    }
  }

  /**
   * A resumed client's first subscription request. Its live events wait (`held`) while the events
   * under way now, which are the previous connection's, are settled; then `startReplay` runs.
   */
  private resume(client: RealtimeClient, resume: NonNullable<RealtimeClient['resume']>): void {
    client.resume = undefined;
    client.held = [];
    const upTo = this.log.position;
    this.enqueue(() => this.startReplay(client, resume, upTo));
  }

  /**
   * Sends a resumed client what the connection it continues was given after the position it got
   * to, up to `upTo`: only events that connection was given when they happened (its auth, rules
   * and options of that moment), rendered again for this one now (the events its rules no longer
   * let it see are left out), in order, with their original positions; then its held live
   * events. The previous connection must be from the same address and have the same auth (a
   * guest's, or the same record's): it is taken over and forgotten. Otherwise, when it is
   * unknown or past the window, when the log no longer holds every event, or while MAX_REPLAYS
   * run, PB_MISSED `{"lastEventId"}` is sent instead, with the current position as its id: the
   * client reloads what it shows, and may resume from there next time.
   */
  private startReplay(client: RealtimeClient, resume: NonNullable<RealtimeClient['resume']>, upTo: number): void {
    if (client.discarded) return;
    const previous = resume.previous === undefined ? undefined : this.registry.get(resume.previous);
    const from = resume.from;
    let entries: ReplayEntry[] | undefined;
    if (
      previous &&
      previous !== client &&
      from !== undefined &&
      from >= previous.givenSince &&
      (previous.ip === '' || previous.ip === client.ip) &&
      sameAuth(this.currentAuth(previous), this.currentAuth(client))
    ) {
      // Taken over: the previous connection (ended, or not yet noticed as ended) goes.
      this.parked.delete(previous.id);
      this.registry.remove(previous);
      if (previous.parkedAt === undefined) previous.close();
      entries = this.log.entriesAt(previous.given.filter((seq) => seq > from && seq <= upTo));
    }
    if (!entries || this.replays >= MAX_REPLAYS) {
      client.startsAfter = client.givenSince = upTo;
      client.send(MISSED_EVENT, JSON.stringify({ lastEventId: resume.lastEventId }), this.log.idOf(upTo, client.id));
      this.release(client);
      return;
    }
    client.startsAfter = client.givenSince = from!;
    this.replays++;
    void this.replayTo(client, entries)
      .catch((e: unknown) => this.deps.logger.error({ err: e }, 'realtime: replay failed'))
      .finally(() => {
        this.replays--;
        this.release(client);
      });
  }

  /** Renders and sends `entries` to `client` alone, one after another (off the live events' way). */
  private async replayTo(client: RealtimeClient, entries: readonly ReplayEntry[]): Promise<void> {
    for (const { seq, message } of entries) {
      if (client.discarded) return;
      const collection = this.deps.schema.find(message.collectionId);
      if (!collection) continue;
      const groups = this.groupsFor(collection, String(message.record.id), client);
      if (groups.length === 0) continue;
      for (const { members, data } of await this.evaluate(message, collection, groups)) {
        for (const { topic } of members) {
          if (!client.subscriptions.has(topic.name)) continue;
          client.send(topic.name, data, this.log.idOf(seq, client.id));
          client.gave(seq, this.maxGiven);
        }
      }
    }
  }

  /** Sends the live events held during a replay, and lets the next ones through. */
  private release(client: RealtimeClient): void {
    const held = client.held ?? [];
    client.held = undefined;
    for (const e of held) client.send(e.event, e.data, e.id);
  }

  /** Positions a client keeps of what it was given: as many as the log keeps changes. */
  private get maxGiven(): number {
    return Math.max(1, this.log.maxEvents);
  }

  private async evaluate(message: RecordChangeMessage, collection: Collection, groups: SubscriberGroup[]): Promise<Delivery> {
    const data = await this.renderer.renderAll(message.action, collection, message.record, groups);
    const delivery: Delivery = [];
    data.forEach((d, i) => {
      if (d) delivery.push({ members: groups[i].members, data: d });
    });
    return delivery;
  }

  private deliver(delivery: Delivery, seq: number): void {
    for (const { members, data } of delivery) {
      for (const { client, topic } of members) {
        // Unsubscribed meanwhile: the client no longer listens for it.
        if (client.subscriptions.has(topic.name)) this.give(client, topic.name, data, seq);
      }
    }
  }

  /**
   * One live event for one client: sent (not while parked), or held behind its replay, and noted
   * as given. A client whose held events pass the bound is cut (it may resume).
   */
  private give(client: RealtimeClient, event: string, data: string, seq: number): void {
    const id = this.log.idOf(seq, client.id);
    client.gave(seq, this.maxGiven);
    if (!client.held) {
      client.send(event, data, id);
    } else if (client.held.length < this.maxGiven) {
      client.held.push({ event, data, id });
    } else {
      client.held = undefined;
      client.close();
    }
  }

  /**
   * The subscriptions an event on this record concerns, grouped by rule, auth and options. Topics
   * name the collection by name or id; `coll/ID` is checked by the viewRule, `coll/*` and the
   * older bare `coll` by the listRule (PocketBase's subscriptionRuleMap). `only`: that client's.
   */
  private groupsFor(collection: Collection, recordId: string, only?: RealtimeClient): SubscriberGroup[] {
    const bases = new Map<string, RuleKind>();
    for (const ref of [collection.name, collection.id]) bases.set(`${ref}/${recordId}`, 'view');
    for (const ref of [collection.name, collection.id]) {
      bases.set(`${ref}/*`, 'list');
      bases.set(ref, 'list');
    }
    const groups = new Map<string, SubscriberGroup>();
    for (const [base, kind] of bases) {
      for (const subscription of this.registry.matching(base) ?? []) {
        if (only && subscription.client !== only) continue;
        const auth = this.currentAuth(subscription.client);
        const key = groupKey(kind, auth, subscription.topic.optionsKey);
        let group = groups.get(key);
        if (!group) groups.set(key, (group = { kind, auth, options: subscription.topic.options, members: [] }));
        group.members.push(subscription);
      }
    }
    return [...groups.values()];
  }

  /**
   * The client's auth, dropped when its collection is gone or signs its tokens with another
   * secret now (PocketBase unsets the auth of a deleted collection's clients, and of a
   * collection whose auth token secret changed: the token the client bound with is void).
   */
  private currentAuth(client: RealtimeClient): Principal {
    const auth = client.auth;
    if (auth.kind === 'guest') return auth;
    const now = this.deps.schema.find(auth.collection.id);
    if (!now || authSecretOf(now) !== authSecretOf(auth.collection)) client.auth = GUEST;
    return client.auth;
  }

  /**
   * Clients bound to a changed auth record follow it, as in PocketBase: their rules see the new
   * values; a new tokenKey (password change, …) or a delete leaves them unauthenticated, still
   * connected, so that they may authenticate again with their next subscription request.
   */
  private followAuthRecord(collection: Collection, message: RecordChangeMessage): void {
    const { record } = message;
    for (const client of this.registry.all()) {
      const auth = client.auth;
      if (auth.kind === 'guest' || auth.collection.id !== collection.id || auth.record.id !== record.id) continue;
      const dropped =
        message.action === 'delete' || auth.record.tokenKey !== record.tokenKey || authSecretOf(auth.collection) !== authSecretOf(collection);
      client.auth = dropped ? GUEST : { kind: auth.kind, collection, record };
    }
  }

  /** Runs `task` once fewer than maxEventsInFlight are running; a finishing task hands its slot on. */
  private async limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.inFlight < (this.deps.maxEventsInFlight ?? DEFAULT_EVENTS_IN_FLIGHT)) this.inFlight++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight--;
    }
  }
}
