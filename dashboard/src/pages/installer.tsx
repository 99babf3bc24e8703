// First run: `baton serve` prints `<base>/_/#/pbinstall/<token>`, the token of a short-lived
// installer superuser. This page creates the first real superuser with it, then signs in as them.
import { useEffect, useState } from 'preact/hooks';
import { ClientResponseError, fieldErrors, pb } from '../client.ts';
import { refreshCollections } from '../store.ts';
import { navigate } from '../router.ts';
import { Button, ErrorText, Field, Spinner } from '../ui.tsx';

/** The token's expiry (seconds since the epoch), read without verifying: the server checks it. */
function tokenExpiry(token: string): number | undefined {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}

type TokenState = 'checking' | 'valid' | 'invalid';

export function InstallerPage(props: { token: string }) {
  const { token } = props;
  const [tokenState, setTokenState] = useState<TokenState>('checking');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});

  useEffect(() => {
    // An installer link is opened once, signed out: a stale session must not mix with it.
    pb.authStore.clear();
    const exp = tokenExpiry(token);
    if (exp === undefined || exp * 1000 <= Date.now()) {
      setTokenState('invalid');
      return;
    }
    // Ask the server whether the token still works (it is refused once the installer is gone).
    pb.collection('_superusers')
      .getList(1, 1, { headers: { Authorization: token }, fields: 'id' })
      .then(() => setTokenState('valid'))
      .catch(() => setTokenState('invalid'));
  }, [token]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setErrors({});
    if (password !== confirm) {
      setErrors({ passwordConfirm: 'The passwords do not match.' });
      return;
    }
    setBusy(true);
    try {
      await pb.collection('_superusers').create(
        { email: email.trim(), password, passwordConfirm: confirm },
        { headers: { Authorization: token } },
      );
      await pb.collection('_superusers').authWithPassword(email.trim(), password);
      await refreshCollections();
      navigate('/collections', true);
    } catch (err) {
      if (err instanceof ClientResponseError && (err.status === 401 || err.status === 403)) setTokenState('invalid');
      setErrors(fieldErrors(err));
      setError(err);
      setBusy(false);
    }
  };

  if (tokenState === 'checking') {
    return (
      <main class="center-page">
        <Spinner label="Checking the installer link" />
      </main>
    );
  }
  if (tokenState === 'invalid') {
    return (
      <main class="center-page">
        <section class="card" aria-labelledby="installer-title">
          <p class="brand">Baton</p>
          <h1 id="installer-title">This installer link has expired</h1>
          <p>
            The link is valid for 30 minutes and only until the first superuser exists. Restart <code>baton serve</code> for a new link, or
            create a superuser with <code>baton superuser upsert EMAIL PASSWORD</code>.
          </p>
          <a class="btn btn-primary" href="#/login">
            Go to sign in
          </a>
        </section>
      </main>
    );
  }
  return (
    <main class="center-page">
      <form class="card" onSubmit={submit} aria-labelledby="installer-title">
        <p class="brand">Baton</p>
        <h1 id="installer-title">Create your first superuser</h1>
        <p class="muted">Superusers manage collections, records and settings from this dashboard.</p>
        <Field label="Email" error={errors.email}>
          <input type="email" name="email" autoComplete="username" required autoFocus value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field label="Password" hint="At least 8 characters." error={errors.password}>
          <input type="password" name="password" autoComplete="new-password" required minLength={8} value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <Field label="Confirm password" error={errors.passwordConfirm}>
          <input type="password" name="passwordConfirm" autoComplete="new-password" required value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} />
        </Field>
        {Object.keys(errors).length === 0 && <ErrorText error={error} />}
        <Button type="submit" busy={busy}>
          Create superuser and sign in
        </Button>
      </form>
    </main>
  );
}
