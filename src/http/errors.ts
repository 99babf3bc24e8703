import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, badRequest, isApiError, notFound, tooLarge } from '../kernel/errors.ts';
import { JsonLimitError } from './json.ts';

/** Sent with every response, errors included, as PocketBase does. */
export const SECURITY_HEADERS = Object.freeze({
  'x-xss-protection': '1; mode=block',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
});

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
 * message; Fastify's own errors (bad JSON, oversized body) are mapped to PocketBase's wording,
 * except JSON past a shape limit, whose 400 names the limit;
 * anything else is a 500 whose internal message is logged with the request id, never sent.
 */
export function toApiError(error: unknown, invalidBodyMessage = INVALID_BODY): ApiError {
  if (isApiError(error)) return error;
  // Before the codes: the JSON parser's failures all carry FST_ERR_CTP_INVALID_JSON_BODY.
  if (error instanceof JsonLimitError) return badRequest(error.message);
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

/** Sends an error in PocketBase's shape, with the headers every response carries. */
export function sendError(request: FastifyRequest, reply: FastifyReply, apiError: ApiError): void {
  // Set again here: an error may be raised before the onRequest hook set them.
  reply.headers(SECURITY_HEADERS);
  if (request.headers.origin !== undefined) reply.header('access-control-allow-origin', '*');
  void reply.code(apiError.status).header('content-type', 'application/json; charset=utf-8').send(apiError.toJSON());
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const apiError = toApiError(error, invalidBody(request).message);
  if (apiError.status >= 500) request.log.error({ err: error, reqId: request.id }, 'request failed');
  sendError(request, reply, apiError);
}

/**
 * Fastify's router-level errors (its `frameworkErrors`), which otherwise answer in Fastify's own
 * shape and echo the URL. A path that is not valid percent-encoding is a 400 (Go's server refuses
 * it before PocketBase's router sees it); a path segment longer than any name or id can be is a
 * 404, which is what PocketBase answers for a collection or record that does not exist.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const apiError =
    error.code === 'FST_ERR_BAD_URL' ? badRequest() : error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? notFound() : toApiError(error);
  if (apiError.status >= 500) request.log.error({ err: error, reqId: request.id }, 'request failed');
  sendError(request, reply, apiError);
}

export const requestTimeout = (): ApiError => new ApiError(408, 'Request timeout.');

/**
 * The error for a request Node's HTTP parser refused (`HPE_*` codes) or that timed out before it
 * was read: malformed HTTP is PocketBase's generic 400.
 */
export function clientErrorToApiError(code: string): ApiError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError(431, 'Request header fields too large.');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return tooLarge();
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return requestTimeout();
    default:
      return badRequest();
  }
}

/**
 * A whole HTTP/1.1 error response, for the places where there is no reply object to send it
 * with (a request the parser refused, a timeout): PocketBase's shape, the security headers,
 * and `Connection: close`, since the connection cannot be used after it.
 */
export function rawErrorResponse(error: ApiError): string {
  const body = JSON.stringify(error.toJSON());
  const headers = {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\n${lines.join('')}\r\n${body}`;
}
