/**
 * The contract between the OAuth2 sign-in flow (`domain/auth/oauth2/flow.ts`: records, links,
 * tokens) and the providers (`providers.ts`: endpoints, the code exchange, user mapping).
 */

/** A provider entry of an auth collection's `oauth2.providers`, as PocketBase stores it. */
export interface OAuth2ProviderConfig {
  /** The provider's name in the catalogue: `google`, `github`, `oidc`, `oidc2` … */
  name: string;
  clientId: string;
  clientSecret: string;
  /** Each, when not empty, replaces the provider's own endpoint (self-hosted GitLab, OIDC, tests). */
  authURL: string;
  tokenURL: string;
  userInfoURL: string;
  displayName: string;
  /** null: the provider's default. */
  pkce: boolean | null;
  /** Provider-specific settings (OIDC: `jwksURL`, `issuers`; Microsoft: `idTokenEmailClaim` …). */
  extra: Record<string, unknown> | null;
}

/** One entry of `GET /api/collections/meta/oauth2-providers`, in PocketBase's order. */
export interface OAuth2ProviderInfo {
  name: string;
  displayName: string;
  /** An SVG, or '' when Baton has none for the provider. */
  logo: string;
}

/** The signed-in provider account, as PocketBase's `meta` of an OAuth2 auth response has it. */
export interface OAuth2User {
  /** The provider's id of the account (`sub`, or its numeric id as text). */
  id: string;
  name: string;
  username: string;
  /** Only an address the provider says is verified; '' otherwise. */
  email: string;
  avatarURL: string;
  accessToken: string;
  refreshToken: string;
  /** When the access token expires, as a PocketBase date (`2006-01-02 15:04:05.000Z`), or ''. */
  expiry: string;
  /** The provider's user document as it came. */
  rawUser: Record<string, unknown>;
}

export interface AuthURLOptions {
  state: string;
  /** With PKCE: the S256 challenge of the verifier the client keeps. */
  codeChallenge?: string;
}

export interface ExchangeOptions {
  code: string;
  /** The PKCE verifier, when the provider uses PKCE. */
  codeVerifier: string;
  /** The redirect URL the authorization request carried. */
  redirectURL: string;
  /** Cancels every outgoing request of the exchange (the flow's deadline). */
  signal: AbortSignal;
}

/** A provider set up from a collection's entry. */
export interface OAuth2Provider {
  readonly name: string;
  readonly displayName: string;
  readonly logo: string;
  readonly pkce: boolean;
  /**
   * The authorization URL with client id, scopes, state, PKCE and the provider's own parameters,
   * ending in `&redirect_uri=` for the client to append its redirect URL (PocketBase's shape).
   * Async: a generic OIDC provider may first read its discovery document.
   */
  authURL(options: AuthURLOptions): Promise<string>;
  /** The code for tokens, then the account (user info endpoint or a verified ID token). */
  exchange(options: ExchangeOptions): Promise<OAuth2User>;
}

/**
 * Which half of an exchange failed, for PocketBase's two answers: 'token' (discovery, the code for
 * tokens: "Failed to fetch OAuth2 token.") or 'user' (reading or verifying the account: "Failed to
 * fetch OAuth2 user.").
 */
export type OAuth2FailureStage = 'token' | 'user';

/** An exchange that failed on the provider's side (bad code, bad token, unreachable): a 400. */
export class OAuth2ProviderError extends Error {
  override readonly name = 'OAuth2ProviderError';
  readonly stage: OAuth2FailureStage;

  constructor(message: string, stage: OAuth2FailureStage = 'token') {
    super(message);
    this.stage = stage;
  }
}
