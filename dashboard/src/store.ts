// The collections list, shared by the sidebar, the editors and the records pages: loaded once,
// reloaded after any schema change (refreshCollections).
import type { CollectionModel } from 'pocketbase';
import { useEffect, useState } from 'preact/hooks';
import { pb } from './client.ts';

export interface CollectionsState {
  list: CollectionModel[];
  loading: boolean;
  error: unknown;
}

let state: CollectionsState = { list: [], loading: false, error: null };
const listeners = new Set<(s: CollectionsState) => void>();
let inflight: Promise<void> | null = null;

function set(next: Partial<CollectionsState>) {
  state = { ...state, ...next };
  for (const listener of listeners) listener(state);
}

/** Reloads the list from the server (after create, update, delete or import). */
export function refreshCollections(): Promise<void> {
  if (inflight) return inflight;
  set({ loading: true });
  inflight = pb.collections
    .getFullList({ sort: 'name', batch: 500 })
    .then((list) => set({ list, loading: false, error: null }))
    .catch((error: unknown) => set({ loading: false, error }))
    .finally(() => {
      inflight = null;
    });
  return inflight;
}

/** Forgets the list (on sign-out). */
export function clearCollections(): void {
  set({ list: [], loading: false, error: null });
}

/** The collections list; loads it on first use. */
export function useCollections(): CollectionsState {
  const [value, setValue] = useState(state);
  useEffect(() => {
    listeners.add(setValue);
    // Effects run after the first paint: a list that arrived since the first render was not seen
    // by this listener, so take the current state now (the same object changes nothing).
    setValue(state);
    if (!state.list.length && !state.loading && !state.error) void refreshCollections();
    return () => {
      listeners.delete(setValue);
    };
  }, []);
  return value;
}

/** A collection by id or name (case-insensitive name, as the server matches it). */
export function findCollection(list: CollectionModel[], idOrName: string): CollectionModel | undefined {
  const lower = idOrName.toLowerCase();
  return list.find((c) => c.id === idOrName) ?? list.find((c) => c.name.toLowerCase() === lower);
}
