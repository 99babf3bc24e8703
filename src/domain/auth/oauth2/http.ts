/**
 * The outgoing HTTP of the OAuth2 provider layer. Three rules hold for every request made here or
 * by the libraries it hands `cappedFetch` to (oauth4webapi, jose):
 *  - a response body is read under one cap, so a hostile or broken provider cannot make us buffer
 *    more than `MAX_RESPONSE_BYTES` (decoded bytes are counted, so a compressed bomb stops too);
 *  - a request is bound to an AbortSignal (the sign-in flow's deadline, or a timeout of our own);
 *  - a failure becomes an `OAuth2ProviderError` whose message names the step and the provider's
 *    own error text, never a token, code or secret.
 */
import { type OAuth2FailureStage, OAuth2ProviderError } from './types.ts';

export type Fetch = typeof fetch;

/** No token, user or key document of a real provider comes near 1 MiB. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** GitHub's API refuses requests without a User-Agent; the others ignore it. */
export const USER_AGENT = 'Baton';

/** Statuses whose responses cannot carry a body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * `fetch` that reads the whole body under `maxBytes` before handing the response on. oauth4webapi
 * and jose read bodies whole, so this is the one place their reads are bounded.
 */
export function cappedFetch(base: Fetch, maxBytes = MAX_RESPONSE_BYTES): Fetch {
  return async (input, init) => {
    const response = await base(input, init);
    const body = await readCapped(response, maxBytes);
    const { status, statusText, headers } = response;
    return new Response(NULL_BODY_STATUSES.has(status) ? null : body, { status, statusText, headers });
  };
}

async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new OAuth2ProviderError(`the response is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
}

/**
 * `work`, or a rejection as soon as `signal` aborts. For work shared between callers (a cached
 * discovery document or key set): one caller giving up must not cancel it for the others.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Runs one step of an exchange; whatever it throws comes out as an `OAuth2ProviderError` naming the step. */
export async function step<T>(label: string, stage: OAuth2FailureStage, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new OAuth2ProviderError(`${label}: ${describeFailure(error)}`, stage);
  }
}

/** A failure in words fit for a log line: what went wrong, not the request that carried secrets. */
export function describeFailure(error: unknown): string {
  if (error instanceof OAuth2ProviderError) return error.message;
  const name = error instanceof Error ? error.name : '';
  if (name === 'AbortError') return 'aborted';
  if (name === 'TimeoutError') return 'timed out';
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return `unreachable${typeof code === 'string' ? ` (${code})` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** `value` as an http(s) URL, or an error naming the setting that holds it. */
export function httpURL(value: string, setting: string): URL {
  if (!value) throw new OAuth2ProviderError(`${setting} is not set`);
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') throw new OAuth2ProviderError(`${setting} is not an http(s) URL`);
  return url;
}

/**
 * Go's url.QueryEscape, which PocketBase's requests are encoded with: encodeURIComponent with
 * `!'()*` escaped too and spaces as `+`.
 */
export const goQueryEscape = (value: string): string =>
  encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');

export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The provider's own words for an error body (`error`, `error_description`, GitHub's `message`),
 * shortened and stripped of control characters, as ` (…)`; '' when it said nothing.
 */
export function providerMessage(body: unknown): string {
  if (!isJsonObject(body)) return '';
  const words = [body.error, body.error_description, body.message].filter((w): w is string => typeof w === 'string' && w !== '');
  if (words.length === 0) return '';
  // eslint-disable-next-line no-control-regex
  const text = words.join(': ').replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return ` (${text.length > 200 ? `${text.slice(0, 200)}…` : text})`;
}

export interface JsonReply {
  readonly status: number;
  /** The parsed body; undefined when it was not JSON. */
  readonly body: unknown;
}

export const isSuccess = (reply: JsonReply): boolean => reply.status >= 200 && reply.status < 300;

/**
 * GETs a provider API document with the access token as a Bearer credential. Redirects are not
 * followed (as oauth4webapi does for its requests): the token must go to the configured URL only.
 */
export async function getWithToken(fetchImpl: Fetch, url: string, accessToken: string, signal: AbortSignal): Promise<JsonReply> {
  const target = httpURL(url, 'the user info URL');
  const response = await cappedFetch(fetchImpl)(target, {
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json', 'user-agent': USER_AGENT },
    redirect: 'manual',
    signal,
  });
  return { status: response.status, body: parseJson(await response.text()) };
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
