import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../kernel/errors.ts';
import { parseFieldsParam, pickFields, pickFieldsFromList, type FieldsSelection } from '../domain/records/picker.ts';
import { MAX_RESPONSE_BYTES } from '../domain/records/limits.ts';
import { bodyPayload, listJson, recordJson, type JsonBody } from './response-json.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The parsed `fields` parameter, set by `parseFields` before the handler runs. */
    fields?: FieldsSelection;
  }
}

/**
 * Parses `?fields=` before the handler runs: a bad value must be a 400 before a create or update
 * is committed, never after (PocketBase picks after writing the status line).
 */
export function parseFields(request: FastifyRequest): void {
  const raw = request.ctx.query.fields;
  if (raw) request.fields = parseFieldsParam(raw);
}

/** Guards superuser-only endpoints with PocketBase's 401/403 messages. */
export function requireSuperuser(request: FastifyRequest): void {
  const kind = request.ctx.principal.kind;
  if (kind === 'guest') throw unauthorized('The request requires valid record authorization token.');
  if (kind !== 'superuser') throw forbidden('The authorized record is not allowed to perform this action.');
}

/** Sends a JSON body, narrowed by the `fields` query parameter when present. */
export function sendJson(request: FastifyRequest, reply: FastifyReply, data: unknown): FastifyReply {
  return reply.code(200).send(request.fields ? pickFields(data, request.fields) : data);
}

/**
 * Sends one record (or anything shaped like one), narrowed by `fields`, serialised under
 * `maxBytes` (response-json.ts): a larger body is the 400 that names the limit, never a 500.
 */
export function sendRecord(request: FastifyRequest, reply: FastifyReply, record: unknown, maxBytes = MAX_RESPONSE_BYTES): FastifyReply {
  return sendBody(reply, recordBody(request, record, maxBytes));
}

/**
 * One record's body as `sendRecord` sends it. A create or update builds it through RecordService's
 * `respond`, before its write commits wherever the limit could refuse it: a refused body leaves
 * nothing written.
 */
export function recordBody(request: FastifyRequest, record: unknown, maxBytes = MAX_RESPONSE_BYTES): JsonBody {
  return recordJson(request.fields ? pickFields(record, request.fields) : record, maxBytes);
}

/**
 * Paginated results, serialised item by item under `maxBytes`: `fields` applies to each item,
 * never to the envelope.
 */
export function sendList<T extends { items: unknown[] }>(
  request: FastifyRequest,
  reply: FastifyReply,
  result: T,
  maxBytes = MAX_RESPONSE_BYTES,
): FastifyReply {
  const items = request.fields ? pickFieldsFromList(result.items, request.fields) : result.items;
  return sendBody(reply, listJson(result, items, maxBytes));
}

/** Fastify sends a string with a JSON content type as it is, without serialising it again. */
export function sendBody(reply: FastifyReply, body: JsonBody): FastifyReply {
  return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(bodyPayload(body));
}
