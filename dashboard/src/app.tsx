// The application shell: routes, the sign-in guard, the top bar and the collections sidebar.
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { isSignedIn, pb } from './client.ts';
import { clearCollections, useCollections } from './store.ts';
import { Redirect, href, navigate, useRoute, type Route } from './router.ts';
import { Button, ErrorText, Spinner } from './ui.tsx';
import { LoginPage } from './pages/login.tsx';
import { InstallerPage } from './pages/installer.tsx';
import { CollectionEditor } from './pages/collection-editor/editor.tsx';
import { ImportExportPage } from './pages/import-export.tsx';
import { RecordsPage } from './pages/records.tsx';
import { LogsPage } from './pages/logs.tsx';
import { SqlPage } from './pages/sql.tsx';
import { SettingsPage } from './pages/settings.tsx';

/** Re-renders when the session changes (sign-in, sign-out, token refresh). */
function useSignedIn(): boolean {
  const [signedIn, setSignedIn] = useState(isSignedIn);
  // Called at once too: a change between the first render and this subscription is not missed.
  useEffect(() => pb.authStore.onChange(() => setSignedIn(isSignedIn()), true), []);
  return signedIn;
}

export function App() {
  const route = useRoute();
  const signedIn = useSignedIn();
  const [first] = route.segments;

  // A kept session is checked once against the server: a token that no longer works (its
  // superuser deleted, the secret changed) signs out instead of failing every request.
  useEffect(() => {
    if (!isSignedIn() || first === 'pbinstall') return;
    pb.collection('_superusers')
      .authRefresh()
      .catch((e: { status?: number }) => {
        if (e?.status === 401 || e?.status === 403 || e?.status === 404) pb.authStore.clear();
      });
  }, []);

  if (first === 'pbinstall') return <InstallerPage token={route.segments.slice(1).join('/')} />;
  if (first === 'login') {
    if (signedIn) return <Redirect to="/collections" />;
    return <LoginPage redirect={route.query.get('redirect') ?? undefined} />;
  }
  if (!signedIn) {
    const redirect = route.path === '/' ? '' : `?redirect=${encodeURIComponent(route.path)}`;
    return <Redirect to={`/login${redirect}`} />;
  }
  return <Shell route={route} />;
}

const NAV = [
  { key: 'collections', label: 'Collections' },
  { key: 'logs', label: 'Logs' },
  { key: 'sql', label: 'SQL' },
  { key: 'settings', label: 'Settings' },
] as const;

function Shell({ route }: { route: Route }) {
  const [first = '', second, third] = route.segments;
  const section = first === 'import-export' ? 'collections' : first;
  const signOut = () => {
    pb.authStore.clear();
    clearCollections();
    navigate('/login', true);
  };

  let page: ComponentChildren;
  let sidebar = true;
  if (first === '' || (first === 'collections' && !second)) page = <CollectionsHome />;
  else if (first === 'collections' && second === 'new') page = <CollectionEditor key="new" />;
  else if (first === 'collections' && third === 'edit') page = <CollectionEditor key={`edit-${second}`} idOrName={second} />;
  else if (first === 'collections') page = <RecordsPage key={second} collection={second} />;
  else if (first === 'import-export') page = <ImportExportPage />;
  else if (first === 'logs') (page = <LogsPage />), (sidebar = false);
  else if (first === 'sql') (page = <SqlPage />), (sidebar = false);
  else if (first === 'settings') (page = <SettingsPage />), (sidebar = false);
  else page = <NotFound />;

  return (
    <div class="shell" style={sidebar ? undefined : { gridTemplateColumns: '1fr' }}>
      <a class="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">Baton</span>
        <nav aria-label="Main">
          {NAV.map((item) => (
            <a key={item.key} href={`#/${item.key}`} aria-current={section === item.key ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
        <span class="who" title={String(pb.authStore.record?.email ?? '')}>
          {String(pb.authStore.record?.email ?? '')}
        </span>
        <Button kind="ghost" onClick={signOut}>
          Sign out
        </Button>
      </header>
      {sidebar && <CollectionsSidebar active={first === 'collections' ? second : undefined} />}
      <main id="main" class="content" tabIndex={-1}>
        {page}
      </main>
    </div>
  );
}

function CollectionsSidebar({ active }: { active?: string }) {
  const { list, loading, error } = useCollections();
  const [search, setSearch] = useState('');
  const [showSystem, setShowSystem] = useState(false);
  const filtered = useMemo(() => {
    const q = search.trim().toLowerCase();
    return list.filter((c) => !q || c.name.toLowerCase().includes(q) || c.id.toLowerCase() === q);
  }, [list, search]);
  const regular = filtered.filter((c) => !c.system);
  const system = filtered.filter((c) => c.system);
  const isActive = (c: { id: string; name: string }) => active !== undefined && (active === c.id || active.toLowerCase() === c.name.toLowerCase());
  const item = (c: (typeof list)[number]) => (
    <li key={c.id}>
      <a href={href('collections', c.name)} aria-current={isActive(c) ? 'page' : undefined}>
        <span>{c.name}</span>
        {c.type !== 'base' && <span class="badge">{c.type}</span>}
      </a>
      {isActive(c) && (
        <a class="edit-link" href={href('collections', c.name, 'edit')} aria-label={`Edit collection ${c.name}`} title="Edit collection">
          ⚙
        </a>
      )}
    </li>
  );
  return (
    <aside class="sidebar" aria-label="Collections">
      <label class="field">
        <span class="field-label">Search collections</span>
        <input type="search" value={search} placeholder="Name or id" onInput={(e) => setSearch(e.currentTarget.value)} />
      </label>
      <a class="btn btn-primary" href="#/collections/new" style={{ width: '100%', justifyContent: 'center' }}>
        + New collection
      </a>
      {loading && !list.length && <Spinner />}
      <ErrorText error={error} />
      <ul>{regular.map(item)}</ul>
      {!loading && !regular.length && <p class="muted">{search ? 'No collection matches.' : 'No collections yet.'}</p>}
      {system.length > 0 && (
        <>
          <button type="button" class="btn btn-ghost btn-small group-title" aria-expanded={showSystem || Boolean(search)} onClick={() => setShowSystem(!showSystem)}>
            {showSystem || search ? '▾' : '▸'} System collections
          </button>
          {(showSystem || search) && <ul>{system.map(item)}</ul>}
        </>
      )}
      <p class="sidebar-footer">
        <a href="#/import-export">Import / export collections</a>
      </p>
    </aside>
  );
}

function CollectionsHome() {
  const { list, loading } = useCollections();
  const regular = list.filter((c) => !c.system);
  return (
    <section>
      <div class="page-header">
        <h1>Collections</h1>
      </div>
      {loading && !list.length ? (
        <Spinner />
      ) : regular.length ? (
        <p>Pick a collection in the list to browse its records, or create a new one.</p>
      ) : (
        <div class="panel">
          <h2>No collections yet</h2>
          <p>A collection is a table of records with typed fields and access rules.</p>
          <a class="btn btn-primary" href="#/collections/new">
            Create your first collection
          </a>
        </div>
      )}
    </section>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <a href="#/collections">Back to collections</a>
      </p>
    </section>
  );
}
