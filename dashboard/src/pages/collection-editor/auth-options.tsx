// The "Auth options" tab of an auth collection: its auth and manage rules, the sign-in methods
// (password, OAuth2, one-time password, MFA), the new sign-in alert, token durations and secrets,
// and the mail templates. Everything edits the collection draft in the JSON shape the collections
// API takes (domain/collections/auth-options.ts); the server's per-field messages
// (`oauth2.providers.0.clientId` …) show beside their inputs.
import { Button, Field } from '../../ui.tsx';
import { Toggle } from '../parts/settings-inputs.tsx';
import { AUTH_RULES, type Draft } from './draft.ts';
import { RuleEditor } from './rule-editor.tsx';
import { draftBind, randomSecret, TOKEN_KEYS } from './auth/draft-bind.ts';
import { EmailTemplateEditor } from './auth/email-template.tsx';
import { IntegerInput } from './auth/inputs.tsx';
import { OAuth2Options } from './auth/oauth2-providers.tsx';
import './auth/auth-options.css';

export { isAuthOptionError, placesAuthError } from './auth/draft-bind.ts';

const TOKEN_LABELS: Record<(typeof TOKEN_KEYS)[number], string> = {
  authToken: 'Auth token',
  verificationToken: 'Email verification token',
  passwordResetToken: 'Password reset token',
  emailChangeToken: 'Email change token',
  fileToken: 'Protected file token',
};

const TEMPLATES: { path: string; title: string; placeholders: string[] }[] = [
  { path: 'verificationTemplate', title: 'Verification email', placeholders: ['{TOKEN}'] },
  { path: 'resetPasswordTemplate', title: 'Password reset email', placeholders: ['{TOKEN}'] },
  { path: 'confirmEmailChangeTemplate', title: 'Email change confirmation', placeholders: ['{TOKEN}'] },
  { path: 'otp.emailTemplate', title: 'One-time password email', placeholders: ['{OTP}', '{OTP_ID}'] },
  { path: 'authAlert.emailTemplate', title: 'New sign-in alert email', placeholders: ['{ALERT_INFO}'] },
];

export interface AuthOptionsProps {
  draft: Draft;
  /** The collection as loaded (null while creating): which providers have a stored secret. */
  original: Draft | null;
  completion: string[];
  errors: Record<string, string>;
  checked: boolean;
  edit: (patch: Partial<Draft>) => void;
}

export function AuthOptions(props: AuthOptionsProps) {
  const { draft, edit, errors } = props;
  const bind = draftBind(draft, edit, errors);
  const superusers = draft.name === '_superusers' || props.original?.name === '_superusers';
  const stored = ((props.original?.oauth2 as { providers?: { name?: string }[] } | undefined)?.providers ?? []).map((p) => String(p?.name ?? ''));
  // PocketBase's _superusers have no email verification, email change or OAuth2.
  const tokens = superusers ? TOKEN_KEYS.filter((k) => k !== 'verificationToken' && k !== 'emailChangeToken') : TOKEN_KEYS;
  const templates = superusers ? TEMPLATES.filter((t) => t.path !== 'verificationTemplate' && t.path !== 'confirmEmailChangeTemplate') : TEMPLATES;
  const identityFields = (bind.get('passwordAuth.identityFields') as string[] | undefined) ?? [];

  return (
    <div class="panel auth-options">
      {AUTH_RULES.map((r) => (
        <RuleEditor key={r.key} label={r.label} hint={r.hint} value={(draft[r.key] as string | null | undefined) ?? null} candidates={props.completion} error={errors[r.key]} checked={props.checked} onChange={(v) => edit({ [r.key]: v })} />
      ))}

      <fieldset class="ao-section">
        <legend>Password</legend>
        <Toggle bind={bind} path="passwordAuth.enabled" label="Allow sign-in with a password" />
        <Field label="Identity fields" hint="Comma-separated fields with a unique index, e.g. email, username" error={errors['passwordAuth.identityFields']}>
          <input
            type="text"
            name="passwordAuth.identityFields"
            value={identityFields.join(', ')}
            onChange={(e) =>
              bind.set(
                'passwordAuth.identityFields',
                e.currentTarget.value
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean),
              )
            }
          />
        </Field>
      </fieldset>

      {!superusers && <OAuth2Options bind={bind} fields={draft.fields} storedProviders={stored} />}

      <fieldset class="ao-section">
        <legend>One-time password (OTP)</legend>
        <Toggle bind={bind} path="otp.enabled" label="Allow sign-in with a one-time password sent by email" />
        <div class="row">
          <IntegerInput bind={bind} path="otp.duration" label="Valid for (seconds)" min={10} hint="10 to 86400." />
          <IntegerInput bind={bind} path="otp.length" label="Password length" min={4} hint="At least 4 digits." />
        </div>
      </fieldset>

      <fieldset class="ao-section">
        <legend>Multi-factor authentication (MFA)</legend>
        <Toggle bind={bind} path="mfa.enabled" label="Require a second sign-in method (needs two methods enabled)" />
        <IntegerInput bind={bind} path="mfa.duration" label="Time for the second method (seconds)" min={10} hint="10 to 86400." />
        <Field label="MFA rule" hint="Who must use MFA, as a filter on the record; empty: everyone." error={errors['mfa.rule']}>
          <textarea class="code" name="mfa.rule" rows={2} spellcheck={false} placeholder="e.g. role = 'admin'" value={String(bind.get('mfa.rule') ?? '')} onInput={(e) => bind.set('mfa.rule', e.currentTarget.value)} />
        </Field>
      </fieldset>

      <fieldset class="ao-section">
        <legend>New sign-in alert</legend>
        <Toggle bind={bind} path="authAlert.enabled" label="Email the user when their account signs in from a new location" />
      </fieldset>

      <fieldset class="ao-section">
        <legend>Tokens</legend>
        <div class="ao-tokens">
          {tokens.map((key) => {
            const renewing = typeof bind.get(`${key}.secret`) === 'string';
            return (
              <div key={key} class="ao-token">
                <IntegerInput bind={bind} path={`${key}.duration`} label={`${TOKEN_LABELS[key]} duration (seconds)`} min={10} />
                <Button
                  kind="ghost"
                  class="btn-small"
                  aria-pressed={renewing}
                  onClick={() => {
                    const { secret: _s, ...rest } = (bind.get(key) as Record<string, unknown> | undefined) ?? {};
                    bind.set(key, renewing ? rest : { ...rest, secret: randomSecret() });
                  }}
                >
                  {renewing ? `${TOKEN_LABELS[key]}s issued so far stop working on save (undo)` : `Invalidate all issued ${TOKEN_LABELS[key].toLowerCase()}s`}
                </Button>
                {errors[`${key}.secret`] && (
                  <span class="field-error" role="alert">
                    {errors[`${key}.secret`]}
                  </span>
                )}
              </div>
            );
          })}
        </div>
      </fieldset>

      <fieldset class="ao-section">
        <legend>Mail templates</legend>
        {templates.map((t) => (
          <EmailTemplateEditor key={t.path} bind={bind} path={t.path} title={t.title} placeholders={t.placeholders} errors={errors} />
        ))}
      </fieldset>
    </div>
  );
}
