// Helpers for the files API tests: raw downloads, test images, their sizes.
import sharp from 'sharp';
import type { TestServer } from './baton.ts';

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

