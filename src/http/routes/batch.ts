import type { FastifyInstance } from 'fastify';
import { batchBodyLimit, DEFAULT_BATCH_BODY_BYTES } from '../../domain/records/batch.ts';
import type { Services } from '../../domain/services.ts';
import { tooLarge } from '../../kernel/errors.ts';
import { readRecordInput } from '../body.ts';
import { sendJson } from '../respond.ts';

/**
 * `POST /api/batch`: JSON, or the SDK's multipart with `@jsonPayload`. Refused before its body is
 * read when batches are off (403) or its declared length passes `settings.batch.maxBodySize`
 * (413); the route's own limit is PocketBase's default, 128 MiB, which no setting raises.
 */
export function batchRoutes(api: FastifyInstance, services: Services): void {
  const config = { invalidBodyMessage: 'Failed to read the submitted batch data.' };
  api.post('/batch', {
    config,
    bodyLimit: DEFAULT_BATCH_BODY_BYTES,
    onRequest: async (request) => {
      const settings = services.batch.assertEnabled();
      if (Number(request.headers['content-length']) > batchBodyLimit(settings)) throw tooLarge();
    },
  }, async (request, reply) => {
    const { body } = await readRecordInput(request);
    return sendJson(request, reply, await services.batch.run(request.ctx, body));
  });
}
