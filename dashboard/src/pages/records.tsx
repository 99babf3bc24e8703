/**
 * A collection's records: a server-side paged table (sort by header, filter in the filter
 * language, chosen columns), create/edit/delete in a modal, bulk delete, and the same query as SDK
 * code and curl. Nothing is loaded beyond the page shown, so 100,000 records cost one page:
 * the default order is the table's row order (`-@rowid`, newest first, as PocketBase's dashboard;
 * it needs no index where `-created` sorts the whole table), the rows come with `skipTotal` and the
 * total is counted by a request of its own (once per filter, not per page), and only the relation
 * columns on screen are expanded (docs/performance.md, "Dashboard").
 */
import type { CollectionField, CollectionModel, ListResult, RecordModel } from 'pocketbase';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { errorMessage, fieldErrors as fieldErrorsOf, pb } from '../client.ts';
import { useCollections } from '../store.ts';
import { Button, ConfirmDialog, ErrorText, Spinner } from '../ui.tsx';
import { currentRoute } from '../router.ts';
import { curlListCommand, queryString, sdkListCode } from './parts/code.ts';
import { CodeBlock, FilterBar, Pager, PER_PAGE_CHOICES } from './parts/widgets.tsx';
import { RecordForm } from './records/record-form.tsx';
import { cellText, expandFor, isDateField, isImageName, relationTexts, shortList } from './records/values.ts';
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

/** Newest first by insertion order: the cheapest order there is (no sort, no index needed). */
const ROWID_SORT = '-@rowid';
/**
 * Only SQLite tables have a row id; PostgreSQL and MySQL answer `-@rowid` with a 400. Once a server
 * has, this visit sorts by `-created` (or nothing) by default instead.
 */
let rowidSortRefused = false;

/** The order a collection opens in: `-@rowid` where there is a row id, else `-created` if it has one. */
function defaultSort(c: CollectionModel): string {
  if (c.type !== 'view' && !rowidSortRefused) return ROWID_SORT;
  return c.fields.some((f) => f.name === 'created') ? '-created' : '';
}

