import type { FastifyRequest } from 'fastify';
import { badRequest, tooLarge } from '../kernel/errors.ts';
import type { RecordInput } from '../domain/records/input.ts';
import { invalidBody } from './errors.ts';

const MAX_FORM_FIELDS = 1000;

/** Merges `@jsonPayload` parts (the SDK sends non-file values there) over the plain form values. */
function mergeJsonPayloads(request: FastifyRequest, values: Record<string, unknown>, payloads: string[]): void {
  for (const payload of payloads) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      throw invalidBody(request);
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(values, parsed);
  }
}

function addFormValue(values: Record<string, unknown>, key: string, value: string): void {
  const prev = values[key];
  if (prev === undefined) values[key] = value;
  else values[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
}

/** Reads a record body: JSON, multipart (with `@jsonPayload`) or urlencoded. */
export async function readRecordInput(request: FastifyRequest): Promise<RecordInput> {
  if (request.isMultipart()) {
    // Fastify's bodyLimit does not cover multipart, which is streamed: the whole body is capped
    // here, by its declared length first and by what actually arrives as it is read.
    const limit = request.routeOptions.bodyLimit;
    if (Number(request.headers['content-length']) > limit) throw tooLarge();
    const values: Record<string, unknown> = {};
    const payloads: string[] = [];
    let count = 0;
    let size = 0;
    for await (const part of request.parts()) {
      if (++count > MAX_FORM_FIELDS) throw badRequest('Too many submitted fields.');
      if (part.type === 'file') {
        // Drain the stream so the request completes, then refuse: storage arrives with the files issue.
        part.file.resume();
        throw badRequest('File uploads are not supported yet.');
      }
      const value = typeof part.value === 'string' ? part.value : String(part.value ?? '');
      size += Buffer.byteLength(part.fieldname) + Buffer.byteLength(value);
      if (part.valueTruncated || size > limit) throw tooLarge();
      if (part.fieldname === '@jsonPayload') payloads.push(value);
      else addFormValue(values, part.fieldname, value);
    }
    mergeJsonPayloads(request, values, payloads);
    return { body: values, source: 'form' };
  }
  const body = request.body;
  if (body instanceof URLSearchParams) {
    const values: Record<string, unknown> = {};
    const payloads: string[] = [];
    for (const [k, v] of body) {
      if (k === '@jsonPayload') payloads.push(v);
      else addFormValue(values, k, v);
    }
    mergeJsonPayloads(request, values, payloads);
    return { body: values, source: 'form' };
  }
  if (body === undefined || body === null) return { body: {}, source: 'json' };
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidBody(request);
  return { body: body as Record<string, unknown>, source: 'json' };
}
