import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { batchBodyLimit, DEFAULT_BATCH_BODY_BYTES } from '../../domain/records/batch.ts';
import type { Services } from '../../domain/services.ts';
import { tooLarge } from '../../kernel/errors.ts';
import { setBodyLimit, withRecordInput } from '../body.ts';
import { sendJson } from '../respond.ts';
import { recordJson } from '../response-json.ts';

/**
 * `POST /api/batch`: JSON, or the SDK's multipart with `@jsonPayload`. Refused before its body is
 * read when batches are off (403) or its declared length passes `settings.batch.maxBodySize`
 * (413), and by the bytes it brings past that limit (PocketBase's 128 MiB when unset). A client
 * that goes away before its answer gives the batch up: it rolls back (PocketBase's "batch request
 * interrupted").
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
    // Each item's answer is held to the records API's response limit before the batch commits.
    const weigh = (body: unknown) => void recordJson(body, services.records.limits.maxResponseBytes);
    const results = await withRecordInput(request, (input) => services.batch.run(request.ctx, input, clientGone(request, reply), weigh));
    return sendJson(request, reply, results);
  });
}

/** A signal that aborts when the client's connection closes before the response has been sent. */
function clientGone(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const res = reply.raw;
  // 'close' also follows a response sent in full, which gives nothing up.
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  if (request.raw.socket?.destroyed) controller.abort();
  return controller.signal;
}
