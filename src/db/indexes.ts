/**
 * `CREATE [UNIQUE] INDEX` statements, as PocketBase stores them in `_collections.indexes`.
 * They are superuser-authored SQL, so before anything executes one it is parsed here, checked to
 * be a single statement over one table, and rebuilt from its parts.
 */
export interface ParsedIndex {
  name: string;
  table: string;
  unique: boolean;
  /** Column names or expressions, as written. */
  columns: string[];
  where: string;
}

const HEAD_RE = /^\s*create\s+(unique\s+)?index\s+(?:if\s+not\s+exists\s+)?([`"[]?)(\w+)[`"\]]?\s+on\s+([`"[]?)(\w*)[`"\]]?\s*\(/i;
const MAX_INDEX_LENGTH = 2000;

/** Splits SQL on commas outside parentheses and quotes. */
export function splitTopLevel(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of list) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0 && !quote) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Index of the `)` closing the `(` just before `start`, or -1. */
function closingParen(text: string, start: number): number {
  let depth = 1;
  let quote = '';
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

export function parseIndex(statement: string): ParsedIndex | undefined {
  if (typeof statement !== 'string' || statement.length > MAX_INDEX_LENGTH) return undefined;
  const text = statement.trim().replace(/;\s*$/, '');
  // One statement only: a `;` anywhere else would smuggle in a second one.
  if (text.includes(';')) return undefined;
  const head = HEAD_RE.exec(text);
  if (!head) return undefined;
  const open = head[0].length;
  const close = closingParen(text, open);
  if (close < 0) return undefined;
  const columns = splitTopLevel(text.slice(open, close));
  const rest = text.slice(close + 1).trim();
  const where = /^where\s+([\s\S]+)$/i.exec(rest);
  if (columns.length === 0 || (rest !== '' && !where)) return undefined;
  return { unique: Boolean(head[1]), name: head[3], table: head[5], columns, where: where ? where[1].trim() : '' };
}

/** The column an index entry names (without COLLATE/ASC/DESC), or undefined for an expression. */
export function indexColumnName(column: string): string | undefined {
  const m = /^([`"[]?)(\w+)[`"\]]?(?:\s+collate\s+\w+)?(?:\s+(?:asc|desc))?$/i.exec(column.trim());
  return m ? m[2] : undefined;
}

export function buildIndex(idx: ParsedIndex): string {
  const cols = idx.columns.map((c) => {
    const name = indexColumnName(c);
    return name !== undefined && /^[`"[]?\w+[`"\]]?$/.test(c.trim()) ? `\`${name}\`` : c.trim();
  });
  const where = idx.where ? ` WHERE ${idx.where}` : '';
  return `CREATE ${idx.unique ? 'UNIQUE ' : ''}INDEX \`${idx.name}\` ON \`${idx.table}\` (${cols.join(', ')})${where}`;
}

/**
 * True when `indexes` holds a unique index on exactly `column` (partial indexes count, as in
 * PocketBase; SQLite column names compare case-insensitively).
 */
export function hasUniqueIndexOn(indexes: readonly string[], column: string): boolean {
  const wanted = column.toLowerCase();
  return indexes.some((s) => {
    const p = parseIndex(s);
    return p?.unique === true && p.columns.length === 1 && indexColumnName(p.columns[0])?.toLowerCase() === wanted;
  });
}
