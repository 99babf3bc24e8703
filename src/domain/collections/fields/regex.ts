/**
 * Field patterns are written for Go's RE2 engine (PocketBase stores them as given). They run on
 * re2js, a port of RE2: the same syntax (`(?i)`, `(?P<name>…)`, `\A`, `\z` …) and, above all, the
 * same linear-time matching. JavaScript's backtracking RegExp would let a superuser's careless
 * pattern such as `^(\w+\s?)*$` turn any client's crafted value into a server stall.
 */
import { RE2JS } from 're2js';

const cache = new Map<string, RE2JS>();
const CACHE_LIMIT = 500;

/** Compiles a Go-style pattern; throws with RE2's message when it is invalid. */
export function compileGoRegex(pattern: string): RE2JS {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const re = RE2JS.compile(pattern);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, re);
  return re;
}

/** The compile error message, or undefined for a valid pattern. */
export function regexError(pattern: string): string | undefined {
  try {
    compileGoRegex(pattern);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Unanchored search, like Go's `regexp.MatchString`. */
export function matchesGoRegex(pattern: string, value: string): boolean {
  try {
    return compileGoRegex(pattern).matcher(value).find();
  } catch {
    return false;
  }
}
