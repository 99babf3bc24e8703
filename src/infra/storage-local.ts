/**
 * Files on local disk, in PocketBase's format (its fileblob driver): `<root>/<key>`, and beside
 * each file a `<key>.attrs` JSON sidecar holding its content type, user metadata and MD5, so a
 * directory written by either program is read by the other. Writes go to a temporary file next
 * to the target and are renamed into place, so a reader never sees half a file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkKey, StorageKeyError, type ByteRange, type FileStorage, type FileWrite, type ListedFile, type ListOptions, type StoredFile } from './storage.ts';

const ATTRS_EXT = '.attrs';
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The sidecar's fields, in the order (and with the names) PocketBase writes them. */
interface Attrs {
  'user.cache_control': string;
  'user.content_disposition': string;
  'user.content_encoding': string;
  'user.content_language': string;
  'user.content_type': string;
  'user.metadata': Record<string, string> | null;
  /** Base64, as Go encodes a byte slice. */
  md5: string | null;
}

const isMissing = (e: unknown): boolean => (e as NodeJS.ErrnoException)?.code === 'ENOENT' || (e as NodeJS.ErrnoException)?.code === 'ENOTDIR';

export class LocalStorage implements FileStorage {
  constructor(private readonly root: string) {}

  /** The file's path; refuses keys that could leave the root, and the sidecars' own names. */
  private pathOf(key: string, prefix = false): string {
    const parts = checkKey(key, prefix);
    if (!prefix && key.endsWith(ATTRS_EXT)) throw new StorageKeyError(`the file extension ${ATTRS_EXT} is reserved`);
    return path.join(this.root, ...parts);
  }

  private async attrs(file: string): Promise<Partial<Attrs>> {
    let text: string;
    try {
      text = await readFile(file + ATTRS_EXT, 'utf8');
    } catch (e) {
      if (isMissing(e)) return {};
      throw e;
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Partial<Attrs>) : {};
    } catch {
      // A damaged sidecar costs the file its content type, not its availability.
      return {};
    }
  }

  async stat(key: string): Promise<StoredFile | undefined> {
    const file = this.pathOf(key);
    let info;
    try {
      info = await stat(file, { bigint: true });
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
    if (!info.isFile()) return undefined;
    const attrs = await this.attrs(file);
    const metadata = attrs['user.metadata'];
    return {
      size: Number(info.size),
      modified: new Date(Number(info.mtimeMs)),
      contentType: attrs['user.content_type'] || DEFAULT_CONTENT_TYPE,
      // fileblob's validator: modification time in nanoseconds and size, in hex.
      etag: `"${info.mtimeNs.toString(16)}-${info.size.toString(16)}"`,
      metadata: metadata && typeof metadata === 'object' ? { ...metadata } : {},
    };
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== undefined;
  }

  async read(key: string, range?: ByteRange): Promise<Readable | undefined> {
    const file = this.pathOf(key);
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (e) {
      if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      throw e;
    }
    // The handle closes with the stream, whether it ends, fails or is destroyed.
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async write(key: string, body: Readable | Buffer, options: FileWrite): Promise<void> {
    const file = this.pathOf(key);
    await mkdir(path.dirname(file), { recursive: true });
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    const md5 = createHash('md5');
    try {
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          md5.update(chunk);
          callback(null, chunk);
        },
      });
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, hashing, createWriteStream(temp, { flags: 'wx' }));
      await rename(temp, file);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
    const attrs: Attrs = {
      'user.cache_control': '',
      'user.content_disposition': '',
      'user.content_encoding': '',
      'user.content_language': '',
      'user.content_type': options.contentType,
      'user.metadata': options.metadata && Object.keys(options.metadata).length ? { ...options.metadata } : null,
      md5: md5.digest('base64'),
    };
    try {
      // Go's JSON encoder ends its output with a newline.
      await writeFile(file + ATTRS_EXT, `${JSON.stringify(attrs)}\n`);
    } catch (e) {
      await rm(file, { force: true });
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    for (const p of [file, file + ATTRS_EXT]) {
      try {
        await unlink(p);
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    const target = this.pathOf(prefix, true);
    if (prefix.endsWith('/')) {
      await rm(target, { recursive: true, force: true });
      return;
    }
    // A name prefix: everything in the parent directory whose name starts with it, folders
    // included (their files' keys start with it too), sidecars with their files.
    const dir = path.dirname(target);
    const start = path.basename(target);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if (isMissing(e)) return;
      throw e;
    }
    await Promise.all(names.filter((n) => n.startsWith(start)).map((n) => rm(path.join(dir, n), { recursive: true, force: true })));
  }

  async deleteEmptyFolder(prefix: string): Promise<void> {
    if (!prefix.endsWith('/')) throw new StorageKeyError(`not a folder: ${JSON.stringify(prefix.slice(0, 200))}`);
    try {
      // rmdir removes only an empty folder: a file written meanwhile keeps it.
      await rmdir(this.pathOf(prefix, true));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (!isMissing(e) && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    }
  }

  /**
   * Walks the folders in key order (a folder's key is its name and `/`, so `x.txt` comes before
   * `x/…`), skipping whole folders that lie before `startAfter`; sidecars are not listed, a write's
   * temporary file is (a crash leaves it behind).
   */
  async list(options: ListOptions): Promise<ListedFile[]> {
    const { prefix = '', startAfter = '', limit } = options;
    const out: ListedFile[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        if (isMissing(e)) return;
        throw e;
      }
      const items = entries
        .filter((e) => e.isDirectory() || (e.isFile() && !e.name.endsWith(ATTRS_EXT)))
        .map((e) => ({ name: e.name, folder: e.isDirectory(), key: keyPrefix + e.name + (e.isDirectory() ? '/' : '') }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const item of items) {
        if (out.length >= limit) return;
        if (item.folder) {
          // Every key inside starts with the folder's: all of them lie before a later startAfter.
          if (startAfter > item.key && !startAfter.startsWith(item.key)) continue;
          await walk(path.join(dir, item.name), item.key);
        } else if (item.key > startAfter) {
          try {
            const info = await stat(path.join(dir, item.name));
            out.push({ key: item.key, modified: info.mtime });
          } catch (e) {
            if (!isMissing(e)) throw e;
          }
        }
      }
    };
    if (limit > 0) await walk(prefix === '' ? this.root : this.pathOf(prefix, true), prefix);
    return out;
  }

  async close(): Promise<void> {}
}
