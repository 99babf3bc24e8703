// The dashboard's files as the server sends them: caching, revalidation, content types, and no
// way out of the build directory.
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardRoutes } from '../../src/http/dashboard.ts';
import { errorHandler } from '../../src/http/errors.ts';
import { startServer, type TestServer } from '../support/baton.ts';
import { ROOT } from '../support/cli.ts';

const BUILD = path.join(ROOT, 'dist/dashboard');

/** A GET with the path sent exactly as written (fetch would normalise `..`). */
function rawGet(
  url: string,
  rawPath: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; raw: Buffer }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: rawPath, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8'), raw });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

let server: TestServer;
let script: string;
let stylesheet: string;

beforeAll(async () => {
  if (!existsSync(path.join(BUILD, 'index.html'))) throw new Error('dist/dashboard is missing: run `npm run build` first');
  const html = readFileSync(path.join(BUILD, 'index.html'), 'utf8');
  script = /src="(\/_\/assets\/[^"]+\.js)"/.exec(html)![1];
  stylesheet = /href="(\/_\/assets\/[^"]+\.css)"/.exec(html)![1];
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

describe('dashboard files', () => {
  it('/_ redirects to /_/', async () => {
    const res = await fetch(`${server.url}/_`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/_/');
  });

  it('serves index.html at /_/, revalidated on every load and locked to its own origin', async () => {
    const res = await fetch(`${server.url}/_/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const body = await res.text();
    expect(body).toContain('<div id="app">');
    expect(body).toContain(script);

    const again = await fetch(`${server.url}/_/`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
  });

  it('serves hashed assets with their type, cached for a year, and answers 304 to a known ETag', async () => {
    const js = await fetch(server.url + script);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await js.text()).length).toBeGreaterThan(1000);
    const css = await fetch(server.url + stylesheet);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');

    const etag = js.headers.get('etag')!;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const cached = await fetch(server.url + script, { headers: { 'if-none-match': header } });
      expect(cached.status).toBe(304);
      expect(cached.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect((await fetch(server.url + script, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
  });

  it('sends text assets gzipped to a client that takes gzip, with their own ETag', async () => {
    const plain = await rawGet(server.url, script);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    const zipped = await rawGet(server.url, script, { 'accept-encoding': 'br, gzip;q=0.8' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.etag).not.toBe(plain.headers.etag);
    expect(gunzipSync(zipped.raw).toString('utf8')).toBe(plain.body);
    expect(zipped.raw.length).toBeLessThan(plain.body.length / 2);
    const refused = await rawGet(server.url, script, { 'accept-encoding': 'gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    const cached = await rawGet(server.url, script, { 'accept-encoding': 'gzip', 'if-none-match': zipped.headers.etag! });
    expect(cached.status).toBe(304);
  });

  it('answers HEAD without a body', async () => {
    const res = await fetch(server.url + script, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('a missing asset is a 404 in the API error shape', async () => {
    const res = await fetch(`${server.url}/_/assets/missing-1234.js`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ status: 404, message: "The requested resource wasn't found.", data: {} });
  });

  it.each([
    '/_/../package.json',
    '/_/assets/../../package.json',
    '/_/assets/..%2f..%2fpackage.json',
    '/_/%2e%2e/%2e%2e/package.json',
    '/_/assets/%2e%2e%2f%2e%2e%2fcli.mjs',
    '/_/..%5c..%5cpackage.json',
    '/_/assets/.hidden',
    '/_/index.html/',
  ])('no file outside the build: %s', async (rawPath) => {
    const res = await rawGet(server.url, rawPath);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('"name": "baton"');
    expect(res.body).not.toContain('import ');
  });

  it('without a build, /_/ says how to make one', async () => {
    const app = Fastify();
    app.setErrorHandler(errorHandler);
    dashboardRoutes(app, [path.join(ROOT, 'no-such-build')]);
    const res = await app.inject({ method: 'GET', url: '/_/' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 503, message: expect.stringContaining('npm run build'), data: {} });
    await app.close();
  });
});
