/**
 * Serving a stored file the way PocketBase does (its filesystem Serve, over Go's
 * http.ServeContent): PocketBase's disposition, content-type, CSP and cache headers, then the
 * conditional requests (If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since,
 * If-Range) and byte ranges (one range: 206 with Content-Range; several: multipart/byteranges;
 * none satisfiable: 416). The body is streamed from storage, never held in memory.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../kernel/errors.ts';
import type { ByteRange, StoredFile } from '../domain/files/service.ts';

/** Types a browser may show in place; anything else is sent as an attachment (PocketBase's list). */
const INLINE_TYPES = new Set([
  'image/png', 'image/jpg', 'image/jpeg', 'image/gif', 'image/webp', 'image/x-icon', 'image/bmp',
  'video/webm', 'video/mp4', 'video/3gpp', 'video/quicktime', 'video/x-ms-wmv',
  'audio/basic', 'audio/aiff', 'audio/mpeg', 'audio/midi', 'audio/mp3', 'audio/wave',
  'audio/wav', 'audio/x-wav', 'audio/x-mpeg', 'audio/x-m4a', 'audio/aac',
  'application/pdf', 'application/x-pdf',
]);

/** Extensions whose content type PocketBase sends whatever was detected, so that they load. */
const EXTENSION_TYPES: Readonly<Record<string, string>> = {
  '.svg': 'image/svg+xml',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

/**
 * Security: uploaded files are served under a sandboxing policy, so an HTML or SVG file opened
 * from its URL runs no script and reaches nothing; with the attachment disposition for every
 * type not listed above, this is what makes serving user uploads from the API's origin safe.
 */
const FILE_CSP = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox";
/** 30 days, reusable while revalidating for a day (PocketBase's default). */
const FILE_CACHE_CONTROL = 'max-age=2592000, stale-while-revalidate=86400';

/** Go's strconv.ParseBool, which PocketBase reads `?download=` with (anything else: false). */
const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

export interface FileToServe {
  /** The storage key (its extension picks the content type override). */
  readonly key: string;
  /** The name in Content-Disposition. */
  readonly name: string;
  readonly file: StoredFile;
  /** A stream of the whole file or a range of it; undefined when it has gone. */
  open(range?: ByteRange): Promise<Readable | undefined>;
}

const extensionOf = (key: string): string => {
  const base = key.slice(key.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot) : '';
};

/**
 * `<disposition>; filename=<name>` as PocketBase writes it; a name that is not a plain token
 * (spaces, quotes, non-ASCII: possible in data PocketBase stored) is quoted, with its UTF-8
 * form beside it, so the header stays valid.
 */
export function contentDisposition(disposition: string, name: string): string {
  if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return `${disposition}; filename=${name}`;
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** The result of parsing a Range header against a size (Go's parseRange). */
export type RangeResult = { kind: 'none' } | { kind: 'invalid'; noOverlap: boolean } | { kind: 'ranges'; ranges: ByteRange[] };

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'none' };
  const invalid: RangeResult = { kind: 'invalid', noOverlap: false };
  if (!header.startsWith('bytes=')) return invalid;
  const ranges: ByteRange[] = [];
  let noOverlap = false;
  for (const raw of header.slice(6).split(',')) {
    const spec = raw.trim();
    if (spec === '') continue;
    const dash = spec.indexOf('-');
    if (dash < 0) return invalid;
    const first = spec.slice(0, dash).trim();
    const last = spec.slice(dash + 1).trim();
    if (first === '') {
      // A suffix: the last N bytes.
      if (!/^\d+$/.test(last)) return invalid;
      const n = Math.min(Number(last), size);
      if (n === 0) {
        noOverlap = true;
        continue;
      }
      ranges.push({ start: size - n, end: size - 1 });
      continue;
    }
    if (!/^\d+$/.test(first)) return invalid;
    const start = Number(first);
    if (start >= size) {
      noOverlap = true;
      continue;
    }
    if (last === '') {
      ranges.push({ start, end: size - 1 });
      continue;
    }
    if (!/^\d+$/.test(last) || Number(last) < start) return invalid;
    ranges.push({ start, end: Math.min(Number(last), size - 1) });
  }
  if (ranges.length === 0 && noOverlap) return { kind: 'invalid', noOverlap: true };
  return ranges.length ? { kind: 'ranges', ranges } : { kind: 'none' };
}

/** An entity tag list (If-Match, If-None-Match) holds `etag`, or `*`. */
function etagListMatches(header: string, etag: string, weak: boolean): boolean {
  const bare = (t: string) => (weak && t.startsWith('W/') ? t.slice(2) : t);
  for (const item of header.split(',')) {
    const tag = item.trim();
    if (tag === '*') return true;
    if (!weak && (tag.startsWith('W/') || etag.startsWith('W/'))) continue;
    if (bare(tag) === bare(etag)) return true;
  }
  return false;
}

const httpDate = (value: string | undefined): number | undefined => {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
};

/** HTTP dates have whole seconds: the modification time compared with them is cut to its second. */
const wholeSeconds = (d: Date): number => Math.floor(d.getTime() / 1000) * 1000;

type Precondition = 'notModified' | 'failed' | undefined;

/** Go's checkPreconditions, for GET and HEAD. */
function checkPreconditions(request: FastifyRequest, file: StoredFile): Precondition {
  const h = request.headers;
  const modified = wholeSeconds(file.modified);
  const ifMatch = h['if-match'];
  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, file.etag, false)) return 'failed';
  } else {
    const since = httpDate(h['if-unmodified-since']);
    if (since !== undefined && modified > since) return 'failed';
  }
  const ifNoneMatch = h['if-none-match'];
  if (ifNoneMatch !== undefined) {
    if (etagListMatches(ifNoneMatch, file.etag, true)) return 'notModified';
  } else {
    const since = httpDate(h['if-modified-since']);
    if (since !== undefined && modified <= since) return 'notModified';
  }
  return undefined;
}

