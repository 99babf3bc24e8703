// The inputs of the auth options tab that settings-inputs.tsx lacks: a duration that shows blank
// for 0 (the server's "blank"), a tri-state select.
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
