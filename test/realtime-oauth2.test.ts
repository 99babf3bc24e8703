// The SDK's popup OAuth2 flow end to end, against a real OAuth2/OpenID Connect server on loopback
// (oauth2-mock-server): `authWithOAuth2({provider, urlCallback})` subscribes its realtime client
// to `@oauth2`, the test's "browser" follows the provider's authorization URL and requests
// Baton's /api/oauth2-redirect with the code and state it was sent back with, and the SDK signs
// in with the code the `@oauth2` event carried. Then the redirect's refusals, and Apple's form post.
import type { OAuth2Server } from 'oauth2-mock-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, text } from './support/builders.ts';
import { clientError } from './support/sdk.ts';
import { startOAuth2Provider } from './support/oauth2.ts';
import { openStream, sdk, setSubscriptions, sleep, until } from './support/realtime.ts';

const DONE = 'Auth completed. You can close this window and go back to the app.';
const FAILED = 'Failed to authenticate. You can close this window and go back to the app to try again.';

let server: TestServer;
let provider: OAuth2Server;
const account = { sub: 'popup-1', name: 'Ada Lovelace', email: 'ada@popup.test', email_verified: true };

beforeAll(async () => {
  provider = await startOAuth2Provider(() => account);
  server = await startServer();
  await signUpCollection('popup_users', { name: 'oidc', userInfoURL: `${provider.issuer.url}/userinfo` });
});

/** An auth collection anyone may sign up to through one provider entry pointed at the loopback provider. */
async function signUpCollection(name: string, entry: Record<string, unknown>) {
  await createCollection(server, {
    name,
    type: 'auth',
    fields: [text('name')],
    createRule: '',
    oauth2: {
      enabled: true,
      providers: [{
        clientId: 'baton-client',
        clientSecret: 'baton-secret',
        authURL: `${provider.issuer.url}/authorize`,
        tokenURL: `${provider.issuer.url}/token`,
        ...entry,
      }],
      mappedFields: { id: '', name: 'name', username: '', avatarURL: '' },
    },
  });
}
afterAll(async () => {
  await server?.close();
  await provider?.stop();
});

/** The browser's part: the provider's page answers at once with a redirect to Baton. */
async function followProvider(url: string): Promise<URL> {
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location')!);
  expect(back.origin + back.pathname).toBe(`${server.url}/api/oauth2-redirect`);
  return back;
}

