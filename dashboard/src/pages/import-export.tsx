// The collections' schema as JSON: export it, or import one after reviewing what it changes.
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { pb } from '../client.ts';
import { refreshCollections } from '../store.ts';
import { Button, ErrorText, Field, Spinner } from '../ui.tsx';
import { diffSchemas, type SchemaDiff } from './schema-diff.ts';

type Json = Record<string, unknown>;

/** The collections as an export: without timestamps, which an import ignores. */
async function loadSchema(): Promise<Json[]> {
  const list = await pb.collections.getFullList({ sort: 'created', batch: 500 });
  return list.map((c) => {
    const { created: _c, updated: _u, ...rest } = c as unknown as Json;
    return rest;
  });
}

export function ImportExportPage() {
  const [current, setCurrent] = useState<Json[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = () => loadSchema().then(setCurrent, setError);
  useEffect(() => {
    void reload();
  }, []);
  if (error) return <ErrorText error={error} />;
  if (!current) return <Spinner />;
  return (
    <section>
      <div class="page-header">
        <h1>Import / export collections</h1>
      </div>
      <Export schema={current} />
      <Import current={current} onImported={reload} />
    </section>
  );
}

function Export({ schema }: { schema: Json[] }) {
  const text = JSON.stringify(schema, null, 2);
  const [copied, setCopied] = useState(false);
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `baton_schema_${new Date().toISOString().slice(0, 10)}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div class="panel">
      <h2>Export</h2>
      <Field label={`Schema of ${schema.length} collections`}>
        <textarea class="code" rows={8} readOnly value={text} />
      </Field>
      <div class="actions" style={{ justifyContent: 'flex-start' }}>
        <Button onClick={download}>Download JSON</Button>
        <Button
          kind="secondary"
          onClick={() =>
            navigator.clipboard?.writeText(text).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </Button>
      </div>
    </div>
  );
}

function Import({ current, onImported }: { current: Json[]; onImported: () => Promise<void> | void }) {
  const [text, setText] = useState('');
  const [deleteMissing, setDeleteMissing] = useState(false);
  const [parsed, setParsed] = useState<Json[] | null>(null);
  const [diff, setDiff] = useState<SchemaDiff | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  const review = () => {
    setError(null);
    setDone(false);
    try {
      const value = JSON.parse(text) as unknown;
      if (!Array.isArray(value) || !value.every((c) => c && typeof c === 'object' && typeof (c as Json).name === 'string')) {
        throw new Error('Expected a JSON array of collections, each with a name.');
      }
      setParsed(value as Json[]);
      setDiff(diffSchemas(current, value as Json[], deleteMissing));
    } catch (e) {
      setParsed(null);
      setDiff(null);
      setError(e instanceof SyntaxError ? `Invalid JSON: ${e.message}` : e);
    }
  };

  const apply = async () => {
    if (!parsed) return;
    setBusy(true);
    setError(null);
    try {
      await pb.collections.import(parsed as never, deleteMissing);
      await refreshCollections();
      await onImported();
      setDone(true);
      setParsed(null);
      setDiff(null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const empty = diff && !diff.added.length && !diff.removed.length && !diff.changed.length;
  return (
    <div class="panel">
      <h2>Import</h2>
      <Field label="Schema JSON" hint="Paste an export, or load a file.">
        <textarea class="code" rows={8} value={text} spellcheck={false} onInput={(e) => (setText(e.currentTarget.value), setDiff(null))} />
      </Field>
      <Field label="Load from a file">
        <input
          type="file"
          accept="application/json,.json"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file) void file.text().then((t) => (setText(t), setDiff(null)));
          }}
        />
      </Field>
      <label class="check">
        <input type="checkbox" checked={deleteMissing} onChange={(e) => (setDeleteMissing(e.currentTarget.checked), setDiff(null))} />
        Delete collections and fields that are not in the import
      </label>
      <div class="actions" style={{ justifyContent: 'flex-start' }}>
        <Button kind="secondary" disabled={!text.trim()} onClick={review}>
          Review changes
        </Button>
      </div>
      <ErrorText error={error} />
      {done && <p role="status">The import was applied.</p>}
      {diff && (
        <div class="diff" aria-live="polite">
          <h3>Changes</h3>
          {empty && <p>Nothing to change: the schema is already the same.</p>}
          {diff.added.length > 0 && (
            <>
              <p class="diff-added">Added collections</p>
              <ul>{diff.added.map((n) => <li key={n}>{n}</li>)}</ul>
            </>
          )}
          {diff.removed.length > 0 && (
            <>
              <p class="diff-removed">Deleted collections (with all their records)</p>
              <ul>{diff.removed.map((n) => <li key={n}>{n}</li>)}</ul>
            </>
          )}
          {diff.changed.length > 0 && (
            <>
              <p class="diff-changed">Changed collections</p>
              <ul>
                {diff.changed.map((c) => (
                  <li key={c.name}>
                    <strong>{c.name}</strong>{' '}
                    {[
                      c.fieldsAdded.length > 0 && <span class="diff-added">added fields: {c.fieldsAdded.join(', ')}</span>,
                      c.fieldsRemoved.length > 0 && <span class="diff-removed">removed fields: {c.fieldsRemoved.join(', ')}</span>,
                      c.fieldsChanged.length > 0 && <span class="diff-changed">changed fields: {c.fieldsChanged.join(', ')}</span>,
                      c.keysChanged.length > 0 && <span>changed: {c.keysChanged.join(', ')}</span>,
                    ]
                      .filter(Boolean)
                      .map((part, i) => (
                        <Fragment key={i}>
                          {i > 0 && '; '}
                          {part}
                        </Fragment>
                      ))}
                  </li>
                ))}
              </ul>
            </>
          )}
          {!empty && (
            <Button kind={diff.removed.length ? 'danger' : 'primary'} busy={busy} onClick={apply}>
              Apply import
            </Button>
          )}
        </div>
      )}
    </div>
  );
}
