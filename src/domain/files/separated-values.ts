/**
 * Whether a text sample is comma- or tab-separated values, decided as PocketBase's detection
 * library (Go's mimetype) decides it: the rows that are neither empty nor comments (`#`) are
 * counted field by field; the first must have two fields or more, and every later one, up to the
 * tenth, as many; two such rows are enough. Quoted fields may hold separators, doubled quotes and
 * line breaks; a stray quote is taken leniently. Only fields are counted, nothing is kept.
 */

/** Reads a text one line at a time: the line without its break, and whether it had one. */
class Lines {
  private pos = 0;

  constructor(private readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  next(): { line: string; broken: boolean } {
    const nl = this.text.indexOf('\n', this.pos);
    const end = nl < 0 ? this.text.length : nl;
    let line = this.text.slice(this.pos, end);
    this.pos = nl < 0 ? this.text.length : nl + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    return { line, broken: nl >= 0 };
  }
}

/** The number of fields of the next row (0 when there is none). */
function countRow(lines: Lines, separator: string): number {
  let line: string;
  let broken: boolean;
  for (;;) {
    if (lines.done) return 0;
    ({ line, broken } = lines.next());
    if (line !== '' && !line.startsWith('#')) break;
  }
  let fields = 0;
  let at = 0;
  for (;;) {
    if (line[at] !== '"') {
      fields++;
      const next = line.indexOf(separator, at);
      if (next < 0) return fields;
      at = next + 1;
      continue;
    }
    // A quoted field: up to a closing quote followed by the separator or the end of the line.
    at++;
    for (;;) {
      const quote = line.indexOf('"', at);
      if (quote < 0) {
        // The field goes on over the line break (a field left open at the end of the text ends there).
        if (at < line.length || broken) {
          ({ line, broken } = lines.next());
          at = 0;
          continue;
        }
        return fields + 1;
      }
      at = quote + 1;
      if (line[at] === '"') at++;
      else if (line[at] === separator) {
        at++;
        fields++;
        break;
      } else if (at >= line.length) return fields + 1;
    }
  }
}

/**
 * `sample` is a file's first bytes as text; `truncated` says the file goes on past them, so its
 * last line, likely cut, is left out.
 */
export function isSeparatedValues(sample: string, separator: ',' | '\t', truncated: boolean): boolean {
  let text = sample;
  if (truncated) {
    const lastBreak = text.lastIndexOf('\n');
    if (lastBreak > 0) text = text.slice(0, lastBreak);
  }
  const lines = new Lines(text);
  const header = countRow(lines, separator);
  if (header < 2) return false;
  let rows = 1;
  for (let fields = countRow(lines, separator); fields > 0; fields = countRow(lines, separator)) {
    if (fields !== header) return false;
    if (++rows >= 10) return true;
  }
  return rows >= 2;
}
