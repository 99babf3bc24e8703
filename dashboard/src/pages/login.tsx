import { useState } from 'preact/hooks';
import { pb } from '../client.ts';
import { navigate } from '../router.ts';
import { Button, ErrorText, Field } from '../ui.tsx';

/** Sign-in of a superuser; `redirect` is the route to open afterwards. */
export function LoginPage(props: { redirect?: string; notice?: string }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await pb.collection('_superusers').authWithPassword(email.trim(), password);
      navigate(props.redirect && props.redirect.startsWith('/') && !props.redirect.startsWith('/login') ? props.redirect : '/collections', true);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main class="center-page">
      <form class="card" onSubmit={submit} aria-labelledby="login-title">
        <p class="brand">Baton</p>
        <h1 id="login-title">Superuser sign in</h1>
        {props.notice && <p class="notice">{props.notice}</p>}
        <Field label="Email">
          <input type="email" name="email" autoComplete="username" required autoFocus value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field label="Password">
          <input type="password" name="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <ErrorText error={error} />
        <Button type="submit" busy={busy}>
          Sign in
        </Button>
      </form>
    </main>
  );
}
