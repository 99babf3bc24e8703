// Indexes as PocketBase stores them: CREATE [UNIQUE] INDEX statements. A builder writes the common
// ones (columns + unique); any statement can be typed directly.
import { useState } from 'preact/hooks';
import { Button, Field } from '../../ui.tsx';

const quote = (name: string) => `\`${name.replace(/`/g, '')}\``;

export function indexStatement(collection: string, columns: string[], unique: boolean): string {
  const name = `idx_${collection}_${columns.join('_')}`.replace(/[^A-Za-z0-9_]/g, '_');
  return `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${quote(name)} ON ${quote(collection)} (${columns.map(quote).join(', ')})`;
}

export function IndexesEditor(props: {
  indexes: string[];
  collection: string;
  columns: string[];
  onChange: (indexes: string[]) => void;
  /** Errors by index position: `0`, `1` … */
  errors: Record<string, string>;
}) {
  const [picked, setPicked] = useState<string[]>([]);
  const [unique, setUnique] = useState(false);
  const [raw, setRaw] = useState('');
  const toggle = (column: string) => setPicked(picked.includes(column) ? picked.filter((c) => c !== column) : [...picked, column]);
  return (
    <div>
      {props.indexes.length === 0 && <p class="muted">No indexes yet.</p>}
      <ul class="index-list" style={{ listStyle: 'none', padding: 0 }}>
        {props.indexes.map((statement, i) => (
          <li key={`${i}-${statement}`} class="field-card">
            <div class="field-card-head">
              <Field label={`Index ${i + 1}`} error={props.errors[String(i)]}>
                <input
                  type="text"
                  class="mono"
                  value={statement}
                  spellcheck={false}
                  onChange={(e) => props.onChange(props.indexes.map((s, j) => (j === i ? e.currentTarget.value : s)))}
                />
              </Field>
              <Button kind="ghost" class="btn-small" aria-label={`Remove index ${i + 1}`} onClick={() => props.onChange(props.indexes.filter((_, j) => j !== i))}>
                Remove
              </Button>
            </div>
          </li>
        ))}
      </ul>
      <fieldset class="panel">
        <legend>New index</legend>
        <p class="field-label">Columns</p>
        <div>
          {props.columns.map((column) => (
            <label key={column} class="check">
              <input type="checkbox" checked={picked.includes(column)} onChange={() => toggle(column)} />
              {column}
            </label>
          ))}
        </div>
        <label class="check">
          <input type="checkbox" checked={unique} onChange={(e) => setUnique(e.currentTarget.checked)} />
          Unique
        </label>
        <div class="actions" style={{ justifyContent: 'flex-start' }}>
          <Button
            kind="secondary"
            disabled={!picked.length || !props.collection}
            onClick={() => {
              props.onChange([...props.indexes, indexStatement(props.collection, picked, unique)]);
              setPicked([]);
              setUnique(false);
            }}
          >
            + Add index
          </Button>
        </div>
        <Field label="Or type a statement" hint="e.g. CREATE INDEX idx_posts_title ON posts (title)">
          <input type="text" class="mono" value={raw} spellcheck={false} onInput={(e) => setRaw(e.currentTarget.value)} />
        </Field>
        <Button
          kind="secondary"
          disabled={!raw.trim()}
          onClick={() => {
            props.onChange([...props.indexes, raw.trim()]);
            setRaw('');
          }}
        >
          + Add statement
        </Button>
      </fieldset>
    </div>
  );
}
