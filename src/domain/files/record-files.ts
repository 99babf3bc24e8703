/**
 * A record's files in storage around its writes (PocketBase's file field interceptors): uploads
 * are stored before the record is written and removed again when the write fails; files the
 * record no longer names, and a deleted record's folder, are removed only after the write; so is
 * a deleted collection's folder (CollectionService, after the change commits). Removal failures are logged, never turned into a failed request: the record is already saved.
 */
import type { Collection } from '../../db/schema.ts';
import type { Logger } from '../../kernel/logger.ts';
import type { CollectionFileStore } from '../collections/service.ts';
import type { FileStorage } from '../../infra/storage.ts';
import { fileNamesToDelete, toFileNames } from '../collections/fields/file.ts';
import type { RecordFileStore, UploadedFile } from '../records/input.ts';
import type { RecordData } from '../records/codec.ts';
import { collectionFilesPrefix, recordFileKey, recordFilesPrefix, thumbsPrefix } from './paths.ts';

/** A stored name is removed only when it is a plain file name (PocketBase's guard). */
const plainName = (name: string): boolean => name !== '' && !/[/\\]/.test(name);

export class RecordFiles implements RecordFileStore, CollectionFileStore {
  constructor(
    private readonly storage: FileStorage,
    private readonly logger: Logger,
  ) {}

  async store(collection: Collection, data: RecordData, uploads: ReadonlyMap<string, readonly UploadedFile[]>, isNew: boolean): Promise<() => Promise<void>> {
    const id = String(data.id);
    const stored: string[] = [];
    const undo = async () => {
      await this.removeNames(collection.id, id, stored);
      // Only for a create that failed, as PocketBase: an existing record's folder may be taking a
      // concurrent update's uploads (and would be kept by them anyway).
      if (isNew) await this.removeEmptyFolder(collection, id);
    };
    try {
      for (const [fieldName, files] of uploads) {
        // Only the uploads the value keeps (a single-file field keeps the last one).
        const kept = new Set(toFileNames(data[fieldName]));
        for (const file of files) {
          if (!kept.has(file.name)) continue;
          await this.storage.write(recordFileKey(collection.id, id, file.name), file.open(), {
            contentType: file.mimeType,
            size: file.size,
            // As PocketBase: at most 255 characters of the client's name.
            metadata: { 'original-filename': file.originalName.slice(0, 255) },
          });
          stored.push(file.name);
        }
      }
    } catch (e) {
      await undo();
      throw e;
    }
    return undo;
  }

  async removeDropped(collection: Collection, before: RecordData, after: RecordData): Promise<void> {
    const names: string[] = [];
    for (const field of collection.fields) {
      if (field.type === 'file') names.push(...fileNamesToDelete(before[field.name], after[field.name]));
    }
    await this.removeNames(collection.id, String(before.id), names);
  }

  async removeRecords(records: ReadonlyArray<{ readonly collection: Collection; readonly record: RecordData }>): Promise<void> {
    for (const { collection, record } of records) {
      if (!collection.fields.some((f) => f.type === 'file')) continue;
      try {
        await this.storage.deletePrefix(recordFilesPrefix(collection.id, String(record.id)));
      } catch (e) {
        this.logger.warn({ err: e, collection: collection.name, record: record.id }, "failed to delete a deleted record's files");
      }
    }
  }

  /**
   * Removes the folder of each collection that keeps records (a view's files live in its source
   * collections), whether or not it still has file fields: files left by a file field removed
   * earlier belong to no one once the collection is gone.
   */
  async removeCollections(collections: readonly Collection[]): Promise<void> {
    for (const collection of collections) {
      if (collection.type === 'view') continue;
      try {
        await this.storage.deletePrefix(collectionFilesPrefix(collection.id));
      } catch (e) {
        this.logger.warn({ err: e, collection: collection.name }, "failed to delete a deleted collection's files");
      }
    }
  }

  private async removeEmptyFolder(collection: Collection, recordId: string): Promise<void> {
    try {
      await this.storage.deleteEmptyFolder(recordFilesPrefix(collection.id, recordId));
    } catch (e) {
      this.logger.warn({ err: e, collection: collection.name, record: recordId }, "failed to delete a record's empty folder");
    }
  }

  /** Removes the named files of a record and their thumbs; failures are logged. */
  private async removeNames(collectionId: string, recordId: string, names: readonly string[]): Promise<void> {
    for (const name of names.filter(plainName)) {
      try {
        await this.storage.delete(recordFileKey(collectionId, recordId, name));
        await this.storage.deletePrefix(thumbsPrefix(collectionId, recordId, name));
      } catch (e) {
        this.logger.warn({ err: e, collectionId, recordId, file: name }, 'failed to delete a record file');
      }
    }
  }
}
