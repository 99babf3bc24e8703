import type { FastifyInstance } from 'fastify';
import type { Services } from '../../domain/services.ts';
import { sendFile } from '../serve-file.ts';

interface FileParams {
  collection: string;
  recordId: string;
  filename: string;
}

/** PocketBase's files API (apis/file.go): downloads with thumbs and protected files, file tokens. */
export function fileRoutes(api: FastifyInstance, services: Services): void {
  const { files } = services;

  api.post('/files/token', async (request) => files.token(request.ctx));

  // PocketBase's rate-limit tag for downloads is `<collection>:file`. HEAD is routed here too
  // (rather than Fastify's automatic HEAD route, which would read the whole file to drop it).
  api.route<{ Params: FileParams }>({
    method: ['GET', 'HEAD'],
    url: '/files/:collection/:recordId/:filename',
    config: { rateLimit: { tags: ['file'] } },
    handler: async (request, reply) => {
      const { collection, recordId, filename } = request.params;
      const { token, thumb } = request.ctx.query;
      const served = await files.resolve(request.ctx, { collection, recordId, filename, token, thumb });
      return sendFile(request, reply, { ...served, open: (range) => files.open(served.key, range) });
    },
  });
}