async function redirect(query: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api/oauth2-redirect?${new URLSearchParams(query)}`, { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('the popup flow', () => {
  it('signs in through the @oauth2 event: the redirect hands the code to the client whose id is the state', async () => {
    const pb = sdk(server.url);
    let page: Awaited<ReturnType<typeof redirect>> | undefined;
    const auth = await pb.collection('popup_users').authWithOAuth2({
      provider: 'oidc',
      urlCallback: async (url) => {
        const back = await followProvider(url);
        expect(back.searchParams.get('state')).toBe(new URL(url).searchParams.get('state'));
        page = await redirect({ code: back.searchParams.get('code')!, state: back.searchParams.get('state')! });
      },
    });
    expect(page).toEqual({ status: 200, type: 'text/html; charset=utf-8', text: DONE });
    expect(auth.record).toMatchObject({ email: 'ada@popup.test', name: 'Ada Lovelace', verified: true });
    expect(auth.meta?.isNew).toBe(true);
    expect(pb.authStore.isValid).toBe(true);
  });

  it('a provider error reaches the SDK, which rejects; the page is the failure text', async () => {
    const pb = sdk(server.url);
    let page: ReturnType<typeof redirect> | undefined;
    const error = await clientError(() =>
      pb.collection('popup_users').authWithOAuth2({
        provider: 'oidc',
        urlCallback: (url) => {
          // The SDK rejects as soon as the event arrives, which may be before the page is read.
          page = redirect({ state: new URL(url).searchParams.get('state')!, error: 'access_denied' });
        },
      }),
    );
    expect(String((error.originalError as Error | undefined)?.message)).toBe('OAuth2 redirect error or missing code: access_denied');
    expect(await page).toEqual({ status: 200, type: 'text/plain; charset=utf-8', text: FAILED });
  });
});

describe('/api/oauth2-redirect', () => {
  it('sends {state, code} (error only when there is one) as the @oauth2 event, once: the subscription ends', async () => {
    const s = await openStream(server.url);
    expect((await setSubscriptions(server.url, s.clientId, ['@oauth2', 'popup_users/*'])).status).toBe(204);
    expect((await redirect({ state: s.clientId, code: 'the-code' })).text).toBe(DONE);
    const event = await until(() => s.events.find((e) => e.event === '@oauth2'), 5000, 'the @oauth2 event');
    expect(event).toEqual({ id: s.clientId, event: '@oauth2', data: `{"state":"${s.clientId}","code":"the-code"}` });
    // Unsubscribed from @oauth2: a second redirect finds no waiting client.
    expect((await redirect({ state: s.clientId, code: 'again' })).text).toBe(FAILED);

    await setSubscriptions(server.url, s.clientId, ['@oauth2']);
    expect((await redirect({ state: s.clientId, error: 'denied' })).text).toBe(FAILED);
    await until(() => s.events.filter((e) => e.event === '@oauth2').length === 2, 5000, 'the error event');
    expect(s.events.at(-1)!.data).toBe(`{"state":"${s.clientId}","code":"","error":"denied"}`);
  });

  it('answers the failure page for no state, an unknown client, or a client not subscribed to @oauth2', async () => {
    const s = await openStream(server.url);
    await setSubscriptions(server.url, s.clientId, ['popup_users/*']);
    const queries: Array<Record<string, string>> = [{ code: 'x' }, { state: 'unknown', code: 'x' }, { state: s.clientId, code: 'x' }];
    for (const query of queries) {
      const res = await redirect(query);
      expect(res).toEqual({ status: 200, type: 'text/plain; charset=utf-8', text: FAILED });
    }
    await sleep(50);
    expect(s.events.filter((e) => e.event === '@oauth2')).toEqual([]);
  });

  it('refuses a redirect from another address than the client\'s (trusted proxy header), and ends the subscription', async () => {
    const settings = (trustedProxy: unknown) => api(server, 'PATCH', '/api/settings', { token: server.superuserToken, body: { trustedProxy } });
    expect((await settings({ headers: ['X-Forwarded-For'], useLeftmostIP: false })).status).toBe(200);
    try {
      const s = await openStream(server.url);
      await setSubscriptions(server.url, s.clientId, ['@oauth2']);
      expect((await redirect({ state: s.clientId, code: 'c' }, { 'x-forwarded-for': '10.1.2.3' })).text).toBe(FAILED);
      expect((await redirect({ state: s.clientId, code: 'c' })).text).toBe(FAILED);
      await sleep(50);
      expect(s.events.filter((e) => e.event === '@oauth2')).toEqual([]);
      // And the subscription request itself must come from the client's address.
      const other = await api(server, 'POST', '/api/realtime', { body: { clientId: s.clientId, subscriptions: [] }, headers: { 'x-forwarded-for': '10.1.2.3' } });
      expect(other.status).toBe(400);
      expect(other.body).toEqual({ data: {}, message: 'Invalid realtime client.', status: 400 });
    } finally {
      await settings({ headers: [], useLeftmostIP: false });
    }
  });

  it('takes Apple\'s form post, and keeps the name of its `user` field for one auth-with-oauth2 call', async () => {
    const names = server.baton.services.oauth2Redirect.names;
    const s = await openStream(server.url);
    await setSubscriptions(server.url, s.clientId, ['@oauth2']);
    const user = JSON.stringify({ name: { firstName: 'Grace', lastName: 'Hopper' }, email: 'grace@apple.test' });
    const form = new URLSearchParams({ state: s.clientId, code: 'apple-code', user });
    const res = await fetch(`${server.url}/api/oauth2-redirect`, { method: 'POST', body: form });
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toBe(DONE);
    const event = await until(() => s.events.find((e) => e.event === '@oauth2'), 5000, 'the @oauth2 event');
    expect(JSON.parse(event.data)).toEqual({ state: s.clientId, code: 'apple-code' });
    expect(names.take('apple-code')).toBe('Grace Hopper');
    expect(names.take('apple-code')).toBeUndefined();

    // A JSON body is read too, but never its `user` (PocketBase's `json:"-"`); a value of the wrong type fails.
    await setSubscriptions(server.url, s.clientId, ['@oauth2']);
    const json = await api(server, 'POST', '/api/oauth2-redirect', { body: { state: s.clientId, code: 'json-code', user } });
    expect(json.body).toBe(DONE);
    expect(names.take('json-code')).toBeUndefined();
    await setSubscriptions(server.url, s.clientId, ['@oauth2']);
    expect((await api(server, 'POST', '/api/oauth2-redirect', { body: { state: s.clientId, code: 1 } })).body).toBe(FAILED);
  });
});

describe('apple through the popup flow', () => {
  it('the name Apple posts with its first redirect becomes the new record\'s name', async () => {
    // Apple's keys and issuer, stood in for by the loopback provider's.
    await signUpCollection('apple_users', { name: 'apple', extra: { jwksURL: `${provider.issuer.url}/jwks`, issuers: [provider.issuer.url] } });
    // Apple's ID token carries no name; the ID token (not the access token) has no `scope`.
    const claims = (token: { payload: Record<string, unknown> }) => {
      if (!('scope' in token.payload)) Object.assign(token.payload, { sub: '001.apple.grace', email: 'grace@privaterelay.appleid.com', email_verified: 'true' });
    };
    provider.service.on('beforeTokenSigning', claims);
    try {
      const pb = sdk(server.url);
      const auth = await pb.collection('apple_users').authWithOAuth2({
        provider: 'apple',
        urlCallback: async (url) => {
          const back = await followProvider(url);
          // Apple answers with a form post (response_mode=form_post), its `user` field only the first time.
          const form = new URLSearchParams({
            state: back.searchParams.get('state')!,
            code: back.searchParams.get('code')!,
            user: JSON.stringify({ name: { firstName: 'Grace', lastName: 'Hopper' }, email: 'grace@privaterelay.appleid.com' }),
          });
          const res = await fetch(`${server.url}/api/oauth2-redirect`, { method: 'POST', body: form });
          expect(res.status).toBe(200);
        },
      });
      expect(auth.record).toMatchObject({ name: 'Grace Hopper', email: 'grace@privaterelay.appleid.com', verified: true });
      expect(auth.meta).toMatchObject({ id: '001.apple.grace', name: 'Grace Hopper', isNew: true });
    } finally {
      provider.service.off('beforeTokenSigning', claims);
    }
  });
});
