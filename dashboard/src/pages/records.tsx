/**
 * A collection's records: a server-side paged table (sort by header, filter in the filter
 * language, chosen columns), create/edit/delete in a modal, bulk delete, and the same query as SDK
 * code and curl. Nothing is loaded beyond the page shown, so 100,000 records cost one page.
 */
import type { CollectionField, CollectionModel, ListResult, RecordModel } from 'pocketbase';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { errorMessage, fieldErrors as fieldErrorsOf, pb } from '../client.ts';
import { Button, ConfirmDialog, ErrorText, Spinner } from '../ui.tsx';
import { currentRoute } from '../router.ts';
import { curlListCommand, queryString, sdkListCode } from './parts/code.ts';
import { CodeBlock, FilterBar, Pager, PER_PAGE_CHOICES } from './parts/widgets.tsx';
import { RecordForm } from './records/record-form.tsx';
import { cellText, isImageName } from './records/values.ts';
import './pages.css';

const columnsKey = (collectionId: string) => `baton.records.hiddenColumns.${collectionId}`;

function loadHidden(collectionId: string): string[] {
  try {
    const raw = localStorage.getItem(columnsKey(collectionId));
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

/** Fields shown as columns by default: everything but passwords and the token key. */
const listable = (c: CollectionModel): CollectionField[] =>
  c.fields.filter((f) => f.type !== 'password' && !(c.type === 'auth' && f.name === 'tokenKey'));

/** `created` -> `-created` -> `created`; another column starts ascending. */
function nextSort(current: string, name: string): string {
  if (current === name) return `-${name}`;
  return name;
}

/**
 * The records API answers a bad filter with PocketBase's generic 400 ("Something went wrong…"),
 * keeping the reason out of the response. Rules are the same language, so the collection's
 * validation endpoint (superusers only) is asked about the filter as a list rule, which names the
 * problem. Nothing is saved. Undefined when it has nothing more to say.
 */
async function explainFilter(collection: CollectionModel, filter: string): Promise<string | undefined> {
  try {
    await pb.send('/api/collections/meta/validate', { method: 'POST', body: { id: collection.id, listRule: filter } });
  } catch (e) {
    const problem = fieldErrorsOf(e).listRule;
    // Only the rule's own problems: a system collection refuses any rule change, which says nothing about the filter.
    if (problem?.startsWith('Invalid rule')) return problem.replace(/^Invalid rule\. Raw error: /, 'Invalid filter: ');
  }
  return undefined;
}

export function RecordsPage(props: { collection: string }) {
  const [collection, setCollection] = useState<CollectionModel | null>(null);
  const [loadError, setLoadError] = useState('');

  useEffect(() => {
    setCollection(null);
    setLoadError('');
    pb.collections.getOne(props.collection).then(setCollection, (e) => setLoadError(errorMessage(e)));
  }, [props.collection]);

  if (loadError) {
    return (
      <section>
        <h1>Records</h1>
        <ErrorText error={loadError} />
      </section>
    );
  }
  if (!collection) return <Spinner label="Loading collection" />;
  return <RecordsTable key={collection.id} collection={collection} />;
}

function RecordsTable({ collection }: { collection: CollectionModel }) {
  const readOnly = collection.type === 'view';
  const fields = useMemo(() => listable(collection), [collection]);
  // The query lives in the hash too (#/collections/posts?page=2&sort=-created&filter=…): a reload
  // or a shared link opens the same page of the same query.
  const [initial] = useState(() => currentRoute().query);
  const [page, setPage] = useState(() => Math.max(1, Number(initial.get('page')) || 1));
  const [perPage, setPerPage] = useState(() => (PER_PAGE_CHOICES.includes(Number(initial.get('perPage'))) ? Number(initial.get('perPage')) : 30));
  const [sort, setSort] = useState(() => initial.get('sort') ?? (collection.fields.some((f) => f.name === 'created') ? '-created' : ''));
  const [filterDraft, setFilterDraft] = useState(() => initial.get('filter') ?? '');
  const [filter, setFilter] = useState(() => initial.get('filter') ?? '');
  const [result, setResult] = useState<ListResult<RecordModel> | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState('');
  const [hidden, setHidden] = useState<string[]>(() => loadHidden(collection.id));
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [editing, setEditing] = useState<RecordModel | 'new' | null>(null);
  const [bulkDelete, setBulkDelete] = useState(false);
  const [showCode, setShowCode] = useState(false);
  const [reload, setReload] = useState(0);
  const seq = useRef(0);

  useEffect(() => {
    const mine = ++seq.current;
    setLoading(true);
    pb.collection(collection.id)
      .getList(page, perPage, { filter: filter || undefined, sort: sort || undefined })
      .then(
        (r) => {
          if (mine !== seq.current) return;
          setResult(r);
          setError('');
          // Keep only selections still on screen.
          setSelected((s) => new Set(r.items.filter((i) => s.has(i.id)).map((i) => i.id)));
        },
        async (e) => {
          if (mine !== seq.current) return;
          setResult(null);
          const status = (e as { status?: number }).status;
          const reason = filter && status === 400 ? await explainFilter(collection, filter) : undefined;
          if (mine === seq.current) setError(reason ?? errorMessage(e));
        },
      )
      .finally(() => {
        if (mine === seq.current) setLoading(false);
      });
  }, [collection.id, page, perPage, filter, sort, reload]);

  useEffect(() => {
    const [path] = window.location.hash.split('?', 1);
    const query = queryString({ page: page > 1 ? page : undefined, perPage: perPage !== 30 ? perPage : undefined, sort, filter });
    // replaceState: no hashchange, no history entry per click; the router keeps its route.
    window.history.replaceState(null, '', query ? `${path}?${query}` : path);
  }, [page, perPage, sort, filter]);

  const columns = fields.filter((f) => f.name === 'id' || !hidden.includes(f.name));
  const toggleColumn = (name: string) => {
    const next = hidden.includes(name) ? hidden.filter((n) => n !== name) : [...hidden, name];
    setHidden(next);
    try {
      localStorage.setItem(columnsKey(collection.id), JSON.stringify(next));
    } catch {
      // Storage full or disabled: the choice holds for this visit only.
    }
  };

  const items = result?.items ?? [];
  const allSelected = items.length > 0 && items.every((i) => selected.has(i.id));
  const toggleAll = () => setSelected(allSelected ? new Set() : new Set(items.map((i) => i.id)));
  const toggleOne = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const applyFilter = (next: string) => {
    setPage(1);
    setFilter(next);
    setReload((n) => n + 1);
  };

  const openRecord = async (id: string) => {
    try {
      setEditing(await pb.collection(collection.id).getOne(id));
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const query = { collection: collection.name, page, perPage, filter, sort };

  return (
    <section class="pg-records">
      <header class="page-header">
        <h1>
          {collection.name} <span class="badge">{collection.type}</span>
        </h1>
        <Button kind="secondary" aria-expanded={showCode} aria-controls="records-code" onClick={() => setShowCode((s) => !s)}>
          API preview
        </Button>
        {!readOnly && <Button onClick={() => setEditing('new')}>New record</Button>}
      </header>

      <FilterBar
        id="records"
        placeholder={`Filter, e.g. created > "2024-01-01" && title ~ "hello"`}
        draft={filterDraft}
        applied={filter}
        error={error}
        onDraft={setFilterDraft}
        onApply={applyFilter}
      />

      {showCode && (
        <div class="panel" id="records-code">
          <CodeBlock label="JavaScript SDK" code={sdkListCode(query)} />
          <CodeBlock label="curl" code={curlListCommand(pb.baseURL || window.location.origin, query)} />
          <p class="muted">Set PB_TOKEN to a superuser token (or drop the header for public collections).</p>
        </div>
      )}

      <div class="pg-toolbar">
        <details class="pg-columns">
          <summary>Columns</summary>
          <fieldset>
            <legend>Shown columns</legend>
            {fields.map((f) => (
              <label class="check">
                {/* The id column opens the record: always shown. */}
                <input type="checkbox" checked={f.name === 'id' || !hidden.includes(f.name)} disabled={f.name === 'id'} onChange={() => toggleColumn(f.name)} />
                {f.name}
              </label>
            ))}
          </fieldset>
        </details>
        {!readOnly && selected.size > 0 && (
          <Button kind="danger" onClick={() => setBulkDelete(true)}>
            Delete selected ({selected.size})
          </Button>
        )}
        {loading && <Spinner inline label="Loading records" />}
      </div>

      <div class="table-wrap">
        <table class="grid pg-table" aria-busy={loading}>
          <caption class="pg-sr-only">
            Records of {collection.name}
            {sort ? `, sorted by ${sort.replace(/^-/, '')} ${sort.startsWith('-') ? 'descending' : 'ascending'}` : ''}
          </caption>
          <thead>
            <tr>
              {!readOnly && (
                <th class="pg-check-col">
                  <input type="checkbox" aria-label="Select all on this page" checked={allSelected} onChange={toggleAll} />
                </th>
              )}
              {columns.map((f) => {
                const state = sort === f.name ? 'ascending' : sort === `-${f.name}` ? 'descending' : undefined;
                return (
                  <th aria-sort={state ?? 'none'} scope="col">
                    <button
                      type="button"
                      class="pg-sort"
                      onClick={() => {
                        setSort(nextSort(sort, f.name));
                        setPage(1);
                      }}
                    >
                      {f.name}
                      <span aria-hidden="true">{state === 'ascending' ? ' ▲' : state === 'descending' ? ' ▼' : ''}</span>
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr class={selected.has(r.id) ? 'selected' : undefined}>
                {!readOnly && (
                  <td class="pg-check-col">
                    <input type="checkbox" aria-label={`Select ${r.id}`} checked={selected.has(r.id)} onChange={() => toggleOne(r.id)} />
                  </td>
                )}
                {columns.map((f) => (
                  <td title={f.type === 'file' ? undefined : cellText(f, r[f.name])}>
                    {f.name === 'id' ? (
                      <button type="button" class="pg-link mono" onClick={() => void openRecord(r.id)} aria-label={`${readOnly ? 'View' : 'Edit'} record ${r.id}`}>
                        {r.id}
                      </button>
                    ) : f.type === 'file' ? (
                      <FileCell record={r} field={f} />
                    ) : (
                      cellText(f, r[f.name])
                    )}
                  </td>
                ))}
              </tr>
            ))}
            {result && items.length === 0 && (
              <tr>
                <td colSpan={columns.length + 1} class="muted">
                  No records{filter ? ' match this filter' : ' yet'}.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>

      {result && (
        <Pager
          label="Records"
          page={result.page}
          perPage={perPage}
          totalItems={result.totalItems}
          totalPages={result.totalPages}
          onPage={setPage}
          onPerPage={(n) => {
            setPerPage(n);
            setPage(1);
          }}
        />
      )}

      {editing && (
        <RecordForm
          collection={collection}
          record={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            setReload((n) => n + 1);
          }}
        />
      )}
      {bulkDelete && (
        <ConfirmDialog
          title="Delete records"
          message={`Delete ${selected.size} selected record${selected.size === 1 ? '' : 's'} from ${collection.name}? This cannot be undone.`}
          confirmLabel="Delete"
          danger
          onConfirm={async () => {
            const failed: string[] = [];
            for (const id of selected) {
              try {
                await pb.collection(collection.id).delete(id);
              } catch (e) {
                failed.push(`${id}: ${errorMessage(e)}`);
              }
            }
            setSelected(new Set());
            setReload((n) => n + 1);
            if (failed.length) throw new Error(`Not deleted: ${failed.join('; ')}`);
          }}
          onClose={() => setBulkDelete(false)}
        />
      )}
    </section>
  );
}

function FileCell({ record, field }: { record: RecordModel; field: CollectionField }) {
  const raw = record[field.name];
  const names: string[] = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return (
    <span class="pg-file-cell">
      {names.slice(0, 3).map((name) =>
        isImageName(name) && !field.protected ? (
          <img src={pb.files.getURL(record, name, { thumb: '100x100' })} alt={name} width={28} height={28} loading="lazy" />
        ) : (
          <span class="mono">{name}</span>
        ),
      )}
      {names.length > 3 && <span class="muted"> +{names.length - 3}</span>}
    </span>
  );
}
