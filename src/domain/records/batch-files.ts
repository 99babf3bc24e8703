/**
 * A record file store for the records of one transaction (a batch): uploads are stored at once
 * (before the write that names them, as outside a transaction) and remembered; removals (files an
 * update drops, a deleted record's folder) wait for the commit. A deleted record's folder keeps
 * the files that later writes of the transaction stored for a record of the same id (a delete,
 * then a create with that id): after the commit, the files the committed records name are there.
 * A rolled-back transaction removes the uploads it stored and no file it would have dropped, so
 * the records it leaves as they were keep their files.
 */
import type { Collection } from '../../db/schema.ts';
import { keptUploads } from '../collections/fields/file.ts';
import type { RecordData } from './codec.ts';
import type { RecordFileStore, UploadedFile } from './input.ts';

export class TransactionFileStore implements RecordFileStore {
  private readonly undos = new Set<() => Promise<void>>();
  private readonly removals: Array<() => Promise<void>> = [];
  /** What each store stored, in order: a folder removal queued before spares what came after. */
  private readonly stored: Array<{ readonly collectionId: string; readonly recordId: string; names: readonly string[] }> = [];
  private ended = false;

  constructor(private readonly files: RecordFileStore) {}

  async store(collection: Collection, data: RecordData, uploads: ReadonlyMap<string, readonly UploadedFile[]>, isNew: boolean): Promise<() => Promise<void>> {
    const undoStored = await this.files.store(collection, data, uploads, isNew);
    // A write the transaction gave up on (its timeout) may still be storing after the rollback:
    // what it stored goes at once, and the write stops here.
    if (this.ended) {
      await undoStored();
      throw new Error('the transaction has ended');
    }
    const entry = { collectionId: collection.id, recordId: String(data.id), names: keptUploads(data, uploads).map((f) => f.name) };
    this.stored.push(entry);
    const undo = async () => {
      this.undos.delete(undo);
      entry.names = [];
      await undoStored();
    };
    this.undos.add(undo);
    return undo;
  }

  async removeDropped(collection: Collection, before: RecordData, after: RecordData): Promise<void> {
    this.removals.push(() => this.files.removeDropped(collection, before, after));
  }

  async removeRecords(records: ReadonlyArray<{ readonly collection: Collection; readonly record: RecordData }>): Promise<void> {
    const since = this.stored.length;
    this.removals.push(() => this.files.removeRecords(records, (collectionId, recordId) => this.storedSince(since, collectionId, recordId)));
  }

  /** After the commit: the removals, in the order the writes asked for them (each logs its own failures). */
  async committed(): Promise<void> {
    this.ended = true;
    this.undos.clear();
    for (const remove of this.removals.splice(0)) await remove();
  }

  /**
   * After a rollback: the uploads stored are removed, latest first (so a created record's folder,
   * emptied by the undo of its create, has lost the uploads of its later updates already), and the
   * removals forgotten.
   */
  async rolledBack(): Promise<void> {
    this.ended = true;
    this.removals.length = 0;
    for (const undo of [...this.undos].reverse()) await undo();
  }

  /** The names stored for a record by the stores after the first `since` (those undone name none). */
  private storedSince(since: number, collectionId: string, recordId: string): string[] {
    return this.stored.slice(since).flatMap((s) => (s.collectionId === collectionId && s.recordId === recordId ? s.names : []));
  }
}
