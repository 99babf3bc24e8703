/**
 * Small builders for end-to-end API tests: collections, fields, records and users made through the
 * public API, and a runner for tables of scenarios in the style of PocketBase's `ApiScenario`.
 */
import { expect, it } from 'vitest';
import { api, type TestServer } from './baton.ts';

type Json = Record<string, unknown>;

// ---- fields ----

export const field = (type: string, name: string, options: Json = {}): Json => ({ type, name, ...options });
export const text = (name: string, options: Json = {}) => field('text', name, options);
export const number = (name: string, options: Json = {}) => field('number', name, options);
export const bool = (name: string, options: Json = {}) => field('bool', name, options);
export const json = (name: string, options: Json = {}) => field('json', name, options);
export const select = (name: string, values: string[], options: Json = {}) => field('select', name, { values, ...options });
export const relation = (name: string, collectionId: string, options: Json = {}) =>
  field('relation', name, { collectionId, ...options });
/** PocketBase does not add `created`/`updated` by itself; collections that want them say so. */
export const autodates = (): Json[] => [
  field('autodate', 'created', { onCreate: true }),
  field('autodate', 'updated', { onCreate: true, onUpdate: true }),
];

/** Rules that let anyone do anything. */
export const PUBLIC_RULES = { listRule: '', viewRule: '', createRule: '', updateRule: '', deleteRule: '' } as const;

// ---- API helpers ----

/** Creates a collection as superuser; fails the test setup on anything but 200. Returns its JSON. */
export async function createCollection(server: TestServer, body: Json): Promise<Json & { id: string; name: string }> {
  const res = await api(server, 'POST', '/api/collections', { token: server.superuserToken, body: { type: 'base', ...body } });
  if (res.status !== 200) throw new Error(`creating collection ${String(body.name)}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Creates a record as superuser (so rules do not get in the way of setup). */
export async function createRecord(server: TestServer, collection: string, body: Json): Promise<Json & { id: string }> {
  const res = await api(server, 'POST', `/api/collections/${collection}/records`, { token: server.superuserToken, body });
  if (res.status !== 200) throw new Error(`creating record in ${collection}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A regular user of the default `users` collection, signed up and logged in through the API. */
export async function createUser(
  server: TestServer,
  email: string,
  extra: Json = {},
  password = 'user-password-123',
): Promise<{ id: string; token: string; email: string }> {
  const res = await api(server, 'POST', '/api/collections/users/records', {
    body: { email, password, passwordConfirm: password, ...extra },
  });
  if (res.status !== 200) throw new Error(`creating user ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  const login = await api(server, 'POST', '/api/collections/users/auth-with-password', { body: { identity: email, password } });
  if (login.status !== 200) throw new Error(`logging in ${email}: ${login.status} ${JSON.stringify(login.body)}`);
  return { id: res.body.id, token: login.body.token, email };
}

/** A 15-character record id made of a readable prefix and zero padding: `rid('post', 1)` = `post00000000001`. */
export const rid = (prefix: string, n: number): string => `${prefix}${String(n).padStart(15 - prefix.length, '0')}`;

// ---- scenarios ----

export interface Scenario {
  name: string;
  method?: string;
  /** The path; a function when it needs values made in `beforeAll`. */
  url: string | (() => string);
  /** A token, or a key of the runner's named tokens (e.g. 'superuser', 'user'); absent: guest. */
  auth?: string;
  /** A JSON body; a function when it needs values made in `beforeAll`. */
  body?: unknown;
  /** A raw body (FormData for multipart, URLSearchParams, a string); takes precedence over `body`. */
  payload?: () => string | FormData | URLSearchParams;
  headers?: Record<string, string>;
  status: number;
  /** Partial deep match of the parsed JSON body (`toMatchObject`). */
  expect?: unknown;
  /** Substrings the raw body must not contain. */
  notContains?: string[];
  /** Anything else to check on the parsed body. */
  check?: (body: any) => void | Promise<void>;
}

export interface ScenarioEnv {
  server: () => TestServer;
  /** Named tokens, read when the scenario runs (they are made in `beforeAll`). */
  tokens?: () => Record<string, string>;
}

/** Runs one scenario and returns the parsed body. */
export async function runScenario(env: ScenarioEnv, s: Scenario): Promise<any> {
  const server = env.server();
  const headers: Record<string, string> = { ...s.headers };
  if (s.auth) headers.authorization = s.auth === 'superuser' ? server.superuserToken : (env.tokens?.()[s.auth] ?? s.auth);
  let payload: string | FormData | URLSearchParams | undefined;
  if (s.payload) payload = s.payload();
  else if (s.body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(typeof s.body === 'function' ? s.body() : s.body);
  }
  const path = typeof s.url === 'function' ? s.url() : s.url;
  const res = await fetch(server.url + path, { method: s.method ?? 'GET', headers, body: payload });
  const raw = await res.text();
  let body: unknown = raw;
  try {
    body = raw ? JSON.parse(raw) : null;
  } catch {
    /* not JSON: raw text stays the body */
  }
  const where = `${s.method ?? 'GET'} ${path} -> ${res.status} ${raw.slice(0, 2000)}`;
  expect(res.status, where).toBe(s.status);
  if (s.expect !== undefined) {
    expect(body, where).toMatchObject(s.expect as object);
    // toMatchObject lets `data: {}` match any object: error data must name exactly the expected fields.
    const data = (s.expect as { data?: unknown }).data;
    if (s.status >= 400 && data && typeof data === 'object') {
      expect(Object.keys((body as { data: object }).data).sort(), where).toEqual(Object.keys(data).sort());
    }
  }
  for (const c of s.notContains ?? []) expect(raw, where).not.toContain(c);
  await s.check?.(body);
  return body;
}

/** One `it` per scenario. */
export function scenarios(env: ScenarioEnv, table: readonly Scenario[]): void {
  for (const s of table) {
    it(s.name, () => runScenario(env, s));
  }
}

// ---- PocketBase's standard error bodies ----

export const GENERIC_400 = { status: 400, message: 'Something went wrong while processing your request.', data: {} };
export const NOT_FOUND = { status: 404, message: "The requested resource wasn't found.", data: {} };
export const SUPERUSERS_ONLY = { status: 403, message: 'Only superusers can perform this action.', data: {} };
export const CREATE_FAILED = 'Failed to create record.';
export const UPDATE_FAILED = 'Failed to update record.';

/** The 400 body of a failed create with exactly one invalid field. */
export const fieldFailure = (fieldName: string, code: string, message?: string, action = CREATE_FAILED) => ({
  status: 400,
  message: action,
  data: { [fieldName]: message === undefined ? { code } : { code, message } },
});
