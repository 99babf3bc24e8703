// A view collection's SELECT, with a preview of its fields and first rows from the server
// (POST /api/collections/meta/dry-run-view, PocketBase's endpoint).
import { useState } from 'preact/hooks';
import { pb } from '../../client.ts';
import { Button, ErrorText, Field } from '../../ui.tsx';

interface DryRun {
  fields: { name: string; type: string }[];
  sample: Record<string, unknown>[];
}

const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function ViewQueryEditor(props: { query: string; onChange: (query: string) => void; error?: string }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<DryRun | null>(null);
  const [error, setError] = useState<unknown>(null);
  const preview = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await pb.send<DryRun>('/api/collections/meta/dry-run-view', { method: 'POST', body: { query: props.query } }));
    } catch (e) {
      setResult(null);
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <Field label="Select query" hint="One SELECT statement; it must return an id column. Fields are created from its columns." error={props.error}>
        <textarea class="code" rows={8} value={props.query} spellcheck={false} onInput={(e) => props.onChange(e.currentTarget.value)} placeholder="SELECT id, title FROM posts WHERE published = true" />
      </Field>
      <Button kind="secondary" busy={busy} disabled={!props.query.trim()} onClick={preview}>
        Preview
      </Button>
      <ErrorText error={error} />
      {result && (
        <div class="panel" style={{ marginTop: 12 }}>
          <h3>Preview</h3>
          <p class="muted">
            Fields: {result.fields.map((f) => `${f.name} (${f.type})`).join(', ') || 'none'}
          </p>
          {result.sample.length === 0 ? (
            <p class="muted">The query returns no rows.</p>
          ) : (
            <div class="table-wrap">
              <table class="grid">
                <thead>
                  <tr>
                    {result.fields.map((f) => (
                      <th key={f.name} scope="col">{f.name}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {result.sample.map((row, i) => (
                    <tr key={i}>
                      {result.fields.map((f) => (
                        <td key={f.name}>{cell(row[f.name])}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
