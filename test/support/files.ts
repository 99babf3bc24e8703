// Helpers for the files API tests: raw downloads, test images, their sizes.
import sharp from 'sharp';
import { S3Storage } from '../../src/infra/storage-s3.ts';
import { api, startServer, type TestServer } from './baton.ts';
import { startS3Server, type TestS3Server } from './s3-server.ts';

export interface Fetched {
  status: number;
  headers: Headers;
  body: Buffer;
}

export async function get(server: Pick<TestServer, 'url'>, url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Fetched> {
  const res = await fetch(server.url + url, { method, headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

export const json = (f: Fetched) => JSON.parse(f.body.toString('utf8'));

/** A `width`x`height` PNG whose top half is red and bottom half blue. */
export async function twoTone(width: number, height: number, format: 'png' | 'jpeg' | 'gif' | 'webp' = 'png'): Promise<Buffer> {
  const half = Math.floor(height / 2);
  const red = await sharp({ create: { width, height: half, channels: 3, background: '#ff0000' } }).png().toBuffer();
  const image = sharp({ create: { width, height, channels: 3, background: '#0000ff' } }).composite([{ input: red, top: 0, left: 0 }]);
  return image.toFormat(format).toBuffer();
}

export const dimensions = async (body: Buffer) => {
  const m = await sharp(body).metadata();
  return `${m.width}x${m.height}`;
};

/** A field of a tar header: `value` in ASCII, NUL-padded to `size`. */
function putTarField(header: Buffer, at: number, size: number, value: string): void {
  header.write(value.slice(0, size), at, 'latin1');
}

/** A POSIX (ustar) tar archive of one regular file, as `tar -cf` writes it (pre-POSIX, v7, with `ustar: false`). */
export function tarOf(name: string, content: string, options: { ustar?: boolean } = {}): Buffer {
  const body = Buffer.from(content);
  const header = Buffer.alloc(512);
  putTarField(header, 0, 100, name);
  putTarField(header, 100, 8, '0000644\0');
  putTarField(header, 108, 8, '0001750\0');
  putTarField(header, 116, 8, '0001750\0');
  putTarField(header, 124, 12, `${body.length.toString(8).padStart(11, '0')}\0`);
  putTarField(header, 136, 12, `${(1700000000).toString(8).padStart(11, '0')}\0`);
  header.write('        ', 148, 'latin1');
  putTarField(header, 156, 1, '0');
  if (options.ustar !== false) {
    putTarField(header, 257, 6, 'ustar\0');
    putTarField(header, 263, 2, '00');
    putTarField(header, 265, 32, 'ann');
    putTarField(header, 297, 32, 'staff');
  }
  let sum = 0;
  for (const c of header) sum += c;
  putTarField(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const padded = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  body.copy(padded);
  return Buffer.concat([header, padded, Buffer.alloc(1024)]);
}

export interface ServerOnS3 {
  server: TestServer;
  s3: TestS3Server;
  /** The bucket, read and written directly. */
  bucket: S3Storage;
  close(): Promise<void>;
}

/** A server whose settings keep record files in `bucketName` on a loopback s3rver. */
export async function startServerOnS3(bucketName: string): Promise<ServerOnS3> {
  const [server, s3] = await Promise.all([startServer(), startS3Server([bucketName])]);
  const settings = { enabled: true, bucket: bucketName, region: 'us-east-1', endpoint: s3.endpoint, accessKey: s3.accessKey, secret: s3.secret, forcePathStyle: true };
  const bucket = new S3Storage(settings);
  const res = await api(server, 'PATCH', '/api/settings', { token: server.superuserToken, body: { s3: settings } });
  if (res.status !== 200) throw new Error(`S3 settings refused: ${res.status}`);
  return {
    server,
    s3,
    bucket,
    close: async () => {
      await bucket.close();
      await server.close();
      await s3.close();
    },
  };
}
