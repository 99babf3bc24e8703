/**
 * JSON bodies for record responses, built under a byte limit (ResponseLimits.maxResponseBytes)
 * instead of one JSON.stringify of whatever the handler returns.
 *
 * One JSON.stringify of a list is as large as the list, and with expansions, where one record
 * object is shared by every place it is expanded into, far larger than anything in memory
 * (534 MB from a 20,000-row table); past V8's largest string it fails with a RangeError after
 * seconds of work. Here a record with `expand` is written key by key and its related records one
 * by one, at any depth; the running size is checked after each piece, so a body over the limit is
 * refused as soon as it passes it, and pieces are gathered into UTF-8 chunks of about FLUSH_CHARS.
 * The largest string ever built is one record without expansions, or a run of such records whose
 * JSON is bounded below FLUSH_CHARS before it is built (jsonLengthBound).
 *
 * Small bodies, the common case, are still one JSON.stringify, as Fastify made them: a record
 * without `expand`, or a page whose bound is below FLUSH_CHARS (one call per record instead would
 * cost half as much again as the whole page). Bytes are only counted when the body could be near
 * the limit: a UTF-16 code unit is at most 3 UTF-8 bytes.
 */
import { Readable } from 'node:stream';
import { responseTooLarge } from '../domain/records/limits.ts';

/** A body ready to send: one string, or UTF-8 chunks when it grew past one chunk. */
export type JsonBody = string | Buffer[];

/** Pending text is turned into a UTF-8 chunk past this many UTF-16 code units (~1 MiB). */
const FLUSH_CHARS = 1 << 20;

type JsonObject = Record<string, unknown>;

const isPlainObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';

class BoundedJsonWriter {
  private pending = '';
  private readonly chunks: Buffer[] = [];
  private chunkBytes = 0;

  constructor(private readonly maxBytes: number) {}

  write(text: string): void {
    this.pending += text;
    // The pending length is a lower bound of its bytes: past the limit already means over it.
    if (this.chunkBytes + this.pending.length > this.maxBytes) throw responseTooLarge(this.maxBytes);
    if (this.pending.length >= FLUSH_CHARS) this.flush();
  }

  finish(): JsonBody {
    // Under a third of the limit in code units cannot be over it in bytes: nothing to measure.
    if (this.chunks.length === 0 && this.pending.length * 3 <= this.maxBytes) return this.pending;
    this.flush();
    return this.chunks;
  }

  private flush(): void {
    if (this.pending === '') return;
    const chunk = Buffer.from(this.pending, 'utf8');
    this.pending = '';
    this.chunkBytes += chunk.length;
    if (this.chunkBytes > this.maxBytes) throw responseTooLarge(this.maxBytes);
    this.chunks.push(chunk);
  }
}

/**
 * A record as exported (and maybe narrowed by `fields`): one JSON.stringify unless it carries
 * `expand`, whose related records are then written one by one, at any depth. Produces exactly
 * what JSON.stringify would.
 */
function writeRecord(out: BoundedJsonWriter, record: unknown): void {
  if (!isPlainObject(record) || !isPlainObject(record.expand)) {
    out.write(JSON.stringify(record) ?? 'null');
    return;
  }
  let separator = '{';
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (key === 'expand') {
      out.write(`${separator}"expand":`);
      writeExpand(out, value as JsonObject);
    } else {
      const json = JSON.stringify(value);
      if (json === undefined) continue;
      out.write(`${separator}${JSON.stringify(key)}:${json}`);
    }
    separator = ',';
  }
  out.write(separator === '{' ? '{}' : '}');
}

/** `expand`: each key holds one related record or a list of them. */
function writeExpand(out: BoundedJsonWriter, expand: JsonObject): void {
  let separator = '{';
  for (const key of Object.keys(expand)) {
    const value = expand[key];
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    out.write(`${separator}${JSON.stringify(key)}:`);
    if (Array.isArray(value)) writeRecords(out, value);
    else writeRecord(out, value);
    separator = ',';
  }
  out.write(separator === '{' ? '{}' : '}');
}

/**
 * A list of records. Runs of records without `expand` whose JSON is known to stay under
 * FLUSH_CHARS (jsonLengthBound) are stringified in one call; the others are written one by one.
 */
function writeRecords(out: BoundedJsonWriter, records: readonly unknown[]): void {
  let start = 0; // the run not yet written: records[start, i)
  let runLength = 0;
  let separator = '[';
  const writeRun = (end: number) => {
    if (end === start) return;
    const json = JSON.stringify(start === 0 && end === records.length ? records : records.slice(start, end));
    out.write(separator + json.slice(1, -1));
    separator = ',';
  };
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const bound = hasExpand(record) ? Infinity : jsonLengthBound(record, FLUSH_CHARS - runLength);
    if (runLength + bound <= FLUSH_CHARS) {
      runLength += bound + 1;
      continue;
    }
    writeRun(i);
    if (bound <= FLUSH_CHARS) {
      start = i;
      runLength = bound + 1;
      continue;
    }
    out.write(separator);
    separator = ',';
    writeRecord(out, record);
    start = i + 1;
    runLength = 0;
  }
  writeRun(records.length);
  out.write(separator === '[' ? '[]' : ']');
}

