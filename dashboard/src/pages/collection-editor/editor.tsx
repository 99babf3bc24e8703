// Create or edit a collection: name and type, fields (or a view's query), API rules checked by the
// server as you type, indexes, auth options; rename, and delete after typing the name.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ClientResponseError, fieldErrors, pb } from '../../client.ts';
import { refreshCollections, useCollections } from '../../store.ts';
import { currentRoute, href, navigate, setLeaveGuard } from '../../router.ts';
import { Button, ConfirmDialog, ErrorText, Field, Spinner } from '../../ui.tsx';
import { RULES, errorsUnder, toBody, toDraft, type CollectionType, type Draft } from './draft.ts';
import { FieldsEditor } from './fields-editor.tsx';
import { AuthOptions, isAuthOptionError, placesAuthError } from './auth-options.tsx';
import { IndexesEditor } from './indexes-editor.tsx';
import { RuleEditor } from './rule-editor.tsx';
import { candidates } from './rule-complete.ts';
import { ViewQueryEditor } from './view-query.tsx';

type Tab = 'fields' | 'rules' | 'indexes' | 'auth';
const VALIDATE_DELAY_MS = 350;

/** Server-side validation as you type (POST /api/collections/meta/validate); off if the server lacks it. */
function useLiveValidation(draft: Draft | null, dirty: boolean) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [checked, setChecked] = useState(false);
  const supported = useRef(true);
  const seq = useRef(0);
  useEffect(() => {
    if (!draft || !dirty || !supported.current) return;
    setChecked(false);
    const mine = ++seq.current;
    const timer = setTimeout(() => {
      const body = { ...toBody(draft), ...(draft.id ? { id: draft.id } : {}) };
      pb.send('/api/collections/meta/validate', { method: 'POST', body })
        .then(() => mine === seq.current && (setErrors({}), setChecked(true)))
        .catch((e: unknown) => {
          if (mine !== seq.current) return;
          if (e instanceof ClientResponseError && (e.status === 404 || e.status === 405)) supported.current = false;
          else if (e instanceof ClientResponseError && e.status === 400) (setErrors(fieldErrors(e)), setChecked(true));
        });
    }, VALIDATE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [draft, dirty]);
  return { errors, setErrors, checked };
}

export function CollectionEditor(props: { idOrName?: string }) {
  const creating = props.idOrName === undefined;
  const { list } = useCollections();
  const [draft, setDraft] = useState<Draft | null>(null);
  const [original, setOriginal] = useState<Draft | null>(null);
  const [scaffolds, setScaffolds] = useState<Record<string, Record<string, unknown>> | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [dirty, setDirty] = useState(false);
  // `?tab=auth` opens the auth options (the settings page links there).
  const [tab, setTab] = useState<Tab>(() => (currentRoute().query.get('tab') === 'auth' ? 'auth' : 'fields'));
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState(false);
  const live = useLiveValidation(draft, dirty);

  useEffect(() => {
    const load = creating
      ? pb.collections.getScaffolds().then((s) => {
          const all = s as unknown as Record<string, Record<string, unknown>>;
          setScaffolds(all);
          return toDraft({ ...all.base, name: '' });
        })
      : pb.collections.getOne(props.idOrName!).then(toDraft);
    load.then(
      (d) => {
        setDraft(d);
        setOriginal(d);
      },
      (e: unknown) => setLoadError(e),
    );
  }, [props.idOrName]);

  // Closing or reloading the tab with unsaved changes asks first.
  useEffect(() => {
    if (!dirty || saving) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty, saving]);
  // So does going to another screen of the dashboard. A ref, not state: a save or a delete
  // navigates right after it is done, before any re-render.
  const unsaved = useRef(false);
  unsaved.current = dirty && !saving;
  useEffect(() => {
    setLeaveGuard(() => !unsaved.current || window.confirm('Leave without saving? Your changes to this collection will be lost.'));
    return () => setLeaveGuard(null);
  }, []);

  const completion = useMemo(() => (draft ? candidates({ fields: draft.fields, collections: list }) : []), [draft?.fields, list]);

  if (loadError) return <ErrorText error={loadError} />;
  if (!draft) return <Spinner />;

  const edit = (patch: Partial<Draft>) => {
    setDraft({ ...draft, ...patch });
    setDirty(true);
    // The last save's verdict is stale once the draft changes (live validation takes over).
    if (saveError) setSaveError(null);
  };
  const changeType = (type: CollectionType) => {
    const scaffold = scaffolds?.[type];
    if (!scaffold) return;
    const fresh = toDraft({ ...scaffold, name: draft.name });
    const own = type === 'view' ? [] : draft.fields.filter((f) => f.system !== true && !fresh.fields.some((g) => g.name === f.name));
    edit({ ...fresh, fields: [...fresh.fields, ...own], listRule: draft.listRule, viewRule: draft.viewRule });
    if (type === 'view' && tab === 'indexes') setTab('fields');
  };

  const errors = { ...live.errors, ...(saveError instanceof ClientResponseError ? fieldErrors(saveError) : {}) };
  const known = (k: string) => k === 'name' || k === 'type' || k === 'viewQuery' || k.startsWith('fields.') || k.startsWith('indexes.') || RULES.some((r) => r.key === k) || (draft.type === 'auth' && placesAuthError(k));
  const unplaced = Object.entries(errors).filter(([k]) => !known(k));
  const tabErrors = (t: Tab) =>
    Object.keys(errors).some((k) =>
      t === 'fields' ? k.startsWith('fields.') || k === 'viewQuery' : t === 'rules' ? RULES.some((r) => r.key === k) : t === 'indexes' ? k.startsWith('indexes.') : isAuthOptionError(k),
    );

  const save = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setSaveError(null);
    try {
      const body = toBody(draft);
      const saved = creating ? await pb.collections.create(body) : await pb.collections.update(draft.id, body);
      await refreshCollections();
      unsaved.current = false;
      navigate(`/collections/${encodeURIComponent(saved.name)}`);
    } catch (err) {
      setSaveError(err);
      setSaving(false);
    }
  };

  const tabs: { key: Tab; label: string }[] = [
    { key: 'fields', label: draft.type === 'view' ? 'Query' : 'Fields' },
    { key: 'rules', label: 'API rules' },
    ...(draft.type !== 'view' ? [{ key: 'indexes' as Tab, label: 'Indexes' }] : []),
    ...(draft.type === 'auth' ? [{ key: 'auth' as Tab, label: 'Auth options' }] : []),
  ];
  // A tab the collection's type lacks (`?tab=auth` on a base collection, a type changed) shows the fields.
  const active: Tab = tabs.some((t) => t.key === tab) ? tab : 'fields';
  const rules = draft.type === 'view' ? RULES.filter((r) => r.key === 'listRule' || r.key === 'viewRule') : RULES;
  const renamed = !creating && original && original.name !== draft.name;

  return (
    <form onSubmit={save} aria-labelledby="editor-title" noValidate>
      <div class="page-header">
        <h1 id="editor-title">{creating ? 'New collection' : `Edit ${original?.name}`}</h1>
        {!creating && (
          <a class="btn btn-secondary" href={href('collections', original?.name ?? draft.name)}>
            Records
          </a>
        )}
      </div>
      <div class="row">
        <Field label="Name" error={errors.name} hint={renamed ? `Renames the collection (and its table) from "${original?.name}".` : undefined}>
          <input type="text" name="name" required value={draft.name} disabled={draft.system} spellcheck={false} autoFocus={creating} placeholder="e.g. posts" onInput={(e) => edit({ name: e.currentTarget.value })} />
        </Field>
        <Field label="Type" error={errors.type}>
          <select value={draft.type} disabled={!creating} onChange={(e) => changeType(e.currentTarget.value as CollectionType)}>
            <option value="base">Base</option>
            <option value="auth">Auth (users)</option>
            <option value="view">View (read-only query)</option>
          </select>
        </Field>
      </div>
      {unplaced.length > 0 && (
        <div class="error-text" role="alert">
          {unplaced.map(([k, m]) => (
            <p key={k}>
              {k}: {m}
            </p>
          ))}
        </div>
      )}
      <div
        class="tabs"
        role="tablist"
        aria-label="Collection settings"
        onKeyDown={(e) => {
          // The ARIA tabs pattern: arrows move between tabs, the selected one is the Tab stop.
          const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
          if (!step) return;
          e.preventDefault();
          const next = tabs[(tabs.findIndex((t) => t.key === active) + step + tabs.length) % tabs.length];
          setTab(next.key);
          document.getElementById(`tab-${next.key}`)?.focus();
        }}
      >
        {tabs.map((t) => (
          <button key={t.key} type="button" role="tab" id={`tab-${t.key}`} aria-selected={active === t.key} aria-controls={`panel-${t.key}`} tabIndex={active === t.key ? 0 : -1} onClick={() => setTab(t.key)}>
            {t.label}
            {tabErrors(t.key) && <span class="field-error"> ●</span>}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${active}`} aria-labelledby={`tab-${active}`}>
        {active === 'fields' &&
          (draft.type === 'view' ? (
            <ViewQueryEditor query={String(draft.viewQuery ?? '')} error={errors.viewQuery} onChange={(viewQuery) => edit({ viewQuery })} />
          ) : (
            <FieldsEditor fields={draft.fields} collections={list} errors={errorsUnder(errors, 'fields')} onChange={(fields) => edit({ fields })} />
          ))}
        {active === 'rules' && (
          <div class="panel">
            <p class="muted">
              Rules are filters: a record is allowed when the expression matches it. Type <code>@</code> for request and collection macros; Ctrl+Space
              lists completions.
            </p>
            {rules.map((r) => (
              <RuleEditor key={r.key} label={r.label} hint={r.hint} value={draft[r.key] as string | null} candidates={completion} error={errors[r.key]} checked={live.checked} onChange={(v) => edit({ [r.key]: v })} />
            ))}
          </div>
        )}
        {active === 'indexes' && (
          <IndexesEditor indexes={draft.indexes} collection={draft.name} columns={draft.fields.map((f) => f.name)} errors={errorsUnder(errors, 'indexes')} onChange={(indexes) => edit({ indexes })} />
        )}
        {active === 'auth' && draft.type === 'auth' && <AuthOptions draft={draft} original={original} completion={completion} errors={errors} checked={live.checked} edit={edit} />}
      </div>
      <ErrorText error={saveError && Object.keys(fieldErrors(saveError)).length === 0 ? saveError : null} />
      {saveError && Object.keys(fieldErrors(saveError)).length > 0 && <p class="error-text" role="alert">The collection was not saved: fix the marked fields.</p>}
      <div class="actions">
        {!creating && !draft.system && (
          <Button kind="danger" onClick={() => setDeleting(true)} style={{ marginRight: 'auto' }}>
            Delete collection
          </Button>
        )}
        <a class="btn btn-secondary" href={creating ? '#/collections' : href('collections', original?.name ?? '')}>
          Cancel
        </a>
        <Button type="submit" busy={saving}>
          {creating ? 'Create collection' : 'Save changes'}
        </Button>
      </div>
      {deleting && original && (
        <ConfirmDialog
          title={`Delete ${original.name}?`}
          message={<p>This deletes the collection, its table and all of its records and files. It cannot be undone.</p>}
          confirmLabel="Delete collection"
          danger
          confirmText={original.name}
          onConfirm={async () => {
            await pb.collections.delete(original.id);
            await refreshCollections();
            unsaved.current = false;
            navigate('/collections', true);
          }}
          onClose={() => setDeleting(false)}
        />
      )}
    </form>
  );
}