/** Whether the server refuses `-@rowid` for this collection (a filter's 400 is not that). */
async function rowidRefused(collection: CollectionModel): Promise<boolean> {
  try {
    await pb.collection(collection.id).getList(1, 1, { sort: ROWID_SORT, fields: 'id', skipTotal: true, requestKey: null });
    return false;
  } catch (e) {
    return (e as { status?: number }).status === 400;
  }
}

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
  const [sort, setSort] = useState(() => initial.get('sort') ?? defaultSort(collection));
  const [filterDraft, setFilterDraft] = useState(() => initial.get('filter') ?? '');
  const [filter, setFilter] = useState(() => initial.get('filter') ?? '');
  const [result, setResult] = useState<ListResult<RecordModel> | null>(null);
  /** The total for the filter in force; null while it is being counted (or could not be). */
  const [total, setTotal] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState('');
  const [hidden, setHidden] = useState<string[]>(() => loadHidden(collection.id));
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [editing, setEditing] = useState<RecordModel | 'new' | null>(null);
  const [bulkDelete, setBulkDelete] = useState(false);
  const [showCode, setShowCode] = useState(false);
  const [reload, setReload] = useState(0);
  const [columnsOpen, setColumnsOpen] = useState(false);
  const columnsMenu = useRef<HTMLDetailsElement>(null);
  const seq = useRef(0);
  const countSeq = useRef(0);
  const { list: collections } = useCollections();

  const columns = fields.filter((f) => f.name === 'id' || !hidden.includes(f.name));
  const expand = expandFor(columns);

  // useLayoutEffect: Preact runs a useEffect only after the next frame, which held every request
  // (page, sort, filter) back by up to a frame; the request is the point of the render, so it starts at once.
  useLayoutEffect(() => {
    const mine = ++seq.current;
    setLoading(true);
    // No total here: on a big table COUNT(*) can cost more than the page (it is asked apart, below).
    pb.collection(collection.id)
      .getList(page, perPage, { filter: filter || undefined, sort: sort || undefined, expand: expand || undefined, skipTotal: true, requestKey: `records-list-${collection.id}` })
      .then(
        (r) => {
          if (mine !== seq.current) return;
          setResult(r);
          setError('');
          // Keep only selections still on screen.
          setSelected((s) => new Set(r.items.filter((i) => s.has(i.id)).map((i) => i.id)));
        },
        async (e) => {
          if (mine !== seq.current || (e as { isAbort?: boolean }).isAbort) return;
          const status = (e as { status?: number }).status;
          // (A view has no row id on any database: its 400 says nothing about the server.)
          if (status === 400 && sort === ROWID_SORT && collection.type !== 'view' && (await rowidRefused(collection))) {
            // A database without row ids: fall back to the next cheapest default (the effect runs again).
            rowidSortRefused = true;
            if (mine === seq.current) setSort(defaultSort(collection));
            return;
          }
          if (mine !== seq.current) return;
          setResult(null);
          const reason = filter && status === 400 ? await explainFilter(collection, filter) : undefined;
          if (mine === seq.current) setError(reason ?? errorMessage(e));
        },
      )
      .finally(() => {
        if (mine === seq.current) setLoading(false);
      });
  }, [collection.id, page, perPage, filter, sort, expand, reload]);

  // The column picker is a <details>: it closes on a click outside it and on Escape (focus back on its summary).
  useEffect(() => {
    const menu = columnsMenu.current;
    if (!columnsOpen || !menu) return;
    const onPointer = (e: Event) => {
      if (!menu.contains(e.target as Node)) menu.open = false;
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      menu.open = false;
      menu.querySelector('summary')?.focus();
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [columnsOpen]);

  // The total: one cheap request per filter (no sort, one id), not one per page turned.
  useLayoutEffect(() => {
    const mine = ++countSeq.current;
    setTotal(null);
    pb.collection(collection.id)
      .getList(1, 1, { filter: filter || undefined, fields: 'id', requestKey: `records-count-${collection.id}` })
      .then(
        (r) => mine === countSeq.current && setTotal(r.totalItems),
        // The list shows what went wrong; the pager just has no total.
        () => undefined,
      );
  }, [collection.id, filter, reload]);

  useEffect(() => {
    // Only while the address still shows this page: a navigation made before this effect ran
    // (the editor's `?tab=auth`, say) keeps its own query.
    const [path] = window.location.hash.split('?', 1);
    const route = currentRoute();
    if (route.segments.length !== 2 || route.segments[0] !== 'collections' || ![collection.name, collection.id].includes(route.segments[1])) return;
    const query = queryString({ page: page > 1 ? page : undefined, perPage: perPage !== 30 ? perPage : undefined, sort: sort !== defaultSort(collection) ? sort : undefined, filter });
    // replaceState: no hashchange, no history entry per click; the router keeps its route.
    window.history.replaceState(null, '', query ? `${path}?${query}` : path);
  }, [page, perPage, sort, filter]);

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
        <details class="pg-columns" ref={columnsMenu} onToggle={(e) => setColumnsOpen(e.currentTarget.open)}>
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
            {sort === ROWID_SORT ? ', newest first' : sort ? `, sorted by ${sort.replace(/^-/, '')} ${sort.startsWith('-') ? 'descending' : 'ascending'}` : ''}
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
                      {isDateField(f) && <span class="muted pg-coltype"> (local time)</span>}
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
                  <td title={cellTitle(f, r, collections)}>
                    {f.name === 'id' ? (
                      <button type="button" class="pg-link mono" onClick={() => void openRecord(r.id)} aria-label={`${readOnly ? 'View' : 'Edit'} record ${r.id}`}>
                        {r.id}
                      </button>
                    ) : f.type === 'file' ? (
                      <FileCell record={r} field={f} />
                    ) : f.type === 'relation' ? (
                      shortList(relationTexts(f, r, collections))
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
          totalItems={total}
          totalPages={total === null ? null : Math.ceil(total / perPage)}
          hasNext={items.length === perPage}
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

/** A cell's tooltip: the full text; for dates the stored UTC text, for relations the ids. */
function cellTitle(field: CollectionField, record: RecordModel, collections: CollectionModel[]): string | undefined {
  const value = record[field.name];
  if (field.type === 'file') return undefined;
  if (isDateField(field)) return value ? `${value} UTC` : undefined;
  if (field.type === 'relation') {
    const ids = Array.isArray(value) ? value.join(', ') : String(value ?? '');
    const shown = relationTexts(field, record, collections).join(', ');
    return shown === ids ? ids || undefined : `${shown} (${ids})`;
  }
  return cellText(field, value);
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