const hasExpand = (record: unknown): boolean => isPlainObject(record) && isPlainObject(record.expand);

/**
 * An upper bound of `JSON.stringify(value).length` (an escape is at most 6 characters per UTF-16
 * code unit, a number at most 24), or Infinity once it passes `budget` or meets a value whose
 * JSON it cannot bound (toJSON, bigint). A walk over the values, a fraction of stringifying them.
 */
export function jsonLengthBound(value: unknown, budget: number): number {
  switch (typeof value) {
    case 'string':
      return 6 * value.length + 2;
    case 'number':
      return 24;
    case 'boolean':
    case 'undefined':
    case 'function':
    case 'symbol':
      return 5;
    case 'object': {
      if (value === null) return 4;
      let n = 2;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          n += jsonLengthBound(value[i], budget - n) + 1;
          if (n > budget) return Infinity;
        }
        return n;
      }
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return Infinity;
      const object = value as JsonObject;
      // for-in also visits inherited enumerable keys, which JSON.stringify skips: still a bound.
      for (const key in object) {
        n += 6 * key.length + 4 + jsonLengthBound(object[key], budget - n);
        if (n > budget) return Infinity;
      }
      return n;
    }
    default:
      return Infinity;
  }
}

/** Runs a writer; a value past V8's largest string (one enormous field) is the same refusal. */
function bounded(maxBytes: number, write: (out: BoundedJsonWriter) => void): JsonBody {
  const out = new BoundedJsonWriter(maxBytes);
  try {
    write(out);
  } catch (e) {
    if (e instanceof RangeError) throw responseTooLarge(maxBytes);
    throw e;
  }
  return out.finish();
}

/**
 * The fast path, one JSON.stringify: for a page whose size is bounded below FLUSH_CHARS, or one
 * record without expansions (the unit the slow path stringifies whole too). Bytes are measured
 * only when they could be over the limit.
 */
function whole(value: unknown, maxBytes: number): string {
  let json: string;
  try {
    json = JSON.stringify(value) ?? 'null';
  } catch (e) {
    if (e instanceof RangeError) throw responseTooLarge(maxBytes);
    throw e;
  }
  if (json.length * 3 > maxBytes && Buffer.byteLength(json) > maxBytes) throw responseTooLarge(maxBytes);
  return json;
}

/** One record (view, create, update). Throws the 400 of responseTooLarge past `maxBytes`. */
export function recordJson(record: unknown, maxBytes: number): JsonBody {
  if (!hasExpand(record)) return whole(record, maxBytes);
  return bounded(maxBytes, (out) => writeRecord(out, record));
}

/**
 * A page of records: the envelope's keys in their order, `items` written record by record.
 * `items` replaces the envelope's own (the `fields` picker narrows them without copying it).
 */
export function listJson<T extends { items: readonly unknown[] }>(envelope: T, items: readonly unknown[], maxBytes: number): JsonBody {
  // The common page, small and without expansions, is one JSON.stringify as before (the envelope's
  // other values are a few numbers).
  let length = 0;
  for (let i = 0; i < items.length && length <= FLUSH_CHARS; i++) {
    length += hasExpand(items[i]) ? Infinity : jsonLengthBound(items[i], FLUSH_CHARS - length) + 1;
  }
  if (length <= FLUSH_CHARS) return whole(items === envelope.items ? envelope : { ...envelope, items }, maxBytes);
  return bounded(maxBytes, (out) => {
    let separator = '{';
    for (const key of Object.keys(envelope)) {
      if (key === 'items') {
        out.write(`${separator}"items":`);
        writeRecords(out, items);
      } else {
        const json = JSON.stringify((envelope as JsonObject)[key]);
        if (json === undefined) continue;
        out.write(`${separator}${JSON.stringify(key)}:${json}`);
      }
      separator = ',';
    }
    out.write(separator === '{' ? '{}' : '}');
  });
}

/** The body as something Fastify can send: the string itself, or a stream over the chunks. */
export function bodyPayload(body: JsonBody): string | Readable {
  if (typeof body === 'string') return body;
  // Each chunk is released once written, so the body is held once, not twice.
  return Readable.from(
    (function* drain() {
      while (body.length > 0) yield body.shift()!;
    })(),
    { objectMode: false },
  );
}
