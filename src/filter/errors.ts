import { ApiError } from '../kernel/errors.ts';

/**
 * A 400 raised for any problem with a filter or rule. It is an ApiError, so the HTTP boundary
 * reports it as-is; `reason` keeps the bare description so callers can re-word the prefix
 * (validateRule reports "Invalid rule: …").
 */
export class FilterError extends ApiError {
  constructor(
    readonly reason: string,
    prefix = 'Invalid filter',
  ) {
    super(400, `${prefix}: ${reason}`);
    this.name = 'FilterError';
  }
}

/**
 * A filter refused by a limit the client can act on, whose reason names nothing of the schema
 * (a field or rule the client may not know): the records API shows it, where other filter
 * problems get PocketBase's generic 400.
 */
export class FilterLimitError extends FilterError {}

/** A `~` pattern past `max` UTF-8 bytes (see FILTER_LIMITS.maxClientLikePatternBytes). */
export const likePatternTooLong = (max: number): FilterLimitError =>
  new FilterLimitError(`value too long for the ~ operator (max ${max} bytes)`);

export function fail(reason: string): never {
  throw new FilterError(reason);
}

/** Quotes user text for an error message; JSON escaping keeps control characters visible. */
export const quote = (text: string): string => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
