/**
 * Per auth collection: token durations and whether OAuth2 sign-in is on, with a link to the
 * collection editor's "Auth options", where the providers and everything else are edited.
 * PocketBase keeps these on the collection, so each saves with PATCH /api/collections/{id},
 * sending only what changed (the server keeps the rest, secrets included).
 */
import type { AuthCollectionModel } from 'pocketbase';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage, fieldErrors, pb } from '../../client.ts';
import { href } from '../../router.ts';
import { Button, ErrorText, Field, Spinner } from '../../ui.tsx';

const TOKENS = [
  ['authToken', 'Auth token'],
  ['verificationToken', 'Verification token'],
  ['passwordResetToken', 'Password reset token'],
  ['emailChangeToken', 'Email change token'],
  ['fileToken', 'File token'],
] as const;

type TokenKey = (typeof TOKENS)[number][0];

export function AuthCollectionsSettings(props: { id: string }) {
  const [collections, setCollections] = useState<AuthCollectionModel[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    pb.collections
      .getFullList({ filter: 'type = "auth"', sort: 'name' })
      .then((list) => setCollections(list as AuthCollectionModel[]), (e) => setError(errorMessage(e)));
  }, []);
  return (
    <section class="panel pg-section" id={props.id} tabIndex={-1} aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`} class="pg-h3">
        Auth collections: tokens and OAuth2
      </h2>
      <ErrorText error={error} />
      {!collections && !error && <Spinner />}
      {collections?.map((c) => <AuthCollectionCard key={c.id} collection={c} />)}
    </section>
  );
}

function AuthCollectionCard({ collection }: { collection: AuthCollectionModel }) {
  const [durations, setDurations] = useState<Record<TokenKey, string>>(
    () => Object.fromEntries(TOKENS.map(([key]) => [key, String(collection[key]?.duration ?? '')])) as Record<TokenKey, string>,
  );
  const [oauth2Enabled, setOauth2Enabled] = useState(Boolean(collection.oauth2?.enabled));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState('');
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const providers = collection.oauth2?.providers ?? [];

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setFailure('');
    setSaved(false);
    const body: Record<string, unknown> = { oauth2: { enabled: oauth2Enabled } };
    for (const [key] of TOKENS) body[key] = { duration: Number(durations[key]) };
    try {
      await pb.collections.update(collection.id, body);
      setSaved(true);
    } catch (err) {
      setErrors(fieldErrors(err));
      setFailure(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="pg-auth-card" onSubmit={save} noValidate aria-label={`${collection.name} tokens and OAuth2`}>
      <h3>{collection.name}</h3>
      <div class="row">
        {TOKENS.map(([key, text]) => (
          <Field label={`${text} (seconds)`} error={errors[`${key}.duration`] ?? errors[key]}>
            <input
              type="number"
              min="0"
              step="1"
              name={`${collection.name}.${key}.duration`}
              value={durations[key]}
              onInput={(ev) => setDurations((d) => ({ ...d, [key]: ev.currentTarget.value }))}
            />
          </Field>
        ))}
      </div>
      <label class="check">
        <input type="checkbox" checked={oauth2Enabled} onChange={(ev) => setOauth2Enabled(ev.currentTarget.checked)} />
        OAuth2 sign-in enabled
      </label>
      {errors['oauth2.enabled'] && <span class="field-error" role="alert">{errors['oauth2.enabled']}</span>}
      <p class="muted">
        {providers.length > 0 ? `OAuth2 providers: ${providers.map((p) => p.name).join(', ')}. ` : 'No OAuth2 providers yet. '}
        <a href={`${href('collections', collection.name, 'edit')}?tab=auth`}>Edit {collection.name} auth options</a> (providers, OTP, MFA, token secrets, mail
        templates).
      </p>
      <ErrorText error={failure} />
      {saved && (
        <p class="pg-ok" role="status">
          Saved.
        </p>
      )}
      <Button type="submit" kind="secondary" busy={busy}>
        Save {collection.name}
      </Button>
    </form>
  );
}
