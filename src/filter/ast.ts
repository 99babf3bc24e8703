/**
 * The syntax tree of the filter/rule language. Nodes are plain frozen objects tagged with `kind`,
 * so trees can be cached, shared between requests and combined without defensive copies.
 * They carry no schema knowledge: the same tree compiles against any collection.
 */

export const COMPARE_OPS = ['=', '!=', '>', '>=', '<', '<=', '~', '!~'] as const;
export const ANY_OPS = ['?=', '?!=', '?>', '?>=', '?<', '?<=', '?~', '?!~'] as const;
export type BaseOp = (typeof COMPARE_OPS)[number];
export type AnyOp = (typeof ANY_OPS)[number];
export type Op = BaseOp | AnyOp;

export const MACRO_NAMES = [
  '@now', '@second', '@minute', '@hour', '@weekday', '@day', '@month', '@year',
  '@yesterday', '@tomorrow', '@todayStart', '@todayEnd', '@monthStart', '@monthEnd', '@yearStart', '@yearEnd',
] as const;
export type MacroName = (typeof MACRO_NAMES)[number];

/** A field path (`title`, `author.name:lower`, `@request.auth.id`, `@collection.x:y.z`) or `true`/`false`/`null`. */
export interface Ident { readonly kind: 'ident'; readonly name: string }
export interface Macro { readonly kind: 'macro'; readonly name: MacroName }
export interface StringLit { readonly kind: 'string'; readonly value: string }
export interface NumberLit { readonly kind: 'number'; readonly value: number }
/** `{:name}`: a value supplied at compile time through `params`, always bound, never spliced. */
export interface Placeholder { readonly kind: 'placeholder'; readonly name: string }
export interface FuncCall { readonly kind: 'func'; readonly name: string; readonly args: readonly Operand[] }
export type Operand = Ident | Macro | StringLit | NumberLit | Placeholder | FuncCall;

export interface Comparison { readonly kind: 'compare'; readonly op: Op; readonly left: Operand; readonly right: Operand }
export interface AndExpr { readonly kind: 'and'; readonly items: readonly Expr[] }
export interface OrExpr { readonly kind: 'or'; readonly items: readonly Expr[] }
export type Expr = Comparison | AndExpr | OrExpr;

export const isAnyOp = (op: Op): op is AnyOp => op.startsWith('?');
export const baseOp = (op: Op): BaseOp => (isAnyOp(op) ? (op.slice(1) as BaseOp) : op);

const freeze = <T extends object>(node: T): T => Object.freeze(node);

export const ident = (name: string): Ident => freeze({ kind: 'ident', name });

/**
 * Whether the expression costs each row a few comparisons of the row's own columns and constants
 * only: no `~` (LIKE, whose cost grows with the pattern and the text), no function, no path
 * through a relation or a JSON value, no modifier, no `@` name.
 */
export function comparesOwnColumnsOnly(e: Expr): boolean {
  if (e.kind !== 'compare') return e.items.every(comparesOwnColumnsOnly);
  return !e.op.includes('~') && plainOperand(e.left) && plainOperand(e.right);
}

function plainOperand(o: Operand): boolean {
  if (o.kind === 'func') return false;
  return o.kind !== 'ident' || !/[.:@]/.test(o.name);
}
export const macro = (name: MacroName): Macro => freeze({ kind: 'macro', name });
export const str = (value: string): StringLit => freeze({ kind: 'string', value });
export const num = (value: number): NumberLit => freeze({ kind: 'number', value });
export const placeholder = (name: string): Placeholder => freeze({ kind: 'placeholder', name });
export const func = (name: string, args: readonly Operand[]): FuncCall =>
  freeze({ kind: 'func', name, args: Object.freeze([...args]) });
export const compare = (left: Operand, op: Op, right: Operand): Comparison => freeze({ kind: 'compare', op, left, right });

/** `a && b && c`, flattening nested ANDs; a single item is returned unwrapped. */
export function and(...items: readonly Expr[]): Expr {
  return combine('and', items);
}

export function or(...items: readonly Expr[]): Expr {
  return combine('or', items);
}

function combine(kind: 'and' | 'or', items: readonly Expr[]): Expr {
  if (items.length === 0) throw new TypeError(`${kind}() needs at least one expression`);
  if (items.length === 1) return items[0]!;
  const flat = items.flatMap((e) => (e.kind === kind ? e.items : [e]));
  return freeze({ kind, items: Object.freeze(flat) }) as Expr;
}

/** Number of comparisons in a tree (the unit of the expression limit). */
export function countComparisons(e: Expr): number {
  return e.kind === 'compare' ? 1 : e.items.reduce((n, i) => n + countComparisons(i), 0);
}

/** Depth of and/or nesting (a lone comparison is 0). */
export function nestingDepth(e: Expr): number {
  return e.kind === 'compare' ? 0 : 1 + Math.max(...e.items.map(nestingDepth));
}
