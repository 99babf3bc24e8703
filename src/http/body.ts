import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { FastifyRequest } from 'fastify';
import { badRequest, tooLarge } from '../kernel/errors.ts';
import type { RecordInput, UploadedFile } from '../domain/records/input.ts';
import { invalidBody, toApiError } from './errors.ts';
import { jsonShapeFor, parseJsonBody } from './json.ts';
import { MAX_FORM_FIELDS } from './limits.ts';
import { UploadFolder } from './uploads.ts';

const JSON_PAYLOAD = '@jsonPayload';

/** An error Fastify's error codes name, so the error boundary maps it like Fastify's own (errors.ts). */
const codedError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

type ParserDone = (error: Error | null, body?: unknown) => void;

/** Body limits set per request (a collection's record writes, a batch's settings), over the route's. */
const requestLimits = new WeakMap<FastifyRequest, number>();

/** Sets the body limit of this one request (before its body is read: an onRequest hook). */
export function setBodyLimit(request: FastifyRequest, bytes: number): void {
  requestLimits.set(request, bytes);
}

/** The request's body limit: its own when set, else its route's (or the server's). */
export const bodyLimitOf = (request: FastifyRequest): number => requestLimits.get(request) ?? request.routeOptions.bodyLimit;

/**
 * A content-type parser that reads the body as text and hands it to `parse`. Replaces Fastify's
 * `parseAs: 'string'`, which keeps the raw chunks and decodes them all at once at the end: that
 * held the event loop 130 ms for 28 MB of accented text. Here each chunk is decoded as it
 * arrives (StringDecoder keeps characters split across chunks whole), so the cost is spread
 * over the upload. Same limits as Fastify's: the body limit (`bodyLimitOf`), by the declared length
 * before anything is read and by the bytes received, and a declared length that does not match.
 */
export function textBodyParser(parse: (request: FastifyRequest, text: string) => unknown) {
  return (request: FastifyRequest, payload: IncomingMessage, done: ParserDone): void => {
    const limit = bodyLimitOf(request);
    const declared = Number(request.headers['content-length']);
    if (declared > limit) return done(codedError('FST_ERR_CTP_BODY_TOO_LARGE', 'body too large'));
    // A body in one chunk (most are) is decoded once at the end; from the second chunk on,
    // each is decoded as it arrives.
    let first: Buffer | undefined;
    let decoder: StringDecoder | undefined;
    let text = '';
    let received = 0;
    const stop = () => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onEnd);
    };
    function onData(chunk: Buffer): void {
      received += chunk.length;
      if (received > limit) {
        stop();
        done(codedError('FST_ERR_CTP_BODY_TOO_LARGE', 'body too large'));
        return;
      }
      if (decoder) text += decoder.write(chunk);
      else if (first === undefined) first = chunk;
      else {
        decoder = new StringDecoder('utf8');
        text = decoder.write(first) + decoder.write(chunk);
        first = undefined;
      }
    }
    function onEnd(error?: Error): void {
      stop();
      if (error) return done(Object.assign(error, { statusCode: 400 }));
      if (!Number.isNaN(declared) && received !== declared) {
        return done(codedError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'content length mismatch'));
      }
      let body: unknown;
      try {
        body = parse(request, decoder ? text + decoder.end() : (first?.toString('utf8') ?? ''));
      } catch (e) {
        return done(e as Error);
      }
      done(null, body);
    }
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onEnd);
    payload.resume();
  };
}

/**
 * The parser for any other content type: an empty body reads as {} (PocketBase ignores the type
 * then); any other is refused as soon as its first byte (or a declared length) shows it is not
 * empty, without reading the rest.
 */
export function emptyBodyParser(request: FastifyRequest, payload: IncomingMessage, done: ParserDone): void {
  const unsupported = () => codedError('BATON_UNSUPPORTED_MEDIA_TYPE', 'unsupported content type');
  if (Number(request.headers['content-length']) > 0) return done(unsupported());
  const stop = () => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onEnd);
  };
  function onData(chunk: Buffer): void {
    if (chunk.length === 0) return;
    stop();
    done(unsupported());
  }
  function onEnd(error?: Error): void {
    stop();
    if (error) done(Object.assign(error, { statusCode: 400 }));
    else done(null, {});
  }
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onEnd);
  payload.resume();
}

const tooManyFields = () => badRequest('Too many submitted fields.');

/**
 * Reads an urlencoded body, refusing more than MAX_FORM_FIELDS values before any is decoded:
 * URLSearchParams decodes the whole body at once (0.7 s of event loop for 30 MB of `a=1&`), so
 * the separators are counted first with indexOf, stopping at the limit. Empty pairs (`a&&b`)
 * count too, though URLSearchParams skips them: no client sends a thousand of them.
 */
