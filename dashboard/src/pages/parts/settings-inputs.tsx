/** Inputs bound to a dotted path of a settings object, each showing the server's message for that path. */
import { useState } from 'preact/hooks';
import { Field } from '../../ui.tsx';

export type Plain = Record<string, unknown>;

export interface Bind {
  get(path: string): unknown;
  set(path: string, value: unknown): void;
  error(path: string): string | undefined;
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Plain)[key];
  }
  return cur;
}

/** A copy of `obj` with `path` set, copying only the objects and lists along the path. */
export function setPath<T>(obj: T, path: string, value: unknown): T {
  const [key, ...rest] = path.split('.');
  const copy: any = Array.isArray(obj) ? [...obj] : { ...(obj as object) };
  copy[key] = rest.length ? setPath(copy[key] ?? {}, rest.join('.'), value) : value;
  return copy;
}

interface InputProps {
  bind: Bind;
  path: string;
  label: string;
  hint?: string;
}

export function TextInput(props: InputProps & { type?: 'text' | 'url' | 'email'; autoComplete?: string }) {
  const { bind, path } = props;
  return (
    <Field label={props.label} hint={props.hint} error={bind.error(path)}>
      <input
        // One of text, url, email; preact's types want the literal.
        type={(props.type ?? 'text') as 'text'}
        name={path}
        autoComplete={props.autoComplete}
        value={String(bind.get(path) ?? '')}
        onInput={(e) => bind.set(path, e.currentTarget.value)}
      />
    </Field>
  );
}

export function NumberInput(props: InputProps) {
  const { bind, path } = props;
  return (
    <Field label={props.label} hint={props.hint} error={bind.error(path)}>
      <input
        type="number"
        name={path}
        step="1"
        value={String(bind.get(path) ?? 0)}
        onInput={(e) => bind.set(path, e.currentTarget.value === '' ? 0 : Number(e.currentTarget.value))}
      />
    </Field>
  );
}

export function Toggle(props: InputProps) {
  const { bind, path } = props;
  const error = bind.error(path);
  return (
    <div class="field">
      <label class="check">
        <input type="checkbox" name={path} checked={Boolean(bind.get(path))} onChange={(e) => bind.set(path, e.currentTarget.checked)} />
        {props.label}
      </label>
      {error && <span class="field-error" role="alert">{error}</span>}
    </div>
  );
}

const parseList = (text: string): string[] =>
  text
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/**
 * A list of strings edited as comma-separated text: saved on every keystroke, tidied when it loses
 * focus. A value that arrives as one whitespace-separated string (PocketBase accepts that too) is
 * shown as its list.
 */
export function ListInput(props: InputProps & { placeholder?: string }) {
  const { bind, path } = props;
  const raw = bind.get(path);
  const list = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(/\s+/).filter(Boolean) : [];
  const [draft, setDraft] = useState<string | null>(null);
  return (
    <Field label={props.label} hint={props.hint ?? 'Comma-separated'} error={bind.error(path)}>
      <input
        type="text"
        name={path}
        placeholder={props.placeholder}
        spellcheck={false}
        value={draft ?? list.join(', ')}
        onInput={(e) => {
          setDraft(e.currentTarget.value);
          bind.set(path, parseList(e.currentTarget.value));
        }}
        onBlur={() => setDraft(null)}
      />
    </Field>
  );
}
