import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../domain/context.ts';
import type { Services } from '../../domain/services.ts';
import { readRecordInput } from '../body.ts';

interface Params {
  collection: string;
}

type Flow = (ctx: RequestContext, ref: string, body: Record<string, unknown>) => Promise<void>;
type Check = (request: FastifyRequest<{ Params: Params }>) => void;

/**
 * The email flows of auth collections: request-/confirm- verification, password-reset and
 * email-change. Each answers 204 with no body.
 */
export function authEmailRoutes(api: FastifyInstance, services: Services): void {
  const flows = services.emailFlows;
  // As in PocketBase, whose rate-limit middleware loads the collection first, an unknown or
  // non-auth collection is a 404 before any body is read; request-email-change checks the
  // requester's token first too.
  const collectionOnly: Check = (request) => void flows.authCollection(request.params.collection);
  const ownRecord: Check = (request) => void flows.emailChangeRequester(request.ctx, request.params.collection);
  // `tag`: PocketBase's rate-limit tag of the route (apis/record_auth.go).
  const route = (action: string, tag: string, flow: Flow, check: Check = collectionOnly) =>
    api.post<{ Params: Params }>(
      `/collections/:collection/${action}`,
      {
        config: { invalidBodyMessage: 'An error occurred while loading the submitted data.', rateLimit: { tags: [tag] } },
        onRequest: (request, _reply, done) => {
          try {
            check(request);
            done();
          } catch (e) {
            done(e as Error);
          }
        },
      },
      async (request, reply) => {
        const { body } = await readRecordInput(request);
        await flow.call(flows, request.ctx, request.params.collection, body);
        return reply.code(204).send();
      },
    );
  route('request-verification', 'requestVerification', flows.requestVerification);
  route('confirm-verification', 'confirmVerification', flows.confirmVerification);
  route('request-password-reset', 'requestPasswordReset', flows.requestPasswordReset);
  route('confirm-password-reset', 'confirmPasswordReset', flows.confirmPasswordReset);
  route('request-email-change', 'requestEmailChange', flows.requestEmailChange, ownRecord);
  route('confirm-email-change', 'confirmEmailChange', flows.confirmEmailChange);
}
