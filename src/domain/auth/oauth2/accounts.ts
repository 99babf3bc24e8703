/**
 * How each provider's signed-in account is read (a user info document, or a verified ID token) and
 * mapped onto PocketBase's fields. The mappings follow PocketBase v0.39's providers; the one rule
 * they all keep is that `email` is only ever an address the provider says is verified, since the
 * sign-in flow links accounts by it.
 */
import { type JsonReply, isJsonObject, isSuccess, providerMessage } from './http.ts';
import type { IdTokenClaims } from './id-token.ts';
import type { TokenSet } from './token-exchange.ts';
import { OAuth2ProviderError } from './types.ts';

/** The account fields of an `OAuth2User`. */
export interface Profile {
  readonly id: string;
  readonly name: string;
  readonly username: string;
  readonly email: string;
  readonly avatarURL: string;
}

export interface Account {
  readonly profile: Profile;
  /** The provider's user document as it came (or the ID token's claims). */
  readonly rawUser: Record<string, unknown>;
}

/** What a reader may use: the exchange's tokens and endpoints, and requests bound to its deadline. */
export interface AccountContext {
  readonly extra: Readonly<Record<string, unknown>>;
  readonly tokens: TokenSet;
  /** The configured (or the provider's default) user info endpoint; '' when none. */
  readonly userInfoURL: string;
  /** A generic OIDC provider's discovered user info endpoint; '' when none. */
  readonly discoveredUserInfoURL: string;
  /** Where the ID token's signing keys are (configured or discovered); '' when unknown. */
  readonly jwksURL: string;
  /** GETs `url` with the access token. */
  getJson(url: string, label: string): Promise<JsonReply>;
  /** The token response's `id_token`, verified (signature, audience, issuer, time); throws otherwise. */
  verifiedIdToken(): Promise<IdTokenClaims>;
}

export type AccountReader = (context: AccountContext) => Promise<Account>;

// --- reading values -------------------------------------------------------------------------

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A numeric id (GitHub, GitLab) as text; '' when it is not an exact integer. */
const numericId = (value: unknown): string => (typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : '');

/** A verified-flag as PocketBase reads the loosely typed ones (Go's cast.ToBool): true, "true", "1", … */
function truthy(value: unknown): boolean {
  if (typeof value === 'string') return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value);
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  return value === true;
}

const emailIf = (verified: boolean, email: unknown): string => (verified ? text(email) : '');

// --- mappings -------------------------------------------------------------------------------

/** OIDC's standard claims (generic OIDC, from user info or the ID token). */
const standardProfile = (claims: Record<string, unknown>): Profile => ({
  id: text(claims.sub),
  name: text(claims.name),
  username: text(claims.preferred_username),
  email: emailIf(truthy(claims.email_verified), claims.email),
  avatarURL: text(claims.picture),
});

const googleProfile = (user: Record<string, unknown>): Profile => ({
  id: text(user.sub),
  name: text(user.name),
  username: '',
  email: emailIf(user.email_verified === true, user.email),
  avatarURL: text(user.picture),
});

/** GitHub's email comes from /user/emails (githubPrimaryEmail): the profile's may be unverified. */
const githubProfile = (user: Record<string, unknown>): Profile => ({
  id: numericId(user.id),
  name: text(user.name),
  username: text(user.login),
  email: '',
  avatarURL: text(user.avatar_url),
});

/** GitLab confirms an address by setting `confirmed_at`. */
const gitlabProfile = (user: Record<string, unknown>): Profile => ({
  id: numericId(user.id),
  name: text(user.name),
  username: text(user.username),
  email: emailIf(isRfc3339Date(user.confirmed_at), user.email),
  avatarURL: text(user.avatar_url),
});

function discordProfile(user: Record<string, unknown>): Profile {
  const id = text(user.id);
  const avatar = text(user.avatar);
  return {
    id,
    name: text(user.global_name) || discordLegacyName(text(user.username), text(user.discriminator)),
    username: text(user.username),
    email: emailIf(user.verified === true, user.email),
    avatarURL: avatar ? `https://cdn.discordapp.com/avatars/${encodeURIComponent(id)}/${encodeURIComponent(avatar)}.png` : '',
  };
}

/** Accounts from before Discord's unique usernames still carry a discriminator other than "0". */
const discordLegacyName = (username: string, discriminator: string): string =>
  discriminator !== '' && discriminator !== '0' ? `${username}#${discriminator}` : username;

/** Microsoft Graph's profile; the email comes from the ID token (readMicrosoftAccount). */
const microsoftProfile = (user: Record<string, unknown>): Profile => ({
  id: text(user.id),
  name: text(user.displayName),
  username: '',
  email: '',
  avatarURL: '',
});

/**
 * Apple sends the user's name only once, in its first redirect (form_post), never in the ID
 * token: the popup flow's redirect keeps it for auth-with-oauth2 (realtime/oauth2-redirect.ts).
 */
const appleProfile = (claims: Record<string, unknown>): Profile => ({
  id: text(claims.sub),
  name: text(claims.name),
  username: '',
  email: emailIf(truthy(claims.email_verified), claims.email),
  avatarURL: '',
});

/** Go's zero time, which PocketBase does not count as a confirmation. */
const GO_ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

/** Go's time.Parse(time.RFC3339), which PocketBase uses, and not Go's zero time. */
function isRfc3339Date(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return false;
  const time = Date.parse(value);
  return !Number.isNaN(time) && time !== GO_ZERO_TIME;
}

