// One suite for every FileStorage: local disk (PocketBase's layout and sidecars) and S3 (s3rver).
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from '../../test/support/s3-server.ts';
import { LocalStorage } from './storage-local.ts';
import { S3Storage } from './storage-s3.ts';
import { settingsStorage, type S3StorageSettings } from './storage-settings.ts';
import { StorageKeyError, type FileStorage } from './storage.ts';

const text = async (stream: Readable | undefined): Promise<string> => {
  if (!stream) throw new Error('no stream');
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const put = (storage: FileStorage, key: string, body: string, contentType = 'text/plain; charset=utf-8') =>
  storage.write(key, Readable.from([Buffer.from(body)]), { contentType, size: Buffer.byteLength(body), metadata: { 'original-filename': 'Ünïcode name.txt' } });

function storageSuite(name: string, make: () => FileStorage) {
  describe(name, () => {
    let storage: FileStorage;
    beforeAll(() => {
      storage = make();
    });

    it('writes, stats and reads a file, whole or by range', async () => {
      await put(storage, 'col/rec/hello.txt', 'hello world');
      const info = await storage.stat('col/rec/hello.txt');
      expect(info).toMatchObject({ size: 11, contentType: 'text/plain; charset=utf-8', metadata: { 'original-filename': 'Ünïcode name.txt' } });
      expect(info!.etag).toMatch(/^(W\/)?".+"$/);
      expect(info!.modified.getTime()).toBeGreaterThan(Date.now() - 60_000);
      expect(await text(await storage.read('col/rec/hello.txt'))).toBe('hello world');
      expect(await text(await storage.read('col/rec/hello.txt', { start: 6, end: 10 }))).toBe('world');
      expect(await storage.exists('col/rec/hello.txt')).toBe(true);
      // Buffers too, replacing what was there.
      await storage.write('col/rec/hello.txt', Buffer.from('bye'), { contentType: 'image/png', size: 3 });
      expect(await storage.stat('col/rec/hello.txt')).toMatchObject({ size: 3, contentType: 'image/png', metadata: {} });
    });

    it('answers undefined for what is not there', async () => {
      expect(await storage.stat('col/none/x.txt')).toBeUndefined();
      expect(await storage.read('col/none/x.txt')).toBeUndefined();
      expect(await storage.exists('col/none/x.txt')).toBe(false);
      // A "directory" is not a file.
      expect(await storage.stat('col/rec')).toBeUndefined();
      await storage.delete('col/none/x.txt');
    });

    it('deletes one file, a folder, or every name with a prefix', async () => {
      for (const key of ['c2/r/a.txt', 'c2/r/thumbs_a.txt/100x100_a.txt', 'c2/r/b.txt', 'c2/r2/a.txt']) await put(storage, key, key);
      await storage.deletePrefix('c2/r/thumbs_');
      expect(await storage.exists('c2/r/thumbs_a.txt/100x100_a.txt')).toBe(false);
      expect(await storage.exists('c2/r/a.txt')).toBe(true);
      await storage.delete('c2/r/a.txt');
      expect(await storage.exists('c2/r/a.txt')).toBe(false);
      expect(await storage.exists('c2/r/b.txt')).toBe(true);
      await storage.deletePrefix('c2/r/');
      expect(await storage.exists('c2/r/b.txt')).toBe(false);
      expect(await storage.exists('c2/r2/a.txt')).toBe(true);
    });

    it("deletes an empty folder and keeps one that holds files (a no-op where there are no folders)", async () => {
      await put(storage, 'c4/r/a.txt', 'a');
      await storage.deleteEmptyFolder('c4/r/');
      expect(await storage.exists('c4/r/a.txt')).toBe(true);
      await storage.delete('c4/r/a.txt');
      await storage.deleteEmptyFolder('c4/r/');
      await storage.deleteEmptyFolder('c4/never/');
      expect(await storage.list({ prefix: 'c4/', limit: 10 })).toEqual([]);
      await expect(storage.deleteEmptyFolder('../c4/')).rejects.toBeInstanceOf(StorageKeyError);
    });

    it('lists files in key order, under a prefix, after a key, a page at a time', async () => {
      const keys = ['ls/a/x.txt', 'ls/a/y/y.txt', 'ls/a/z.txt', 'ls/b/1.txt', 'ls/b/thumbs_1.txt/10x10_1.txt', 'ls/c.txt'];
      for (const key of [...keys].reverse()) await put(storage, key, key);
      const all = (await storage.list({ prefix: 'ls/', limit: 100 })).map((f) => f.key);
      expect(all).toEqual(keys);
      expect((await storage.list({ prefix: 'ls/b/', limit: 100 })).map((f) => f.key)).toEqual(keys.slice(3, 5));
      expect((await storage.list({ prefix: 'ls/none/', limit: 100 }))).toEqual([]);
      // Paging: each page resumes after the last key of the one before.
      const paged: string[] = [];
      for (let page = await storage.list({ prefix: 'ls/', limit: 2 }); page.length; ) {
        paged.push(...page.map((f) => f.key));
        page = page.length < 2 ? [] : await storage.list({ prefix: 'ls/', startAfter: paged[paged.length - 1], limit: 2 });
      }
      expect(paged).toEqual(keys);
      const [first] = await storage.list({ startAfter: 'ls/a/y/y.txt', limit: 1 });
      expect(first.key).toBe('ls/a/z.txt');
      expect(first.modified.getTime()).toBeGreaterThan(Date.now() - 60_000);
      await storage.deletePrefix('ls/');
      expect(await storage.list({ prefix: 'ls/', limit: 100 })).toEqual([]);
    });

    it('refuses keys that could leave their place', async () => {
      for (const key of ['', '../x', 'a/../../x', '/abs', 'a//b', 'a/./b', 'a\\b', 'a\0b']) {
        await expect(storage.stat(key), key).rejects.toBeInstanceOf(StorageKeyError);
      }
      await expect(storage.deletePrefix('')).rejects.toBeInstanceOf(StorageKeyError);
      await expect(storage.deletePrefix('/')).rejects.toBeInstanceOf(StorageKeyError);
    });

    it('leaves nothing behind when the body fails', async () => {
      const failing = new Readable({
        read() {
          this.destroy(new Error('client went away'));
        },
      });
      await expect(storage.write('c3/r/broken.txt', failing, { contentType: 'text/plain', size: 10 })).rejects.toThrow();
      expect(await storage.exists('c3/r/broken.txt')).toBe(false);
    });
  });
}

describe('LocalStorage', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'baton-storage-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  storageSuite('shared suite', () => new LocalStorage(root));

  it("lists a folder's files after a file whose name starts with the folder's (S3's byte order)", async () => {
    const storage = new LocalStorage(root);
    for (const key of ['order/x/y.txt', 'order/x.txt', 'order/x-z.txt']) await storage.write(key, Buffer.from('1'), { contentType: 'text/plain', size: 1 });
    expect((await storage.list({ prefix: 'order/', limit: 10 })).map((f) => f.key)).toEqual(['order/x-z.txt', 'order/x.txt', 'order/x/y.txt']);
    expect((await storage.list({ prefix: 'order/', startAfter: 'order/x.txt', limit: 10 })).map((f) => f.key)).toEqual(['order/x/y.txt']);
  });

  it("writes PocketBase's sidecar next to each file, and no temporary file", async () => {
    const storage = new LocalStorage(root);
    await put(storage, 'pb/rec/file.txt', 'abc');
    const attrs = JSON.parse(readFileSync(path.join(root, 'pb/rec/file.txt.attrs'), 'utf8'));
    expect(Object.keys(attrs)).toEqual([
      'user.cache_control', 'user.content_disposition', 'user.content_encoding', 'user.content_language', 'user.content_type', 'user.metadata', 'md5',
    ]);
    expect(attrs).toMatchObject({ 'user.content_type': 'text/plain; charset=utf-8', md5: 'kAFQmDzST7DWlj99KOF/cg==' });
    expect(readdirSync(path.join(root, 'pb/rec')).sort()).toEqual(['file.txt', 'file.txt.attrs']);
  });

  it('deletes a folder only once it is empty', async () => {
    const storage = new LocalStorage(root);
    await put(storage, 'empty/rec/a.txt', 'a');
    await storage.deleteEmptyFolder('empty/rec/');
    expect(readdirSync(path.join(root, 'empty/rec')).sort()).toEqual(['a.txt', 'a.txt.attrs']);
    await storage.delete('empty/rec/a.txt');
    await storage.deleteEmptyFolder('empty/rec/');
    expect(existsSync(path.join(root, 'empty/rec'))).toBe(false);
    // The collection's folder above it is not the record's to remove.
    expect(existsSync(path.join(root, 'empty'))).toBe(true);
  });

  it('reads a file without a sidecar as application/octet-stream, and never serves a sidecar', async () => {
    const storage = new LocalStorage(root);
    await put(storage, 'pb/rec2/x.bin', 'x');
    rmSync(path.join(root, 'pb/rec2/x.bin.attrs'));
    expect(await storage.stat('pb/rec2/x.bin')).toMatchObject({ contentType: 'application/octet-stream', size: 1 });
    await expect(storage.stat('pb/rec/file.txt.attrs')).rejects.toBeInstanceOf(StorageKeyError);
    await storage.deletePrefix('pb/rec2/');
    expect(existsSync(path.join(root, 'pb/rec2'))).toBe(false);
  });
});

