import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, badRequest, isApiError, notFound } from '../kernel/errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * What a route answers when its body cannot be parsed: PocketBase words it per endpoint
     * (records: the generic 400; collection create: "…collection type data…"; import: "An error
     * occurred while loading the submitted data.").
     */
    invalidBodyMessage?: string;
  }
}

const INVALID_BODY = 'Failed to load the submitted data due to invalid formatting.';

/** The 400 a route answers for a body it cannot read. */
export const invalidBody = (request: FastifyRequest): ApiError =>
  badRequest(request.routeOptions?.config?.invalidBodyMessage ?? INVALID_BODY);

/**
 * The error boundary: every failure leaves as `{status, message, data}`. ApiErrors keep their
 * message; Fastify's own errors (bad JSON, oversized body) are mapped to PocketBase's wording;
 * anything else is a 500 whose internal message is logged with the request id, never sent.
 */
export function toApiError(error: unknown, invalidBodyMessage = INVALID_BODY): ApiError {
  if (isApiError(error)) return error;
  const fe = error as Partial<FastifyError> & { code?: string };
  switch (fe?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'Request entity too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'BATON_UNSUPPORTED_MEDIA_TYPE':
      // PocketBase answers a 400, not a 415.
      return badRequest('Unsupported Content-Type.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_VALIDATION':
      return badRequest(invalidBodyMessage);
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new ApiError(413, 'Request entity too large.');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_PROTO_VIOLATION':
      return badRequest(invalidBodyMessage);
  }
  if (error instanceof SyntaxError) return badRequest(invalidBodyMessage);
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ApiError(fe.statusCode, fe.statusCode === 404 ? notFound().message : 'Something went wrong while processing your request.');
  }
  return new ApiError(500, 'Something went wrong while processing your request.');
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const apiError = toApiError(error, invalidBody(request).message);
  if (apiError.status >= 500) request.log.error({ err: error, reqId: request.id }, 'request failed');
  void reply.code(apiError.status).header('content-type', 'application/json; charset=utf-8').send(apiError.toJSON());
}
