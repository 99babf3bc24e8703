import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../kernel/errors.ts';
import { parseFieldsParam, pickFields, pickFieldsFromList } from '../domain/records/picker.ts';

/** Guards superuser-only endpoints with PocketBase's 401/403 messages. */
export function requireSuperuser(request: FastifyRequest): void {
  const kind = request.ctx.principal.kind;
  if (kind === 'guest') throw unauthorized('The request requires valid record authorization token.');
  if (kind !== 'superuser') throw forbidden('The authorized record is not allowed to perform this action.');
}

/** Sends a JSON body, narrowed by the `fields` query parameter when present. */
export function sendJson(request: FastifyRequest, reply: FastifyReply, data: unknown): FastifyReply {
  const fields = request.ctx.query.fields;
  const body = fields ? pickFields(data, parseFieldsParam(fields)) : data;
  return reply.code(200).send(body);
}

/** Like sendJson for paginated results: `fields` applies to each item, never to the envelope. */
export function sendList<T extends { items: unknown[] }>(request: FastifyRequest, reply: FastifyReply, result: T): FastifyReply {
  const fields = request.ctx.query.fields;
  if (!fields) return reply.code(200).send(result);
  return reply.code(200).send({ ...result, items: pickFieldsFromList(result.items, parseFieldsParam(fields)) });
}
