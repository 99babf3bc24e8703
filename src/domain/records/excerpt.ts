/**
 * The `:excerpt(max, withEllipsis)` modifier of the `fields` parameter: the plain text of an HTML
 * value, as PocketBase extracts it (excluded elements dropped, blocks separated by one space,
 * whitespace collapsed), cut to `max` characters.
 */
import { Parser, type Handler } from 'htmlparser2';
import { goTrimSpace, isGoSpace } from './go-text.ts';
/** Elements whose whole content is left out of an excerpt. */
const EXCLUDED_ELEMENTS = new Set([
  'head', 'style', 'script', 'iframe', 'embed', 'applet', 'object', 'svg', 'img', 'picture', 'dialog',
  'template', 'button', 'form', 'textarea', 'input', 'select', 'option',
]);
/** Elements that do not separate words; every other element is a block and gets a space around it. */
const INLINE_ELEMENTS = new Set([
  'a', 'abbr', 'acronym', 'b', 'bdo', 'big', 'br', 'button', 'cite', 'code', 'em', 'i', 'label', 'q',
  'small', 'span', 'strong', 'strike', 'sub', 'sup', 'time',
]);
/**
 * An HTML5 parser (Go's, in PocketBase) moves these into the implied, excluded <head> while no body
 * content has been seen, so a leading <title> is not part of the text. htmlparser2 builds no
 * implied elements, so the writer below tracks that phase itself.
 */
const HEAD_ELEMENTS = new Set([
  'base', 'basefont', 'bgsound', 'link', 'meta', 'noframes', 'noscript', 'script', 'style', 'template', 'title',
]);
/** The document shell; PocketBase's tree always has one html and one body, whatever the markup says. */
const SHELL_ELEMENTS = new Set(['html', 'head', 'body']);

const HTML_WHITESPACE_RUN = /[\t\n\f\r ]+/g; // Go's RE2 `\s`, narrower than JavaScript's
const HTML_WHITESPACE_ONLY = /^[\t\n\f\r ]*$/;

/** An open element: shell (adds nothing), inline, block (spaces around) or muted (content dropped). */
const Frame = { Shell: 0, Inline: 1, Block: 2, Muted: 3 } as const;
type Frame = (typeof Frame)[keyof typeof Frame];

/**
 * Builds the plain text while htmlparser2 streams events, following PocketBase's tree walk: text with
 * whitespace runs collapsed, one space around blocks, excluded elements skipped. Once the text is
 * past max+2, elements met afterwards are skipped as PocketBase does (their text no longer counts),
 * and parsing stops as soon as the outcome can no longer change.
 */
class ExcerptWriter implements Partial<Handler> {
  /** The implied <html> block opens the walk with a space. */
  text = ' ';
  done = false;
  parser: Parser | null = null;
  private size = 1; // code points in `text`
  private firstVisible = -1; // code point index of the first non-space character
  private hasPrevSpace = true;
  private inBody = false;
  private muted = 0;
  private readonly frames: Frame[] = [];

  constructor(private readonly max: number) {}

  onopentagname(name: string): void {
    if (this.done) return;
    if (this.muted > 0) return this.push(Frame.Muted);
    if (SHELL_ELEMENTS.has(name)) {
      if (name === 'body') this.inBody = true;
      return this.push(Frame.Shell);
    }
    if (!this.inBody) {
      if (HEAD_ELEMENTS.has(name)) return this.push(Frame.Muted);
      this.inBody = true;
    }
    if (EXCLUDED_ELEMENTS.has(name)) return this.push(Frame.Muted);
    const block = !INLINE_ELEMENTS.has(name);
    if (block) this.separate();
    // Measured in code points; PocketBase measures bytes here, which cuts multi-byte text short.
    if (this.size > this.max + 2) return this.push(Frame.Muted);
    this.push(block ? Frame.Block : Frame.Inline);
  }

  onclosetag(): void {
    if (this.done) return;
    const frame = this.frames.pop();
    if (frame === Frame.Muted) this.muted--;
    else if (frame === Frame.Block) this.separate();
  }

  ontext(data: string): void {
    if (this.done || this.muted > 0) return;
    if (!this.inBody) {
      if (HTML_WHITESPACE_ONLY.test(data)) return;
      this.inBody = true;
    }
    let txt = (data.includes('\0') ? data.replaceAll('\0', '') : data).replace(HTML_WHITESPACE_RUN, ' ');
    if (this.hasPrevSpace && txt.startsWith(' ')) txt = txt.slice(1);
    if (txt === '') return;
    this.hasPrevSpace = txt.endsWith(' ');
    this.write(txt);
  }

  /** The space around a block, unless one was just written. */
  private separate(): void {
    if (this.hasPrevSpace) return;
    this.hasPrevSpace = true;
    this.write(' ');
  }

  private push(frame: Frame): void {
    if (frame === Frame.Muted) this.muted++;
    this.frames.push(frame);
  }

  private write(s: string): void {
    this.text += s;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xdc00 && c <= 0xdfff) continue; // second half of a pair: already counted
      const index = this.size++;
      if (isGoSpace(c)) continue;
      if (this.firstVisible < 0) this.firstVisible = index;
      // A visible character past max after trimming: the cut and the ellipsis are now settled.
      if (index - this.firstVisible >= this.max) {
        this.done = true;
        this.parser?.pause();
        return;
      }
    }
  }
}

/**
 * PocketBase's `excerpt` modifier: the plain text of an HTML string, cut to `max` code points, with
 * `...` appended when `withEllipsis` is set and the text was longer.
 */
export function plainTextExcerpt(html: string, max: number, withEllipsis: boolean): string {
  const writer = new ExcerptWriter(max);
  if (!html.includes('<') && !html.includes('&')) {
    writer.ontext(html); // no markup and no entities: one text node, no parser needed
  } else {
    const parser = new Parser(writer, { decodeEntities: true });
    writer.parser = parser;
    parser.end(html);
  }
  const text = goTrimSpace(writer.text);
  const cut = codePointOffset(text, max);
  if (cut < 0) return text;
  return goTrimSpace(text.slice(0, cut)) + (withEllipsis ? '...' : '');
}

/** The string offset just past the first `count` code points, or -1 when `s` has no more than that. */
function codePointOffset(s: string, count: number): number {
  if (s.length <= count) return -1;
  let seen = 0;
  for (let i = 0; i < s.length; i++) {
    if (seen === count) return i;
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    seen++;
  }
  return -1;
}
