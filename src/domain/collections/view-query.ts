/**
 * What a view query says about its columns, read from its text as PocketBase reads it
 * (core/view.go: the identifiers parser and parseQueryToFields): the outermost SELECT's columns
 * and the FROM and JOIN tables, each as written and by the name it goes by. The database names
 * the view's columns; this only suggests each column's field.
 */
import { ApiError, fieldError } from '../../kernel/errors.ts';
import type { Collection, FieldDef, SchemaLookup } from '../../db/schema.ts';

/** A column or table of the query: the text as written (quotes trimmed) and the name it goes by. */
interface Identifier {
  readonly original: string;
  readonly alias: string;
}

/** The field a view column suggests, and the collection field it is taken from, if it is. */
export interface ViewColumnField {
  readonly kind: 'id' | 'number' | 'int' | 'text' | 'bool' | 'json' | 'relation' | 'clone';
  /** The collection the column reads from (a relation's target for `relation`). */
  readonly collection?: Collection;
  /** For `clone`: the collection field the column is taken straight from. */
  readonly original?: FieldDef;
}

const JOIN = /\s+(full\s+outer\s+join|left\s+outer\s+join|right\s+outer\s+join|full\s+join|cross\s+join|inner\s+join|outer\s+join|left\s+join|right\s+join|join)\s+?/gim;
const DISCARD = /\s+(where|group\s+by|having|order|limit|with)\s+?/gim;
const COMMENTS = /(\/\*[\s\S]*?\*\/)|(--.+$)/gm;
const JOIN_MARK = '__pb_join__';
const DISCARD_MARK = '__pb_discard__';

/**
 * Splits `text` at the separators that stand outside parentheses and quotes (PocketBase's
 * tokenizer): tokens are trimmed, empty ones dropped; with `keep`, each separator is a token too.
 */
function tokens(text: string, separators: string, keep = false): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let prev = '';
  let cur = '';
  const flush = () => {
    if (cur.trim() !== '') out.push(cur.trim());
    cur = '';
  };
  for (const ch of text) {
    if (prev !== '\\') {
      if (ch === '(' && !quote) depth++;
      else if (ch === ')' && depth > 0 && !quote) depth--;
      else if (ch === "'" || ch === '"' || ch === '`') quote = quote === ch ? '' : quote || ch;
    }
    prev = ch;
    if (separators.includes(ch) && depth === 0 && !quote) {
      flush();
      if (keep && ch.trim() !== '') out.push(ch);
    } else cur += ch;
  }
  flush();
  return out;
}

const trimIdentifier = (s: string, chars: string) =>
  s.split('.').map((part) => {
    let a = 0;
    let b = part.length;
    while (a < b && chars.includes(part[a])) a++;
    while (b > a && chars.includes(part[b - 1])) b--;
    return part.slice(a, b);
  }).join('.');

/**
 * `expr`, `expr alias` or `expr AS alias`. Anything else PocketBase refuses (`invalid identifier
 * parts`, failing the save); Baton reads no suggestion from it, and the column becomes a json field.
 */
function identifier(item: string): Identifier | undefined {
  const parts = tokens(item, ' \n\t');
  let original: string;
  let alias: string;
  if (parts.length === 3 && parts[1].toLowerCase() === 'as') [original, , alias] = parts;
  else if (parts.length === 2) [original, alias] = parts;
  else if (parts.length === 1) [original, alias] = [parts[0], parts[0].split('.').pop()!];
  else return undefined;
  // The single quote too, for an alias: SQLite takes 'name' as an identifier where one is expected.
  return { original: trimIdentifier(original, '`"[];'), alias: trimIdentifier(alias, '`"[];\'') };
}

