/**
 * File storage: the one interface the domain sees for record files and their thumbs. Keys are
 * `/`-separated paths (`<collectionId>/<recordId>/<filename>`, as PocketBase lays them out).
 * `LocalStorage` (storage-local.ts) keeps them under a directory in PocketBase's on-disk format,
 * `S3Storage` (storage-s3.ts) in a bucket, and `settingsStorage` (storage-settings.ts) picks one
 * for every call from the current settings. Bodies are streams both ways: nothing here holds a
 * whole file in memory.
 */
import type { Readable } from 'node:stream';

export interface StoredFile {
  readonly size: number;
  readonly modified: Date;
  /** As stored with the file ('application/octet-stream' when nothing was stored). */
  readonly contentType: string;
  /** A validator for conditional requests, quoted as HTTP wants it. */
  readonly etag: string;
  /** User metadata (PocketBase keeps `original-filename` there). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Bytes `start` to `end`, both included (HTTP's convention). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface FileWrite {
  readonly contentType: string;
  /** The exact byte count of the body (S3 needs it before the first byte). */
  readonly size: number;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** A stored file as a listing names it. */
export interface ListedFile {
  readonly key: string;
  readonly modified: Date;
}

export interface ListOptions {
  /** Only keys under this "directory" (empty, or ending with `/`). */
  readonly prefix?: string;
  /** Only keys after this one (a listing resumed where the last one stopped). */
  readonly startAfter?: string;
  /** At most this many files. */
  readonly limit: number;
}

export interface FileStorage {
  /** The file's attributes; undefined when there is no such file. */
  stat(key: string): Promise<StoredFile | undefined>;
  exists(key: string): Promise<boolean>;
  /**
   * A stream of the file (or of one range of it, which must lie within the file); undefined when
   * there is no such file. The caller must consume or destroy the stream.
   */
  read(key: string, range?: ByteRange): Promise<Readable | undefined>;
  /** Stores `body` under `key`, replacing any file there; a failed write leaves nothing behind. */
  write(key: string, body: Readable | Buffer, options: FileWrite): Promise<void>;
  /** Deletes one file; a missing file is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Deletes every file whose key starts with `prefix` (a "directory" when it ends with `/`).
   * An empty prefix is refused: it would mean everything.
   */
  deletePrefix(prefix: string): Promise<void>;
  /**
   * Removes the folder `prefix` (ending with `/`) when nothing is left in it, and only then. A
   * storage without folders (S3, where a "folder" is a shared key prefix) has nothing to remove.
   */
  deleteEmptyFolder(prefix: string): Promise<void>;
  /**
   * Files in key order (by UTF-16 code unit, which is S3's order for the ASCII keys Baton makes):
   * fewer than `limit` only when the listing reached the end.
   */
  list(options: ListOptions): Promise<ListedFile[]>;
  close(): Promise<void>;
}

/** A storage key that is not a plain relative path of non-empty, non-dot segments. */
export class StorageKeyError extends Error {
  override name = 'StorageKeyError';
}

/**
 * Keys come from record data (file names, record ids), so every implementation checks them the
 * same way before touching anything: relative, `/`-separated, no empty, `.` or `..` segment, no
 * backslash or NUL. (PocketBase escapes such keys; Baton never makes them, so they are refused.)
 */
export function checkKey(key: string, prefix = false): string[] {
  const parts = key.split('/');
  if (prefix && parts[parts.length - 1] === '') parts.pop();
  if (
    key === '' ||
    key.length > 1024 ||
    /[\\\0]/.test(key) ||
    parts.length === 0 ||
    parts.some((p) => p === '' || p === '.' || p === '..')
  ) {
    throw new StorageKeyError(`invalid storage key ${JSON.stringify(key.slice(0, 200))}`);
  }
  return parts;
}
