/**
 * Whether one of a collection's `CREATE [UNIQUE] INDEX` statements is a unique index on exactly
 * `column` (WHERE clauses ignored, as PocketBase does). Used to tell a back-relation that yields at
 * most one record from one that may yield several.
 */
export function hasSingleColumnUniqueIndex(indexes: readonly string[], column: string): boolean {
  return indexes.some((idx) => {
    const m = /create\s+(unique\s+)?\s*index\s*(?:if\s+not\s+exists\s+)?\S*\s+on\s+\S*\s*\(([\s\S]*)\)/i.exec(idx);
    if (!m || !m[1]) return false;
    const body = stripWhere(m[2]);
    if (splitColumns(body).length !== 1) return false;
    const name = body.trim().replace(/\s+(collate\s+\w+)?\s*(asc|desc)?$/i, '').trim().replace(/^[`"[]|[`"\]]$/g, '');
    return name.toLowerCase() === column.toLowerCase();
  });
}

/** The regex is greedy up to the last `)`, so a partial index `(...) WHERE (...)` needs trimming. */
function stripWhere(body: string): string {
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '(') depth++;
    else if (body[i] === ')') {
      if (depth === 0) return body.slice(0, i);
      depth--;
    }
  }
  return body;
}

function splitColumns(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of body) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.filter((s) => s.trim() !== '');
}
