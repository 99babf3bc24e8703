// Files served from S3 (s3rver on loopback) once the settings turn it on, thumbs made into the
// bucket, and back to local storage when they turn it off.
import { Readable } from 'node:stream';
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Storage } from '../src/infra/storage-s3.ts';
import { encodeRecord } from '../src/domain/records/codec.ts';
import { updateStatement } from '../src/domain/records/write.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, createRecord, field } from './support/builders.ts';
import { dimensions, get, twoTone } from './support/files.ts';
import { startS3Server, type TestS3Server } from './support/s3-server.ts';

const BUCKET = 'baton-files';

describe('files in S3', () => {
  let server: TestServer;
  let s3: TestS3Server;
  let bucket: S3Storage;
  let base: string;
  let url: string;
  const name = 'photo_abc1234567.png';
  let image: Buffer;

  const s3Settings = (enabled: boolean) => ({
    s3: { enabled, bucket: BUCKET, region: 'us-east-1', endpoint: s3.endpoint, accessKey: s3.accessKey, secret: s3.secret, forcePathStyle: true },
  });

  beforeAll(async () => {
    [server, s3] = await Promise.all([startServer(), startS3Server([BUCKET])]);
    bucket = new S3Storage(s3Settings(true).s3);
    const docs = await createCollection(server, { name: 'docs', listRule: '', viewRule: '', fields: [field('file', 'doc', { maxSelect: 1, thumbs: ['30x0'] })] });
    const rec = await createRecord(server, 'docs', {});
    const collection = server.baton.services.schema.find('docs')!;
    await server.baton.services.db.run(updateStatement(collection, rec.id, { doc: encodeRecord(collection, { doc: name }).doc }));
    image = await twoTone(120, 60);
    base = `${docs.id}/${rec.id}`;
    url = `/api/files/docs/${rec.id}/${name}`;
    await bucket.write(`${base}/${name}`, Readable.from([image]), { contentType: 'image/png', size: image.length });
    const res = await api(server, 'PATCH', '/api/settings', { token: server.superuserToken, body: s3Settings(true) });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await bucket?.close();
    await server?.close();
    await s3?.close();
  });

  it('serves the file from the bucket, by range too', async () => {
    const res = await get(server, url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.body.equals(image)).toBe(true);
    const etag = res.headers.get('etag')!;
    expect((await get(server, url, { 'if-none-match': etag })).status).toBe(304);
    const part = await get(server, url, { range: 'bytes=1-3' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1-3/${image.length}`);
    expect(part.body.equals(image.subarray(1, 4))).toBe(true);
  });

  it('makes thumbs into the bucket', async () => {
    const res = await get(server, `${url}?thumb=30x0`);
    expect(await dimensions(res.body)).toBe('30x15');
    expect(await bucket.exists(`${base}/thumbs_${name}/30x0_${name}`)).toBe(true);
    expect(s3.bucketEntries(BUCKET).some((e) => e.includes(`30x0_${name}`))).toBe(true);
  });

  it('stores uploads in the bucket, and removes them with their record', async () => {
    const pb = new PocketBase(server.url);
    pb.authStore.save(server.superuserToken);
    const record = await pb.collection('docs').create({ doc: new File([image], 'upload.png') });
    const key = `${base.split('/')[0]}/${record.id}/${record.doc}`;
    expect(await bucket.stat(key)).toMatchObject({ contentType: 'image/png', size: image.length, metadata: { 'original-filename': 'upload.png' } });
    expect((await get(server, `/api/files/docs/${record.id}/${record.doc}`)).body.equals(image)).toBe(true);
    await pb.collection('docs').delete(record.id);
    expect(await bucket.exists(key)).toBe(false);
  });

  it('goes back to local storage when S3 is turned off', async () => {
    const res = await api(server, 'PATCH', '/api/settings', { token: server.superuserToken, body: s3Settings(false) });
    expect(res.status).toBe(200);
    expect((await get(server, url)).status).toBe(404);
    await api(server, 'PATCH', '/api/settings', { token: server.superuserToken, body: s3Settings(true) });
    expect((await get(server, url)).status).toBe(200);
  });
});
