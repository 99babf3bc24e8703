// Small shared building blocks. Their props are a contract with every page: extend, don't change.
import { cloneElement, isValidElement, type ButtonHTMLAttributes, type ComponentChildren, type VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from './client.ts';

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  /** primary (default), secondary, danger or ghost. */
  kind?: 'primary' | 'secondary' | 'danger' | 'ghost';
  /** Shows a spinner and disables the button while an action runs. */
  busy?: boolean;
};

export function Button({ kind = 'primary', busy = false, type = 'button', disabled, children, class: cls, ...rest }: ButtonProps) {
  return (
    <button {...rest} type={type} class={`btn btn-${kind}${cls ? ` ${cls}` : ''}`} disabled={Boolean(disabled) || busy} aria-busy={busy || undefined}>
      {busy && <Spinner inline />}
      {children}
    </button>
  );
}

let nextId = 0;
/** A stable unique id for label/input pairs. */
export function useId(prefix = 'f'): string {
  const ref = useRef<string | undefined>(undefined);
  if (!ref.current) ref.current = `${prefix}-${++nextId}`;
  return ref.current;
}

/**
 * A label above its control, with an optional hint and error. A single element child gets an id
 * (unless it has one) for the label to point at, and is described by the hint and the error; any
 * other children are wrapped in the label. Pass `id` to point the label at a control elsewhere.
 */
export function Field(props: { label: ComponentChildren; hint?: ComponentChildren; error?: string | null; id?: string; class?: string; children: ComponentChildren }) {
  const { label, hint, error, children } = props;
  const generated = useId('field');
  const cls = `field${props.class ? ` ${props.class}` : ''}`;
  const single = isValidElement(children) && typeof children.type === 'string';
  if (!single && !props.id) {
    return (
      <label class={cls}>
        <span class="field-label">{label}</span>
        {children}
        {hint && <span class="field-hint">{hint}</span>}
        {error && <span class="field-error" role="alert">{error}</span>}
      </label>
    );
  }
  const childProps: Record<string, unknown> = single ? ((children as VNode<Record<string, unknown>>).props ?? {}) : {};
  const id = props.id ?? (typeof childProps.id === 'string' ? childProps.id : generated);
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const control = single
    ? cloneElement(children as VNode<Record<string, unknown>>, { id, 'aria-describedby': described, 'aria-invalid': error ? true : undefined })
    : children;
  return (
    <div class={cls}>
      <label class="field-label" for={id}>
        {label}
      </label>
      {control}
      {hint && <span class="field-hint" id={`${id}-hint`}>{hint}</span>}
      {error && (
        <span class="field-error" id={`${id}-error`} role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

/** An error from a request (or a plain message) as an alert; nothing when there is none. */
export function ErrorText(props: { error: unknown }) {
  if (props.error === null || props.error === undefined || props.error === '') return null;
  const text = typeof props.error === 'string' ? props.error : errorMessage(props.error);
  return <p class="error-text" role="alert">{text}</p>;
}

export function Spinner(props: { inline?: boolean; label?: string }) {
  return <span class={props.inline ? 'spinner spinner-inline' : 'spinner'} role="status" aria-label={props.label ?? 'Loading'} />;
}

/**
 * A modal dialog on the native <dialog>: focus stays inside, Escape closes it, the page behind is
 * inert. Rendered only while open; when it goes, focus goes back to what had it before (the button
 * that opened it, or inside the dialog below for a nested one; `keepFocusInMain` covers an opener
 * that goes afterwards).
 */
export function Modal(props: { title: ComponentChildren; onClose: () => void; children: ComponentChildren; footer?: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId('dialog');
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement;
    if (!dialog.open) dialog.showModal();
    return () => {
      // Removed without close(), the dialog would take the focus with it and leave it on <body>.
      if (dialog.open) dialog.close();
      // Not into a dialog that has closed too (a confirmation that closed its parent as well).
      if (opener instanceof HTMLElement && opener.isConnected && !opener.closest('dialog:not([open])')) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={props.wide ? 'modal modal-wide' : 'modal'}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <header class="modal-header">
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" class="btn btn-ghost modal-close" aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </header>
      <div class="modal-body">{props.children}</div>
      {props.footer && <footer class="modal-footer">{props.footer}</footer>}
    </dialog>
  );
}

/**
 * Asks before an action. With `confirmText`, the user must type it (a collection's name before
 * deleting it). `onConfirm` may be async; its error is shown in the dialog.
 */
export function ConfirmDialog(props: {
  title: ComponentChildren;
  message: ComponentChildren;
  confirmLabel?: string;
  danger?: boolean;
  confirmText?: string;
  onConfirm: () => unknown | Promise<unknown>;
  onClose: () => void;
}) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const blocked = props.confirmText !== undefined && typed !== props.confirmText;
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      title={props.title}
      onClose={props.onClose}
      footer={
        <>
          <Button kind="secondary" onClick={props.onClose}>
            Cancel
          </Button>
          <Button kind={props.danger ? 'danger' : 'primary'} busy={busy} disabled={blocked} onClick={confirm}>
            {props.confirmLabel ?? 'Confirm'}
          </Button>
        </>
      }
    >
      <div class="confirm-message">{props.message}</div>
      {props.confirmText !== undefined && (
        <Field label={<>Type <strong>{props.confirmText}</strong> to confirm</>}>
          <input type="text" value={typed} autoComplete="off" onInput={(e) => setTyped(e.currentTarget.value)} />
        </Field>
      )}
      <ErrorText error={error} />
    </Modal>
  );
}

/**
 * When the focused element leaves the page (the row of a record just deleted, a page of the table
 * replaced), focus would fall to <body> and the next Tab start again from the top: it goes to the
 * main content instead, where it was. Installed once, at start (main.tsx).
 */
export function keepFocusInMain(root: HTMLElement): void {
  let focused: Element | null = null;
  document.addEventListener('focusin', (e) => (focused = e.target instanceof Element ? e.target : null));
  new MutationObserver(() => {
    if (document.activeElement !== document.body || !focused || focused.isConnected) return;
    focused = null;
    document.getElementById('main')?.focus();
  }).observe(root, { childList: true, subtree: true });
}
