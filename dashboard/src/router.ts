// Hash routing: the server serves one index.html at /_/, and every screen lives after the `#`.
import { useEffect, useRef, useState } from 'preact/hooks';

/** The current route: the hash without `#`, e.g. `/collections/posts/edit`, split into segments. */
export interface Route {
  path: string;
  segments: string[];
  query: URLSearchParams;
}

export function currentRoute(): Route {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const [pathPart, queryPart = ''] = raw.split('?', 2);
  const path = pathPart.startsWith('/') ? pathPart : `/${pathPart}`;
  return {
    path,
    segments: path.split('/').filter(Boolean).map((s) => safeDecode(s)),
    query: new URLSearchParams(queryPart),
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

let leaveGuard: (() => boolean) | null = null;

/**
 * While set, moving to another route asks `guard` first (a page with unsaved changes); it returns
 * whether to leave. Refused, the address goes back to the page, which stays as it was.
 */
export function setLeaveGuard(guard: (() => boolean) | null): void {
  leaveGuard = guard;
}

const pathOf = (hash: string): string => hash.replace(/^#/, '').split('?', 1)[0] || '/';

/** Re-renders on every hash change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  const shown = useRef(window.location.hash);
  useEffect(() => {
    const update = () => {
      const next = window.location.hash;
      if (leaveGuard && pathOf(next) !== pathOf(shown.current) && !leaveGuard()) {
        window.history.replaceState(null, '', shown.current || '#/');
        return;
      }
      shown.current = next;
      setRoute(currentRoute());
    };
    window.addEventListener('hashchange', update);
    // The hash may have changed between the first render and now (a redirect).
    update();
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** Goes to `#<path>`; `replace` swaps the history entry (redirects). */
export function navigate(path: string, replace = false): void {
  const hash = `#${path}`;
  if (replace) {
    window.history.replaceState(null, '', hash);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = path;
  }
}

/** The href of a route, with its segments encoded. */
export function href(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}

/** Redirects (replacing the history entry) once rendered. */
export function Redirect(props: { to: string }): null {
  useEffect(() => navigate(props.to, true), [props.to]);
  return null;
}
