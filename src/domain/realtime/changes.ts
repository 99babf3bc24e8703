import type { Bus } from '../../infra/bus.ts';
import type { RecordChange, RecordChangeSink } from '../records/changes.ts';
import type { RecordData } from '../records/codec.ts';
import type { RecordAction } from './record-events.ts';

/** The bus channel of stored record changes. */
export const RECORD_CHANGES = 'records';

/**
 * A stored record change as the bus carries it: JSON, so that a shared bus can take it to every
 * node, and each node checks it against the subscribers it holds. It carries the whole record,
 * hidden fields included (each subscriber's export hides them): a shared bus must be private to
 * Baton's nodes.
 */
export interface RecordChangeMessage {
  readonly action: RecordAction;
  readonly collectionId: string;
  readonly record: RecordData;
}

/**
 * RecordService's sink for realtime: every stored change goes on the bus. `prepare`: how this
 * node settles a delete's events before it commits (RealtimeService.prepareDeletes).
 */
export class BusRecordChanges implements RecordChangeSink {
  constructor(
    private readonly bus: Bus,
    private readonly prepare?: (changes: readonly RecordChange[]) => Promise<void>,
  ) {}

  beforeDelete(changes: readonly RecordChange[]): Promise<void> {
    return this.prepare ? this.prepare(changes) : Promise.resolve();
  }

  recordChanged(change: RecordChange): void {
    const message: RecordChangeMessage = { action: change.action, collectionId: change.collection.id, record: change.record };
    this.bus.publish(RECORD_CHANGES, message);
  }
}

/**
 * Changes held back until a transaction's outcome is known: give a RecordService running inside
 * the transaction this sink, then `flushTo` the real one after the commit, or `discard` on
 * rollback, so that no event goes out for a write that did not happen.
 */
export class BufferedRecordChanges implements RecordChangeSink {
  private changes: RecordChange[] = [];

  recordChanged(change: RecordChange): void {
    this.changes.push(change);
  }

  flushTo(sink: RecordChangeSink): void {
    const changes = this.changes;
    this.changes = [];
    for (const change of changes) sink.recordChanged(change);
  }

  discard(): void {
    this.changes = [];
  }
}
