/**
 * Files in an S3-compatible bucket, through `@aws-sdk/client-s3` (loaded on first use: the SDK is
 * large, and most servers never need it). Keys are the storage keys as they are, as PocketBase
 * stores them; metadata values are URL-escaped, as PocketBase's driver writes them (S3 headers
 * carry ASCII only).
 */
import type { Readable } from 'node:stream';
import { checkKey, type ByteRange, type FileStorage, type FileWrite, type ListedFile, type ListOptions, type StoredFile } from './storage.ts';

/** PocketBase's `settings.s3` (the fields the client needs). */
export interface S3Settings {
  readonly bucket: string;
  readonly region: string;
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secret: string;
  readonly forcePathStyle: boolean;
}

type S3Module = typeof import('@aws-sdk/client-s3');
type S3Client = InstanceType<S3Module['S3Client']>;

/** PocketBase's endpoint rule: with or without a scheme, https when none is given. */
export const s3EndpointUrl = (endpoint: string): string =>
  (/^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`).replace(/\/+$/, '');

const QUIET_LOGGER = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Deletes run this many at a time when a prefix is cleared. */
const DELETE_CONCURRENCY = 16;

const isNotFound = (e: unknown): boolean => {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.$metadata?.httpStatusCode === 404 || err?.name === 'NotFound' || err?.name === 'NoSuchKey';
};

const decodeMetadata = (raw: Record<string, string> | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    try {
      out[decodeURIComponent(k)] = decodeURIComponent(v);
    } catch {
      out[k] = v;
    }
  }
  return out;
};

export class S3Storage implements FileStorage {
  private connection: Promise<{ s3: S3Module; client: S3Client }> | undefined;

  constructor(private readonly settings: S3Settings) {}

  private connect(): Promise<{ s3: S3Module; client: S3Client }> {
    this.connection ??= import('@aws-sdk/client-s3').then((s3) => {
      const { settings } = this;
      const client = new s3.S3Client({
        region: settings.region,
        endpoint: s3EndpointUrl(settings.endpoint),
        forcePathStyle: settings.forcePathStyle,
        credentials: { accessKeyId: settings.accessKey, secretAccessKey: settings.secret },
        // Checksums only where S3 requires them: every S3-compatible service accepts that, and
        // a streamed upload then needs no second pass over its bytes.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        // Failures reach the caller as errors; without a logger of its own the SDK writes some
        // of them (a failed streamed upload) to the console as well.
        logger: QUIET_LOGGER,
      });
      return { s3, client };
    });
    return this.connection;
  }

  async stat(key: string): Promise<StoredFile | undefined> {
    checkKey(key);
    const { s3, client } = await this.connect();
    try {
      const head = await client.send(new s3.HeadObjectCommand({ Bucket: this.settings.bucket, Key: key }));
      return {
        size: Number(head.ContentLength ?? 0),
        modified: head.LastModified ?? new Date(0),
        contentType: head.ContentType || 'application/octet-stream',
        etag: head.ETag ?? `"${Number(head.ContentLength ?? 0).toString(16)}"`,
        metadata: decodeMetadata(head.Metadata),
      };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== undefined;
  }

  async read(key: string, range?: ByteRange): Promise<Readable | undefined> {
    checkKey(key);
    const { s3, client } = await this.connect();
    try {
      const object = await client.send(
        new s3.GetObjectCommand({ Bucket: this.settings.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      // In Node the body is the response stream itself.
      return object.Body as Readable;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async write(key: string, body: Readable | Buffer, options: FileWrite): Promise<void> {
    checkKey(key);
    const { s3, client } = await this.connect();
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.metadata ?? {})) metadata[encodeURIComponent(k)] = encodeURIComponent(v);
    // A body that fails (its source gone) aborts the upload at once; the SDK would otherwise
    // leave the error unhandled and wait for the request to time out.
    const abort = new AbortController();
    let failure: Error | undefined;
    const onError = (e: Error) => {
      failure = e;
      abort.abort(e);
    };
    if (!Buffer.isBuffer(body)) body.once('error', onError);
    try {
      await client.send(
        new s3.PutObjectCommand({
          Bucket: this.settings.bucket,
          Key: key,
          Body: body,
          ContentLength: options.size,
          ContentType: options.contentType,
          Metadata: metadata,
        }),
        { abortSignal: abort.signal },
      );
    } catch (e) {
      throw failure ?? e;
    } finally {
      if (!Buffer.isBuffer(body)) body.removeListener('error', onError);
    }
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    const { s3, client } = await this.connect();
    try {
      await client.send(new s3.DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    checkKey(prefix, true);
    for (;;) {
      const keys = (await this.list({ prefix, limit: 1000 })).map((f) => f.key);
      for (let i = 0; i < keys.length; i += DELETE_CONCURRENCY) {
        await Promise.all(keys.slice(i, i + DELETE_CONCURRENCY).map((k) => this.delete(k)));
      }
      if (keys.length < 1000) return;
    }
  }

  /** S3 has no folders: a prefix no key starts with any more is gone already. */
  async deleteEmptyFolder(prefix: string): Promise<void> {
    checkKey(prefix, true);
  }

  async list(options: ListOptions): Promise<ListedFile[]> {
    const { prefix = '', limit } = options;
    if (prefix !== '') checkKey(prefix, true);
    const { s3, client } = await this.connect();
    const out: ListedFile[] = [];
    let marker = options.startAfter || undefined;
    // ListObjects (v1) paged by Marker, the last key seen: every S3-compatible server has it,
    // while v2's continuation tokens fail on some (s3rver makes them with DES, gone from Node 17's OpenSSL).
    while (out.length < limit) {
      const page = await client.send(
        new s3.ListObjectsCommand({ Bucket: this.settings.bucket, Prefix: prefix || undefined, Marker: marker, MaxKeys: Math.min(limit - out.length, 1000) }),
      );
      const contents = page.Contents ?? [];
      for (const o of contents) if (o.Key) out.push({ key: o.Key, modified: o.LastModified ?? new Date(0) });
      if (!page.IsTruncated || contents.length === 0) break;
      marker = contents[contents.length - 1].Key;
    }
    return out.slice(0, limit);
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) (await connection.catch(() => undefined))?.client.destroy();
  }
}
