/**
 * Field patterns are written for Go's RE2 engine (PocketBase stores them as given). JavaScript
 * reads most of them unchanged; the few RE2-only spellings that appear in practice are translated:
 * a leading `(?flags)` group, `(?P<name>…)` groups and the `\A` / `\z` anchors. RE2 has no
 * backtracking, JavaScript does: patterns run only against values already capped in length
 * (text fields at 5000 characters by default), which bounds the cost of a hostile pattern.
 */

const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 500;

/** Compiles a Go-style pattern; throws SyntaxError (with JavaScript's message) when it is invalid. */
export function compileGoRegex(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;

  let source = pattern;
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(source);
  if (lead) {
    if (lead[1].includes('U')) throw new SyntaxError(`unsupported flag U in ${pattern}`);
    flags = [...new Set(lead[1])].join('');
    source = source.slice(lead[0].length);
  }
  source = translateSyntax(source);

  let re: RegExp;
  try {
    // The u flag matches RE2's code point semantics; it refuses a few identity escapes RE2
    // accepts (`\_`, `\@`), so fall back to the plain mode for those.
    re = new RegExp(source, flags + 'u');
  } catch {
    re = new RegExp(source, flags);
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, re);
  return re;
}

function translateSyntax(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\' && i + 1 < source.length) {
      const next = source[++i];
      if (!inClass && next === 'A') out += '^';
      else if (!inClass && next === 'z') out += '(?![\\s\\S])';
      else out += c + next;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (!inClass && source.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    out += c;
  }
  return out;
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
    const re = compileGoRegex(pattern);
    re.lastIndex = 0;
    return re.test(value);
  } catch {
    return false;
  }
}
