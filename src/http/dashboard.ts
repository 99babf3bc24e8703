/**
 * The admin dashboard at `/_/`: the static build of dashboard/ (scripts/build.mjs writes it to
 * dist/dashboard/). index.html is revalidated on every load; the hashed files under assets/ never
 * change under their name, so browsers keep them for a year; text is sent gzipped to clients that
 * take it (the server has no compression of its own; these few files are compressed once). Nothing
 * here reaches the network.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, notFound } from '../kernel/errors.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/**
 * Where the build is: beside the bundle (dist/cli.mjs and its chunks are in dist/), or, when the
 * sources run directly (tests), in dist/ at the repository's root.
 */
const CANDIDATES = [path.join(HERE, 'dashboard'), path.resolve(HERE, '../../dist/dashboard')];

const INDEX_CACHE = 'no-cache';
const ASSET_CACHE = 'public, max-age=31536000, immutable';
/** Files at the build's root other than index.html (none today): cached, but revalidated daily. */
const OTHER_CACHE = 'public, max-age=86400';
/**
 * Security: the dashboard runs with a superuser's token in reach, so it may load and call only its
 * own origin: no inline script, no third-party host, not framed. Inline styles are allowed (style
 * attributes); images may be data:/blob: URLs (file previews).
 */
const DASHBOARD_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/** A build file's name: one path segment of plain characters, so nothing can climb out of the build. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

interface CachedFile {
  body: Buffer;
  etag: string;
  type: string;
  /** The gzip form of a text file worth compressing, made once; its ETag differs from the plain one's. */
  gzip?: { body: Buffer; etag: string };
}

/** Text types worth compressing (the script is ~130 KB, ~40 KB gzipped). */
const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/;
const MIN_COMPRESS_BYTES = 1024;

/** Finds the build (once it exists: a build made after the server started is picked up). */
function findBuild(candidates: readonly string[]): string | undefined {
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
}

const notBuilt = () => new ApiError(503, 'The dashboard is not built: run `npm run build` (or `npm ci`), then reload.');

/** Serves the dashboard under /_/, from the first of `candidates` that holds a build. */
export function dashboardRoutes(app: FastifyInstance, candidates: readonly string[] = CANDIDATES): void {
  // The assets are small and few; each is read once, keyed by its full path.
  const cache = new Map<string, CachedFile>();
  const load = async (dir: string, name: string): Promise<CachedFile | undefined> => {
    const file = path.join(dir, name);
    const hit = cache.get(file);
    if (hit) return hit;
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return undefined;
    }
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 27);
    const type = CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
    const entry: CachedFile = { body, etag: `"${hash}"`, type };
    if (COMPRESSIBLE.test(type) && body.length >= MIN_COMPRESS_BYTES) {
      entry.gzip = { body: gzipSync(body, { level: 9 }), etag: `"${hash}-gz"` };
    }
    // Hashed names never change content, so they are kept; index.html is read on each load, so a
    // rebuild under a running server (development) is served at once.
    if (name !== 'index.html') cache.set(file, entry);
    return entry;
  };

  const send = (request: FastifyRequest, reply: FastifyReply, file: CachedFile, cacheControl: string) => {
    const gzip = file.gzip && acceptsGzip(request.headers['accept-encoding']) ? file.gzip : undefined;
    const etag = gzip?.etag ?? file.etag;
    reply.header('cache-control', cacheControl).header('etag', etag);
    if (file.gzip) reply.header('vary', 'Accept-Encoding');
    if (file.type.startsWith('text/html')) reply.header('content-security-policy', DASHBOARD_CSP);
    if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();
    if (gzip) reply.header('content-encoding', 'gzip');
    return reply.type(file.type).send(gzip?.body ?? file.body);
  };

  const config = { skipSuccessLog: true, rateLimit: false as const };

  // The server ignores trailing slashes, so `/_` and `/_/` reach this one route: the first is sent
  // to the second, where the page's relative URLs resolve under /_/.
  app.get('/_/', { config }, async (request, reply) => {
    if (request.url.split('?', 1)[0] === '/_') return reply.redirect('/_/', 301);
    const dir = findBuild(candidates);
    if (!dir) throw notBuilt();
    const index = await load(dir, 'index.html');
    if (!index) throw notBuilt();
    return send(request, reply, index, INDEX_CACHE);
  });

  app.get<{ Params: { '*': string } }>('/_/*', { config }, async (request, reply) => {
    const dir = findBuild(candidates);
    if (!dir) throw notBuilt();
    const wanted = request.params['*'];
    const segments = wanted.split('/');
    const isAsset = segments.length === 2 && segments[0] === 'assets';
    const name = isAsset ? segments[1] : segments.length === 1 ? segments[0] : '';
    if (!SAFE_NAME.test(name) || name === 'index.html') throw notFound();
    const file = await load(isAsset ? path.join(dir, 'assets') : dir, name);
    if (!file) throw notFound();
    return send(request, reply, file, isAsset ? ASSET_CACHE : OTHER_CACHE);
  });
}

/** If-None-Match against one strong ETag: a list, `*`, and weak forms all compare by value (RFC 9110). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** Whether the client takes gzip (not refused with `q=0`). */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding.trim() !== 'gzip' && coding.trim() !== '*') return false;
    return !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
}
