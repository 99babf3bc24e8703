/**
 * Sends one of an auth collection's email templates to an address (POST /api/settings/test/email).
 * Without SMTP the server writes the mail to its log instead (src/infra/log-mailer.ts): said so.
 */
import type { CollectionModel } from 'pocketbase';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage, fieldErrors, pb } from '../../client.ts';
import { Button, ErrorText, Field } from '../../ui.tsx';

const TEMPLATES = [
  ['verification', 'Verification'],
  ['password-reset', 'Password reset'],
  ['email-change', 'Email change'],
  ['otp', 'One-time password'],
  ['login-alert', 'Login alert'],
] as const;

export function TestEmail(props: { smtpEnabled: boolean }) {
  const [email, setEmail] = useState('');
  const [template, setTemplate] = useState('verification');
  const [collection, setCollection] = useState('_superusers');
  const [authCollections, setAuthCollections] = useState<CollectionModel[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState('');
  const [sent, setSent] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    pb.collections.getFullList({ filter: 'type = "auth"', sort: 'name' }).then(setAuthCollections, () => undefined);
  }, []);

  const send = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setFailure('');
    setSent('');
    try {
      await pb.settings.testEmail(collection, email, template);
      setSent(
        props.smtpEnabled
          ? `A test email was sent to ${email}.`
          : `SMTP is not enabled, so the test email to ${email} was not sent: it was written to the server's log.`,
      );
    } catch (err) {
      setErrors(fieldErrors(err));
      setFailure(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel pg-section" onSubmit={send} noValidate aria-labelledby="test-email-title">
      <h2 id="test-email-title" class="pg-h3">
        Send a test email
      </h2>
      {!props.smtpEnabled && (
        <p class="muted">
          SMTP is not enabled: mail is only written to the server's log. To send it, turn on "Send through an SMTP server" above and save.
        </p>
      )}
      <div class="row">
        <Field label="To" error={errors.email}>
          <input type="email" name="testEmail" value={email} autoComplete="email" onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field label="Template" error={errors.template}>
          <select value={template} onChange={(e) => setTemplate(e.currentTarget.value)}>
            {TEMPLATES.map(([value, text]) => (
              <option value={value}>{text}</option>
            ))}
          </select>
        </Field>
        <Field label="Auth collection" error={errors.collection}>
          <select value={collection} onChange={(e) => setCollection(e.currentTarget.value)}>
            {(authCollections.length ? authCollections.map((c) => c.name) : ['_superusers']).map((name) => (
              <option value={name}>{name}</option>
            ))}
          </select>
        </Field>
      </div>
      <ErrorText error={failure} />
      {sent && (
        <p class="pg-ok" role="status">
          {sent}
        </p>
      )}
      <Button type="submit" kind="secondary" busy={busy}>
        Send test email
      </Button>
    </form>
  );
}
