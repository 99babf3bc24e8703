// The fields of a base or auth collection: one card per field with its name, type and options.
import type { CollectionModel } from 'pocketbase';
import { useState } from 'preact/hooks';
import { Button, Field } from '../../ui.tsx';
import { FIELD_TYPES, fieldTypeSpec, type OptionSpec } from './field-types.ts';

/** A field as edited: the stored keys plus a local key that survives renames (stripped on save). */
export type DraftField = Record<string, unknown> & { name: string; type: string; __key: string };

let keys = 0;
export const newKey = () => `k${++keys}`;

export function newField(type: string, collections: CollectionModel[], taken: string[]): DraftField {
  const spec = fieldTypeSpec(type);
  let name = type === 'geoPoint' ? 'location' : type;
  for (let i = 2; taken.includes(name); i++) name = `${type}${i}`;
  const field: DraftField = { __key: newKey(), name, type, required: false, hidden: false, presentable: false, system: false, ...spec?.defaults };
  if (type === 'relation') field.collectionId = collections.find((c) => c.type !== 'view')?.id ?? '';
  return field;
}

export function FieldsEditor(props: {
  fields: DraftField[];
  onChange: (fields: DraftField[]) => void;
  collections: CollectionModel[];
  /** Errors by path relative to the field list: `3.name`, `3.values` … */
  errors: Record<string, string>;
}) {
  const { fields, onChange } = props;
  const [adding, setAdding] = useState('text');
  const update = (i: number, patch: Record<string, unknown>) => onChange(fields.map((f, j) => (j === i ? { ...f, ...patch } : f)));
  const move = (i: number, by: number) => {
    const next = [...fields];
    const [f] = next.splice(i, 1);
    next.splice(i + by, 0, f);
    onChange(next);
  };
  return (
    <div>
      {fields.map((field, i) => (
        <FieldCard
          key={field.__key}
          field={field}
          index={i}
          count={fields.length}
          collections={props.collections}
          errors={props.errors}
          onChange={(patch) => update(i, patch)}
          onMove={(by) => move(i, by)}
          onRemove={() => onChange(fields.filter((_, j) => j !== i))}
        />
      ))}
      <div class="row panel">
        <Field label="New field type">
          <select value={adding} onChange={(e) => setAdding(e.currentTarget.value)}>
            {FIELD_TYPES.map((t) => (
              <option key={t.type} value={t.type}>
                {t.label} ({t.type})
              </option>
            ))}
          </select>
        </Field>
        <div class="field">
          <Button kind="secondary" onClick={() => onChange([...fields, newField(adding, props.collections, fields.map((f) => f.name))])}>
            + Add field
          </Button>
        </div>
      </div>
    </div>
  );
}