/**
 * Which ID token claim may give a Microsoft account's email (`extra.idTokenEmailClaim`), so that an
 * unverified `mail` set by another tenant's admin cannot take over an account. An unknown mode
 * yields no email (PocketBase falls back to `mail`): a misspelt safety setting must not turn it off.
 */
/** The email claim an entry without `extra.idTokenEmailClaim` reads (see readMicrosoftAccount). */
export const MICROSOFT_DEFAULT_EMAIL_CLAIM = 'any_verified';

const MICROSOFT_EMAIL_CLAIMS: Readonly<Record<string, (claims: IdTokenClaims) => string>> = {
  any_verified: (claims) => verifiedPrimaryEmail(claims) || edovEmail(claims),
  verified_primary_email: (claims) => verifiedPrimaryEmail(claims),
  email_and_xms_edov: (claims) => edovEmail(claims),
  email: (claims) => text(claims.email),
};

function verifiedPrimaryEmail(claims: IdTokenClaims): string {
  const value = claims.verified_primary_email;
  return Array.isArray(value) ? text(value[0]) : text(value);
}

/** `email` when `xms_edov` (email domain owner verified) is set. */
const edovEmail = (claims: IdTokenClaims): string => emailIf(truthy(claims.xms_edov), claims.email);

// --- readers --------------------------------------------------------------------------------

async function userDocument(context: AccountContext, url: string): Promise<Record<string, unknown>> {
  const reply = await context.getJson(url, 'user info');
  if (!isSuccess(reply)) throw new OAuth2ProviderError(`user info: HTTP ${reply.status}${providerMessage(reply.body)}`);
  if (!isJsonObject(reply.body)) throw new OAuth2ProviderError('user info: the response is not a JSON object');
  return reply.body;
}

const fromUserInfo =
  (map: (user: Record<string, unknown>) => Profile, url = (context: AccountContext) => context.userInfoURL): AccountReader =>
  async (context) => {
    const rawUser = await userDocument(context, url(context));
    return { profile: map(rawUser), rawUser };
  };

const fromIdToken =
  (map: (claims: IdTokenClaims) => Profile): AccountReader =>
  async (context) => {
    const rawUser = await context.verifiedIdToken();
    return { profile: map(rawUser), rawUser };
  };

const withEmail = (account: Account, email: string): Account => ({ ...account, profile: { ...account.profile, email } });

export const readGoogleAccount = fromUserInfo(googleProfile);
export const readGitlabAccount = fromUserInfo(gitlabProfile);
export const readDiscordAccount = fromUserInfo(discordProfile);
export const readAppleAccount = fromIdToken(appleProfile);

export const readGithubAccount: AccountReader = async (context) =>
  withEmail(await fromUserInfo(githubProfile)(context), await githubPrimaryEmail(context));

/**
 * The verified primary address from `<user info URL>/emails`, asked always: the profile's `email`
 * may be unverified on enterprise setups. 401/403/404 mean the `user:email` scope was not granted:
 * no email, not a failure.
 */
async function githubPrimaryEmail(context: AccountContext): Promise<string> {
  const reply = await context.getJson(`${context.userInfoURL}/emails`, 'user emails');
  if (reply.status === 401 || reply.status === 403 || reply.status === 404) return '';
  if (!isSuccess(reply)) throw new OAuth2ProviderError(`user emails: HTTP ${reply.status}${providerMessage(reply.body)}`);
  if (!Array.isArray(reply.body)) throw new OAuth2ProviderError('user emails: the response is not a JSON array');
  const primary = reply.body.find((entry) => isJsonObject(entry) && entry.verified === true && entry.primary === true);
  return isJsonObject(primary) ? text(primary.email) : '';
}

/**
 * Graph's profile, with the email per `extra.idTokenEmailClaim` taken from the token response's ID
 * token (no ID token: no email, as PocketBase). Unlike PocketBase, an entry without the setting
 * reads `any_verified`, not Graph's `mail`: any tenant's admin can set `mail` to any address, and
 * the sign-in links accounts by email. The ID token is verified first (id-token.ts); one that
 * fails is an error, not a quietly missing email.
 */
export const readMicrosoftAccount: AccountReader = async (context) => {
  const account = await fromUserInfo(microsoftProfile)(context);
  const mode = text(context.extra.idTokenEmailClaim) || MICROSOFT_DEFAULT_EMAIL_CLAIM;
  const pick = Object.hasOwn(MICROSOFT_EMAIL_CLAIMS, mode) ? MICROSOFT_EMAIL_CLAIMS[mode] : undefined;
  if (!pick || !context.tokens.idToken) return withEmail(account, '');
  return withEmail(account, pick(await context.verifiedIdToken()));
};

/**
 * Generic OIDC. A configured user info URL is read, as PocketBase does. Otherwise the ID token is
 * preferred whenever its keys are known (configured or discovered): it is verified and needs no
 * further request. Without keys, a discovered user info endpoint is read; with neither the account
 * cannot be trusted, and is refused (PocketBase would take the ID token unverified).
 */
export const readOidcAccount: AccountReader = async (context) => {
  if (context.userInfoURL) return fromUserInfo(standardProfile)(context);
  if (context.tokens.idToken && context.jwksURL) return fromIdToken(standardProfile)(context);
  if (context.discoveredUserInfoURL) return fromUserInfo(standardProfile, (c) => c.discoveredUserInfoURL)(context);
  throw new OAuth2ProviderError(
    context.tokens.idToken
      ? 'cannot verify the id_token: set extra.jwksURL, an issuer to discover the keys, or a userInfoURL'
      : 'the token response has no id_token and no userInfoURL is set',
  );
};
