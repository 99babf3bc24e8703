/**
 * The recent record changes of this node, kept so that a client that reconnects with the id of
 * the last event it got (SSE `Last-Event-ID`, the WebSocket's `lastEventId`) is sent what it
 * missed. Every change that reaches the node gets the next sequence number; record events carry
 * `<stream>.<sequence>` as their id, `stream` being random per process, so that an id from
 * another node or from before a restart is recognised as one this log cannot continue.
 *
 * The log holds the changes themselves (the record with its hidden fields, as the bus carries
 * it), not what any client was sent: a replay is evaluated for the reconnecting client with its
 * own auth, rules and options, as live delivery is. Its memory is bounded by a count, an age and
 * the records' estimated size (`approxBytes`): a user who can write large records cannot make it
 * hold gigabytes; a change larger than the whole bound is not kept (a resume across it is told
 * it missed events).
 */
import { randomAlphanumeric } from '../../kernel/ids.ts';
import { approxBytes } from '../../kernel/size.ts';
import type { RecordChangeMessage } from './changes.ts';

export interface ReplayWindow {
  /** Changes kept (0: none; every resume is then told it missed events). */
  readonly maxEvents: number;
  /** How long a change is kept, in milliseconds. */
  readonly maxAgeMs: number;
  /** The kept changes' estimated memory, in bytes. */
  readonly maxBytes: number;
}

/** 1,000 changes, at most 5 minutes old, at most 64 MiB: minutes of reconnecting at a modest write rate. */
export const DEFAULT_REPLAY_WINDOW: Readonly<ReplayWindow> = Object.freeze({ maxEvents: 1000, maxAgeMs: 5 * 60_000, maxBytes: 64 << 20 });

/** Positions of ended connections remembered (their client ids stand for a position too). */
const MAX_ENDED_CLIENTS = 10_000;

export interface ReplayEntry {
  readonly seq: number;
  readonly at: number;
  readonly message: RecordChangeMessage;
  /** The message's estimated size (approxBytes). */
  readonly bytes: number;
}

export class ReplayLog {
  /** This process's id space: a position from another one cannot be continued here. */
  readonly stream = randomAlphanumeric(8);
  private seq = 0;
  private entries: ReplayEntry[] = [];
  /** Index of the oldest kept entry in `entries` (compacted now and then). */
  private first = 0;
  /** The kept entries' bytes. */
  private bytes = 0;
  /** Client ids of ended connections and the position each stands for, oldest first. */
  private readonly endedClients = new Map<string, { seq: number; at: number }>();

  private readonly window: ReplayWindow;

  constructor(
    window: Partial<ReplayWindow> = DEFAULT_REPLAY_WINDOW,
    private readonly now: () => number = Date.now,
  ) {
    this.window = { ...DEFAULT_REPLAY_WINDOW, ...window };
  }

  /** The sequence number of the latest change (0 before the first). */
  get position(): number {
    return this.seq;
  }

  /** The event id of position `seq`. */
  idOf(seq: number): string {
    return `${this.stream}.${seq}`;
  }

  /** Numbers and keeps a change; returns its sequence number. */
  append(message: RecordChangeMessage): number {
    const seq = ++this.seq;
    if (this.window.maxEvents > 0) {
      const bytes = approxBytes(message.record, this.window.maxBytes);
      if (bytes <= this.window.maxBytes) {
        this.entries.push({ seq, at: this.now(), message, bytes });
        this.bytes += bytes;
      } else {
        // Too large to keep at all: what came before cannot be continued across it either.
        this.dropAll();
      }
    }
    this.prune();
    return seq;
  }

  /** The position an event id of this log stands for; undefined when it is not one. */
  parse(id: string): number | undefined {
    const dot = id.lastIndexOf('.');
    if (dot < 0 || id.slice(0, dot) !== this.stream || !/^\d{1,15}$/.test(id.slice(dot + 1))) return undefined;
    const seq = Number(id.slice(dot + 1));
    return seq <= this.seq ? seq : undefined;
  }

  /** A connection ended: its client id (its PB_CONNECT's event id) keeps standing for `seq` a while. */
  clientEnded(clientId: string, seq: number): void {
    this.endedClients.delete(clientId);
    this.endedClients.set(clientId, { seq, at: this.now() });
    this.prune();
  }

  /** The position an ended connection's client id stands for. */
  endedClient(clientId: string): number | undefined {
    this.prune();
    return this.endedClients.get(clientId)?.seq;
  }

  /**
   * The changes after position `from` up to `upTo`; undefined when some of them are no longer
   * kept (the client missed events and must be told so).
   */
  since(from: number, upTo: number): ReplayEntry[] | undefined {
    this.prune();
    if (from > upTo) return undefined;
    if (from === upTo) return [];
    const oldest = this.entries[this.first];
    if (!oldest || oldest.seq > from + 1) return undefined;
    const out: ReplayEntry[] = [];
    for (let i = this.first + (from + 1 - oldest.seq); i < this.entries.length && this.entries[i].seq <= upTo; i++) out.push(this.entries[i]);
    return out;
  }

  private dropAll(): void {
    this.entries = [];
    this.first = 0;
    this.bytes = 0;
  }

  private prune(): void {
    const expired = this.now() - this.window.maxAgeMs;
    const kept = () => this.entries.length - this.first;
    while (kept() > 0 && (kept() > this.window.maxEvents || this.bytes > this.window.maxBytes || this.entries[this.first].at < expired)) {
      this.bytes -= this.entries[this.first].bytes;
      this.first++;
    }
    // Compacted once half is dead, so that pruning stays O(1) amortised.
    if (this.first > 1024 && this.first * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.first);
      this.first = 0;
    }
    for (const [id, ended] of this.endedClients) {
      if (this.endedClients.size <= MAX_ENDED_CLIENTS && ended.at >= expired) break;
      this.endedClients.delete(id);
    }
  }
}
