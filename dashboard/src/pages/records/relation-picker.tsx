/**
 * Picks related records: the chosen ones as removable chips, and a search over the target
 * collection (server-side, ten at a time) to add more.
 */
import type { CollectionField, CollectionModel, RecordModel } from 'pocketbase';
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage, pb } from '../../client.ts';
import { useId } from '../../ui.tsx';
import { isMultiple } from './values.ts';

const SEARCHABLE = new Set(['text', 'email', 'url', 'editor']);

/** A record's label: its presentable fields, else its first text field, else its id. */
export function recordLabel(target: CollectionModel | null, record: RecordModel): string {
  const fields = target?.fields ?? [];
  const presentable = fields.filter((f) => f.presentable).map((f) => record[f.name]);
  const shown = presentable.filter((v) => v !== '' && v !== null && v !== undefined);
  if (shown.length) return shown.map((v) => (Array.isArray(v) ? v.join(', ') : String(v))).join(' · ');
  const firstText = fields.find((f) => SEARCHABLE.has(f.type) && f.name !== 'id' && !f.hidden && record[f.name]);
  return firstText ? String(record[firstText.name]) : record.id;
}

/** `id ~ {:q} || title ~ {:q} || …` over the target's first text-like fields. */
function searchFilter(target: CollectionModel, q: string): string {
  if (!q.trim()) return '';
  const names = ['id', ...target.fields.filter((f) => SEARCHABLE.has(f.type) && f.name !== 'id' && !f.hidden && f.type !== 'password').map((f) => f.name)].slice(0, 5);
  return pb.filter(names.map((n) => `${n} ~ {:q}`).join(' || '), { q: q.trim() });
}

export function RelationPicker(props: {
  field: CollectionField;
  label: ComponentChildren;
  value: string[];
  error?: string;
  onChange(ids: string[]): void;
}) {
  const { field, value, onChange } = props;
  const multiple = isMultiple(field);
  const [target, setTarget] = useState<CollectionModel | null>(null);
  const [known, setKnown] = useState<Record<string, RecordModel>>({});
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<RecordModel[]>([]);
  const [failure, setFailure] = useState('');
  const searchId = useId('rel');
  const listId = useId('rel-results');

  useEffect(() => {
    pb.collections.getOne(field.collectionId).then(setTarget, (e) => setFailure(errorMessage(e)));
  }, [field.collectionId]);

  // Labels for the chosen ids (one request for all of them).
  useEffect(() => {
    const missing = value.filter((id) => !known[id]);
    if (!target || missing.length === 0) return;
    const filter = missing.map((_, i) => `id = {:id${i}}`).join(' || ');
    const params = Object.fromEntries(missing.map((id, i) => [`id${i}`, id]));
    pb.collection(target.id)
      .getList(1, missing.length, { filter: pb.filter(filter, params), skipTotal: true })
      .then((page) => setKnown((k) => ({ ...k, ...Object.fromEntries(page.items.map((r) => [r.id, r])) })), () => undefined);
  }, [target, value.join(',')]);

  // The search, debounced.
  useEffect(() => {
    if (!target) return;
    const timer = setTimeout(() => {
      pb.collection(target.id)
        .getList(1, 10, { filter: searchFilter(target, query), skipTotal: true })
        .then(
          (page) => {
            setResults(page.items);
            setFailure('');
          },
          (e) => setFailure(errorMessage(e)),
        );
    }, 200);
    return () => clearTimeout(timer);
  }, [target, query]);

  const choose = (record: RecordModel) => {
    setKnown((k) => ({ ...k, [record.id]: record }));
    if (value.includes(record.id)) onChange(value.filter((id) => id !== record.id));
    else onChange(multiple ? [...value, record.id] : [record.id]);
  };

  return (
    <fieldset class="pg-fieldset">
      <legend>
        {props.label} {target && <span class="muted">→ {target.name}</span>}
      </legend>
      <ul class="pg-chips" aria-label="Chosen records">
        {value.length === 0 && <li class="muted">None chosen</li>}
        {value.map((id) => {
          const text = known[id] ? recordLabel(target, known[id]) : id;
          return (
            <li class="pg-chip">
              <span>{text}</span>
              <button type="button" class="btn btn-ghost btn-small" aria-label={`Remove ${text}`} onClick={() => onChange(value.filter((v) => v !== id))}>
                ×
              </button>
            </li>
          );
        })}
      </ul>
      <label class="field-label" for={searchId}>
        Search {target?.name ?? 'records'}
      </label>
      <input id={searchId} type="search" value={query} placeholder="id or text" aria-controls={listId} onInput={(e) => setQuery(e.currentTarget.value)} />
      <ul class="pg-results" id={listId}>
        {results.map((r) => {
          const chosen = value.includes(r.id);
          return (
            <li>
              <button type="button" class={chosen ? 'pg-result chosen' : 'pg-result'} aria-pressed={chosen} onClick={() => choose(r)}>
                <span>{recordLabel(target, r)}</span> <span class="muted mono">{r.id}</span>
              </button>
            </li>
          );
        })}
      </ul>
      {failure && <span class="field-error" role="alert">{failure}</span>}
      {props.error && <span class="field-error" role="alert">{props.error}</span>}
    </fieldset>
  );
}
