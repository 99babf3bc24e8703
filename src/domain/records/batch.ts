/**
 * `POST /api/batch` (PocketBase's apis/batch.go): record creates, updates, upserts and deletes in
 * one transaction. Each item runs as the records API would run it, as the batch's sender, with the
 * item's own query (expand, fields) and headers, rules seeing `@request.context` "batch". The first
 * item that fails rolls everything back and names itself in the error (`data.requests.N`); the
 * changes are announced only once the transaction has committed. Past its timeout, or once its
 * client has gone, the batch is given up and rolls back at once, even in the middle of an item.
 * Files come in a multipart batch as `requests.N.field` (or `requests[N].field`); they are stored
 * before the item's write and removed if the batch rolls back, and the files its items drop are
 * removed only after the commit.
 */
import type { Database } from '../../db/dialect.ts';
import { translateDbError } from '../../db/errors.ts';
import { TransactionDatabase } from '../../db/transaction-database.ts';
import { ApiError, badRequest, fieldError, forbidden, isApiError, type ErrorData } from '../../kernel/errors.ts';
import type { RequestContext } from '../context.ts';
import { TransactionFileStore } from './batch-files.ts';
import type { RecordChange } from './changes.ts';
import type { RecordInput, UploadedFile } from './input.ts';
import { parseFieldsParam, pickFields } from './picker.ts';
import type { RecordService } from './service.ts';

/** `settings.batch`, as PocketBase keeps it. */
export interface BatchSettings {
  enabled: boolean;
  maxRequests: number;
  /** Seconds the whole transaction may take (0: 3, PocketBase's floor). */
  timeout: number;
  /** Bytes of the batch request's body (0: 128 MiB). */
  maxBodySize: number;
}

export interface BatchItem {
  method?: unknown;
  url?: unknown;
  headers?: unknown;
  body?: unknown;
}

/**
 * Checks an item's answer (a record, narrowed by `fields`) before the batch commits, throwing to
 * refuse it: the HTTP layer's response limit. A refused answer fails the batch, which rolls back.
 */
export type WeighAnswer = (body: unknown) => void;

export interface BatchResult {
  body: unknown;
  status: number;
}

export interface BatchServiceDeps {
  db: Database;
  records: RecordService;
  settings: () => BatchSettings;
}

const DEFAULT_TIMEOUT_S = 3;
/** How long a batch's items may hold the event loop before letting it turn (see `run`). */
const TURN_MS = 50;
export const DEFAULT_BATCH_BODY_BYTES = 128 * 1024 * 1024;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const MAX_URL = 2000;

/** The record routes a batch item may name (PocketBase's ValidBatchActions). */
const ACTIONS: ReadonlyArray<{ method: string; pattern: RegExp }> = [
  { method: 'PUT', pattern: /^\/api\/collections\/([^/?]+)\/records(\?.*)?$/ },
  { method: 'POST', pattern: /^\/api\/collections\/([^/?]+)\/records(\?.*)?$/ },
  { method: 'PATCH', pattern: /^\/api\/collections\/([^/?]+)\/records\/([^/?]+)(\?.*)?$/ },
  { method: 'DELETE', pattern: /^\/api\/collections\/([^/?]+)\/records\/([^/?]+)(\?.*)?$/ },
];

/** The body limit of a batch request under `settings` (PocketBase: 128 MiB unless set). */
export const batchBodyLimit = (settings: BatchSettings): number => (settings.maxBodySize > 0 ? settings.maxBodySize : DEFAULT_BATCH_BODY_BYTES);

export class BatchService {
  constructor(private readonly deps: BatchServiceDeps) {}

  /** Batch requests are off unless the settings switch them on (PocketBase's 403). */
  assertEnabled(): BatchSettings {
    const settings = this.deps.settings();
    if (!settings.enabled || settings.maxRequests <= 0) throw forbidden('Batch requests are not allowed.');
    return settings;
  }

