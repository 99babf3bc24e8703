/**
 * Bounds on what one record response may cost, whatever the data holds. PocketBase has none of
 * these: there a guest list of 1,000 records with a four-level self-relation expand built a
 * 534 MB response (13-34 s of a frozen server, 2.4 GB of memory); five levels overflowed the
 * serializer's string. These are the defaults, with their reasons; `baton serve` takes others
 * from `--max-expanded-records` and `--max-response-size` (config.ts) and passes them to the
 * services that build responses (RecordService, AuthService).
 */
import { badRequest } from '../../kernel/errors.ts';

export interface ResponseLimits {
  /** Related records one response may carry under `expand`, counted as they are serialised. */
  readonly maxExpandedRecords: number;
  /** Bytes of one JSON response body (UTF-8). */
  readonly maxResponseBytes: number;
}

/**
 * 10,000: a full page (`perPage` 1,000) with ten related records each, or the SDK's
 * `getFullList` batches (500) with twenty each. Beyond that a client pages through instead.
 * Each expanded record costs a row read and an export on the event loop (about 10 µs), so the
 * worst admitted expand stays near a tenth of a second. A record expanded from several places
 * counts once per place, as it is serialised once per place: that multiplication is what the
 * attack above exploits.
 */
export const MAX_EXPANDED_RECORDS = 10_000;

/**
 * 64 MiB: twice the default request body limit (32 MiB), so a record a client could write in one
 * request always reads back, with room for its expansions; a full page of 1,000 records with
 * 10,000 expanded ones of a kilobyte each is about 11 MB. The body is held in memory until it is
 * complete (a refusal has to come before the status line), so this is also what one response
 * may hold; it stays far below V8's largest string (~512 MiB), which the serializer never needs.
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export const DEFAULT_RESPONSE_LIMITS: ResponseLimits = Object.freeze({
  maxExpandedRecords: MAX_EXPANDED_RECORDS,
  maxResponseBytes: MAX_RESPONSE_BYTES,
});

export const tooManyExpandedRecords = (max: number) =>
  badRequest(`The expand would include more than ${max} related records, the limit per response. Request fewer records (perPage) or fewer expand paths.`);

export const responseTooLarge = (max: number) =>
  badRequest(`The response would be larger than ${max} bytes, the limit per response. Request fewer records (perPage), fewer expand paths or fewer fields.`);

/**
 * An upper bound of the bytes a record's JSON answer takes, from the values written for it (as
 * the database stores them), without serialising anything: a create or update whose answer could
 * not pass the byte limit needs no transaction to refuse it (RecordService's `answeredWrite`).
 * Each UTF-16 unit of a string is at most 6 bytes in JSON (`\u001f`), and a value read back as
 * another type (JSON text parsed, 0/1 as a boolean, a date re-formatted) is no longer in JSON than
 * 6 bytes a character of its stored text, or `SCALAR_BYTES`. `RECORD_OVERHEAD_BYTES` covers what
 * the export adds (collectionId, collectionName) and the braces.
 */
export function exportBytesBound(values: Readonly<Record<string, unknown>>): number {
  let bytes = RECORD_OVERHEAD_BYTES;
  for (const key in values) bytes += 6 * key.length + 4 + valueBound(values[key]);
  return bytes;
}

const RECORD_OVERHEAD_BYTES = 4096;
const SCALAR_BYTES = 32;

function valueBound(value: unknown): number {
  if (typeof value === 'string') return Math.max(6 * value.length + 2, SCALAR_BYTES);
  if (Buffer.isBuffer(value)) return 6 * value.length + SCALAR_BYTES;
  if (Array.isArray(value)) {
    let bytes = 2;
    for (const item of value) bytes += valueBound(item) + 1;
    return bytes;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    let bytes = 2;
    for (const [key, item] of Object.entries(value)) bytes += 6 * key.length + 4 + valueBound(item);
    return bytes;
  }
  return SCALAR_BYTES;
}
