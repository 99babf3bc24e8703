// SQLite's `x LIKE p ESCAPE '\'`, as a function whose time is linear in the text for the patterns
// clients send, and which checks the statement's budget while it works: the filter compiler's `~`
// on SQLite renders `baton_like(lower(x), lower(p))` (SqliteDialect.like), registered on every
// connection Baton opens (sqlite-budget.ts, and the reader threads, sqlite-reader-worker.js).
// Plain JavaScript, as the reader thread's script imports it (types in sqlite-like.d.ts).
//
// Why: SQLite's own LIKE tries the rest of the pattern at every position of the text, O(text x
// pattern) inside one native call that no loop guard can interrupt: `title ~ 'aaa…ab'` over texts
// of 'a's held the event loop for seconds (docs/ARCHITECTURE.md, "Statement budgets").
//
// Semantics, as SQLite's patternCompare (func.c) with ESCAPE '\':
// - `%` matches any run of characters, `_` exactly one character (a code point), `\c` the
//   character c; a pattern ending in a lone `\` matches nothing.
// - Case folding is ASCII only: both arguments arrive through SQLite's lower(), which folds A-Z
//   only, so the comparison here is exact.
// - Text and pattern end at their first NUL, as SQLite's matcher reads C strings.
// - NULL in, NULL out.
//
// How: the pattern is split at its `%`s into segments; the first must match at the start, the
// last at the end, each middle one is found leftmost after the previous (greedy leftmost is exact
// for `%`-separated segments). A segment without `_` is found with String.prototype.indexOf (V8's
// Boyer-Moore-Horspool / Boyer-Moore search: linear); one with `_` is tried position by position,
// O(text x segment), with the budget checked as it goes.

/** Units of work (characters compared or scanned) between two looks at the clock. */
const WORK_PER_CHECK = 1 << 16;
/** Parsed patterns kept (a statement binds one pattern for all its rows). */
const PATTERNS = 64;

/**
 * A pattern parsed: `segments` between its `%`s (`percent` false: none, the whole text must match
 * the one segment). A segment is a list of items: a string (one code point, matched exactly) or
 * null (`_`, any one code point). `lit` is the segment as one string where it has no `_`.
 */
function parse(pattern) {
  const nul = pattern.indexOf('\0');
  if (nul >= 0) pattern = pattern.slice(0, nul);
  const segments = [];
  let items = [];
  let lit = '';
  let plain = true;
  let percent = false;
  const close = () => {
    segments.push({ items, lit: plain ? lit : undefined });
    items = [];
    lit = '';
    plain = true;
  };
  for (let i = 0; i < pattern.length; ) {
    let cp = pattern.codePointAt(i);
    let ch = String.fromCodePoint(cp);
    i += ch.length;
    if (ch === '%') {
      percent = true;
      close();
      continue;
    }
    if (ch === '_') {
      items.push(null);
      plain = false;
      continue;
    }
    if (ch === '\\') {
      if (i >= pattern.length) return { never: true };
      cp = pattern.codePointAt(i);
      ch = String.fromCodePoint(cp);
      i += ch.length;
    }
    items.push(ch);
    lit += ch;
  }
  close();
  return { never: false, percent, segments };
}

/**
 * The LIKE function for one connection: `(text, pattern) => 1 | 0 | null`. `check` throws once the
 * running statement's budget is spent; it is called every WORK_PER_CHECK units of work and every
 * 64 calls, so neither one long text nor many short ones outrun the budget by more than that.
 */
export function likeFunction(check) {
  const patterns = new Map();
  let work = 0;
  let calls = 0;
  const charge = (units) => {
    work += units;
    if (work >= WORK_PER_CHECK) {
      work = 0;
      check();
    }
  };

  /** The end of `items` matched at `at` (a code point boundary), or -1. */
  const matchAt = (text, at, items) => {
    for (let k = 0; k < items.length; k++) {
      const item = items[k];
      if (item === null) {
        if (at >= text.length) return -1;
        const c = text.charCodeAt(at);
        at += c >= 0xd800 && c <= 0xdbff && at + 1 < text.length ? 2 : 1;
      } else {
        if (!text.startsWith(item, at)) return -1;
        at += item.length;
      }
    }
    return at;
  };

  /** The leftmost match of segment `seg` at or after `from`: [start, end], or undefined. */
  const find = (text, from, seg) => {
    if (seg.lit !== undefined) {
      charge(text.length - from);
      const at = text.indexOf(seg.lit, from);
      return at < 0 ? undefined : [at, at + seg.lit.length];
    }
    for (let at = from; at <= text.length; ) {
      charge(seg.items.length);
      const end = matchAt(text, at, seg.items);
      if (end >= 0) return [at, end];
      const c = text.charCodeAt(at);
      at += c >= 0xd800 && c <= 0xdbff && at + 1 < text.length ? 2 : 1;
    }
    return undefined;
  };

  /** Where segment `seg` must start to end with the text, or -1 (walking back, item by item). */
  const startOfLast = (text, seg) => {
    let at = text.length;
    for (let k = seg.items.length - 1; k >= 0; k--) {
      const item = seg.items[k];
      if (item === null) {
        if (at <= 0) return -1;
        const c = text.charCodeAt(at - 1);
        at -= c >= 0xdc00 && c <= 0xdfff && at >= 2 && text.charCodeAt(at - 2) >= 0xd800 && text.charCodeAt(at - 2) <= 0xdbff ? 2 : 1;
      } else {
        at -= item.length;
        if (at < 0 || !text.startsWith(item, at)) return -1;
      }
    }
    return at;
  };

  const like = (text, pattern) => {
    const nul = text.indexOf('\0');
    if (nul >= 0) text = text.slice(0, nul);
    let p = patterns.get(pattern);
    if (!p) {
      p = parse(pattern);
      if (patterns.size >= PATTERNS) patterns.delete(patterns.keys().next().value);
      patterns.set(pattern, p);
    }
    if (p.never) return 0;
    const { segments } = p;
    if (!p.percent) {
      charge(segments[0].items.length);
      return matchAt(text, 0, segments[0].items) === text.length ? 1 : 0;
    }
    const first = segments[0];
    charge(first.items.length);
    let pos = matchAt(text, 0, first.items);
    if (pos < 0) return 0;
    for (let i = 1; i < segments.length - 1; i++) {
      if (segments[i].items.length === 0) continue;
      const found = find(text, pos, segments[i]);
      if (!found) return 0;
      pos = found[1];
    }
    const last = segments[segments.length - 1];
    charge(last.items.length);
    const start = startOfLast(text, last);
    return start >= pos ? 1 : 0;
  };

  return (text, pattern) => {
    if ((++calls & 63) === 0) check();
    if (text === null || pattern === null) return null;
    return like(String(text), String(pattern));
  };
}
