/**
 * OAuth2 providers set up from a collection's entries (PocketBase's `InitProvider`): the
 * catalogue's definition with the entry's non-empty endpoints, display name and PKCE choice laid
 * over it. A provider builds the authorization URL the client is sent to and turns the code that
 * comes back into the signed-in account (`OAuth2User`).
 *
 * Providers are cheap and stateless; what is worth keeping between sign-ins (discovery documents,
 * key sets, which token endpoints refuse HTTP Basic) is cached by the modules that fetch it.
 */
import { type AccountContext, type Account } from './accounts.ts';
import { type ProviderDefinition, providerDefinition } from './catalogue.ts';
import { discoverOidc, issuerOfDiscoveryURL } from './discovery.ts';
import { describeFailure, type Fetch, getWithToken, goQueryEscape, step } from './http.ts';
import { verifyIdToken } from './id-token.ts';
import { exchangeCode, type TokenSet } from './token-exchange.ts';
import { type AuthURLOptions, type ExchangeOptions, type OAuth2Provider, type OAuth2ProviderConfig, OAuth2ProviderError, type OAuth2User } from './types.ts';

export { isAcceptedOAuth2ProviderName, isKnownOAuth2Provider, oauth2ProviderCatalogue } from './catalogue.ts';

export interface CreateOAuth2ProviderOptions {
  /** The HTTP client for every request of the provider (default: the global fetch). */
  fetch?: typeof fetch;
}

/** The definition with the entry's settings applied. */
interface Settings {
  readonly definition: ProviderDefinition;
  readonly name: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly displayName: string;
  readonly pkce: boolean;
  readonly scopes: readonly string[];
  readonly endpoints: Endpoints;
  readonly extra: Readonly<Record<string, unknown>>;
  /** `extra.discoveryURL`: where the discovery document is, when not under the first issuer. */
  readonly discoveryURL: string;
}

interface Endpoints {
  readonly authURL: string;
  readonly tokenURL: string;
  readonly userInfoURL: string;
  readonly discoveredUserInfoURL: string;
  readonly jwksURL: string;
  readonly issuers: readonly string[];
}

/**
 * A provider for a collection's entry. Throws a plain Error for a name the catalogue does not know
 * (one of PocketBase's that Baton lacks, see isAcceptedOAuth2ProviderName): auth-methods leaves it
 * out and auth-with-oauth2 answers 500, as PocketBase does when a provider cannot be set up.
 */
export function createOAuth2Provider(config: OAuth2ProviderConfig, options: CreateOAuth2ProviderOptions = {}): OAuth2Provider {
  const definition = providerDefinition(config.name);
  if (!definition) throw new Error(`unknown OAuth2 provider "${config.name}"`);
  const settings = settingsOf(definition, config);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const provider: OAuth2Provider = {
    name: settings.name,
    displayName: settings.displayName,
    logo: '',
    pkce: settings.pkce,
    authURL: (authOptions) =>
      failAs(settings.name, async () => authorizationURL(settings, (await resolveEndpoints(settings, fetchImpl)).authURL, authOptions)),
    exchange: (exchangeOptions) => failAs(settings.name, () => exchange(settings, fetchImpl, exchangeOptions)),
  };
  return Object.freeze(provider);
}

function settingsOf(definition: ProviderDefinition, config: OAuth2ProviderConfig): Settings {
  const extra = config.extra ?? {};
  const scopes = definition.scopes;
  const configuredIssuers = stringList(extra.issuers);
  return {
    definition,
    name: config.name,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    displayName: config.displayName || definition.displayName,
    pkce: config.pkce ?? definition.pkce,
    scopes: [...new Set(scopes)],
    endpoints: {
      authURL: config.authURL || definition.authURL,
      tokenURL: config.tokenURL || definition.tokenURL,
      userInfoURL: config.userInfoURL || definition.userInfoURL,
      discoveredUserInfoURL: '',
      jwksURL: (typeof extra.jwksURL === 'string' && extra.jwksURL) || definition.jwksURL,
      issuers: configuredIssuers.length > 0 ? configuredIssuers : definition.issuers,
    },
    extra,
    discoveryURL: typeof extra.discoveryURL === 'string' ? extra.discoveryURL : '',
  };
}

/** `extra.issuers` as PocketBase reads it (cast.ToStringSlice): a list, or one whitespace-separated string. */
function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === 'string' && v !== '');
}

/**
 * The entry's endpoints, with what it leaves out taken from the discovery document (generic OIDC
 * with an issuer): the authorization or token endpoint, or a way to check the ID token (keys,
 * or a user info endpoint to read instead). The discovered issuer joins the accepted ones.
 */
