/**
 * The OAuth2 providers Baton knows: one table of definitions with PocketBase v0.39's defaults
 * (tools/auth/*.go). A collection's provider entry overrides the endpoints, display name and PKCE
 * (providers.ts). Baton ships no brand logos, so every `logo` is ''.
 */
import {
  type AccountReader,
  readAppleAccount,
  readDiscordAccount,
  readGithubAccount,
  readGitlabAccount,
  readGoogleAccount,
  readMicrosoftAccount,
  readOidcAccount,
} from './accounts.ts';
import type { OAuth2ProviderInfo } from './types.ts';

export interface ProviderDefinition {
  readonly name: string;
  readonly displayName: string;
  /** PocketBase's place for it in lists (its `Order()`); ties go by name. */
  readonly order: number;
  readonly pkce: boolean;
  readonly scopes: readonly string[];
  readonly authURL: string;
  readonly tokenURL: string;
  readonly userInfoURL: string;
  /** Parameters of its own on the authorization URL. */
  readonly authParams: Readonly<Record<string, string>>;
  /** Where its ID tokens' keys are, and who issues them, unless `extra.jwksURL` / `extra.issuers` say. */
  readonly jwksURL: string;
  readonly issuers: readonly string[];
  /** Reads `<issuer>/.well-known/openid-configuration` for what the entry leaves out (generic OIDC). */
  readonly discovers: boolean;
  readonly readAccount: AccountReader;
}

type Defined = Pick<ProviderDefinition, 'name' | 'displayName' | 'order' | 'scopes' | 'readAccount'> & Partial<ProviderDefinition>;

const define = (definition: Defined): ProviderDefinition =>
  Object.freeze({
    pkce: true,
    authURL: '',
    tokenURL: '',
    userInfoURL: '',
    authParams: {},
    jwksURL: '',
    issuers: [],
    discovers: false,
    ...definition,
  });

const oidc = (name: string): ProviderDefinition =>
  define({ name, displayName: 'OIDC', order: 99, scopes: ['openid', 'email', 'profile'], discovers: true, readAccount: readOidcAccount });

const DEFINITIONS: readonly ProviderDefinition[] = [
  define({
    name: 'apple',
    displayName: 'Apple',
    order: 1,
    scopes: ['name', 'email'],
    authURL: 'https://appleid.apple.com/auth/authorize',
    tokenURL: 'https://appleid.apple.com/auth/token',
    // Apple posts the code back (and the user's name, on the first sign-in only).
    authParams: { response_mode: 'form_post' },
    jwksURL: 'https://appleid.apple.com/auth/keys',
    issuers: ['https://appleid.apple.com'],
    readAccount: readAppleAccount,
  }),
  define({
    name: 'google',
    displayName: 'Google',
    order: 2,
    scopes: ['https://www.googleapis.com/auth/userinfo.profile', 'https://www.googleapis.com/auth/userinfo.email'],
    authURL: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenURL: 'https://oauth2.googleapis.com/token',
    userInfoURL: 'https://www.googleapis.com/oauth2/v3/userinfo',
    readAccount: readGoogleAccount,
  }),
  define({
    name: 'microsoft',
    displayName: 'Microsoft',
    order: 3,
    // `openid` for the ID token whose claims give the email (accounts.ts readMicrosoftAccount).
    scopes: ['User.Read', 'openid'],
    authURL: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    tokenURL: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    userInfoURL: 'https://graph.microsoft.com/v1.0/me',
    jwksURL: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
    // The `common` endpoint signs in users of every tenant; each token names its own.
    issuers: ['https://login.microsoftonline.com/{tid}/v2.0'],
    readAccount: readMicrosoftAccount,
  }),
  define({
    name: 'github',
    displayName: 'GitHub',
    order: 7,
    scopes: ['read:user', 'user:email'],
    authURL: 'https://github.com/login/oauth/authorize',
    tokenURL: 'https://github.com/login/oauth/access_token',
    userInfoURL: 'https://api.github.com/user',
    readAccount: readGithubAccount,
  }),
  define({
    name: 'gitlab',
    displayName: 'GitLab',
    order: 8,
    scopes: ['read_user'],
    authURL: 'https://gitlab.com/oauth/authorize',
    tokenURL: 'https://gitlab.com/oauth/token',
    userInfoURL: 'https://gitlab.com/api/v4/user',
    readAccount: readGitlabAccount,
  }),
  define({
    name: 'discord',
    displayName: 'Discord',
    order: 12,
    scopes: ['identify', 'email'],
    authURL: 'https://discord.com/api/oauth2/authorize',
    tokenURL: 'https://discord.com/api/oauth2/token',
    userInfoURL: 'https://discord.com/api/users/@me',
    readAccount: readDiscordAccount,
  }),
  oidc('oidc'),
  oidc('oidc2'),
  oidc('oidc3'),
].sort((a, b) => a.order - b.order || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

const BY_NAME: ReadonlyMap<string, ProviderDefinition> = new Map(DEFINITIONS.map((d) => [d.name, d]));

/** The providers Baton knows, in PocketBase's order. */
export function oauth2ProviderCatalogue(): OAuth2ProviderInfo[] {
  return DEFINITIONS.map(({ name, displayName }) => ({ name, displayName, logo: '' }));
}

export const isKnownOAuth2Provider = (name: string): boolean => BY_NAME.has(name);

export const providerDefinition = (name: string): ProviderDefinition | undefined => BY_NAME.get(name);

/**
 * Providers PocketBase v0.39 has and Baton does not (yet). A collection from a PocketBase data
 * directory may list them: its options stay valid so the collection can still be saved, but
 * such a provider is left out of auth-methods and cannot sign anyone in.
 */
const POCKETBASE_ONLY = new Set([
  'bitbucket', 'box', 'facebook', 'gitea', 'gitee', 'instagram', 'kakao', 'lark', 'linear', 'livechat', 'mailcow',
  'monday', 'notion', 'patreon', 'planningcenter', 'spotify', 'strava', 'trakt', 'twitch', 'twitter', 'vk', 'wakatime', 'yandex',
]);

/** A provider name a collection may hold: Baton's, or PocketBase's (see POCKETBASE_ONLY). */
export const isAcceptedOAuth2ProviderName = (name: string): boolean => BY_NAME.has(name) || POCKETBASE_ONLY.has(name);
