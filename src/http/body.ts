import type { FastifyRequest } from 'fastify';
import { badRequest, tooLarge } from '../kernel/errors.ts';
import type { RecordInput } from '../domain/records/input.ts';
import { invalidBody } from './errors.ts';

const MAX_FORM_FIELDS = 1000;
const JSON_PAYLOAD = '@jsonPayload';

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
    if (++this.count > MAX_FORM_FIELDS) throw badRequest('Too many submitted fields.');
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
        parsed = JSON.parse(payload);
      } catch {
        throw invalidBody(request);
      }
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        for (const [k, v] of Object.entries(parsed)) body[k] = v;
      }
    }
    return body;
  }
}

/** Reads a record body: JSON, multipart (with `@jsonPayload`) or urlencoded. */
export async function readRecordInput(request: FastifyRequest): Promise<RecordInput> {
  if (request.isMultipart()) {
    // Fastify's bodyLimit does not cover multipart, which is streamed: the whole body is capped
    // here, by its declared length first and by what actually arrives as it is read.
    const limit = request.routeOptions.bodyLimit;
    if (Number(request.headers['content-length']) > limit) throw tooLarge();
    const form = new FormValues();
    let size = 0;
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        // Drain the stream so the request completes, then refuse: storage arrives with the files issue.
        part.file.resume();
        throw badRequest('File uploads are not supported yet.');
      }
      const value = typeof part.value === 'string' ? part.value : String(part.value ?? '');
      size += Buffer.byteLength(part.fieldname) + Buffer.byteLength(value);
      if (part.valueTruncated || size > limit) throw tooLarge();
      form.add(part.fieldname, value);
    }
    return { body: form.toBody(request), source: 'form' };
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
