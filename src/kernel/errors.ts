/**
 * The one error type that crosses layers. Services throw it for every expected failure;
 * the HTTP boundary turns it into PocketBase's `{status, message, data}` shape.
 */
export interface FieldError {
  code: string;
  message: string;
  /** Optional template params, as PocketBase sends them for some validation errors. */
  params?: Record<string, unknown>;
}

export type ErrorData = Record<string, FieldError | Record<string, unknown>>;

export class ApiError extends Error {
  readonly status: number;
  readonly data: ErrorData;

  constructor(status: number, message: string, data: ErrorData = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.data = data;
  }

  /** PocketBase's error body, in its key order. */
  toJSON(): { data: ErrorData; message: string; status: number } {
    return { data: this.data, message: this.message, status: this.status };
  }
}

export const badRequest = (message = 'Something went wrong while processing your request.', data: ErrorData = {}) =>
  new ApiError(400, message, data);
export const unauthorized = (message = 'Missing or invalid authentication.') => new ApiError(401, message);
export const forbidden = (message = 'You are not allowed to perform this request.') => new ApiError(403, message);
export const notFound = (message = "The requested resource wasn't found.") => new ApiError(404, message);
export const tooLarge = (message = 'Request entity too large.') => new ApiError(413, message);

/** A single field validation error, keyed by field name, ready to put in ApiError.data. */
export const fieldError = (code: string, message: string, params?: Record<string, unknown>): FieldError =>
  params ? { code, message, params } : { code, message };

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;

/**
 * The environment refused something the operator must fix (another process holds the data
 * directory, an unusable database URL): the CLI prints its message as one line, no stack trace.
 */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}
