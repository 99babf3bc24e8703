import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../kernel/errors.ts';
import { parseFieldsParam, pickFields, pickFieldsFromList, type FieldsSelection } from '../domain/records/picker.ts';

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

/** Like sendJson for paginated results: `fields` applies to each item, never to the envelope. */
export function sendList<T extends { items: unknown[] }>(request: FastifyRequest, reply: FastifyReply, result: T): FastifyReply {
  if (!request.fields) return reply.code(200).send(result);
  return reply.code(200).send({ ...result, items: pickFieldsFromList(result.items, request.fields) });
}
