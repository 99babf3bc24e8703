/**
 * The application settings (GET/PATCH /api/settings): application, mail with a test email, rate
 * limits, batch and logs; and per auth collection its token durations and OAuth2 providers (which
 * PocketBase keeps on the collection, so they save through PATCH /api/collections/{id}).
 */
import { useEffect, useState } from 'preact/hooks';
import { errorMessage, fieldErrors, pb } from '../client.ts';
import { Button, ErrorText, Field, Spinner } from '../ui.tsx';
import { AuthCollectionsSettings } from './parts/auth-collection-settings.tsx';
import { getPath, ListInput, NumberInput, setPath, TextInput, Toggle, type Bind, type Plain } from './parts/settings-inputs.tsx';
import { TestEmail } from './parts/test-email.tsx';
import './pages.css';

const SECTIONS = [
  ['settings-app', 'Application'],
  ['settings-mail', 'Mail'],
  ['settings-rate', 'Rate limits'],
  ['settings-batch', 'Batch'],
  ['settings-logs', 'Logs'],
  ['settings-auth', 'Auth collections'],
] as const;

/** What PATCH sends: the sections this page edits; the SMTP password only when one was typed. */
function patchBody(form: Plain, smtpPassword: string): Plain {
  const smtp = { ...(form.smtp as Plain) };
  if (smtpPassword) smtp.password = smtpPassword;
  return {
    meta: form.meta,
    smtp,
    rateLimits: form.rateLimits,
    trustedProxy: form.trustedProxy,
    batch: form.batch,
    logs: form.logs,
  };
}

