import type { FastifyInstance } from 'fastify';
import { batchBodyLimit, DEFAULT_BATCH_BODY_BYTES } from '../../domain/records/batch.ts';
import type { Services } from '../../domain/services.ts';
import { tooLarge } from '../../kernel/errors.ts';
import { setBodyLimit, withRecordInput } from '../body.ts';
import { sendJson } from '../respond.ts';

/**
 * `POST /api/batch`: JSON, or the SDK's multipart with `@jsonPayload`. Refused before its body is
 * read when batches are off (403) or its declared length passes `settings.batch.maxBodySize`
 * (413), and by the bytes it brings past that limit (PocketBase's 128 MiB when unset).
 */
export function batchRoutes(api: FastifyInstance, services: Services): void {
  const config = { invalidBodyMessage: 'Failed to read the submitted batch data.' };
  api.post('/batch', {
    config,
    bodyLimit: DEFAULT_BATCH_BODY_BYTES,
    onRequest: async (request) => {
      const settings = services.batch.assertEnabled();
      const limit = batchBodyLimit(settings);
      if (Number(request.headers['content-length']) > limit) throw tooLarge();
      setBodyLimit(request, limit);
    },
  }, async (request, reply) => {
    const results = await withRecordInput(request, (input) => services.batch.run(request.ctx, input));
    return sendJson(request, reply, results);
  });
}