describe('S3Storage (s3rver)', () => {
  let s3: TestS3Server;
  const storages: FileStorage[] = [];
  const settings = (): S3StorageSettings => ({
    enabled: true, bucket: 'files', region: 'us-east-1', endpoint: s3.endpoint, accessKey: s3.accessKey, secret: s3.secret, forcePathStyle: true,
  });
  beforeAll(async () => {
    s3 = await startS3Server(['files']);
  });
  afterAll(async () => {
    await Promise.all(storages.map((s) => s.close()));
    await s3?.close();
  });
  storageSuite('shared suite', () => {
    const storage = new S3Storage(settings());
    storages.push(storage);
    return storage;
  });

  it('settingsStorage follows the settings: local when S3 is off, the bucket when on', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'baton-storage-'));
    let current: S3StorageSettings = { ...settings(), enabled: false };
    const storage = settingsStorage(() => current, root);
    storages.push(storage);
    try {
      await put(storage, 'sw/r/local.txt', 'on disk');
      expect(existsSync(path.join(root, 'sw/r/local.txt'))).toBe(true);
      current = settings();
      await put(storage, 'sw/r/remote.txt', 'in the bucket');
      expect(await storage.exists('sw/r/local.txt')).toBe(false);
      expect(await text(await storage.read('sw/r/remote.txt'))).toBe('in the bucket');
      expect(existsSync(path.join(root, 'sw/r/remote.txt'))).toBe(false);
      // A new settings object with the same configuration keeps the same client.
      current = { ...settings() };
      expect(await storage.exists('sw/r/remote.txt')).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
