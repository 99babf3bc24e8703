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
  /**
   * Cost budget of client filters (`allowHiddenFields: false`: everyone but superusers; rules and
   * superuser filters are trusted and keep the caps above only). Within those caps a guest could
   * still send a filter that reads millions of related rows per record: two 6-step multi-relation
   * paths in one `||` read the product of both (53 s on 1,000 records), and SQLite cannot
   * interrupt a running statement, so the event loop blocks for all of it.
   *
   * The unit is an estimate of the related rows read per filtered record. Expressions sharing
   * joins (a top-level `&&` item and every path it reaches, paths with a common prefix) are one
   * correlated lookup, which reads the product of its steps' fanouts; each all-of check (a
   * non-`?` operator on a multi-valued path) reads its own copy of the path for every row of the
   * lookup it sits in. A filter costs the sum over its lookups of rows x (1 + rows of their
   * checks), list-rule constraints of the collections it joins included; what a trusted rule
   * compiled with it costs on its own is not charged.
   *
   * 100 admits any lookup of up to four multi-valued steps (3^4 = 81): `tags.name ?= 'a'` costs 3,
   * `tags.name != 'spam'` 12, two 2-step multi paths in one `||` 81, an all-of check over a 2-step
   * multi path 90, and 20 comparisons over 1-3 hop paths typically 10-40. Measured with
   * bench/filter-worst-case.ts (docs/performance.md, "Worst-case client filters"; 5,000 records
   * per collection): the costliest filters it admits take about 0.2 s with 0-5 random links per
   * multi relation, about 2 s with 0-10; refused ones took up to 53 s on 1,000 records and over a
   * minute on 5,000. Time grows with the real average fanout to the power of the steps, which no
   * static budget can know.
   */
  maxClientFilterCost: 100,
  /**
   * Rows assumed per multi-valued step in that estimate where the data's statistics say nothing
   * (`FilterEnv.statistics`, domain/records/statistics.ts: a collection not measured yet, a test
   * without them): multi relation, back-relation without a unique index, `:each` of a multi-valued
   * field, `@collection` (which the API only lets superusers use in filters). Where they are known,
   * a multi-valued field's step costs its average items per record, never more than its maxSelect,
   * and a back-relation step its links spread over the target's records. Single relations and
   * uniquely indexed back-relations count 1.
   */
  clientFanoutEstimate: 3,
  /** Sort fields per request, and length of one sort field (PocketBase's values). */
  maxSortFields: 8,
  maxSortFieldLength: 255,
  /** Bound `~` patterns of rules and superusers (SQLite's LIKE refused patterns past 50,000 bytes). */
  maxLikePatternBytes: 50_000,
  /**
   * Bound `~` patterns of client filters (everyone but superusers), UTF-8 bytes, the `%…%` that
   * wraps a plain value included. A search box needs far less; what a long pattern costs a
   * database's LIKE grows with pattern x text (PostgreSQL's and MariaDB's are stopped by their
   * statement timeout, SQLite's runs as a linear function of ours, sqlite-like.js), so the
   * client's share is kept small. Refused with a 400 that names the limit.
   */
  maxClientLikePatternBytes: 255,
  /** Parsed syntax trees kept in the LRU cache. */
  cacheSize: 1000,
});
