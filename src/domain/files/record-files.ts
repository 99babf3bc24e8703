/**
 * A record's files in storage around its writes (PocketBase's file field interceptors): uploads
 * are stored before the record is written and removed again when the write fails; files the
 * record no longer names, and a deleted record's folder (but the files a record of the same id,
 * made again in the same transaction, keeps), are removed only after the write; so is
 * a deleted collection's folder (CollectionService, after the change commits). Removal failures are logged, never turned into a failed request: the record is already saved.
 */
import type { Collection } from '../../db/schema.ts';
import type { Logger } from '../../kernel/logger.ts';
import type { CollectionFileStore } from '../collections/service.ts';
import type { FileStorage } from '../../infra/storage.ts';
import { fileNamesToDelete, keptUploads } from '../collections/fields/file.ts';
import type { KeptFiles, RecordFileStore, UploadedFile } from '../records/input.ts';
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
      for (const file of keptUploads(data, uploads)) {
        await this.storage.write(recordFileKey(collection.id, id, file.name), file.open(), {
          contentType: file.mimeType,
          size: file.size,
          // As PocketBase: at most 255 characters of the client's name.
          metadata: { 'original-filename': file.originalName.slice(0, 255) },
        });
        stored.push(file.name);
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

  async removeRecords(records: ReadonlyArray<{ readonly collection: Collection; readonly record: RecordData }>, keep?: KeptFiles): Promise<void> {
    for (const { collection, record } of records) {
      if (!collection.fields.some((f) => f.type === 'file')) continue;
      const prefix = recordFilesPrefix(collection.id, String(record.id));
      const kept = keep?.(collection.id, String(record.id)) ?? [];
      try {
        if (kept.length === 0) await this.storage.deletePrefix(prefix);
        else await this.removeAllBut(prefix, new Set(kept));
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

  /** Removes what the folder `prefix` holds but the files `kept` names and their thumbs. */
  private async removeAllBut(prefix: string, kept: ReadonlySet<string>): Promise<void> {
    // The folder's entries: its files, and its folders (a file's thumbs, `thumbs_<name>/`).
    const entries = new Map<string, 'file' | 'folder'>();
    const page = 1000;
    for (let after: string | undefined; ; ) {
      const listed = await this.storage.list({ prefix, startAfter: after, limit: page });
      for (const { key } of listed) {
        const rest = key.slice(prefix.length);
        const slash = rest.indexOf('/');
        entries.set(slash < 0 ? rest : rest.slice(0, slash), slash < 0 ? 'file' : 'folder');
      }
      if (listed.length < page) break;
      after = listed[listed.length - 1].key;
    }
    for (const [name, kind] of entries) {
      if (kind === 'file' ? kept.has(name) : name.startsWith('thumbs_') && kept.has(name.slice('thumbs_'.length))) continue;
      if (kind === 'file') await this.storage.delete(prefix + name);
      else await this.storage.deletePrefix(`${prefix}${name}/`);
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
