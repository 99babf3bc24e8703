import type { Collection } from '../../db/schema.ts';
import type { RecordData } from './codec.ts';

/** A record write that has been stored: what realtime follows (and, later, hooks). */
export interface RecordChange {
  readonly action: 'create' | 'update' | 'delete';
  readonly collection: Collection;
  /** The record as stored, decoded, hidden fields included; for a delete, as it was. */
  readonly record: RecordData;
}

/**
 * Where `RecordService` reports its writes (`RecordServiceDeps.changes`). It is called only once a
 * write is durable, never for one that failed or rolled back, so it must neither throw nor wait:
 * it publishes (realtime's sink puts the change on the bus) or keeps the change. A caller that
 * runs the service inside a larger transaction (batch) gives that service a sink that buffers,
 * and hands the buffer on after its own commit, or drops it on rollback.
 */
export interface RecordChangeSink {
  recordChanged(change: RecordChange): void;
  /**
   * The records a delete is about to remove (the record and those its cascade deletes), called
   * inside the delete's transaction, before it commits: what follows the changes may read the
   * database as it still is outside the transaction, with the records and those they relate to
   * (PocketBase settles a delete's realtime events so, before the delete). The delete waits for
   * it; `recordChanged` follows for each once committed, nothing on rollback.
   */
  beforeDelete?(changes: readonly RecordChange[]): Promise<void>;
}
