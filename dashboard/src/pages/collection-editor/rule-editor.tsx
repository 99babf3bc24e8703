// One API rule: a textarea with completion (field names, @request.*, @collection.*, date macros)
// and the server's verdict on the expression shown inline. `null` is "locked": superusers only.
import { useMemo, useRef, useState } from 'preact/hooks';
import { Button, useId } from '../../ui.tsx';
import { suggest, wordBefore } from './rule-complete.ts';

export interface RuleEditorProps {
  label: string;
  value: string | null;
  onChange: (value: string | null) => void;
  /** All completion candidates (rule-complete.ts `candidates`). */
  candidates: string[];
  /** The server's message for this rule; undefined while unchecked or valid. */
  error?: string;
  /** True once the server has checked the current value. */
  checked?: boolean;
  hint?: string;
}

export function RuleEditor(props: RuleEditorProps) {
  const id = useId('rule');
  const listId = `${id}-suggestions`;
  const ref = useRef<HTMLTextAreaElement>(null);
  const [caret, setCaret] = useState(0);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const locked = props.value === null;
  const text = props.value ?? '';

  const { start, word } = wordBefore(text, caret);
  const items = useMemo(() => (open ? suggest(props.candidates, word) : []), [open, word, props.candidates]);
  const showList = open && items.length > 0;

  const accept = (choice: string) => {
    const next = text.slice(0, start) + choice + text.slice(caret);
    const pos = start + choice.length;
    props.onChange(next);
    setCaret(pos);
    setActive(0);
    // A completed path ending in `.` invites the next segment: keep the list open.
    setOpen(choice.endsWith('.'));
    requestAnimationFrame(() => {
      ref.current?.focus();
      ref.current?.setSelectionRange(pos, pos);
    });
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === ' ' && e.ctrlKey) {
      e.preventDefault();
      setOpen(true);
      return;
    }
    if (!showList) return;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((active + 1) % items.length);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((active - 1 + items.length) % items.length);
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      accept(items[Math.min(active, items.length - 1)]);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
    }
  };

  const status = locked
    ? 'Locked: only superusers can perform this action.'
    : props.error
      ? null
      : props.checked
        ? text.trim() === ''
          ? 'Empty: everyone, signed in or not, can perform this action.'
          : 'Valid rule.'
        : null;

  return (
    <div class={`field rule${props.error ? ' invalid' : ''}`}>
      <div class="locked">
        <label class="field-label" for={id}>
          {props.label}
        </label>
        <Button kind="ghost" class="btn-small" onClick={() => props.onChange(locked ? '' : null)} aria-label={`${locked ? 'Unlock' : 'Lock'} ${props.label}`}>
          {locked ? 'Unlock' : 'Set superusers only'}
        </Button>
      </div>
      <textarea
        ref={ref}
        id={id}
        rows={Math.min(6, Math.max(1, text.split('\n').length))}
        value={locked ? '' : text}
        disabled={locked}
        placeholder={locked ? 'Superusers only' : 'Leave empty to allow everyone, e.g. @request.auth.id != ""'}
        spellcheck={false}
        autoComplete="off"
        aria-autocomplete="list"
        aria-controls={listId}
        aria-activedescendant={showList ? `${listId}-${active}` : undefined}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={`${id}-status`}
        onInput={(e) => {
          const el = e.currentTarget;
          props.onChange(el.value);
          setCaret(el.selectionStart ?? el.value.length);
          setActive(0);
          setOpen(true);
        }}
        onKeyDown={onKeyDown}
        onClick={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
        onKeyUp={(e) => {
          if (!['ArrowDown', 'ArrowUp', 'Enter', 'Tab', 'Escape'].includes(e.key)) setCaret(e.currentTarget.selectionStart ?? 0);
        }}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      {showList && (
        <ul class="suggestions" id={listId} role="listbox" aria-label={`Suggestions for ${props.label}`}>
          {items.map((item, i) => (
            <li
              key={item}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                accept(item);
              }}
            >
              {item}
            </li>
          ))}
        </ul>
      )}
      <span id={`${id}-status`} class={`rule-status${props.error ? ' field-error' : status === 'Valid rule.' ? ' ok' : ' muted'}`} role={props.error ? 'alert' : undefined}>
        {props.error ?? status ?? props.hint ?? ''}
      </span>
    </div>
  );
}
