/**
 * The index model: `CREATE [UNIQUE] INDEX` statements, as PocketBase stores them in
 * `_collections.indexes`, parsed into an `IndexSpec` (frozen data).
 *
 * They are superuser-authored SQL, so nothing ever executes their text: `indexes-parse.ts` parses
 * it once into the spec defined here, and each dialect renders that spec (`dialects/*-indexes.ts`,
 * with the pieces they share and the canonical text in `indexes-render.ts`).
 */

export type IndexCollation = 'nocase' | 'binary' | 'rtrim';
export type IndexOrder = 'asc' | 'desc';

export type IndexColumn =
  | { readonly kind: 'column'; readonly name: string; readonly collate?: IndexCollation; readonly order?: IndexOrder }
  | { readonly kind: 'expression'; readonly fn: 'lower' | 'upper'; readonly column: string; readonly order?: IndexOrder };

export type IndexOperand =
  | { readonly kind: 'column'; readonly name: string }
  | { readonly kind: 'string'; readonly value: string }
  /** A decimal literal as written (`-1`, `2.5`, `1e3`); see `numericLiteral`. */
  | { readonly kind: 'number'; readonly value: string }
  | { readonly kind: 'null' };

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type IndexCondition =
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly left: IndexOperand; readonly right: IndexOperand }
  | { readonly kind: 'isNull'; readonly operand: IndexOperand; readonly negated: boolean }
  /** Two or more conditions; never directly nested in one of the same kind. */
  | { readonly kind: 'and' | 'or'; readonly conditions: readonly IndexCondition[] }
  | { readonly kind: 'not'; readonly condition: IndexCondition };

export interface IndexSpec {
  readonly name: string;
  /** As written; may be '' (PocketBase scaffolds indexes before a collection has a name). */
  readonly table: string;
  readonly unique: boolean;
  readonly columns: readonly IndexColumn[];
  readonly where: IndexCondition | null;
}

/** An index the database at hand cannot build (an unknown column, a literal it cannot compare). */
export class IndexRenderError extends Error {
  override name = 'IndexRenderError';
}

// ---------------------------------------------------------------- helpers for callers

/** The table column an index entry reads. */
export const indexedColumn = (column: IndexColumn): string => (column.kind === 'column' ? column.name : column.column);

/** Every table column the index reads (entries, expression arguments, WHERE), once each, in order. */
export function indexColumnNames(spec: IndexSpec): string[] {
  const names = new Set(spec.columns.map(indexedColumn));
  const visitOperand = (o: IndexOperand) => {
    if (o.kind === 'column') names.add(o.name);
  };
  const visit = (cond: IndexCondition): void => {
    if (cond.kind === 'compare') {
      visitOperand(cond.left);
      visitOperand(cond.right);
    } else if (cond.kind === 'isNull') visitOperand(cond.operand);
    else if (cond.kind === 'not') visit(cond.condition);
    else cond.conditions.forEach(visit);
  };
  if (spec.where) visit(spec.where);
  return [...names];
}

/**
 * The key in `columnKinds` naming `name`: itself, or else its only case-insensitive match (SQLite
 * matches column names case-insensitively, so a data directory may spell one differently from the
 * field; PostgreSQL would not).
 */
export function resolveIndexColumn<K>(name: string, columnKinds: Readonly<Record<string, K>>): string {
  if (Object.hasOwn(columnKinds, name)) return name;
  const lower = name.toLowerCase();
  const matches = Object.keys(columnKinds).filter((k) => k.toLowerCase() === lower);
  if (matches.length !== 1) throw new IndexRenderError(`unknown column "${name}"`);
  return matches[0];
}

/** ASCII letters folded, nothing else: how SQLite's NOCASE collation compares text. */
const foldAscii = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

/**
 * Whether every row whose single key column equals `value` (compared with ASCII letters folded
 * when `nocase`, as NOCASE compares; exactly otherwise) lies inside the index's WHERE, so that a
 * lookup through the partial index finds all the rows a plain comparison would. True without a
 * WHERE. Decided from the condition's shape alone, and false when unsure: `col != 'lit'` with a
 * literal the value cannot equal (PocketBase's own `email != ''`), `col IS NOT NULL`, and AND/OR
 * of those.
 */
export function whereAdmitsKey(spec: IndexSpec, value: string, nocase: boolean): boolean {
  const entry = spec.columns.length === 1 ? spec.columns[0] : undefined;
  if (entry?.kind !== 'column') return false;
  const key = entry.name.toLowerCase();
  const isKey = (o: IndexOperand) => o.kind === 'column' && o.name.toLowerCase() === key;
  const same = (a: string, b: string) => (nocase ? foldAscii(a) === foldAscii(b) : a === b);
  const admits = (cond: IndexCondition): boolean => {
    switch (cond.kind) {
      case 'compare': {
        if (cond.op !== '!=') return false;
        const literal = isKey(cond.left) ? cond.right : isKey(cond.right) ? cond.left : undefined;
        return literal?.kind === 'string' && !same(literal.value, value);
      }
      case 'isNull':
        return cond.negated && isKey(cond.operand);
      case 'and':
        return cond.conditions.every(admits);
      case 'or':
        return cond.conditions.some(admits);
      case 'not':
        return false;
    }
  };
  return spec.where === null || admits(spec.where);
}