function FieldCard(props: {
  field: DraftField;
  index: number;
  count: number;
  collections: CollectionModel[];
  errors: Record<string, string>;
  onChange: (patch: Record<string, unknown>) => void;
  onMove: (by: number) => void;
  onRemove: () => void;
}) {
  const { field, index, onChange } = props;
  const [open, setOpen] = useState(!field.id);
  const spec = fieldTypeSpec(field.type);
  const system = field.system === true;
  const err = (key: string) => props.errors[`${index}.${key}`];
  const otherErrors = Object.entries(props.errors)
    .filter(([k]) => k.startsWith(`${index}.`) && !['name', ...(spec?.options.map((o) => o.key) ?? [])].includes(k.slice(`${index}.`.length)))
    .map(([k, m]) => `${k.slice(`${index}.`.length)}: ${m}`);
  const label = field.name || `field ${index + 1}`;
  return (
    <div class={`field-card${system ? ' system' : ''}`} data-field={field.name}>
      <div class="field-card-head">
        <span class="type-pill" title={spec?.label}>
          {field.type}
        </span>
        <Field label="Field name" error={err('name')}>
          <input type="text" value={field.name} disabled={system} spellcheck={false} onInput={(e) => onChange({ name: e.currentTarget.value })} />
        </Field>
        {field.type !== 'autodate' && (
          <label class="check">
            <input type="checkbox" checked={field.required === true} disabled={system} onChange={(e) => onChange({ required: e.currentTarget.checked })} />
            Required
          </label>
        )}
        <Button kind="ghost" class="btn-small" aria-expanded={open} aria-label={`Options of ${label}`} onClick={() => setOpen(!open)}>
          {open ? 'Hide options' : 'Options'}
        </Button>
        <Button kind="ghost" class="btn-small" aria-label={`Move ${label} up`} disabled={index === 0} onClick={() => props.onMove(-1)}>
          ↑
        </Button>
        <Button kind="ghost" class="btn-small" aria-label={`Move ${label} down`} disabled={index === props.count - 1} onClick={() => props.onMove(1)}>
          ↓
        </Button>
        {!system && (
          <Button kind="ghost" class="btn-small" aria-label={`Remove ${label}`} onClick={props.onRemove}>
            Remove
          </Button>
        )}
      </div>
      {otherErrors.map((m) => (
        <p key={m} class="field-error" role="alert">
          {m}
        </p>
      ))}
      {open && (
        <div class="field-options">
          {spec?.options.map((option) => (
            <OptionInput key={option.key} option={option} value={field[option.key]} error={err(option.key)} collections={props.collections} onChange={(v) => onChange({ [option.key]: v })} />
          ))}
          {field.type !== 'autodate' && (
            <Field label="Help text" error={err('help')}>
              <input type="text" value={String(field.help ?? '')} onInput={(e) => onChange({ help: e.currentTarget.value })} />
            </Field>
          )}
          <div class="field flags">
            <label class="check">
              <input type="checkbox" checked={field.hidden === true} onChange={(e) => onChange({ hidden: e.currentTarget.checked })} />
              Hidden (never returned by the API)
            </label>
            <label class="check">
              <input type="checkbox" checked={field.presentable === true} onChange={(e) => onChange({ presentable: e.currentTarget.checked })} />
              Presentable (shown in relation pickers)
            </label>
          </div>
        </div>
      )}
    </div>
  );
}

function OptionInput(props: { option: OptionSpec; value: unknown; error?: string; disabled?: boolean; collections: CollectionModel[]; onChange: (value: unknown) => void }) {
  const { option, value, onChange } = props;
  switch (option.kind) {
    case 'bool':
      return (
        <div class="field">
          <label class="check">
            <input type="checkbox" checked={value === true} disabled={props.disabled} onChange={(e) => onChange(e.currentTarget.checked)} />
            {option.label}
          </label>
          {props.error && <span class="field-error" role="alert">{props.error}</span>}
        </div>
      );
    case 'int':
    case 'number?':
      return (
        <Field label={option.label} hint={option.hint} error={props.error}>
          <input
            type="number"
            step={option.kind === 'int' ? 1 : 'any'}
            value={value === null || value === undefined ? '' : String(value)}
            disabled={props.disabled}
            onInput={(e) => {
              const raw = e.currentTarget.value;
              onChange(raw === '' ? (option.kind === 'int' ? 0 : null) : Number(raw));
            }}
          />
        </Field>
      );
    case 'strings?':
      return (
        <Field label={option.label} hint={option.hint} error={props.error}>
          <ListInput value={Array.isArray(value) ? (value as string[]) : []} disabled={props.disabled} onChange={onChange} />
        </Field>
      );
    case 'collection':
      return (
        <Field label={option.label} hint={option.hint} error={props.error}>
          <select value={String(value ?? '')} disabled={props.disabled} onChange={(e) => onChange(e.currentTarget.value)}>
            <option value="">Choose a collection</option>
            {props.collections
              .filter((c) => c.type !== 'view')
              .map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
          </select>
        </Field>
      );
    default:
      return (
        <Field label={option.label} hint={option.hint} error={props.error}>
          <input type="text" value={String(value ?? '')} disabled={props.disabled} spellcheck={false} onInput={(e) => onChange(e.currentTarget.value)} />
        </Field>
      );
  }
}

/** A comma-separated list; the text is kept while typing so "a, " is not cut to "a". */
function ListInput(props: { value: string[]; disabled?: boolean; onChange: (value: string[]) => void }) {
  const [text, setText] = useState(props.value.join(', '));
  return (
    <input
      type="text"
      value={text}
      disabled={props.disabled}
      spellcheck={false}
      onInput={(e) => {
        setText(e.currentTarget.value);
        props.onChange(
          e.currentTarget.value
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        );
      }}
    />
  );
}
