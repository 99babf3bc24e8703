// The inputs of the auth options tab that settings-inputs.tsx lacks: a duration that shows blank
// for 0 (the server's "blank"), a list that may arrive as text, a tri-state select.
import { useState } from 'preact/hooks';
import type { Bind } from '../../parts/settings-inputs.tsx';
import { Field } from '../../../ui.tsx';

interface Props {
  bind: Bind;
  path: string;
  label: string;
  hint?: string;
}

export function IntegerInput(props: Props & { min?: number }) {
  const { bind, path } = props;
  const value = bind.get(path);
  return (
    <Field label={props.label} hint={props.hint} error={bind.error(path)}>
      <input
        type="number"
        name={path}
        min={props.min ?? 0}
        step="1"
        inputMode="numeric"
        value={typeof value === 'number' && value !== 0 ? String(value) : ''}
        onInput={(e) => {
          const text = e.currentTarget.value.trim();
          bind.set(path, text === '' ? 0 : Math.trunc(Number(text)));
        }}
      />
    </Field>
  );
}

/** A list of strings as comma-separated text; PocketBase also accepts one whitespace-separated string. */
export function TextListInput(props: Props & { placeholder?: string; type?: 'text' | 'url' }) {
  const { bind, path } = props;
  const raw = bind.get(path);
  const list = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(/\s+/).filter(Boolean) : [];
  const [text, setText] = useState<string | null>(null);
  return (
    <Field label={props.label} hint={props.hint ?? 'Comma-separated'} error={bind.error(path)}>
      <input
        type="text"
        name={path}
        placeholder={props.placeholder}
        spellcheck={false}
        value={text ?? list.join(', ')}
        onInput={(e) => {
          setText(e.currentTarget.value);
          bind.set(
            path,
            e.currentTarget.value
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          );
        }}
        onBlur={() => setText(null)}
      />
    </Field>
  );
}

/** A select over fixed options; `null` stands for "not set" (the server's default). */
export function ChoiceInput<T extends string | boolean | null>(props: Props & { options: readonly { value: T; label: string }[] }) {
  const { bind, path } = props;
  const current = bind.get(path) ?? null;
  const index = Math.max(
    0,
    props.options.findIndex((o) => o.value === current),
  );
  return (
    <Field label={props.label} hint={props.hint} error={bind.error(path)}>
      <select name={path} value={String(index)} onChange={(e) => bind.set(path, props.options[Number(e.currentTarget.value)].value)}>
        {props.options.map((o, i) => (
          <option key={i} value={String(i)}>
            {o.label}
          </option>
        ))}
      </select>
    </Field>
  );
}
