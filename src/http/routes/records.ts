import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../kernel/errors.ts';
import type { Services } from '../../domain/services.ts';
import type { Collection } from '../../db/schema.ts';
import { editorMaxSize } from '../../domain/collections/fields/editor.ts';
import { fileMaxSelect, fileMaxSize } from '../../domain/collections/fields/file.ts';
import { jsonMaxSize } from '../../domain/collections/fields/json.ts';
import { setBodyLimit, withRecordInput } from '../body.ts';
import { recordBody, sendBody, sendList, sendRecord } from '../respond.ts';

interface Params {
  collection: string;
  id: string;
}

/** PocketBase's records CRUD: thin handlers over RecordService. */
export function recordRoutes(root: FastifyInstance, services: Services): void {
  void root.register(async (api) => {
    // An unknown collection is a 404 before any body is read (PocketBase's body-limit middleware
    // looks the collection up first), so nothing is parsed for a request that cannot succeed.
    api.addHook<{ Params: Params }>('onRequest', (request, _reply, done) => {
      const collection = services.schema.find(request.params.collection);
      const writes = request.method === 'POST' || request.method === 'PATCH';
      if (!collection) return done(notFound(writes ? 'Missing or invalid collection context.' : 'Missing collection context.'));
      if (writes) setBodyLimit(request, recordBodyLimit(collection, request.routeOptions.bodyLimit));
      done();
    });
    routes(api, services);
  });
}

/**
 * A record create's or update's body limit, as PocketBase computes it (apis/middlewares_body_limit.go):
 * the server's limit plus what the collection's fields may bring, each file field its maxSize
 * times maxSelect, each JSON and editor field its maxSize (their defaults when unset); a view's
 * record takes no more than the server's limit.
 */
export function recordBodyLimit(collection: Collection, base: number): number {
  if (collection.type === 'view') return base;
  let limit = base;
  for (const field of collection.fields) {
    if (field.type === 'file') limit += fileMaxSize(field) * fileMaxSelect(field);
    else if (field.type === 'json') limit += jsonMaxSize(field);
    else if (field.type === 'editor') limit += editorMaxSize(field);
  }
  return limit;
}

function routes(api: FastifyInstance, services: Services): void {
  const base = '/collections/:collection/records';
  const { records } = services;
  const { maxResponseBytes } = records.limits;
  // PocketBase reads a record body through RequestInfo and answers an unreadable one with the generic 400.
  const config = { invalidBodyMessage: 'Something went wrong while processing your request.' };
  // PocketBase's rate-limit tags (apis/record_crud.go); a write to a view is its 400, never counted.
  const read = (tag: string) => ({ config: { rateLimit: { tags: [tag] } } });
  const write = (tag: string) => ({ config: { ...config, rateLimit: { tags: [tag], refusesViews: true } } });

  api.get<{ Params: Params }>(base, read('list'), async (request, reply) => {
    const q = request.ctx.query;
    const result = await records.list(request.ctx, request.params.collection, q, request.fields);
    return sendList(request, reply, result, maxResponseBytes);
  });

  api.get<{ Params: Params }>(`${base}/:id`, read('view'), async (request, reply) => {
    const record = await records.view(request.ctx, request.params.collection, request.params.id, request.ctx.query);
    return sendRecord(request, reply, record, maxResponseBytes);
  });

  // Of the query, only `expand` reaches the write: a client's `?requestContext=oauth2` must not set
  // what `@request.context` means in the create and manage rules. The answer is built by the
  // service (`respond`) so that one the response limit refuses leaves nothing written.
  const answer = (request: FastifyRequest) => ({
    expand: request.ctx.query.expand,
    respond: (record: unknown) => recordBody(request, record, maxResponseBytes),
  });

  api.post<{ Params: Params }>(base, write('create'), async (request, reply) => {
    const body = await withRecordInput(request, (input) => records.create(request.ctx, request.params.collection, input, answer(request)));
    return sendBody(reply, body);
  });

  api.patch<{ Params: Params }>(`${base}/:id`, write('update'), async (request, reply) => {
    const body = await withRecordInput(request, (input) => records.update(request.ctx, request.params.collection, request.params.id, input, answer(request)));
    return sendBody(reply, body);
  });

  api.delete<{ Params: Params }>(`${base}/:id`, { config: { rateLimit: { tags: ['delete'], refusesViews: true } } }, async (request, reply) => {
    await records.delete(request.ctx, request.params.collection, request.params.id);
    return reply.code(204).send();
  });
}
