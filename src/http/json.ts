/** Deepest JSON nesting accepted in a request body; deeper documents would overflow the recursive code that walks them. */
export const MAX_JSON_DEPTH = 512;

/** True when `text` nests arrays/objects deeper than `max` (strings are skipped, escapes honoured). */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Parses a request body: '' is {}, as PocketBase reads an empty body. Throws SyntaxError on bad or too-deep JSON. */
export function parseJsonBody(body: string): unknown {
  const text = body.trim();
  if (text === '') return {};
  if (jsonTooDeep(text)) throw new SyntaxError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  return JSON.parse(text);
}
