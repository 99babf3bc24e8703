/**
 * The recent record changes of this node, kept so that a client that reconnects with the id of
 * the last event it got (SSE `Last-Event-ID`, the WebSocket's `lastEventId`) is sent what it
 * missed. Every change that reaches the node gets the next sequence number; record events carry
 * `<stream>.<sequence>.<clientId>` as their id: `stream` is random per process, so that an id
 * from another node or from before a restart is recognised as one this log cannot continue, and
 * the client id names the connection whose events a resume continues (service.ts).
 *
 * The log holds the changes themselves (the record with its hidden fields, as the bus carries
 * it), not what any client was sent: which of them a connection got is kept with the connection
 * (its sequence numbers), and a replay renders those again. Its memory is bounded by a count, an
 * age and the records' estimated size (`approxBytes`): a user who can write large records cannot
 * make it hold gigabytes; a change larger than the whole bound is not kept (a resume across it
 * is told it missed events).
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

  /** Whether changes are kept at all (a window of 0 events keeps none: every resume is a miss). */
  get keeps(): boolean {
    return this.window.maxEvents > 0;
  }

  /** How many changes are kept at most. */
  get maxEvents(): number {
    return this.window.maxEvents;
  }

  /** How long a change is kept: how long an ended connection may be resumed. */
  get maxAgeMs(): number {
    return this.window.maxAgeMs;
  }

  /** The event id of position `seq` in the stream of client `clientId`. */
  idOf(seq: number, clientId: string): string {
    return `${this.stream}.${seq}.${clientId}`;
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

  /** The position and client an event id of this log stands for; undefined when it is not one. */
  parse(id: string): { seq: number; clientId: string } | undefined {
    const m = /^([A-Za-z0-9]+)\.(\d{1,15})\.([A-Za-z0-9]{1,255})$/.exec(id);
    if (!m || m[1] !== this.stream) return undefined;
    const seq = Number(m[2]);
    return seq <= this.seq ? { seq, clientId: m[3]! } : undefined;
  }

  /**
   * The kept changes of the given positions (ascending); undefined when one of them is no longer
   * kept (the client missed events and must be told so).
   */
  entriesAt(seqs: readonly number[]): ReplayEntry[] | undefined {
    this.prune();
    const oldest = this.entries[this.first];
    if (seqs.length === 0) return [];
    // Kept entries have consecutive positions (a change too large to keep drops all before it).
    if (!oldest || seqs[0]! < oldest.seq || seqs[seqs.length - 1]! > this.seq) return undefined;
    return seqs.map((seq) => this.entries[this.first + (seq - oldest.seq)]!);
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
  }
}
