/** One input per field type, each labelled, with the server's message for that field beside it. */
import type { CollectionField, RecordModel } from 'pocketbase';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { pb } from '../../client.ts';
import { Field, useId } from '../../ui.tsx';
import { displayDate } from '../parts/dates.ts';
import { RelationPicker } from './relation-picker.tsx';
import { isImageName, isMultiple, type FileValue, type FormValue } from './values.ts';

export interface FieldInputProps {
  field: CollectionField;
  value: FormValue;
  error?: string;
  /** The stored record (for file URLs and read-only values); null while creating. */
  record: RecordModel | null;
  /** A file token, for protected files' previews. */
  fileToken: string;
  onChange(value: FormValue): void;
}

/**
 * The field's name, its type and a star when required. What a screen reader reads (the control's
 * name) is "name" or "name (required)": the type pill and the star are only seen.
 */
function label(field: CollectionField) {
  return (
    <>
      {field.name}{' '}
      <span class="type-pill" aria-hidden="true">
        {field.type}
      </span>
      {field.required && (
        <>
          <span class="pg-required" aria-hidden="true">
            {' '}
            *
          </span>
          <span class="pg-sr-only"> (required)</span>
        </>
      )}
    </>
  );
}

const text = (e: Event) => (e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value;

export function FieldInput(props: FieldInputProps) {
  const { field, value, error, onChange } = props;
  switch (field.type) {
    case 'autodate':
      return (
        <Field label={label(field)} hint="Set by the server">
          <input type="text" readOnly value={displayDate(props.record?.[field.name] as string)} placeholder="Set on save" />
        </Field>
      );
    case 'bool':
      return (
        <div class="field">
          <label class="check">
            <input type="checkbox" name={field.name} checked={value as boolean} onChange={(e) => onChange(e.currentTarget.checked)} />
            {label(field)}
          </label>
          {error && <span class="field-error" role="alert">{error}</span>}
        </div>
      );
    case 'number':
      return (
        <Field label={label(field)} error={error}>
          <input
            type="number"
            name={field.name}
            step={field.onlyInt ? '1' : 'any'}
            min={field.min ?? undefined}
            max={field.max ?? undefined}
            value={value as string}
            onInput={(e) => onChange(text(e))}
          />
        </Field>
      );
    case 'editor':
      return (
        <Field label={label(field)} error={error} hint="HTML">
          <textarea name={field.name} rows={6} value={value as string} onInput={(e) => onChange(text(e))} />
        </Field>
      );
    case 'json':
      return <JsonInput {...props} />;
    case 'date':
      return (
        <Field
          label={label(field)}
          error={error}
          hint={
            <>
              Your local time; stored in UTC.{' '}
              {value !== '' && (
                <button type="button" class="btn btn-ghost btn-small" onClick={() => onChange('')} aria-label={`Clear ${field.name}`}>
                  Clear
                </button>
              )}
            </>
          }
        >
          <input type="datetime-local" name={field.name} step="1" value={value as string} onInput={(e) => onChange(text(e))} />
        </Field>
      );
    case 'select':
      return <SelectInput {...props} />;
    case 'relation':
      return (
        <RelationPicker
          field={field}
          label={label(field)}
          value={value as string[]}
          error={error}
          onChange={onChange}
        />
      );
    case 'file':
      return <FileInput {...props} />;
    case 'password':
      return (
        <Field label={label(field)} error={error} hint={props.record ? 'Leave empty to keep the current password' : undefined}>
          <input type="password" name={field.name} autoComplete="new-password" value={value as string} onInput={(e) => onChange(text(e))} />
        </Field>
      );
    case 'geoPoint': {
      const p = value as { lon: string; lat: string };
      return (
        <fieldset class="pg-fieldset">
          <legend>{label(field)}</legend>
          <div class="row">
            <Field label="Longitude">
              <input type="number" step="any" min="-180" max="180" value={p.lon} onInput={(e) => onChange({ ...p, lon: text(e) })} />
            </Field>
            <Field label="Latitude">
              <input type="number" step="any" min="-90" max="90" value={p.lat} onInput={(e) => onChange({ ...p, lat: text(e) })} />
            </Field>
          </div>
          {error && <span class="field-error" role="alert">{error}</span>}
        </fieldset>
      );
    }
    default: {
      const type = field.type === 'email' ? 'email' : field.type === 'url' ? 'url' : 'text';
      return (
        <Field label={label(field)} error={error}>
          <input
            type={type as 'text'}
            name={field.name}
            maxLength={field.max > 0 ? field.max : undefined}
            value={value as string}
            onInput={(e) => onChange(text(e))}
          />
        </Field>
      );
    }
  }
}

function JsonInput(props: FieldInputProps) {
  const { field, value, error, onChange } = props;
  const parseError = useMemo(() => {
    const t = (value as string).trim();
    if (!t) return '';
    try {
      JSON.parse(t);
      return '';
    } catch (e) {
      return `Invalid JSON: ${(e as Error).message}`;
    }
  }, [value]);
  return (
    <Field label={label(field)} error={error || parseError || null} hint={parseError ? undefined : 'JSON; empty means null'}>
      <textarea
        class="code"
        name={field.name}
        rows={5}
        spellcheck={false}
        aria-invalid={parseError ? true : undefined}
        value={value as string}
        onInput={(e) => onChange(text(e))}
      />
    </Field>
  );
}

function SelectInput(props: FieldInputProps) {
  const { field, value, error, onChange } = props;
  const options: string[] = field.values ?? [];
  if (!isMultiple(field)) {
    return (
      <Field label={label(field)} error={error}>
        <select name={field.name} value={value as string} onChange={(e) => onChange(e.currentTarget.value)}>
          <option value="">(none)</option>
          {options.map((o) => (
            <option value={o}>{o}</option>
          ))}
        </select>
      </Field>
    );
  }
  const chosen = value as string[];
  return (
    <fieldset class="pg-fieldset">
      <legend>{label(field)}</legend>
      {options.map((o) => (
        <label class="check">
          <input
            type="checkbox"
            checked={chosen.includes(o)}
            onChange={(e) => onChange(e.currentTarget.checked ? [...chosen, o] : chosen.filter((c) => c !== o))}
          />
          {o}
        </label>
      ))}
      {error && <span class="field-error" role="alert">{error}</span>}
    </fieldset>
  );
}

/** Stored files with thumbnails and a remove toggle, and new uploads with a local preview. */
function FileInput(props: FieldInputProps) {
  const { field, error, onChange, record, fileToken } = props;
  const files = props.value as FileValue;
  const multiple = isMultiple(field);
  const inputId = useId('file');
  const previews = useMemo(() => files.added.map((f) => (f.type.startsWith('image/') ? URL.createObjectURL(f) : '')), [files.added]);
  useEffect(() => () => previews.forEach((u) => u && URL.revokeObjectURL(u)), [previews]);
  const [inputKey, setInputKey] = useState(0);

  const storedUrl = (name: string, thumb?: string) =>
    record ? pb.files.getURL(record, name, { ...(thumb ? { thumb } : {}), ...(field.protected ? { token: fileToken } : {}) }) : '';

  const pick = (list: FileList | null) => {
    if (!list || list.length === 0) return;
    const picked = Array.from(list);
    if (multiple) onChange({ ...files, added: [...files.added, ...picked] });
    else onChange({ kept: [], removed: [...files.removed, ...files.kept], added: [picked[0]] });
    setInputKey((k) => k + 1);
  };
  const toggleRemoved = (name: string) => {
    if (files.removed.includes(name)) onChange({ ...files, kept: [...files.kept, name], removed: files.removed.filter((n) => n !== name) });
    else onChange({ ...files, kept: files.kept.filter((n) => n !== name), removed: [...files.removed, name] });
  };
  const stored = [...files.kept, ...files.removed.filter((n) => !files.kept.includes(n))];

  return (
    <fieldset class="pg-fieldset">
      <legend>{label(field)}</legend>
      <ul class="pg-files">
        {stored.map((name) => {
          const removed = files.removed.includes(name);
          return (
            <li class={removed ? 'pg-file removed' : 'pg-file'}>
              {/* A protected file's preview waits for the file token, rather than asking without it first. */}
              {isImageName(name) && record && (!field.protected || fileToken) ? <img src={storedUrl(name, '100x100')} alt="" width={40} height={40} loading="lazy" /> : <span class="pg-file-icon" aria-hidden="true">📄</span>}
              <a href={storedUrl(name)} target="_blank" rel="noopener noreferrer" class="pg-file-name">
                {name}
              </a>
              <button type="button" class="btn btn-ghost btn-small" onClick={() => toggleRemoved(name)} aria-label={`${removed ? 'Keep' : 'Remove'} ${name}`}>
                {removed ? 'Undo' : 'Remove'}
              </button>
            </li>
          );
        })}
        {files.added.map((f, i) => (
          <li class="pg-file added">
            {previews[i] ? <img src={previews[i]} alt="" width={40} height={40} /> : <span class="pg-file-icon" aria-hidden="true">📄</span>}
            <span class="pg-file-name">{f.name}</span> <span class="badge">new</span>
            <button
              type="button"
              class="btn btn-ghost btn-small"
              aria-label={`Remove new file ${f.name}`}
              onClick={() => onChange({ ...files, added: files.added.filter((_, j) => j !== i) })}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <label class="field-label" for={inputId}>
        {multiple ? 'Add files' : stored.length || files.added.length ? 'Replace file' : 'Choose a file'}
      </label>
      <input
        key={inputKey}
        id={inputId}
        type="file"
        name={field.name}
        multiple={multiple}
        accept={(field.mimeTypes ?? []).join(',') || undefined}
        onChange={(e) => pick(e.currentTarget.files)}
      />
      {error && <span class="field-error" role="alert">{error}</span>}
    </fieldset>
  );
}