  /**
   * Runs the items in one transaction. The batch gives up, and the transaction rolls back at once
   * (`TransactionOptions.signal`: a statement blocked on a lock is cancelled, the next one is
   * never sent, and it never commits), when its `timeout` has passed since the transaction opened
   * (PocketBase's "batch transaction timeout": the wait for the write lock, behind other batches,
   * is not counted) or when `signal` aborts: the route's, when the client went away (PocketBase's
   * "batch request interrupted").
   */
  async run(ctx: RequestContext, input: Pick<RecordInput, 'body' | 'files'>, signal?: AbortSignal, weigh?: WeighAnswer): Promise<BatchResult[]> {
    const settings = this.assertEnabled();
    const items = parseItems(input.body, settings.maxRequests, input.files ?? []);
    const timeoutMs = (settings.timeout > 0 ? settings.timeout : DEFAULT_TIMEOUT_S) * 1000;
    const changes: RecordChange[] = [];
    const store = this.deps.records.fileStore;
    const files = store && new TransactionFileStore(store);
    // The answer of a batch given up on names no request (none of them failed): its data is empty.
    const giveUp = new AbortController();
    const stop = (why: string) => giveUp.abort(Object.assign(badRequest('Batch transaction failed.'), { cause: new Error(why) }));
    const interrupted = () => stop('batch request interrupted');
    if (signal?.aborted) interrupted();
    signal?.addEventListener('abort', interrupted, { once: true });
    const expire = () => stop('batch transaction timeout');
    let timer: NodeJS.Timeout | undefined;
    const transaction = this.deps.db.transaction(async (tx) => {
      const deadline = Date.now() + timeoutMs;
      timer = setTimeout(expire, timeoutMs);
      let turn = Date.now();
      const records = this.deps.records.within(new TransactionDatabase(tx), {
        changes: { recordChanged: (c) => changes.push(c), beforeDelete: (c) => this.deps.records.changeSink?.beforeDelete?.(c) ?? Promise.resolve() },
        requestContext: 'batch',
        files,
      });
      const out: BatchResult[] = [];
      for (let i = 0; i < items.length; i++) {
        // SQLite's statements are synchronous: its items may all run within one turn of the event
        // loop, where neither the timer nor the client's leaving is seen. So the clock is read
        // between items, and the loop is let turn now and then.
        if (Date.now() >= deadline) expire();
        else if (Date.now() - turn >= TURN_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          turn = Date.now();
        }
        // Given up on, the transaction has rolled back already; this only ends the loop.
        giveUp.signal.throwIfAborted();
        try {
          out.push(await runItem(records, itemContext(ctx, items[i]), items[i], weigh));
        } catch (e) {
          throw itemFailed(i, isApiError(e) ? e : badRequest());
        }
      }
      // The last item may have ended past the deadline, unseen by the timer: no commit then.
      if (Date.now() >= deadline) expire();
      return out;
    }, { signal: giveUp.signal });
    const results = await transaction
      .catch(async (e: unknown) => {
        await files?.rolledBack();
        // Outside the items (the write lock not had in time, a failed commit): the database's
        // error as the API gives it everywhere (a lock wait: 503, "busy"), never a bare 500.
        throw isApiError(e) ? e : (translateDbError(this.deps.db.dialect, e) ?? e);
      })
      .finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', interrupted);
      });
    // Announced where the record service announces its own (realtime), only now that it committed.
    const sink = this.deps.records.changeSink;
    for (const change of changes) sink?.recordChanged(change);
    await files?.committed();
    return results;
  }
}

interface ParsedItem {
  method: string;
  url: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  files: UploadedFile[];
}

