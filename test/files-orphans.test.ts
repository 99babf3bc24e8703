// The orphan cleanup pass: files no record names (left by a crash between storing an upload and
// writing its record), in local storage and in S3, removed once older than the safety age, while
// the files records name, fresh uploads and keys outside PocketBase's layout stay; bounded runs
// resume where the last one stopped.
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import path from 'node:path';
import PocketBase from 'pocketbase';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrphanFileCleanup } from '../src/domain/files/orphans.ts';
import { LocalStorage } from '../src/infra/storage-local.ts';
import { S3Storage } from '../src/infra/storage-s3.ts';
import type { FileStorage } from '../src/infra/storage.ts';
import { startServer, type TestServer } from './support/baton.ts';
import { createCollection, field, PUBLIC_RULES, text } from './support/builders.ts';
import { startServerOnS3, type ServerOnS3 } from './support/files.ts';

const HOUR = 60 * 60_000;
const silent = pino({ level: 'silent' });
const put = (storage: FileStorage, key: string, body = 'x') =>
  storage.write(key, Buffer.from(body), { contentType: 'text/plain', size: Buffer.byteLength(body) });

describe('orphan file cleanup', () => {
  let server: TestServer;
  let pb: PocketBase;
  let storage: LocalStorage;
  let docs: { id: string };
  const root = () => path.join(server.dataDir, 'storage');
  /** Every file under storage (sidecars left out), as keys. */
  const keys = (dir = root(), prefix = ''): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? keys(path.join(dir, e.name), `${prefix}${e.name}/`) : e.name.endsWith('.attrs') ? [] : [`${prefix}${e.name}`],
        )
      : [];
  /** Makes every file under storage two hours old. */
  const age = (dir = root()): void => {
    const old = new Date(Date.now() - 2 * HOUR);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) age(p);
      else utimesSync(p, old, old);
    }
  };
  const cleanup = (options: { maxKeysPerRun?: number } = {}) =>
    new OrphanFileCleanup({ db: server.baton.services.db, schema: server.baton.services.schema, storage, logger: silent, ...options });

  beforeAll(async () => {
    server = await startServer();
    pb = new PocketBase(server.url);
    pb.authStore.save(server.superuserToken);
    storage = new LocalStorage(root());
    docs = await createCollection(server, {
      name: 'orphan_docs',
      ...PUBLIC_RULES,
      fields: [text('title'), field('file', 'one', { maxSelect: 1 }), field('file', 'many', { maxSelect: 3, thumbs: ['10x10'] })],
    });
  });
  afterAll(() => server?.close());

  it('removes old files no record names, and keeps named files, fresh files and foreign keys', async () => {
    const record = await pb.collection('orphan_docs').create({ title: 'a', one: new File(['1'], 'one.txt'), many: [new File(['m'], 'm.txt')] });
    const c = docs.id;
    const named = [`${c}/${record.id}/${record.one}`, `${c}/${record.id}/${record.many[0]}`];
    const orphans = [
      // An upload whose update never reached the database, with a thumb of it.
      `${c}/${record.id}/lost_abcdefghij.txt`,
      `${c}/${record.id}/thumbs_lost_abcdefghij.txt/10x10_lost_abcdefghij.txt`,
      // The folder of a record whose create never reached the database.
      `${c}/neverwritten123/a_abcdefghij.txt`,
      `${c}/neverwritten123/b_abcdefghij.txt`,
      // A write's temporary file left by a crash.
      `${c}/${record.id}/.x_abcdefghij.txt.0123456789ab.tmp`,
    ];
    const foreign = ['unknowncollection/r/f.txt', `${c}/${record.id}/deeper/than/layout.txt`, `${c}/toplevel.txt`];
    const namedThumb = `${c}/${record.id}/thumbs_${record.many[0]}/10x10_${record.many[0]}`;
    for (const key of [...orphans, ...foreign, namedThumb]) await put(storage, key);
    age();
    // Written after the others were aged: too young to be judged (an upload in flight).
    const fresh = [`${c}/${record.id}/inflight_abcdefghij.txt`, `${c}/notyetwritten12/c_abcdefghij.txt`];
    for (const key of fresh) await put(storage, key);

    const result = await server.baton.orphanFiles.run();
    expect(result).toMatchObject({ removed: orphans.length, finished: true });
    expect(keys().sort()).toEqual([...named, ...foreign, namedThumb, ...fresh].sort());
    // The folders of the record that does not exist, and of the lost file's thumbs, are gone.
    expect(existsSync(path.join(root(), c, 'neverwritten123'))).toBe(false);
    expect(existsSync(path.join(root(), c, record.id, 'thumbs_lost_abcdefghij.txt'))).toBe(false);
    // The kept files still serve.
    expect((await fetch(`${server.url}/api/files/orphan_docs/${record.id}/${record.one}`)).status).toBe(200);
    for (const key of fresh) await storage.delete(key);
  });

  it('works through storage a bounded number of keys per run, resuming where it stopped', async () => {
    const c = docs.id;
    const orphans = Array.from({ length: 7 }, (_, i) => `${c}/gone00000000${String(i).padStart(3, '0')}/f_abcdefghij.txt`);
    for (const key of orphans) await put(storage, key);
    age();
    const before = keys();
    const pass = cleanup({ maxKeysPerRun: 3 });
    const runs = [];
    for (let i = 0; i < 10; i++) {
      const result = await pass.run();
      runs.push(result);
      expect(result.examined).toBeLessThanOrEqual(3);
      if (result.finished) break;
    }
    expect(runs.length).toBeGreaterThan(2);
    expect(keys().sort()).toEqual(before.filter((k) => !orphans.includes(k)).sort());
  });
});

describe('orphan file cleanup in S3', () => {
  const BUCKET = 'baton-orphans';
  let server: TestServer;
  let bucket: S3Storage;
  let onS3: ServerOnS3 | undefined;

  beforeAll(async () => {
    onS3 = await startServerOnS3(BUCKET);
    ({ server, bucket } = onS3);
  });
  afterAll(() => onS3?.close());

  it('removes orphans from the bucket and keeps what records name', async () => {
    const docs = await createCollection(server, { name: 's3_orphans', ...PUBLIC_RULES, fields: [field('file', 'doc', { maxSelect: 1 })] });
    const pb = new PocketBase(server.url);
    pb.authStore.save(server.superuserToken);
    const record = await pb.collection('s3_orphans').create({ doc: new File(['kept'], 'kept.txt') });
    const named = `${docs.id}/${record.id}/${record.doc}`;
    const orphans = [`${docs.id}/${record.id}/lost_abcdefghij.txt`, `${docs.id}/neverwritten123/a_abcdefghij.txt`];
    for (const key of orphans) await put(bucket, key);
    const list = async () => (await bucket.list({ limit: 100 })).map((f) => f.key).sort();
    expect(await list()).toEqual([named, ...orphans].sort());
    const { db, schema } = server.baton.services;
    // Fresh files stay...
    const now = new OrphanFileCleanup({ db, schema, storage: bucket, logger: silent });
    expect((await now.run()).removed).toBe(0);
    // ...and two hours on, the orphans go (objects cannot be backdated: the clock moves instead).
    const later = new OrphanFileCleanup({ db, schema, storage: bucket, logger: silent, now: () => Date.now() + 2 * HOUR, maxKeysPerRun: 2 });
    while (!(await later.run()).finished);
    expect(await list()).toEqual([named]);
  });
});
