/**
 * The authorization code for tokens (RFC 6749 §4.1.3), as golang.org/x/oauth2 does it for
 * PocketBase: a form POST of `grant_type`, `code`, `redirect_uri` and (with PKCE) `code_verifier`,
 * the client authenticated with HTTP Basic first and, when the server refuses that, with
 * `client_id`/`client_secret` in the body (its "AutoDetect" style, remembered per endpoint).
 *
 * oauth4webapi builds and sends the request (client authentication encoding, headers, the
 * https-only rule, no redirects). The response is read here instead of by its
 * `processAuthorizationCodeResponse` / `processGenericTokenEndpointResponse`, because those
 * validate any `id_token` in it against one fixed issuer (and RS256 unless told otherwise):
 * Microsoft's multi-tenant `common` endpoint issues ID tokens whose `iss` names the user's own
 * tenant, and a generic OIDC provider configured as PocketBase allows may list several issuers or
 * none, so real providers would be refused. ID tokens are verified in id-token.ts instead (jose,
 * signature included), by the account readers that use them.
 */
import * as oauth from 'oauth4webapi';
import { formatDate } from '../../../kernel/time.ts';
import { cappedFetch, type Fetch, goQueryEscape, httpURL, isJsonObject, isSuccess, type JsonReply, parseJson, providerMessage, USER_AGENT } from './http.ts';
import { OAuth2ProviderError } from './types.ts';

export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** When the access token expires, as a PocketBase date, or '' when the provider did not say. */
  readonly expiry: string;
  /** The response's `id_token`, unverified; '' when there was none. */
  readonly idToken: string;
}

export interface CodeExchange {
  readonly tokenURL: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly code: string;
  readonly redirectURL: string;
  /** Sent when defined (the provider uses PKCE), even empty, as PocketBase does. */
  readonly codeVerifier: string | undefined;
  readonly signal: AbortSignal;
}

type ClientAuthStyle = 'basic' | 'post';

/**
 * Token endpoints (by URL and client id) that refused HTTP Basic and took the body credentials:
 * asked with the body straight away next time. Bounded; forgetting costs one extra request.
 */
const basicRefusedBy = new Set<string>();
const MAX_REMEMBERED = 1000;

export async function exchangeCode(fetchImpl: Fetch, exchange: CodeExchange): Promise<TokenSet> {
  const key = `${exchange.tokenURL}\n${exchange.clientId}`;
  const first: ClientAuthStyle = basicRefusedBy.has(key) ? 'post' : 'basic';
  let reply = await requestTokens(fetchImpl, exchange, first);
  if (first === 'basic' && exchange.clientSecret !== '' && refusesBasicAuth(reply)) {
    reply = await requestTokens(fetchImpl, exchange, 'post');
    if (isSuccess(reply)) remember(key);
  }
  return tokenSetOf(reply);
}

function remember(key: string): void {
  if (basicRefusedBy.size >= MAX_REMEMBERED) basicRefusedBy.clear();
  basicRefusedBy.add(key);
}

async function requestTokens(fetchImpl: Fetch, exchange: CodeExchange, style: ClientAuthStyle): Promise<JsonReply> {
  const url = httpURL(exchange.tokenURL, 'tokenURL');
  // oauth4webapi wants an issuer identifier; it only reads it for JWT client assertions, which
  // are not used here.
  const server: oauth.AuthorizationServer = { issuer: url.href, token_endpoint: url.href };
  const parameters = new URLSearchParams({ code: exchange.code });
  if (exchange.redirectURL) parameters.set('redirect_uri', exchange.redirectURL);
  if (exchange.codeVerifier !== undefined) parameters.set('code_verifier', exchange.codeVerifier);
  const response = await oauth.genericTokenEndpointRequest(
    server,
    { client_id: exchange.clientId },
    clientAuthentication(style, exchange.clientSecret),
    'authorization_code',
    parameters,
    {
      signal: exchange.signal,
      headers: { 'user-agent': USER_AGENT },
      [oauth.customFetch]: cappedFetch(fetchImpl),
      // Admins may point a provider at an http endpoint on their own network, as PocketBase allows.
      [oauth.allowInsecureRequests]: url.protocol === 'http:',
    },
  );
  return { status: response.status, body: parseJson(await response.text()) };
}

function clientAuthentication(style: ClientAuthStyle, clientSecret: string): oauth.ClientAuth {
  // A public client (no secret) names itself in the body; oauth4webapi's secret styles need one.
  if (clientSecret === '') return oauth.None();
  return style === 'basic' ? goClientSecretBasic(clientSecret) : oauth.ClientSecretPost(clientSecret);
}

/**
 * HTTP Basic client credentials encoded as golang.org/x/oauth2 encodes them (url.QueryEscape of
 * each), where oauth4webapi's ClientSecretBasic also escapes `-`, `.`, `_` and `~`. Both are
 * RFC 6749 form encoding, but token endpoints that skip decoding the credentials exist (the
 * mock server of the tests is one); they still read the ids and secrets PocketBase sends right,
 * which are mostly made of exactly those characters (Google's `…-….apps.googleusercontent.com`,
 * Entra's secrets with `~` and `.`).
 */
const goClientSecretBasic =
  (clientSecret: string): oauth.ClientAuth =>
  (_server, client, _body, headers) => {
    const credentials = `${goQueryEscape(client.client_id)}:${goQueryEscape(clientSecret)}`;
    headers.set('authorization', `Basic ${Buffer.from(credentials).toString('base64')}`);
  };

/** The server did not take the Basic credentials (as opposed to the code): worth asking again with the body ones. */
function refusesBasicAuth(reply: JsonReply): boolean {
  const error = isJsonObject(reply.body) ? reply.body.error : undefined;
  if (reply.status === 401 && error === undefined) return true;
  return (reply.status === 400 || reply.status === 401) && error === 'invalid_client';
}

/**
 * The token set of a reply, or the provider's refusal. GitHub answers a bad code with HTTP 200
 * and an `error` member, so an `error` member is a refusal whatever the status.
 */
function tokenSetOf(reply: JsonReply): TokenSet {
  const body = isJsonObject(reply.body) ? reply.body : undefined;
  if (typeof body?.error === 'string' && body.error !== '') {
    throw new OAuth2ProviderError(`the token endpoint refused the code${providerMessage(body)}`);
  }
  if (!isSuccess(reply)) throw new OAuth2ProviderError(`the token endpoint answered HTTP ${reply.status}`);
  if (!body) throw new OAuth2ProviderError('the token endpoint did not answer with a JSON object');
  const accessToken = stringMember(body, 'access_token');
  if (!accessToken) throw new OAuth2ProviderError('the token endpoint answered without an access_token');
  return {
    accessToken,
    refreshToken: stringMember(body, 'refresh_token'),
    expiry: expiryOf(body.expires_in),
    idToken: stringMember(body, 'id_token'),
  };
}

const stringMember = (body: Record<string, unknown>, name: string): string => {
  const value = body[name];
  return typeof value === 'string' ? value : '';
};

/** `expires_in` seconds (a number, or digits as some providers send) from now; '' when absent or not positive. */
function expiryOf(expiresIn: unknown): string {
  const seconds = typeof expiresIn === 'string' && expiresIn.trim() !== '' ? Number(expiresIn) : expiresIn;
  if (typeof seconds !== 'number' || !(seconds > 0)) return '';
  const at = new Date(Date.now() + seconds * 1000);
  return Number.isNaN(at.getTime()) ? '' : formatDate(at);
}