/** The `requests` list, checked as PocketBase's form checks it; `uploads` go to the items they name. */
function parseItems(body: Record<string, unknown>, max: number, uploads: readonly UploadedFile[]): ParsedItem[] {
  const list = body.requests;
  const invalid = (data: ErrorData) => badRequest('Invalid batch request data.', data);
  if (list !== undefined && list !== null && !Array.isArray(list)) throw badRequest('Failed to read the submitted batch data.');
  if (!Array.isArray(list) || list.length === 0) throw invalid({ requests: fieldError('validation_required', 'Cannot be blank.') });
  if (list.length > max) throw invalid({ requests: fieldError('validation_length_too_long', `The length must be no more than ${max}.`) });
  const errors: Record<string, ErrorData> = {};
  const items = list.map((raw, i) => {
    const item = (raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as BatchItem;
    const method = typeof item.method === 'string' ? item.method.toUpperCase() : '';
    const url = typeof item.url === 'string' ? item.url : '';
    const e: ErrorData = {};
    if (method === '') e.method = fieldError('validation_required', 'Cannot be blank.');
    else if (!METHODS.includes(method)) e.method = fieldError('validation_in_invalid', 'Must be a valid value.');
    if (url === '') e.url = fieldError('validation_required', 'Cannot be blank.');
    else if (url.length > MAX_URL) e.url = fieldError('validation_length_too_long', `The length must be no more than ${MAX_URL}.`);
    if (Object.keys(e).length) errors[String(i)] = e;
    const at = url.indexOf('?');
    const files = itemFiles(uploads, i);
    const itemBody = { ...(item.body && typeof item.body === 'object' && !Array.isArray(item.body) ? item.body : {}) } as Record<string, unknown>;
    // As PocketBase: a key with files takes the files in place of any value the body gave it.
    for (const file of files) delete itemBody[file.key];
    return {
      method,
      url,
      path: at < 0 ? url : url.slice(0, at),
      query: at < 0 ? {} : Object.fromEntries(new URLSearchParams(url.slice(at + 1))),
      headers: stringMap(item.headers),
      body: itemBody,
      files,
    };
  });
  if (Object.keys(errors).length) throw invalid({ requests: errors });
  return items;
}

/** The uploads under `requests.N.` or `requests[N].` (PocketBase's prefixes), keyed by the rest. */
function itemFiles(uploads: readonly UploadedFile[], index: number): UploadedFile[] {
  const prefixes = [`requests.${index}.`, `requests[${index}].`];
  const out: UploadedFile[] = [];
  for (const file of uploads) {
    const prefix = prefixes.find((p) => file.key.startsWith(p) && file.key.length > p.length);
    if (prefix) out.push({ ...file, key: file.key.slice(prefix.length) });
  }
  return out;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

/** The item seen as a request of its own: the sender's auth, the item's query, headers over the batch's (never its authorization). */
function itemContext(ctx: RequestContext, item: ParsedItem): RequestContext {
  const { authorization: _ignored, ...headers } = item.headers;
  return {
    requestId: ctx.requestId,
    principal: ctx.principal,
    method: item.method,
    headers: { ...ctx.headers, ...headers },
    query: item.query,
    logger: ctx.logger,
    realIp: ctx.realIp,
  };
}

async function runItem(records: RecordService, ctx: RequestContext, item: ParsedItem, weigh?: WeighAnswer): Promise<BatchResult> {
  const action = ACTIONS.find((a) => a.method === item.method && a.pattern.test(item.url));
  if (!action) throw new Error(`unknown batch request action: ${item.method} ${item.path}`);
  const [, rawCollection, rawId] = action.pattern.exec(item.url)!;
  const collection = decodeURIComponent(rawCollection);
  const id = rawId === undefined ? '' : decodeURIComponent(rawId);
  const input: RecordInput = { body: item.body, source: 'json', ...(item.files.length ? { files: item.files } : {}) };
  const fields = ctx.query.fields ? parseFieldsParam(ctx.query.fields) : undefined;
  const respond = (record: unknown) => {
    const body = fields ? pickFields(record, fields) : record;
    weigh?.(body);
    return body;
  };
  const options = { expand: ctx.query.expand, respond };
  switch (item.method) {
    case 'PUT': {
      // An upsert updates the record the body's id names when it exists, else creates it.
      const bodyId = typeof item.body.id === 'string' ? item.body.id : '';
      if (bodyId && (await records.exists(collection, bodyId))) {
        return { body: await records.update(ctx, collection, bodyId, input, options), status: 200 };
      }
      return { body: await records.create(ctx, collection, input, options), status: 200 };
    }
    case 'POST':
      return { body: await records.create(ctx, collection, input, options), status: 200 };
    case 'PATCH':
      return { body: await records.update(ctx, collection, id, input, options), status: 200 };
    default:
      await records.delete(ctx, collection, id);
      return { body: null, status: 204 };
  }
}

/** PocketBase's error for a batch whose item `index` failed, with that item's own error inside. */
function itemFailed(index: number, cause: ApiError): ApiError {
  return badRequest('Batch transaction failed.', {
    requests: { [String(index)]: { code: 'batch_request_failed', message: 'Batch request failed.', response: cause.toJSON() } },
  });
}