/** Go's checkIfRange: may the Range header be honoured? */
function ifRangeHolds(request: FastifyRequest, file: StoredFile): boolean {
  const raw = request.headers['if-range'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return true;
  if (value.startsWith('"') || value.startsWith('W/')) return !value.startsWith('W/') && value === file.etag;
  const at = httpDate(value);
  return at !== undefined && at === wholeSeconds(file.modified);
}

/** Sends `target` as PocketBase serves files; `?download=` forces an attachment. */
export async function sendFile(request: FastifyRequest, reply: FastifyReply, target: FileToServe): Promise<FastifyReply> {
  const { file } = target;
  const download = TRUE_VALUES.has(request.ctx.query.download ?? '');
  const disposition = !download && INLINE_TYPES.has(file.contentType) ? 'inline' : 'attachment';
  const contentType = EXTENSION_TYPES[extensionOf(target.key)] ?? file.contentType;
  // Uploaded files may be embedded in other sites' pages (PocketBase drops X-Frame-Options here).
  reply.removeHeader('x-frame-options');
  reply
    .header('content-disposition', contentDisposition(disposition, target.name))
    .header('content-type', contentType)
    .header('content-security-policy', FILE_CSP)
    .header('cache-control', FILE_CACHE_CONTROL)
    .header('last-modified', new Date(wholeSeconds(file.modified)).toUTCString())
    .header('etag', file.etag);

  const precondition = checkPreconditions(request, file);
  if (precondition === 'notModified') {
    reply.removeHeader('content-type');
    reply.removeHeader('last-modified');
    return reply.code(304).send();
  }
  if (precondition === 'failed') return reply.code(412).send();

  reply.header('accept-ranges', 'bytes');
  const parsed = ifRangeHolds(request, file) ? parseRange(request.headers.range, file.size) : ({ kind: 'none' } as const);
  if (parsed.kind === 'invalid') {
    if (parsed.noOverlap) reply.header('content-range', `bytes */${file.size}`);
    return plainError(reply, 416, parsed.noOverlap ? 'invalid range: failed to overlap' : 'invalid range');
  }
  let ranges = parsed.kind === 'ranges' ? parsed.ranges : [];
  // Ranges that add up to more than the file are answered with the whole file (as Go does).
  if (ranges.reduce((n, r) => n + r.end - r.start + 1, 0) > file.size) ranges = [];
  const head = request.method === 'HEAD';

  if (ranges.length === 0) return stream(reply.code(200), target, undefined, file.size, head);
  if (ranges.length === 1) {
    const [range] = ranges;
    reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${file.size}`);
    return stream(reply, target, range, range.end - range.start + 1, head);
  }
  const boundary = randomBytes(16).toString('hex');
  const partHeader = (r: ByteRange, first: boolean) =>
    `${first ? '' : '\r\n'}--${boundary}\r\nContent-Range: bytes ${r.start}-${r.end}/${file.size}\r\nContent-Type: ${contentType}\r\n\r\n`;
  const closing = `\r\n--${boundary}--\r\n`;
  const length = ranges.reduce((n, r, i) => n + Buffer.byteLength(partHeader(r, i === 0)) + r.end - r.start + 1, Buffer.byteLength(closing));
  reply.code(206).header('content-type', `multipart/byteranges; boundary=${boundary}`).header('content-length', length);
  if (head) return reply.send();
  async function* parts(): AsyncGenerator<Buffer | string> {
    for (const [i, r] of ranges.entries()) {
      yield partHeader(r, i === 0);
      const body = await target.open(r);
      if (!body) throw new Error(`stored file ${target.key} vanished while being served`);
      yield* body;
    }
    yield closing;
  }
  return reply.send(Readable.from(parts(), { objectMode: false }));
}

async function stream(reply: FastifyReply, target: FileToServe, range: ByteRange | undefined, length: number, head: boolean): Promise<FastifyReply> {
  reply.header('content-length', length);
  if (head || length === 0) return reply.send();
  const body = await target.open(range);
  if (!body) throw notFound();
  return reply.send(body);
}

/** Go's http.Error: a short plain-text body. */
function plainError(reply: FastifyReply, status: number, message: string): FastifyReply {
  reply.removeHeader('content-disposition');
  return reply.code(status).header('content-type', 'text/plain; charset=utf-8').send(`${message}\n`);
}
