// One mail template (subject and HTML body) in a disclosure that opens by itself when the server
// has something to say about it.
import type { Bind } from '../../parts/settings-inputs.tsx';
import { Field } from '../../../ui.tsx';

export const COMMON_PLACEHOLDERS = ['{APP_NAME}', '{APP_URL}', '{RECORD:*}'];

export function EmailTemplateEditor(props: { bind: Bind; path: string; title: string; placeholders: string[]; errors: Record<string, string> }) {
  const { bind, path } = props;
  const invalid = Object.keys(props.errors).some((k) => k.startsWith(`${path}.`));
  const hint = (
    <span class="ao-placeholders">
      Placeholders:
      {[...COMMON_PLACEHOLDERS, ...props.placeholders].map((p) => (
        <code key={p}>{p}</code>
      ))}
    </span>
  );
  return (
    <details class="ao-template" open={invalid} aria-label={props.title}>
      <summary>
        {props.title}
        {invalid && <span class="field-error"> ● has errors</span>}
      </summary>
      <Field label="Subject" hint={hint} error={bind.error(`${path}.subject`)}>
        <input type="text" name={`${path}.subject`} spellcheck={false} value={String(bind.get(`${path}.subject`) ?? '')} onInput={(e) => bind.set(`${path}.subject`, e.currentTarget.value)} />
      </Field>
      <Field label="Body (HTML)" error={bind.error(`${path}.body`)}>
        <textarea class="code" name={`${path}.body`} rows={8} spellcheck={false} value={String(bind.get(`${path}.body`) ?? '')} onInput={(e) => bind.set(`${path}.body`, e.currentTarget.value)} />
      </Field>
    </details>
  );
}
