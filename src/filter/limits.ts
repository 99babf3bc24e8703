/**
 * Caps on everything a client controls in a filter (security: bounded parse and query cost).
 * PocketBase's own limits are kept where it has them (length, expressions, nested relations,
 * strftime arguments); the others bound what PocketBase leaves unbounded.
 */
export const FILTER_LIMITS = Object.freeze({
  /** Source length in UTF-8 bytes (PocketBase's MaxFilterLength). */
  maxLength: 3500,
  /** Comparisons per filter or rule (PocketBase's DefaultFilterExprLimit). */
  maxExpressions: 200,
  /** Parenthesis nesting. */
  maxDepth: 20,
  /** Nested function calls, as in fexpr. */
  maxFunctionDepth: 3,
  /** Relation hops in a single field path (PocketBase's maxNestedRels). */
  maxNestedRelations: 6,
  /** Joined tables shared by the expressions of one compiled WHERE (SQLite allows 64 per SELECT). */
  maxJoins: 50,
  /** Correlated subqueries (multi-match checks, IN-lists) in one compiled WHERE. */
  maxSubqueries: 250,
  /**
   * Comparisons of related collections' listRules copied into the all-of checks of one client
   * filter (each check of a multi-valued path needs its own copy per hop), bounding the SQL size.
   */
  maxRuleCopyComparisons: 3000,
  /** Sort fields per request, and length of one sort field (PocketBase's values). */
  maxSortFields: 8,
  maxSortFieldLength: 255,
  /** Bound `~` patterns (SQLite fails a query whose LIKE pattern exceeds 50,000 bytes). */
  maxLikePatternBytes: 50_000,
  /** Parsed syntax trees kept in the LRU cache. */
  cacheSize: 1000,
});