export function parseFormBody(text: string): URLSearchParams {
  let separators = 0;
  for (let at = text.indexOf('&'); at >= 0; at = text.indexOf('&', at + 1)) {
    if (++separators >= MAX_FORM_FIELDS) throw tooManyFields();
  }
  return new URLSearchParams(text);
}

/**
 * Form values as PocketBase reads them: a repeated key becomes a list, `@jsonPayload` parts (the SDK
 * puts non-file values there) are JSON-parsed and merged over the plain values. Capped in count; the
 * result has no prototype, so a key such as `__proto__` is just a key.
 */
class FormValues {
  private readonly values = new Map<string, string[]>();
  private readonly payloads: string[] = [];
  private count = 0;

  add(key: string, value: string): void {
    if (++this.count > MAX_FORM_FIELDS) throw tooManyFields();
    if (key === JSON_PAYLOAD) {
      this.payloads.push(value);
      return;
    }
    const list = this.values.get(key);
    if (list) list.push(value);
    else this.values.set(key, [value]);
  }

  toBody(request: FastifyRequest): Record<string, unknown> {
    const body: Record<string, unknown> = Object.create(null);
    for (const [k, list] of this.values) body[k] = list.length === 1 ? list[0] : list;
    for (const payload of this.payloads) {
      let parsed: unknown;
      try {
        // The same checks as a JSON body: depth, size, lone surrogates, numbers beyond float64.
        if (payload.trim() === '') throw new SyntaxError('empty @jsonPayload');
        parsed = parseJsonBody(payload, jsonShapeFor(request));
      } catch (e) {
        throw toApiError(e, invalidBody(request).message);
      }
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        for (const [k, v] of Object.entries(parsed)) body[k] = v;
      }
    }
    return body;
  }
}

/**
 * Reads a record body: JSON, multipart (with `@jsonPayload`) or urlencoded. Files in a multipart
 * body are read (within the body limit) and ignored, as PocketBase ignores them where no file
 * field takes them; routes that save records read them with `withRecordInput`.
 */
export function readRecordInput(request: FastifyRequest): Promise<RecordInput> {
  return readBody(request, undefined);
}

/** Runs `use` with the record body and its uploaded files; their temporary copies are removed after. */
export async function withRecordInput<T>(request: FastifyRequest, use: (input: RecordInput) => Promise<T>): Promise<T> {
  const uploads = new UploadFolder();
  try {
    return await use(await readBody(request, uploads));
  } finally {
    await uploads.dispose();
  }
}

/** Reads a part's bytes, refusing the body once `budget` is passed; `keep` collects them. */
async function consume(stream: AsyncIterable<Buffer>, budget: number, keep?: Buffer[]): Promise<number> {
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > budget) throw tooLarge();
    keep?.push(chunk);
  }
  return size;
}

async function readBody(request: FastifyRequest, uploads: UploadFolder | undefined): Promise<RecordInput> {
  if (request.isMultipart()) {
    // Fastify's bodyLimit does not cover multipart, which is streamed: the whole body is capped
    // here, by its declared length first and by what actually arrives as it is read.
    const limit = bodyLimitOf(request);
    if (Number(request.headers['content-length']) > limit) throw tooLarge();
    const form = new FormValues();
    const files: UploadedFile[] = [];
    let size = 0;
    // Busboy's own limits (set server-wide) follow this body's, which may be larger.
    for await (const part of request.parts({ limits: { fileSize: limit, fieldSize: limit } })) {
      size += Buffer.byteLength(part.fieldname);
      if (part.type === 'file' && part.filename) {
        if (uploads) files.push(await uploads.save(part.fieldname, part.filename, part.file, limit - size, (n) => (size += n)));
        else size += await consume(part.file, limit - size);
        if (size > limit) throw tooLarge();
        continue;
      }
      let value: string;
      if (part.type === 'file') {
        // A file part without a file name is a plain value, as Go's multipart reader takes it.
        const chunks: Buffer[] = [];
        size += await consume(part.file, limit - size, chunks);
        value = Buffer.concat(chunks).toString('utf8');
      } else {
        value = typeof part.value === 'string' ? part.value : String(part.value ?? '');
        size += Buffer.byteLength(value);
        if (part.valueTruncated) throw tooLarge();
      }
      if (size > limit) throw tooLarge();
      form.add(part.fieldname, value);
    }
    return { body: form.toBody(request), source: 'form', ...(files.length ? { files } : {}) };
  }
  const body = request.body;
  if (body instanceof URLSearchParams) {
    const form = new FormValues();
    for (const [k, v] of body) form.add(k, v);
    return { body: form.toBody(request), source: 'form' };
  }
  if (body === undefined || body === null) return { body: {}, source: 'json' };
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidBody(request);
  return { body: body as Record<string, unknown>, source: 'json' };
}