/** The outermost SELECT's columns and the tables of its FROM and JOIN clauses, in order. */
function parseIdentifiers(query: string): { columns: Identifier[]; tables: Identifier[] } {
  const text = query.trim().replace(/^;+|;+$/g, '')
    .replace(COMMENTS, ' ')
    .replace(JOIN, ` ${JOIN_MARK} `)
    .replace(DISCARD, ` ${DISCARD_MARK} `);
  const parts = { select: [] as string[], from: [] as string[], join: [] as string[] };
  let part: keyof typeof parts | undefined;
  let skip = false;
  for (const token of tokens(text, ', \n\t', true)) {
    const word = token.toLowerCase();
    if (word === 'select') {
      // A second SELECT at the top level (UNION, INTERSECT, EXCEPT): the first names the columns.
      if (part) break;
      [part, skip] = ['select', false];
    } else if (word === 'distinct') continue;
    else if (word === 'from') [part, skip] = ['from', false];
    else if (word === JOIN_MARK) {
      if (part === 'join') parts.join.push(',');
      [part, skip] = ['join', false];
    } else if (word === DISCARD_MARK) skip = true;
    else {
      if (part === 'join' && word === 'on') skip = true;
      if (!skip && part) parts[part].push(token);
    }
  }
  const list = (words: string[]) => tokens(words.join(' '), ',').map(identifier).filter((i): i is Identifier => i !== undefined);
  return { columns: list(parts.select), tables: [...list(parts.from), ...list(parts.join)] };
}

const CAST = /^cast\s*\(.*\s+as\s+(\w+)\s*\)$/is;
const CAST_KINDS: Readonly<Record<string, ViewColumnField['kind']>> = {
  real: 'number', decimal: 'number', numeric: 'number', int: 'int', integer: 'int', text: 'text', boolean: 'bool', bool: 'bool',
};

export const WILDCARD_COLUMNS =
  'wildcard columns (*) are not supported - manually type the collection field names you want the view query to have';

/**
 * The field each column of the outermost SELECT suggests, by the name the query gives it
 * (PocketBase's parseQueryToFields): `id` is the record id; `count(…)` an integer and `total(…)`
 * a number; a CAST to real, decimal, numeric, int, integer, text, boolean or bool that type; a
 * collection's column (`alias.name`, or `name` of the first table) a copy of its field, matched
 * case-insensitively, or a relation to the collection for its `id`; anything else (max, min, sum,
 * avg, a CAST to another type, an expression) json, which reads back whatever the query yields.
 * Throws for a wildcard column, which would expose fields nobody chose (hidden ones, passwords).
 */
export function viewColumnFields(query: string, schema: SchemaLookup): Map<string, ViewColumnField> {
  const { columns, tables } = parseIdentifiers(query);
  // Tables by the name the query gives them; PocketBase looks collections up by exact name.
  const collections = new Map<string, Collection>();
  for (const table of tables) {
    const c = table.alias.includes('(') ? undefined : schema.find(table.original);
    if (c && c.name === table.original) collections.set(table.alias, c);
  }
  const main = tables[0]?.alias;
  const out = new Map<string, ViewColumnField>();
  for (const col of columns) {
    if (col.alias === '*') {
      throw new ApiError(400, 'Failed to save collection.', { viewQuery: fieldError('validation_invalid_view_query', `Invalid query - ${WILDCARD_COLUMNS}.`) });
    }
    out.set(col.alias, columnField(col, collections, main));
  }
  return out;
}

function columnField(col: Identifier, collections: ReadonlyMap<string, Collection>, main: string | undefined): ViewColumnField {
  if (col.alias === 'id') return { kind: 'id' };
  const lower = col.original.toLowerCase();
  if (lower.startsWith('count(')) return { kind: 'int' };
  if (lower.startsWith('total(')) return { kind: 'number' };
  const cast = CAST.exec(lower);
  if (cast && Object.hasOwn(CAST_KINDS, cast[1])) return { kind: CAST_KINDS[cast[1]] };
  const parts = col.original.split('.');
  const [table, name] = parts.length === 2 ? [parts[0], parts[1]] : [main, parts[0]];
  const collection = table === undefined ? undefined : collections.get(table);
  if (!collection) return { kind: 'json' };
  const original = collection.fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
  if (!original) return { kind: 'json', collection };
  if (name.toLowerCase() === 'id') return { kind: 'relation', collection };
  return { kind: 'clone', collection, original };
}

/**
 * The suggestion for a view column as the database names it: by the query's name, else by one
 * differing only in case (PostgreSQL folds an unquoted `B` to `b`).
 */
export function suggestionFor(fields: ReadonlyMap<string, ViewColumnField>, column: string): ViewColumnField | undefined {
  const exact = fields.get(column);
  if (exact) return exact;
  const lower = column.toLowerCase();
  for (const [name, field] of fields) if (name.toLowerCase() === lower) return field;
  return undefined;
}
