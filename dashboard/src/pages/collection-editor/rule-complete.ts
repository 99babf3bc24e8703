// Completion for the rule editor: what may follow the word under the caret. Pure, so it is cheap
// to run on every keystroke.
import type { CollectionModel } from 'pocketbase';

const DATE_MACROS = [
  '@now', '@second', '@minute', '@hour', '@weekday', '@day', '@month', '@year',
  '@yesterday', '@tomorrow', '@todayStart', '@todayEnd', '@monthStart', '@monthEnd', '@yearStart', '@yearEnd',
];
const REQUEST_KEYS = ['@request.auth.', '@request.body.', '@request.query.', '@request.headers.', '@request.method', '@request.context'];
const MODIFIERS = [':isset', ':changed', ':length', ':each', ':lower'];
const AUTH_BASE = ['id', 'collectionId', 'collectionName', 'email', 'emailVisibility', 'verified'];

export interface CompletionContext {
  /** The fields of the collection being edited (its draft). */
  fields: { name: string; type: string; collectionId?: unknown }[];
  collections: CollectionModel[];
}

/** The word the caret is at the end of: letters, digits, `_`, `@`, `.` and `:`. */
export function wordBefore(text: string, caret: number): { start: number; word: string } {
  const match = /[@\w.:]*$/.exec(text.slice(0, caret));
  const word = match ? match[0] : '';
  return { start: caret - word.length, word };
}

function fieldPaths(fields: CompletionContext['fields'], collections: CollectionModel[], prefix = '', depth = 0): string[] {
  const out: string[] = [];
  for (const f of fields) {
    out.push(prefix + f.name);
    if (f.type === 'relation' && depth === 0 && typeof f.collectionId === 'string') {
      const target = collections.find((c) => c.id === f.collectionId);
      if (target) out.push(...fieldPaths(target.fields, collections, `${prefix}${f.name}.`, depth + 1));
    }
  }
  return out;
}

/** Every completion candidate for this collection (a few hundred at most). */
export function candidates(ctx: CompletionContext): string[] {
  const authFields = new Set(AUTH_BASE);
  for (const c of ctx.collections) if (c.type === 'auth' && c.name !== '_superusers') for (const f of c.fields) if (!f.hidden) authFields.add(f.name);
  const out = [
    ...fieldPaths(ctx.fields, ctx.collections),
    ...REQUEST_KEYS,
    ...[...authFields].map((f) => `@request.auth.${f}`),
    ...ctx.fields.map((f) => `@request.body.${f.name}`),
    '@collection.',
    ...ctx.collections.map((c) => `@collection.${c.name}.`),
    ...DATE_MACROS,
  ];
  for (const c of ctx.collections) for (const f of c.fields) out.push(`@collection.${c.name}.${f.name}`);
  return [...new Set(out)];
}

/** Suggestions for `word`: the candidates it starts, shortest first; modifiers after a path. */
export function suggest(all: string[], word: string, limit = 12): string[] {
  if (!word) return [];
  const colon = word.lastIndexOf(':');
  if (colon > 0) {
    const base = word.slice(0, colon);
    const typed = word.slice(colon).toLowerCase();
    return MODIFIERS.filter((m) => m.startsWith(typed) && m !== typed).map((m) => base + m);
  }
  const lower = word.toLowerCase();
  const depth = (s: string) => s.replace(/\.$/, '').split('.').length;
  const matching = all.filter((c) => c.toLowerCase().startsWith(lower) && c !== word);
  // Offer the next segment, not every deep path at once: `ti` -> `title`, `@req` -> `@request.auth.`
  // (one level down only when nothing at the word's own level matches).
  const level = word.split('.').length;
  let shown = matching.filter((c) => depth(c) <= level);
  if (!shown.length) shown = matching.filter((c) => depth(c) <= level + 1);
  return shown
    .sort((a, b) => a.length - b.length || a.localeCompare(b))
    .slice(0, limit);
}
