/**
 * The filter and rule language (PocketBase-compatible).
 *
 *   text --lexer--> tokens --parser--> frozen syntax tree (cached by text) --resolver--> SQL fragment
 *
 * - `compileFilter(text | tree, env)`: one filter or rule as a WHERE fragment.
 * - `compileWhere(parts, env)`: several (e.g. a rule and a client filter) ANDed, sharing their
 *   relation joins exactly as PocketBase does when both apply to one query.
 * - `compileSortField(path, env)`: an ORDER BY expression (direction not included).
 * - `validateRule(text, env)`: parse and resolve against the schema when a collection is saved.
 * - `parseFilter(text)`: the syntax tree, e.g. to combine trees with `and`/`or`.
 *
 * Every problem is a FilterError (an ApiError with status 400) whose message names it, e.g.
 * `Invalid filter: unknown field "titel"`. User values only ever reach SQL as bound parameters;
 * identifiers are checked against the schema and quoted by the dialect.
 */
export { and, comparesOwnColumnsOnly, or, type Expr, type Comparison, type Operand as ExprOperand, type Op } from './ast.ts';
export { compileFilter, compileWhere, validateRule, type FilterPart, type WhereEnv } from './compile.ts';
export { emptyRequestInfo, type DataStatistics, type FilterEnv, type RequestInfo } from './context.ts';
export { FilterError, FilterLimitError } from './errors.ts';
export { FILTER_LIMITS } from './limits.ts';
export { parseFilter, clearParseCache } from './parser.ts';
export { compileSortField, compileSortTerm } from './sort.ts';