export function SettingsPage() {
  const [form, setForm] = useState<Plain | null>(null);
  // Whether the server sends mail: the saved setting, not the form's unsaved toggle.
  const [smtpEnabled, setSmtpEnabled] = useState(false);
  const [smtpPassword, setSmtpPassword] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState('');
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    pb.settings.getAll().then(
      (s) => {
        setForm(s as Plain);
        setSmtpEnabled(Boolean(getPath(s as Plain, 'smtp.enabled')));
      },
      (e) => setFailure(errorMessage(e)),
    );
  }, []);

  if (!form) return failure ? <ErrorText error={failure} /> : <Spinner label="Loading settings" />;

  const bind: Bind = {
    get: (path) => getPath(form, path),
    set: (path, value) => {
      setSaved(false);
      setForm((f) => setPath(f as Plain, path, value));
    },
    error: (path) => errors[path],
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure('');
    setErrors({});
    setSaved(false);
    try {
      const stored = (await pb.settings.update(patchBody(form, smtpPassword))) as Plain;
      setForm(stored);
      setSmtpEnabled(Boolean(getPath(stored, 'smtp.enabled')));
      setSmtpPassword('');
      setSaved(true);
    } catch (err) {
      setErrors(fieldErrors(err));
      setFailure(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const rules = (getPath(form, 'rateLimits.rules') as Plain[]) ?? [];
  return (
    <section class="pg-settings">
      <header class="page-header">
        <h1>Settings</h1>
      </header>
      <nav class="pg-toc" aria-label="Settings sections">
        {SECTIONS.map(([id, title]) => (
          <a
            href="#/settings"
            onClick={(e) => {
              // The hash is the router's: jump within the page and move focus there instead.
              e.preventDefault();
              const section = document.getElementById(id);
              section?.scrollIntoView();
              section?.focus({ preventScroll: true });
            }}
          >
            {title}
          </a>
        ))}
      </nav>
      <form onSubmit={save} noValidate>
        <fieldset class="panel pg-section" id="settings-app" tabIndex={-1}>
          <legend>Application</legend>
          <div class="row">
            <TextInput bind={bind} path="meta.appName" label="Application name" />
            <TextInput bind={bind} path="meta.appURL" label="Application URL" type="url" />
          </div>
          <Toggle bind={bind} path="meta.hideControls" label="Hide collection create and edit controls" />
          <div class="row">
            <ListInput bind={bind} path="trustedProxy.headers" label="Client IP proxy headers" placeholder="X-Forwarded-For, CF-Connecting-IP" hint="Comma-separated; only behind a proxy you trust" />
          </div>
          <Toggle bind={bind} path="trustedProxy.useLeftmostIP" label="Use the leftmost IP of the header (otherwise the rightmost)" />
        </fieldset>

        <fieldset class="panel pg-section" id="settings-mail" tabIndex={-1}>
          <legend>Mail</legend>
          <div class="row">
            <TextInput bind={bind} path="meta.senderName" label="Sender name" />
            <TextInput bind={bind} path="meta.senderAddress" label="Sender address" type="email" />
          </div>
          <Toggle bind={bind} path="smtp.enabled" label="Send through an SMTP server (otherwise mail is not sent, only written to the server's log)" />
          {Boolean(bind.get('smtp.enabled')) && (
            <>
              <div class="row">
                <TextInput bind={bind} path="smtp.host" label="SMTP host" />
                <NumberInput bind={bind} path="smtp.port" label="Port" />
              </div>
              <div class="row">
                <TextInput bind={bind} path="smtp.username" label="Username" autoComplete="off" />
                <Field label="Password" hint="Leave empty to keep the stored one" error={errors['smtp.password']}>
                  <input type="password" autoComplete="new-password" value={smtpPassword} onInput={(e) => setSmtpPassword(e.currentTarget.value)} />
                </Field>
              </div>
              <div class="row">
                <Field label="Auth method" error={errors['smtp.authMethod']}>
                  <select value={String(bind.get('smtp.authMethod') ?? '')} onChange={(e) => bind.set('smtp.authMethod', e.currentTarget.value)}>
                    <option value="">Default (PLAIN)</option>
                    <option value="PLAIN">PLAIN</option>
                    <option value="LOGIN">LOGIN</option>
                  </select>
                </Field>
                <TextInput bind={bind} path="smtp.localName" label="EHLO/HELO name" hint="Empty: localhost" />
              </div>
              <Toggle bind={bind} path="smtp.tls" label="Implicit TLS (otherwise STARTTLS when offered)" />
            </>
          )}
        </fieldset>

        <fieldset class="panel pg-section" id="settings-rate" tabIndex={-1}>
          <legend>Rate limits</legend>
          <Toggle bind={bind} path="rateLimits.enabled" label="Enable rate limiting" />
          <div class="table-wrap">
            <table class="grid pg-form-table">
              <caption class="pg-sr-only">Rate limit rules</caption>
              <thead>
                <tr>
                  <th scope="col">Label (tag or path)</th>
                  <th scope="col">Audience</th>
                  <th scope="col">Seconds</th>
                  <th scope="col">Max requests</th>
                  <th scope="col">
                    <span class="pg-sr-only">Remove</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rules.map((_, i) => (
                  <RateRuleRow bind={bind} index={i} onRemove={() => bind.set('rateLimits.rules', rules.filter((__, j) => j !== i))} />
                ))}
              </tbody>
            </table>
          </div>
          {errors['rateLimits.rules'] && <p class="field-error" role="alert">{errors['rateLimits.rules']}</p>}
          <ListInput bind={bind} path="rateLimits.excludedIPs" label="Excluded IPs and subnets" placeholder="127.0.0.1, 10.0.0.0/8" />
          <Button kind="secondary" class="btn-small" onClick={() => bind.set('rateLimits.rules', [...rules, { label: '', audience: '', duration: 10, maxRequests: 100 }])}>
            Add rule
          </Button>
        </fieldset>

        <fieldset class="panel pg-section" id="settings-batch" tabIndex={-1}>
          <legend>Batch requests</legend>
          <Toggle bind={bind} path="batch.enabled" label="Enable POST /api/batch" />
          <div class="row">
            <NumberInput bind={bind} path="batch.maxRequests" label="Max requests per batch" />
            <NumberInput bind={bind} path="batch.timeout" label="Timeout (seconds)" />
            <NumberInput bind={bind} path="batch.maxBodySize" label="Max body size (bytes)" hint="0: the default (about 128 MB)" />
          </div>
        </fieldset>

        <fieldset class="panel pg-section" id="settings-logs" tabIndex={-1}>
          <legend>Logs</legend>
          <div class="row">
            <NumberInput bind={bind} path="logs.maxDays" label="Keep logs for (days)" hint="0 disables request logs" />
            <Field label="Minimum level" error={errors['logs.minLevel']}>
              <select value={String(bind.get('logs.minLevel'))} onChange={(e) => bind.set('logs.minLevel', Number(e.currentTarget.value))}>
                <option value="-4">DEBUG</option>
                <option value="0">INFO</option>
                <option value="4">WARN</option>
                <option value="8">ERROR</option>
              </select>
            </Field>
          </div>
          <Toggle bind={bind} path="logs.logIP" label="Log IP addresses" />
          <Toggle bind={bind} path="logs.logAuthId" label="Log the authenticated record's id" />
        </fieldset>

        <div class="pg-savebar">
          <ErrorText error={failure} />
          {saved && (
            <p class="pg-ok" role="status">
              Settings saved.
            </p>
          )}
          <Button type="submit" busy={busy}>
            Save settings
          </Button>
        </div>
      </form>

      <TestEmail smtpEnabled={smtpEnabled} />
      <AuthCollectionsSettings id="settings-auth" />
    </section>
  );
}

function RateRuleRow(props: { bind: Bind; index: number; onRemove(): void }) {
  const { bind, index } = props;
  const base = `rateLimits.rules.${index}`;
  const err = (k: string) => bind.error(`${base}.${k}`);
  const cellError = (k: string) => err(k) && <span class="field-error" role="alert">{err(k)}</span>;
  return (
    <tr>
      <td>
        <input type="text" aria-label={`Rule ${index + 1} label`} value={String(bind.get(`${base}.label`) ?? '')} onInput={(e) => bind.set(`${base}.label`, e.currentTarget.value)} />
        {cellError('label')}
      </td>
      <td>
        <select aria-label={`Rule ${index + 1} audience`} value={String(bind.get(`${base}.audience`) ?? '')} onChange={(e) => bind.set(`${base}.audience`, e.currentTarget.value)}>
          <option value="">Everyone</option>
          <option value="@guest">Guests</option>
          <option value="@auth">Authenticated</option>
        </select>
        {cellError('audience')}
      </td>
      <td>
        <input type="number" min="1" aria-label={`Rule ${index + 1} duration in seconds`} value={String(bind.get(`${base}.duration`))} onInput={(e) => bind.set(`${base}.duration`, Number(e.currentTarget.value))} />
        {cellError('duration')}
      </td>
      <td>
        <input type="number" min="1" aria-label={`Rule ${index + 1} max requests`} value={String(bind.get(`${base}.maxRequests`))} onInput={(e) => bind.set(`${base}.maxRequests`, Number(e.currentTarget.value))} />
        {cellError('maxRequests')}
      </td>
      <td>
        <Button kind="ghost" class="btn-small" aria-label={`Remove rule ${index + 1}`} onClick={props.onRemove}>
          ×
        </Button>
      </td>
    </tr>
  );
}
