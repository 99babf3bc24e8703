import { Button } from '../../ui.tsx';

export const PER_PAGE_CHOICES = [10, 30, 50, 100, 200, 500];

export interface PagerProps {
  page: number;
  perPage: number;
  /** null while the total is being counted (the records page asks for it apart from the rows). */
  totalItems: number | null;
  totalPages: number | null;
  /** Whether a next page exists, while the total is unknown (a full page came back). */
  hasNext?: boolean;
  label: string;
  onPage(page: number): void;
  onPerPage(perPage: number): void;
}

/** Page navigation with the total and a page-size choice; all server-side. */
export function Pager(p: PagerProps) {
  const known = p.totalItems !== null && p.totalPages !== null;
  const last = Math.max(1, p.totalPages ?? p.page);
  const hasNext = known ? p.page < last : !!p.hasNext;
  return (
    <nav class="pg-pager" aria-label={`${p.label} pages`}>
      <span class="pg-total" aria-busy={!known}>
        {p.totalItems === null ? 'Counting…' : `${p.totalItems.toLocaleString()} ${p.totalItems === 1 ? 'item' : 'items'}`}
      </span>
      <label class="pg-inline">
        Per page{' '}
        <select value={String(p.perPage)} onChange={(e) => p.onPerPage(Number((e.target as HTMLSelectElement).value))}>
          {PER_PAGE_CHOICES.map((n) => (
            <option value={String(n)}>{n}</option>
          ))}
        </select>
      </label>
      <button type="button" class="btn btn-secondary btn-small" onClick={() => p.onPage(1)} disabled={p.page <= 1} aria-label="First page">
        «
      </button>
      <button type="button" class="btn btn-secondary btn-small" onClick={() => p.onPage(p.page - 1)} disabled={p.page <= 1} aria-label="Previous page">
        ‹
      </button>
      <label class="pg-inline">
        Page{' '}
        <input
          type="number"
          class="pg-page-input"
          min="1"
          max={known ? last : undefined}
          value={String(p.page)}
          onChange={(e) => {
            const n = Math.trunc(Number(e.currentTarget.value));
            if (n >= 1 && (!known || n <= last) && n !== p.page) p.onPage(n);
            else e.currentTarget.value = String(p.page);
          }}
        />{' '}
        of {known ? last.toLocaleString() : '…'}
      </label>
      <button type="button" class="btn btn-secondary btn-small" onClick={() => p.onPage(p.page + 1)} disabled={!hasNext} aria-label="Next page">
        ›
      </button>
      <button type="button" class="btn btn-secondary btn-small" onClick={() => p.onPage(last)} disabled={!known || p.page >= last} aria-label="Last page">
        »
      </button>
    </nav>
  );
}

/** Copyable code with a caption. */
export function CodeBlock(props: { label: string; code: string }) {
  return (
    <figure class="pg-code">
      <figcaption>
        {props.label}{' '}
        <button type="button" class="btn btn-ghost btn-small" onClick={() => void navigator.clipboard?.writeText(props.code)} aria-label={`Copy ${props.label}`}>
          Copy
        </button>
      </figcaption>
      <pre>
        <code>{props.code}</code>
      </pre>
    </figure>
  );
}

export interface FilterBarProps {
  /** Prefix of the element ids (`<id>-filter`, `<id>-error`). */
  id: string;
  placeholder: string;
  /** The text being typed, and the filter in force (Clear shows while there is one). */
  draft: string;
  applied: string;
  error: string;
  onDraft(text: string): void;
  /** Applies the draft, trimmed; '' clears the filter. */
  onApply(filter: string): void;
}

/** A filter in the filter language: a search field with Apply and Clear, and its error below. */
export function FilterBar(p: FilterBarProps) {
  return (
    <>
      <form
        class="pg-filter"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          p.onApply(p.draft.trim());
        }}
      >
        <label class="pg-sr-only" for={`${p.id}-filter`}>
          Filter
        </label>
        <input
          id={`${p.id}-filter`}
          class="mono"
          type="search"
          placeholder={p.placeholder}
          value={p.draft}
          aria-invalid={p.error ? true : undefined}
          aria-describedby={p.error ? `${p.id}-error` : undefined}
          onInput={(e) => p.onDraft(e.currentTarget.value)}
        />
        <Button type="submit" kind="secondary">
          Apply
        </Button>
        {p.applied && (
          <Button
            kind="ghost"
            onClick={() => {
              p.onDraft('');
              p.onApply('');
            }}
          >
            Clear
          </Button>
        )}
      </form>
      {p.error && (
        <p class="error-text" role="alert" id={`${p.id}-error`}>
          {p.error}
        </p>
      )}
    </>
  );
}
