/**
 * Collection indexes are stored as `CREATE [UNIQUE] INDEX` statements (PocketBase's format).
 * They are superuser-authored SQL, so they are parsed, checked to be one plain statement over
 * the collection's own table, and rebuilt before they are executed.
 */
export interface ParsedIndex {
  name: string;
  table: string;
  unique: boolean;
  /** Column names or expressions, as written. */
  columns: string[];
  where: string;
}

const INDEX_RE =
  /^\s*create\s+(unique\s+)?index\s+(?:if\s+not\s+exists\s+)?([`"[]?)(\w+)[`"\]]?\s+on\s+([`"[]?)(\w+)[`"\]]?\s*\(([\s\S]+)\)(?:\s*where\s+([\s\S]+?))?\s*;?\s*$/i;

const unquote = (s: string): string => s.trim().replace(/^[`"[](.*)[`"\]]$/, '$1');

/** Splits on commas outside parentheses. */
function splitColumns(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of list) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export function parseIndex(statement: string): ParsedIndex | undefined {
  if (typeof statement !== 'string' || statement.length > 2000) return undefined;
  // One statement only: a `;` anywhere but the very end would smuggle a second one.
  if (statement.replace(/;\s*$/, '').includes(';')) return undefined;
  const m = INDEX_RE.exec(statement);
  if (!m) return undefined;
  const columns = splitColumns(m[6]);
  if (columns.length === 0) return undefined;
  return { unique: Boolean(m[1]), name: m[3], table: m[5], columns, where: (m[7] ?? '').trim() };
}

/** The column name an index entry refers to, or undefined for an expression. */
export function indexColumnName(column: string): string | undefined {
  const m = /^([`"[]?)(\w+)[`"\]]?(?:\s+collate\s+\w+)?(?:\s+(?:asc|desc))?$/i.exec(column.trim());
  return m ? m[2] : undefined;
}

export function buildIndex(idx: ParsedIndex): string {
  const cols = idx.columns.map((c) => {
    const name = indexColumnName(c);
    return name && name === unquote(c) ? `\`${name}\`` : c.trim();
  });
  const where = idx.where ? ` WHERE ${idx.where}` : '';
  return `CREATE ${idx.unique ? 'UNIQUE ' : ''}INDEX \`${idx.name}\` ON \`${idx.table}\` (${cols.join(', ')})${where}`;
}

/** True when `indexes` holds a unique index on exactly `column`. */
export function hasUniqueIndexOn(indexes: readonly string[], column: string): boolean {
  return indexes.some((s) => {
    const p = parseIndex(s);
    return p?.unique && p.columns.length === 1 && indexColumnName(p.columns[0]) === column;
  });
}
