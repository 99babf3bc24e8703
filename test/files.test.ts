// GET /api/files/… and POST /api/files/token on a real server: headers as PocketBase sends them,
// thumbs (checked by decoding them with sharp), protected files, conditional and range requests.
// Files are put in storage directly here (uploads are tested in files-upload.test.ts).
import path from 'node:path';
import { Readable } from 'node:stream';
import PocketBase from 'pocketbase';
import sharp from 'sharp';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../src/infra/storage-local.ts';
import type { FileStorage } from '../src/infra/storage.ts';
import { encodeRecord } from '../src/domain/records/codec.ts';
import { updateStatement } from '../src/domain/records/write.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { bool, createCollection, createRecord, createUser, field, NOT_FOUND } from './support/builders.ts';
import { dimensions, get, json, twoTone } from './support/files.ts';

const CSP = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox";
const CACHE = 'max-age=2592000, stale-while-revalidate=86400';

/** The colour of one pixel, as the name of its dominant channel. */
async function colourAt(body: Buffer, x: number, y: number): Promise<'red' | 'blue' | 'other'> {
  const { data, info } = await sharp(body).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  const [r, , b] = [data[at], data[at + 1], data[at + 2]];
  return r > 200 && b < 60 ? 'red' : b > 200 && r < 60 ? 'blue' : 'other';
}

/** Puts `body` in storage as record `id`'s file `name`, and the names in the record's field. */
async function storeFiles(server: TestServer, collectionName: string, id: string, files: Record<string, string | string[]>): Promise<void> {
  const { db, schema } = server.baton.services;
  const collection = schema.find(collectionName)!;
  const encoded = encodeRecord(collection, files);
  await db.run(updateStatement(collection, id, Object.fromEntries(Object.keys(files).map((k) => [k, encoded[k]]))));
}

const put = (storage: FileStorage, key: string, body: Buffer, contentType: string) =>
  storage.write(key, Readable.from([body]), { contentType, size: body.length });

