/**
 * The SQL console: one query at a time against POST /api/sql (superusers only). Results are the
 * server's columns and rows (at most 1,000 rows), with the affected-row count and the time taken.
 */
import { useState } from 'preact/hooks';
import { errorMessage, pb } from '../client.ts';
import { Button, ErrorText, Field } from '../ui.tsx';
import './pages.css';

interface SqlColumn {
  name: string;
  type: string;
  nullable: boolean;
}

interface SqlResult {
  execTime: number;
  affectedRows: number;
  columns: SqlColumn[];
  rows: unknown[][];
}

const MAX_QUERY = 5000;
const DRAFT_KEY = 'baton.sql.draft';

const cell = (v: unknown): string => (v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function SqlPage() {
  const [query, setQuery] = useState(() => localStorage.getItem(DRAFT_KEY) ?? 'SELECT id, name, type FROM _collections LIMIT 10');
  const [result, setResult] = useState<SqlResult | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const run = async () => {
    if (busy || !query.trim()) return;
    setBusy(true);
    setError('');
    localStorage.setItem(DRAFT_KEY, query);
    try {
      setResult(await pb.send<SqlResult>('/api/sql', { method: 'POST', body: { query } }));
    } catch (e) {
      setError(errorMessage(e));
      setResult(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="pg-sql">
      <header class="page-header">
        <h1>SQL console</h1>
      </header>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <Field label="Query" hint={`Ctrl+Enter (⌘+Enter) runs it. At most ${MAX_QUERY.toLocaleString()} characters; up to 1,000 rows are returned.`}>
          <textarea
            class="code"
            name="query"
            rows={8}
            spellcheck={false}
            maxLength={MAX_QUERY}
            value={query}
            aria-invalid={error ? true : undefined}
            onInput={(e) => setQuery(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                void run();
              }
            }}
          />
        </Field>
        <div class="actions pg-actions-left">
          <Button type="submit" busy={busy}>
            Run
          </Button>
          <span class="muted">
            {query.length.toLocaleString()} / {MAX_QUERY.toLocaleString()}
          </span>
        </div>
      </form>
      <ErrorText error={error} />
      {result && <SqlResultView result={result} />}
    </section>
  );
}

function SqlResultView({ result }: { result: SqlResult }) {
  return (
    <div class="pg-sql-result">
      <p class="pg-stats" aria-live="polite">
        <span>
          <strong>{result.rows.length.toLocaleString()}</strong> {result.rows.length === 1 ? 'row' : 'rows'}
        </span>
        <span>
          <strong>{result.affectedRows.toLocaleString()}</strong> affected
        </span>
        <span>
          <strong>{result.execTime.toLocaleString(undefined, { maximumFractionDigits: 2 })}</strong> ms
        </span>
      </p>
      {result.columns.length > 0 && (
        <div class="table-wrap">
          <table class="grid">
            <caption class="pg-sr-only">Query results</caption>
            <thead>
              <tr>
                {result.columns.map((c) => (
                  <th scope="col" title={`${c.type || 'untyped'}${c.nullable ? ', nullable' : ''}`}>
                    {c.name} <span class="muted pg-coltype">{c.type}</span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {result.rows.map((row) => (
                <tr>
                  {row.map((v) => (
                    <td class={v === null ? 'muted' : undefined} title={cell(v)}>
                      {cell(v)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
