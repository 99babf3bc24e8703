import type { FastifyInstance } from 'fastify';
import type { Services } from '../../domain/services.ts';
import { requireSuperuser, sendJson, sendList } from '../respond.ts';

// PocketBase words an unreadable body differently per endpoint.
const createConfig = { invalidBodyMessage: 'Failed to load the collection type data due to invalid formatting.' };
const importConfig = { invalidBodyMessage: 'An error occurred while loading the submitted data.' };

interface Params {
  collection: string;
}

/** PocketBase's collections API; superusers only. */
export function collectionRoutes(api: FastifyInstance, services: Services): void {
  const { collections } = services;
  api.register(async (scope) => {
    // onRequest, before the body is read: strangers get their 401/403 without making us parse anything.
    scope.addHook('onRequest', async (request) => requireSuperuser(request));

    scope.get('/collections', async (request, reply) => sendList(request, reply, await collections.list(request.ctx, request.ctx.query)));
    scope.post('/collections', { config: createConfig }, async (request, reply) =>
      sendJson(request, reply, await collections.create(request.ctx, request.body)),
    );
    scope.put('/collections/import', { config: importConfig }, async (request, reply) => {
      await collections.import(request.ctx, request.body);
      return reply.code(204).send();
    });
    scope.get('/collections/meta/scaffolds', async (request, reply) => sendJson(request, reply, collections.scaffolds()));
    scope.post('/collections/meta/dry-run-view', { config: importConfig }, async (request, reply) =>
      sendJson(request, reply, await collections.dryRunView(request.ctx, request.body)),
    );
    scope.post('/collections/meta/validate', { config: createConfig }, async (request, reply) => {
      await collections.validate(request.ctx, request.body);
      return reply.code(204).send();
    });
    scope.get<{ Params: Params }>('/collections/:collection', async (request, reply) =>
      sendJson(request, reply, collections.view(request.ctx, request.params.collection)),
    );
    scope.patch<{ Params: Params }>('/collections/:collection', async (request, reply) =>
      sendJson(request, reply, await collections.update(request.ctx, request.params.collection, request.body)),
    );
    scope.delete<{ Params: Params }>('/collections/:collection', async (request, reply) => {
      await collections.delete(request.ctx, request.params.collection);
      return reply.code(204).send();
    });
    scope.delete<{ Params: Params }>('/collections/:collection/truncate', async (request, reply) => {
      await collections.truncate(request.ctx, request.params.collection);
      return reply.code(204).send();
    });
  });
}
