/**
 * The plain-text part of an HTML mail, as PocketBase derives it (tools/mailer/html2text.go):
 * whitespace collapsed, a line break before each block element and for each <br>, list items
 * prefixed with "- ", links as `[label](href)`, the content of <style>, <script>, forms and
 * images left out. Rudimentary on purpose: mail clients show the HTML part.
 */
import { Parser, type Handler } from 'htmlparser2';

const SKIPPED = new Set([
  'style', 'script', 'iframe', 'applet', 'object', 'svg', 'img',
  'button', 'form', 'textarea', 'input', 'select', 'option', 'template',
]);
const INLINE = new Set(['a', 'span', 'small', 'strike', 'strong', 'sub', 'sup', 'em', 'b', 'u', 'i']);
const WHITESPACE_RUN = /[\t\n\f\r ]+/g;

class TextWriter implements Partial<Handler> {
  text = '';
  /** Label of the <a> being read, and its href. Links do not nest in HTML. */
  private link: { label: string; href: string } | undefined;
  private canAddNewLine = false;
  private skipped = 0;

  onopentag(name: string, attributes: Record<string, string>): void {
    if (this.skipped > 0 || SKIPPED.has(name)) {
      this.skipped++;
      return;
    }
    if (name === 'br') {
      this.write('\r\n');
      this.canAddNewLine = false;
    } else if (this.canAddNewLine && !INLINE.has(name)) {
      this.write('\r\n');
      this.canAddNewLine = false;
    }
    if (name === 'li') this.write('- ');
    if (name === 'a') this.link = { label: '', href: attributes.href ?? '' };
  }

  onclosetag(name: string): void {
    if (this.skipped > 0) {
      this.skipped--;
      return;
    }
    if (name !== 'a' || !this.link) return;
    const { label, href } = this.link;
    this.link = undefined;
    this.text += `[${label.trim() || 'LINK'}]${href ? `(${href})` : ''}`;
  }

  ontext(data: string): void {
    if (this.skipped > 0) return;
    let txt = data.replace(WHITESPACE_RUN, ' ');
    // The previous node ended a line, so the indentation can go.
    if (!this.canAddNewLine) txt = txt.trimStart();
    if (txt === '') return;
    this.write(txt);
    this.canAddNewLine = true;
  }

  private write(s: string): void {
    if (this.link) this.link.label += s;
    else this.text += s;
  }
}

export function htmlToText(html: string): string {
  const writer = new TextWriter();
  const parser = new Parser(writer, { decodeEntities: true });
  parser.end(html);
  return writer.text.trim();
}