describe('files API', () => {
  let server: TestServer;
  let storage: LocalStorage;
  let docs: { id: string };
  let locked: { id: string };
  let user: { id: string; token: string };
  let other: { id: string; token: string };
  let rec: { id: string };
  let hidden: { id: string };
  let lockedRec: { id: string };
  const png: { name: string; body: Buffer } = { name: 'photo_abc1234567.png', body: Buffer.alloc(0) };
  const tall: { name: string; body: Buffer } = { name: 'tall_abc1234567.png', body: Buffer.alloc(0) };
  const text = 'hello, files!\n';
  const url = (name: string, query = '', id = rec.id, collection = 'docs') => `/api/files/${collection}/${id}/${name}${query}`;

  beforeAll(async () => {
    server = await startServer();
    storage = new LocalStorage(path.join(server.dataDir, 'storage'));
    png.body = await twoTone(400, 200);
    tall.body = await twoTone(200, 400);
    docs = await createCollection(server, {
      name: 'docs',
      listRule: '',
      viewRule: '@request.context = "protectedFile" && @request.auth.collectionName = "users" && public = true',
      fields: [
        field('file', 'doc', { maxSelect: 1, thumbs: ['50x50', '40x20t', '40x20b', '40x40f', '1000x1000f', '0x50', '80x0'] }),
        field('file', 'many', { maxSelect: 20 }),
        field('file', 'secret', { maxSelect: 5, protected: true }),
        bool('public'),
      ],
    });
    locked = await createCollection(server, { name: 'locked', viewRule: null, fields: [field('file', 'secret', { maxSelect: 1, protected: true })] });
    user = await createUser(server, 'files-user@example.com');
    other = await createUser(server, 'files-other@example.com');
    rec = await createRecord(server, 'docs', { public: true });
    hidden = await createRecord(server, 'docs', { public: false });
    lockedRec = await createRecord(server, 'locked', {});
    const many = ['notes_abc1234567.txt', 'page_abc1234567.html', 'logo_abc1234567.svg', 'photo_abc1234567.jpg', 'anim_abc1234567.gif', 'pic_abc1234567.webp', 'broken_abc1234567.png', 'gone_abc1234567.txt', tall.name];
    await storeFiles(server, 'docs', rec.id, { doc: png.name, many, secret: ['secret_abc1234567.txt'] });
    await storeFiles(server, 'docs', hidden.id, { secret: ['secret_abc1234567.txt'] });
    await storeFiles(server, 'locked', lockedRec.id, { secret: 'secret_abc1234567.txt' });
    const base = `${docs.id}/${rec.id}`;
    await put(storage, `${base}/${png.name}`, png.body, 'image/png');
    await put(storage, `${base}/${tall.name}`, tall.body, 'image/png');
    await put(storage, `${base}/notes_abc1234567.txt`, Buffer.from(text), 'text/plain; charset=utf-8');
    await put(storage, `${base}/page_abc1234567.html`, Buffer.from('<script>alert(1)</script>'), 'text/html; charset=utf-8');
    await put(storage, `${base}/logo_abc1234567.svg`, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'text/xml; charset=utf-8');
    await put(storage, `${base}/photo_abc1234567.jpg`, await twoTone(120, 60, 'jpeg'), 'image/jpeg');
    await put(storage, `${base}/anim_abc1234567.gif`, await twoTone(120, 60, 'gif'), 'image/gif');
    await put(storage, `${base}/pic_abc1234567.webp`, await twoTone(120, 60, 'webp'), 'image/webp');
    await put(storage, `${base}/broken_abc1234567.png`, Buffer.from('not a png at all'), 'image/png');
    await put(storage, `${base}/secret_abc1234567.txt`, Buffer.from('top secret'), 'text/plain; charset=utf-8');
    await put(storage, `${docs.id}/${hidden.id}/secret_abc1234567.txt`, Buffer.from('hidden secret'), 'text/plain; charset=utf-8');
    await put(storage, `${locked.id}/${lockedRec.id}/secret_abc1234567.txt`, Buffer.from('locked secret'), 'text/plain; charset=utf-8');
    // Stored but named by no record: never served.
    await put(storage, `${base}/stray_abc1234567.txt`, Buffer.from('stray'), 'text/plain');
  });
  afterAll(() => server?.close());

  const fileToken = async (authToken: string): Promise<string> => {
    const res = await api(server, 'POST', '/api/files/token', { token: authToken });
    expect(res.status).toBe(200);
    return res.body.token;
  };

  describe('downloads', () => {
    it("serves an image inline with PocketBase's headers", async () => {
      const res = await get(server, url(png.name));
      expect(res.status).toBe(200);
      expect(res.body.equals(png.body)).toBe(true);
      expect(Object.fromEntries(['content-type', 'content-disposition', 'content-security-policy', 'cache-control', 'content-length', 'accept-ranges'].map((h) => [h, res.headers.get(h)]))).toEqual({
        'content-type': 'image/png',
        'content-disposition': `inline; filename=${png.name}`,
        'content-security-policy': CSP,
        'cache-control': CACHE,
        'content-length': String(png.body.length),
        'accept-ranges': 'bytes',
      });
      expect(res.headers.get('etag')).toMatch(/^".+"$/);
      expect(new Date(res.headers.get('last-modified')!).getTime()).toBeGreaterThan(Date.now() - 600_000);
      // Files may be embedded elsewhere; the other security headers stay.
      expect(res.headers.get('x-frame-options')).toBeNull();
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('sends other types as attachments; HTML and SVG sandboxed, SVG with its own type', async () => {
      const txt = await get(server, url('notes_abc1234567.txt'));
      expect(txt.body.toString()).toBe(text);
      expect(txt.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(txt.headers.get('content-disposition')).toBe('attachment; filename=notes_abc1234567.txt');
      const html = await get(server, url('page_abc1234567.html'));
      expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(html.headers.get('content-disposition')).toBe('attachment; filename=page_abc1234567.html');
      expect(html.headers.get('content-security-policy')).toBe(CSP);
      const svg = await get(server, url('logo_abc1234567.svg'));
      expect(svg.headers.get('content-type')).toBe('image/svg+xml');
      expect(svg.headers.get('content-disposition')).toBe('attachment; filename=logo_abc1234567.svg');
      expect(svg.headers.get('content-security-policy')).toBe(CSP);
    });

    it('?download=1 forces an attachment; ?download=0 does not', async () => {
      expect((await get(server, url(png.name, '?download=1'))).headers.get('content-disposition')).toBe(`attachment; filename=${png.name}`);
      expect((await get(server, url(png.name, '?download=true'))).headers.get('content-disposition')).toBe(`attachment; filename=${png.name}`);
      expect((await get(server, url(png.name, '?download=0'))).headers.get('content-disposition')).toBe(`inline; filename=${png.name}`);
    });

    it('answers HEAD with the headers only', async () => {
      const res = await get(server, url('notes_abc1234567.txt'), {}, 'HEAD');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
      expect(res.body.length).toBe(0);
    });

    it.each([
      ['an unknown collection', () => '/api/files/nope/x/notes_abc1234567.txt'],
      ['an unknown record', () => url('notes_abc1234567.txt', '', 'nonexistent0000')],
      ['a file the record does not name', () => url('stray_abc1234567.txt')],
      ['a name of another record', () => url('doc_abc1234567.txt', '', hidden.id)],
      ['a named file missing from storage', () => url('gone_abc1234567.txt')],
      ['a name that is not a file name', () => url('..%2F..%2Fdata.db')],
    ])("404 in PocketBase's shape for %s", async (_name, target) => {
      const res = await get(server, target());
      expect(res.status).toBe(404);
      expect(json(res)).toEqual(NOT_FOUND);
    });
  });

  describe('conditional and range requests', () => {
    const name = 'notes_abc1234567.txt';
    it('304 for a matching If-None-Match or a later If-Modified-Since', async () => {
      const first = await get(server, url(name));
      const etag = first.headers.get('etag')!;
      const lastModified = first.headers.get('last-modified')!;
      const cached = await get(server, url(name), { 'if-none-match': etag });
      expect(cached.status).toBe(304);
      expect(cached.body.length).toBe(0);
      expect(cached.headers.get('etag')).toBe(etag);
      expect((await get(server, url(name), { 'if-none-match': `"other", W/${etag}` })).status).toBe(304);
      expect((await get(server, url(name), { 'if-none-match': '"other"' })).status).toBe(200);
      expect((await get(server, url(name), { 'if-modified-since': lastModified })).status).toBe(304);
      expect((await get(server, url(name), { 'if-modified-since': new Date(Date.parse(lastModified) - 5000).toUTCString() })).status).toBe(200);
      expect((await get(server, url(name), { 'if-match': '"other"' })).status).toBe(412);
      expect((await get(server, url(name), { 'if-match': etag })).status).toBe(200);
    });

    it('206 for one range, in any of its forms', async () => {
      const size = Buffer.byteLength(text);
      for (const [range, start, end] of [['bytes=0-4', 0, 4], ['bytes=7-', 7, size - 1], ['bytes=-6', size - 6, size - 1], ['bytes=3-1000', 3, size - 1]] as const) {
        const res = await get(server, url(name), { range });
        expect(res.status, range).toBe(206);
        expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
        expect(res.headers.get('content-length')).toBe(String(end - start + 1));
        expect(res.body.toString()).toBe(text.slice(start, end + 1));
      }
    });

    it('416 for ranges past the end or malformed, with Content-Range where none overlaps', async () => {
      const size = Buffer.byteLength(text);
      const past = await get(server, url(name), { range: `bytes=${size}-` });
      expect(past.status).toBe(416);
      expect(past.headers.get('content-range')).toBe(`bytes */${size}`);
      const bad = await get(server, url(name), { range: 'bytes=5-2' });
      expect(bad.status).toBe(416);
      expect((await get(server, url(name), { range: 'lines=1-2' })).status).toBe(416);
    });

    it('several ranges as multipart/byteranges', async () => {
      const res = await get(server, url(name), { range: 'bytes=0-1,7-11' });
      expect(res.status).toBe(206);
      const type = res.headers.get('content-type')!;
      const boundary = /^multipart\/byteranges; boundary=(\w+)$/.exec(type)![1];
      expect(Number(res.headers.get('content-length'))).toBe(res.body.length);
      const parts = res.body.toString().split(`--${boundary}`).slice(1, -1).map((p) => p.split('\r\n\r\n')[1].replace(/\r\n$/, ''));
      expect(parts).toEqual([text.slice(0, 2), text.slice(7, 12)]);
      expect(res.body.toString()).toContain(`Content-Range: bytes 7-11/${Buffer.byteLength(text)}`);
    });

    it('If-Range: the range only while the validator still holds', async () => {
      const etag = (await get(server, url(name))).headers.get('etag')!;
      expect((await get(server, url(name), { range: 'bytes=0-1', 'if-range': etag })).status).toBe(206);
      expect((await get(server, url(name), { range: 'bytes=0-1', 'if-range': '"stale"' })).status).toBe(200);
    });
  });

  describe('thumbs', () => {
    it.each([
      ['100x100', '100x100'],
      ['50x50', '50x50'],
      ['40x40f', '40x20'],
      ['1000x1000f', '400x200'],
      ['0x50', '100x50'],
      ['80x0', '80x40'],
    ])('%s of a 400x200 image is %s', async (size, expected) => {
      const res = await get(server, url(png.name, `?thumb=${size}`));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('content-disposition')).toBe(`inline; filename=${size}_${png.name}`);
      expect(await dimensions(res.body)).toBe(expected);
      expect(await storage.exists(`${docs.id}/${rec.id}/thumbs_${png.name}/${size}_${png.name}`)).toBe(true);
    });

    it('makes no thumb past a thumb\'s bounds when one side follows the aspect ratio (a 20000x1 image at 0x50 would be 1,000,000x50): the original is served', async () => {
      const strip = { name: 'strip_abc1234567.png', body: await sharp({ create: { width: 20_000, height: 1, channels: 3, background: '#ff0000' } }).png().toBuffer() };
      await put(storage, `${docs.id}/${rec.id}/${strip.name}`, strip.body, 'image/png');
      await storeFiles(server, 'docs', rec.id, { doc: strip.name });
      try {
        const res = await get(server, url(strip.name, '?thumb=0x50'));
        expect(res.status).toBe(200);
        expect(res.headers.get('content-disposition')).toBe(`inline; filename=${strip.name}`);
        expect(res.body.equals(strip.body)).toBe(true);
        expect(await storage.exists(`${docs.id}/${rec.id}/thumbs_${strip.name}/0x50_${strip.name}`)).toBe(false);
        // Within bounds, the other side still follows the ratio: 80x0 of 20000x1 is 80x1 (rounded up from 0).
        expect(await dimensions((await get(server, url(strip.name, '?thumb=80x0'))).body)).toBe('80x1');
      } finally {
        await storeFiles(server, 'docs', rec.id, { doc: png.name });
      }
    });

    it('crops from the top, the bottom or the centre', async () => {
      // The tall image is red above and blue below; a wide thumb of it shows one of the halves.
      await storeFiles(server, 'docs', rec.id, { doc: tall.name });
      try {
        const top = await get(server, url(tall.name, '?thumb=40x20t'));
        expect(await dimensions(top.body)).toBe('40x20');
        expect(await colourAt(top.body, 20, 10)).toBe('red');
        const bottom = await get(server, url(tall.name, '?thumb=40x20b'));
        expect(await colourAt(bottom.body, 20, 10)).toBe('blue');
      } finally {
        await storeFiles(server, 'docs', rec.id, { doc: png.name });
      }
    });

    it('serves the original for sizes the field does not list, and for thumbs of other fields', async () => {
      for (const size of ['10x10', '50x50x', '0x0']) {
        const res = await get(server, url(png.name, `?thumb=${size}`));
        expect(res.headers.get('content-disposition')).toBe(`inline; filename=${png.name}`);
        expect(res.body.equals(png.body)).toBe(true);
      }
      // `many` lists no thumbs: only 100x100.
      const tallThumb = await get(server, url(tall.name, '?thumb=50x50'));
      expect(await dimensions(tallThumb.body)).toBe('200x400');
      expect(await dimensions((await get(server, url(tall.name, '?thumb=100x100'))).body)).toBe('100x100');
    });

    it('keeps JPEG and GIF, turns WebP into PNG', async () => {
      for (const [name, type] of [['photo_abc1234567.jpg', 'image/jpeg'], ['anim_abc1234567.gif', 'image/gif'], ['pic_abc1234567.webp', 'image/png']]) {
        const res = await get(server, url(name, '?thumb=100x100'));
        expect(res.headers.get('content-type'), name).toBe(type);
        expect(await dimensions(res.body)).toBe('100x100');
      }
    });

    it('serves the original for files that are not images or cannot be decoded', async () => {
      const txt = await get(server, url('notes_abc1234567.txt', '?thumb=100x100'));
      expect(txt.body.toString()).toBe(text);
      const broken = await get(server, url('broken_abc1234567.png', '?thumb=100x100'));
      expect(broken.status).toBe(200);
      expect(broken.body.toString()).toBe('not a png at all');
      expect(await storage.exists(`${docs.id}/${rec.id}/thumbs_broken_abc1234567.png/100x100_broken_abc1234567.png`)).toBe(false);
    });

    it('makes a thumb once, then serves it from storage; concurrent requests share the work', async () => {
      const name = 'photo_abc1234567.jpg';
      const key = `${docs.id}/${rec.id}/thumbs_${name}/100x100_${name}`;
      await storage.delete(key);
      const all = await Promise.all(Array.from({ length: 8 }, () => get(server, url(name, '?thumb=100x100'))));
      expect(new Set(all.map((r) => r.body.toString('base64'))).size).toBe(1);
      // Replace the stored thumb: what is served now comes from storage, not from a new render.
      await put(storage, key, Buffer.from('stored thumb'), 'image/jpeg');
      expect((await get(server, url(name, '?thumb=100x100'))).body.toString()).toBe('stored thumb');
    });
  });

  describe('protected files and file tokens', () => {
    it('POST /api/files/token: 401 for guests, a file token for a signed-in record', async () => {
      const guest = await api(server, 'POST', '/api/files/token');
      expect(guest.status).toBe(401);
      expect(guest.body).toEqual({ status: 401, message: 'The request requires valid record authorization token.', data: {} });
      const res = await api(server, 'POST', '/api/files/token', { token: user.token });
      expect(Object.keys(res.body)).toEqual(['token']);
      expect(decodeJwt(res.body.token)).toMatchObject({ id: user.id, type: 'file', collectionId: expect.any(String) });
    });

    it('needs a file token whose record the viewRule lets in (context "protectedFile")', async () => {
      const secret = url('secret_abc1234567.txt');
      expect((await get(server, secret)).status).toBe(404);
      // The Authorization header does not count: only ?token= does.
      expect((await get(server, secret, { authorization: user.token })).status).toBe(404);
      // An auth token is not a file token.
      expect((await get(server, `${secret}?token=${user.token}`)).status).toBe(404);
      expect((await get(server, `${secret}?token=garbage`)).status).toBe(404);
      const token = await fileToken(user.token);
      const ok = await get(server, `${secret}?token=${token}`);
      expect(ok.status).toBe(200);
      expect(ok.body.toString()).toBe('top secret');
      // The rule also reads the record: `public = true` fails for this one.
      expect((await get(server, `${url('secret_abc1234567.txt', '', hidden.id)}?token=${token}`)).status).toBe(404);
      // Unprotected fields of the same record need no token.
      expect((await get(server, url('notes_abc1234567.txt'))).status).toBe(200);
    });

    it('a null viewRule lets only superusers in; their file token passes any rule', async () => {
      const target = url('secret_abc1234567.txt', '', lockedRec.id, 'locked');
      expect((await get(server, `${target}?token=${await fileToken(other.token)}`)).status).toBe(404);
      const superuserToken = await fileToken(server.superuserToken);
      const res = await get(server, `${target}?token=${superuserToken}`);
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('locked secret');
      expect((await get(server, `${url('secret_abc1234567.txt', '', hidden.id)}?token=${superuserToken}`)).status).toBe(200);
    });

    it('works through the SDK: files.getToken and files.getURL', async () => {
      const pb = new PocketBase(server.url);
      await pb.collection('users').authWithPassword('files-user@example.com', 'user-password-123');
      const token = await pb.files.getToken();
      const record = await pb.collection('docs').getOne(rec.id).catch(() => ({ id: rec.id, collectionId: docs.id, collectionName: 'docs' }));
      const secret = await fetch(pb.files.getURL(record as never, 'secret_abc1234567.txt', { token }));
      expect(await secret.text()).toBe('top secret');
      const thumb = await fetch(pb.files.getURL(record as never, png.name, { thumb: '50x50' }));
      expect(await dimensions(Buffer.from(await thumb.arrayBuffer()))).toBe('50x50');
      const download = await fetch(pb.files.getURL(record as never, png.name, { download: true }));
      expect(download.headers.get('content-disposition')).toBe(`attachment; filename=${png.name}`);
    });
  });
});