async function resolveEndpoints(settings: Settings, fetchImpl: Fetch, signal?: AbortSignal): Promise<Endpoints> {
  const own = settings.endpoints;
  const incomplete = !own.authURL || !own.tokenURL || (!own.jwksURL && !own.userInfoURL);
  const issuer = incomplete ? discoveryIssuer(settings) : '';
  if (!issuer) return own;
  const found = await step('discovery', 'token', () => discoverOidc(fetchImpl, issuer, signal));
  return {
    authURL: own.authURL || found.authorizationEndpoint,
    tokenURL: own.tokenURL || found.tokenEndpoint,
    userInfoURL: own.userInfoURL,
    discoveredUserInfoURL: found.userInfoEndpoint,
    jwksURL: own.jwksURL || found.jwksURI,
    issuers: [...new Set([...own.issuers, found.issuer])],
  };
}

/** Whose discovery document to read: `extra.discoveryURL`'s issuer, else the first configured one; '' for none. */
function discoveryIssuer(settings: Settings): string {
  if (!settings.definition.discovers) return '';
  return settings.discoveryURL ? issuerOfDiscoveryURL(settings.discoveryURL) : (settings.endpoints.issuers[0] ?? '');
}

/**
 * PocketBase's authorization URL (golang.org/x/oauth2's AuthCodeURL): the endpoint, then the
 * parameters sorted by name and query-escaped as Go does, then an empty `redirect_uri` for the
 * client to complete.
 */
function authorizationURL(settings: Settings, authURL: string, options: AuthURLOptions): string {
  if (!authURL) throw new OAuth2ProviderError(`no authorization endpoint (set authURL${settings.definition.discovers ? ', or an issuer to discover it' : ''})`);
  const parameters: Record<string, string> = { ...settings.definition.authParams, client_id: settings.clientId, response_type: 'code' };
  if (settings.scopes.length > 0) parameters.scope = settings.scopes.join(' ');
  if (options.state) parameters.state = options.state;
  if (settings.pkce && options.codeChallenge) {
    parameters.code_challenge = options.codeChallenge;
    parameters.code_challenge_method = 'S256';
  }
  const query = Object.keys(parameters)
    .sort()
    .map((name) => `${goQueryEscape(name)}=${goQueryEscape(parameters[name])}`)
    .join('&');
  return `${authURL}${authURL.includes('?') ? '&' : '?'}${query}&redirect_uri=`;
}

async function exchange(settings: Settings, fetchImpl: Fetch, options: ExchangeOptions): Promise<OAuth2User> {
  const endpoints = await resolveEndpoints(settings, fetchImpl, options.signal);
  const tokens = await step('token request', 'token', () =>
    exchangeCode(fetchImpl, {
      tokenURL: endpoints.tokenURL,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      code: options.code,
      redirectURL: options.redirectURL,
      codeVerifier: settings.pkce ? options.codeVerifier : undefined,
      signal: options.signal,
    }),
  );
  const context = accountContext(settings, endpoints, tokens, fetchImpl, options.signal);
  try {
    return oauth2User(await settings.definition.readAccount(context), tokens);
  } catch (error) {
    throw new OAuth2ProviderError(describeFailure(error), 'user');
  }
}

function accountContext(settings: Settings, endpoints: Endpoints, tokens: TokenSet, fetchImpl: Fetch, signal: AbortSignal): AccountContext {
  const idTokenCheck = { jwksURL: endpoints.jwksURL, clientId: settings.clientId, issuers: endpoints.issuers };
  return {
    extra: settings.extra,
    tokens,
    userInfoURL: endpoints.userInfoURL,
    discoveredUserInfoURL: endpoints.discoveredUserInfoURL,
    jwksURL: endpoints.jwksURL,
    getJson: (url, label) => step(label, 'user', () => getWithToken(fetchImpl, url, tokens.accessToken, signal)),
    verifiedIdToken: () => step('id_token', 'user', () => verifyIdToken(fetchImpl, tokens.idToken, idTokenCheck, signal)),
  };
}

/** An account without an id would link every such sign-in to one record: refused. */
function oauth2User({ profile, rawUser }: Account, tokens: TokenSet): OAuth2User {
  if (!profile.id) throw new OAuth2ProviderError('the provider returned an account without an id');
  return {
    id: profile.id,
    name: profile.name,
    username: profile.username,
    email: profile.email,
    avatarURL: profile.avatarURL,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiry: tokens.expiry,
    rawUser,
  };
}

/** Every failure of a provider as an `OAuth2ProviderError` that names it. */
async function failAs<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const stage = error instanceof OAuth2ProviderError ? error.stage : 'token';
    throw new OAuth2ProviderError(`OAuth2 provider ${name}: ${describeFailure(error)}`, stage);
  }
}
