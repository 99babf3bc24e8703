/**
 * Removes record files no record names. Uploads are stored before the record's write and removed
 * again when it fails, and dropped files after it succeeds; a crash between the two (or a failed
 * removal) leaves files behind. This pass walks storage in key order, a bounded number of keys per
 * run, resuming where the last run stopped, and removes, in the folders of known collections:
 * the files and thumbs of records that do not exist, and the files (and their thumbs) their
 * record's file fields do not name. Files younger than `minAgeMs` are never touched: an upload
 * whose record is still being written is one of them. Keys outside PocketBase's layout, and the
 * folders of collections this schema does not know, are left alone.
 */
import type { Database } from '../../db/dialect.ts';
import type { Collection, SchemaLookup } from '../../db/schema.ts';
import type { FileStorage, ListedFile } from '../../infra/storage.ts';
import type { Logger } from '../../kernel/logger.ts';
import { toFileNames } from '../collections/fields/file.ts';
import { decodeRow, rowShape } from '../records/codec.ts';
import { selectById } from '../records/query.ts';
import { recordFilesPrefix, thumbsPrefix } from './paths.ts';

export interface OrphanCleanupDeps {
  db: Database;
  schema: SchemaLookup;
  storage: FileStorage;
  logger: Logger;
  /** Files modified less than this long ago stay (default 1 hour). */
  minAgeMs?: number;
  /** Keys examined per run at most (default 10,000). */
  maxKeysPerRun?: number;
  now?: () => number;
}

export interface OrphanCleanupResult {
  examined: number;
  removed: number;
  /** Whether this run reached the end of storage (the next starts from the beginning). */
  finished: boolean;
}

const THUMBS = 'thumbs_';
const PAGE = 500;
/** A record folder is removed whole when its listing fits in one page; else file by file. */
const FOLDER_PAGE = 1000;

export class OrphanFileCleanup {
  private cursor = '';
  private running: Promise<OrphanCleanupResult> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: OrphanCleanupDeps) {}

  /** One run (a run already under way is joined, not doubled). */
  run(): Promise<OrphanCleanupResult> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Runs after `firstAfterMs`, then every `everyMs`; the timers never keep the process alive. */
  start(firstAfterMs: number, everyMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    const schedule = (ms: number) => {
      this.timer = setTimeout(() => {
        void this.run()
          .catch((err: unknown) => this.deps.logger.warn({ err }, 'orphan file cleanup failed'))
          .finally(() => this.timer && schedule(everyMs));
      }, ms);
      this.timer.unref();
    };
    schedule(firstAfterMs);
  }

  /** Stops the timers; resolves once a run under way has ended (before storage and database close). */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<OrphanCleanupResult> {
    const { storage, logger } = this.deps;
    const maxKeys = this.deps.maxKeysPerRun ?? 10_000;
    const before = (this.deps.now?.() ?? Date.now()) - (this.deps.minAgeMs ?? 60 * 60_000);
    const records = new Map<string, Promise<RecordFolder>>();
    let examined = 0;
    let removed = 0;
    let finished = false;
    while (examined < maxKeys) {
      const limit = Math.min(PAGE, maxKeys - examined);
      const page = await storage.list({ startAfter: this.cursor, limit });
      for (const file of page) {
        examined++;
        this.cursor = file.key;
        if (file.modified.getTime() > before) continue;
        const place = placeOf(this.deps.schema, file.key);
        if (!place) continue;
        const folderKey = `${place.collection.id}/${place.recordId}`;
        let folder = records.get(folderKey);
        if (!folder) {
          folder = this.folder(place.collection, place.recordId, before);
          records.set(folderKey, folder);
        }
        const state = await folder;
        if (state.kind === 'removed') continue;
        if (state.kind === 'kept' && state.names.has(place.name)) continue;
        await storage.delete(file.key);
        // A file's thumbs come before it in key order; what is left of their folder goes with it.
        if (!place.thumb) await storage.deletePrefix(thumbsPrefix(place.collection.id, place.recordId, place.name));
        removed++;
      }
      if (page.length < limit) {
        finished = true;
        this.cursor = '';
        break;
      }
    }
    for (const folder of records.values()) {
      const state = await folder;
      if (state.kind === 'removed') removed += state.files;
    }
    if (removed > 0) logger.info({ examined, removed }, 'orphan files removed');
    return { examined, removed, finished };
  }

  /**
   * What to keep of a record's folder: the names its file fields hold; none when the record does
   * not exist, and then the folder goes whole if none of its files is young.
   */
  private async folder(collection: Collection, recordId: string, before: number): Promise<RecordFolder> {
    const row = await this.deps.db.get(selectById(collection).bind(recordId), rowShape(collection));
    if (row) {
      const data = decodeRow(collection, row);
      const names = new Set<string>();
      for (const field of collection.fields) if (field.type === 'file') for (const n of toFileNames(data[field.name])) names.add(n);
      return { kind: 'kept', names };
    }
    const prefix = recordFilesPrefix(collection.id, recordId);
    const files: ListedFile[] = await this.deps.storage.list({ prefix, limit: FOLDER_PAGE });
    if (files.length < FOLDER_PAGE && files.every((f) => f.modified.getTime() <= before)) {
      await this.deps.storage.deletePrefix(prefix);
      this.deps.logger.info({ collection: collection.name, record: recordId, files: files.length }, 'removed the files of a record that does not exist');
      return { kind: 'removed', files: files.length };
    }
    return { kind: 'kept', names: new Set() };
  }
}

type RecordFolder = { kind: 'kept'; names: ReadonlySet<string> } | { kind: 'removed'; files: number };

/**
 * Where a key lies in PocketBase's layout: `<collectionId>/<recordId>/<name>`, or a thumb
 * `<collectionId>/<recordId>/thumbs_<name>/<size>_<name>` (which belongs to `<name>`). Undefined
 * for anything else, and for the folders of unknown collections and of views (which own no files).
 */
function placeOf(schema: SchemaLookup, key: string): { collection: Collection; recordId: string; name: string; thumb: boolean } | undefined {
  const parts = key.split('/');
  if (parts.length !== 3 && !(parts.length === 4 && parts[2].startsWith(THUMBS))) return undefined;
  const collection = schema.find(parts[0]);
  if (!collection || collection.id !== parts[0] || collection.type === 'view') return undefined;
  const thumb = parts.length === 4;
  return { collection, recordId: parts[1], name: thumb ? parts[2].slice(THUMBS.length) : parts[2], thumb };
}
