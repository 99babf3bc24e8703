import { newAuthSecret } from '../auth/keys.ts';
import { crc32 } from './fields/options.ts';
import type { Collection, CollectionType } from '../../db/schema.ts';

/** PocketBase's deterministic collection id: `pbc_` + crc32(type + name). */
export const collectionIdFor = (type: string, name: string): string => `pbc_${crc32(type + name)}`;

/** Option keys an auth collection exposes at the top level of its JSON, in PocketBase's order. */
export const AUTH_OPTION_KEYS = [
  'authRule',
  'manageRule',
  'authAlert',
  'oauth2',
  'passwordAuth',
  'mfa',
  'otp',
  'authToken',
  'passwordResetToken',
  'emailChangeToken',
  'verificationToken',
  'fileToken',
  'verificationTemplate',
  'resetPasswordTemplate',
  'confirmEmailChangeTemplate',
] as const;

export const TOKEN_OPTION_KEYS = ['authToken', 'passwordResetToken', 'emailChangeToken', 'verificationToken', 'fileToken'] as const;

const template = (subject: string, lines: string[]) => ({ subject, body: lines.map((l) => `<p>${l}</p>`).join('\n') });

/** Baton's own default email templates (same placeholders as PocketBase, own wording). */
const TEMPLATES = {
  authAlert: template('New sign-in to your {APP_NAME} account', [
    'Hi,',
    'Your {APP_NAME} account was just used to sign in from a new location:',
    '<em>{ALERT_INFO}</em>',
    "<strong>If this wasn't you, change your {APP_NAME} password now to sign out every other session.</strong>",
    'If it was you, there is nothing to do.',
    'The {APP_NAME} team',
  ]),
  otp: template('Your {APP_NAME} one-time password', [
    'Hi,',
    'Your one-time password: <strong>{OTP}</strong>',
    "<i>If you didn't request it, you can safely ignore this email.</i>",
    'The {APP_NAME} team',
  ]),
  verification: template('Confirm your {APP_NAME} email address', [
    'Hi,',
    'Welcome to {APP_NAME}. Please confirm your email address:',
    '<a class="btn" href="{APP_URL}/_/#/auth/confirm-verification/{TOKEN}" target="_blank" rel="noopener">Confirm email</a>',
    'The {APP_NAME} team',
  ]),
  resetPassword: template('Reset your {APP_NAME} password', [
    'Hi,',
    'Use the button below to choose a new password:',
    '<a class="btn" href="{APP_URL}/_/#/auth/confirm-password-reset/{TOKEN}" target="_blank" rel="noopener">Reset password</a>',
    "<i>If you didn't ask for this, you can safely ignore this email.</i>",
    'The {APP_NAME} team',
  ]),
  confirmEmailChange: template('Confirm your new {APP_NAME} email address', [
    'Hi,',
    'Use the button below to confirm your new email address:',
    '<a class="btn" href="{APP_URL}/_/#/auth/confirm-email-change/{TOKEN}" target="_blank" rel="noopener">Confirm new email</a>',
    "<i>If you didn't ask for this, you can safely ignore this email.</i>",
    'The {APP_NAME} team',
  ]),
};

/** A new auth collection's options, each token with a fresh secret. */
export function defaultAuthOptions(): Record<string, unknown> {
  const token = (duration: number) => ({ secret: newAuthSecret(), duration });
  return {
    authRule: '',
    manageRule: null,
    authAlert: { enabled: true, emailTemplate: TEMPLATES.authAlert },
    oauth2: { providers: [], mappedFields: { id: '', name: '', username: '', avatarURL: '' }, enabled: false },
    passwordAuth: { enabled: true, identityFields: ['email'] },
    mfa: { enabled: false, duration: 600, rule: '' },
    otp: { enabled: false, duration: 180, length: 8, emailTemplate: TEMPLATES.otp },
    authToken: token(432000),
    passwordResetToken: token(1800),
    emailChangeToken: token(1800),
    verificationToken: token(86400),
    fileToken: token(180),
    verificationTemplate: TEMPLATES.verification,
    resetPasswordTemplate: TEMPLATES.resetPassword,
    confirmEmailChangeTemplate: TEMPLATES.confirmEmailChange,
  };
}

/** The public JSON of a collection: PocketBase's key order, type-specific options flattened, secrets removed. */
export function collectionJson(c: Collection): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: c.id,
    listRule: c.listRule,
    viewRule: c.viewRule,
    createRule: c.createRule,
    updateRule: c.updateRule,
    deleteRule: c.deleteRule,
    name: c.name,
    type: c.type,
    fields: c.fields.map(sortedKeys),
    indexes: c.indexes,
    created: c.created,
    updated: c.updated,
    system: c.system,
  };
  if (c.type === 'view') out.viewQuery = c.options.viewQuery ?? '';
  if (c.type === 'auth') {
    for (const key of AUTH_OPTION_KEYS) {
      let value = c.options[key];
      if ((TOKEN_OPTION_KEYS as readonly string[]).includes(key) && value && typeof value === 'object') {
        const { secret: _secret, ...rest } = value as Record<string, unknown>;
        value = rest;
      }
      if (key === 'oauth2' && value && typeof value === 'object') {
        const o = value as { providers?: unknown };
        const providers = Array.isArray(o.providers)
          ? o.providers.map((p) => {
              const { clientSecret: _s, ...rest } = p as Record<string, unknown>;
              return rest;
            })
          : [];
        value = { ...o, providers };
      }
      out[key] = value ?? null;
    }
  }
  return out;
}

function sortedKeys(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = (o as Record<string, unknown>)[k];
  return out;
}

export const COLLECTION_TYPES: readonly CollectionType[] = ['base', 'auth', 'view'];
