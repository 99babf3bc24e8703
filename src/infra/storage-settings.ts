/**
 * The storage the settings name, looked up on every call (PocketBase opens its filesystem per
 * request from the current settings): the S3 bucket when `s3.enabled`, else the local directory.
 * One S3 client is kept per configuration; a replaced one is closed after a grace period, so a
 * download still streaming from it when the settings change is not cut off.
 */
import type { Readable } from 'node:stream';
import { LocalStorage } from './storage-local.ts';
import { S3Storage, type S3Settings } from './storage-s3.ts';
import type { ByteRange, FileStorage, FileWrite, ListedFile, ListOptions, StoredFile } from './storage.ts';

export interface S3StorageSettings extends S3Settings {
  readonly enabled: boolean;
}

/** How long a replaced S3 client stays open for the transfers still using it. */
const RETIRE_AFTER_MS = 10 * 60_000;

class SettingsStorage implements FileStorage {
  private readonly local: LocalStorage;
  private s3: { settings: S3StorageSettings; key: string; storage: S3Storage } | undefined;
  private readonly retiring = new Set<S3Storage>();

  constructor(
    private readonly current: () => S3StorageSettings,
    localRoot: string,
  ) {
    this.local = new LocalStorage(localRoot);
  }

  /** The storage for this call. The settings object is replaced on change, so the common case is one comparison. */
  private pick(): FileStorage {
    const settings = this.current();
    if (!settings.enabled) return this.local;
    if (this.s3?.settings === settings) return this.s3.storage;
    const { bucket, region, endpoint, accessKey, secret, forcePathStyle } = settings;
    const key = JSON.stringify([bucket, region, endpoint, accessKey, secret, forcePathStyle]);
    if (this.s3?.key === key) {
      this.s3.settings = settings;
      return this.s3.storage;
    }
    if (this.s3) this.retire(this.s3.storage);
    this.s3 = { settings, key, storage: new S3Storage(settings) };
    return this.s3.storage;
  }

  private retire(storage: S3Storage): void {
    this.retiring.add(storage);
    const timer = setTimeout(() => {
      this.retiring.delete(storage);
      void storage.close();
    }, RETIRE_AFTER_MS);
    timer.unref();
  }

  stat(key: string): Promise<StoredFile | undefined> {
    return this.pick().stat(key);
  }

  exists(key: string): Promise<boolean> {
    return this.pick().exists(key);
  }

  read(key: string, range?: ByteRange): Promise<Readable | undefined> {
    return this.pick().read(key, range);
  }

  write(key: string, body: Readable | Buffer, options: FileWrite): Promise<void> {
    return this.pick().write(key, body, options);
  }

  delete(key: string): Promise<void> {
    return this.pick().delete(key);
  }

  deletePrefix(prefix: string): Promise<void> {
    return this.pick().deletePrefix(prefix);
  }

  deleteEmptyFolder(prefix: string): Promise<void> {
    return this.pick().deleteEmptyFolder(prefix);
  }

  list(options: ListOptions): Promise<ListedFile[]> {
    return this.pick().list(options);
  }

  async close(): Promise<void> {
    const all = [...this.retiring, ...(this.s3 ? [this.s3.storage] : [])];
    this.retiring.clear();
    this.s3 = undefined;
    await Promise.all(all.map((s) => s.close()));
  }
}

/** Files where the settings say: `current()` is read on every call (e.g. `() => settings.get().s3`). */
export function settingsStorage(current: () => S3StorageSettings, localRoot: string): FileStorage {
  return new SettingsStorage(current, localRoot);
}
