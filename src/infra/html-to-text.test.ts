import { describe, expect, it } from 'vitest';
import { htmlToText } from './html-to-text.ts';

describe('htmlToText (PocketBase html2Text)', () => {
  it.each([
    ['', ''],
    ['ab  c', 'ab c'],
    ['<!-- a comment -->   a   ', 'a'],
    ['<span>a</span>b<span>c</span>', 'abc'],
    ['<span>a</span>   b   <div>c</div>', 'a b \r\nc'],
    ['<a href="a/b/c">test</a>', '[test](a/b/c)'],
    ['<a href="">test</a>', '[test]'],
    ['<a href="x"><img src="y"></a>', '[LINK](x)'],
    ['<p>one</p><p>two<br>three</p>', 'one\r\ntwo\r\nthree'],
    ['<ul><li>a</li><li>b</li></ul>', '- a\r\n- b'],
    ['<style>p { color: red }</style><script>x()</script><p>kept</p>', 'kept'],
    ['<p>a &amp; b</p>', 'a & b'],
  ])('%j -> %j', (html, text) => {
    expect(htmlToText(html)).toBe(text);
  });
});
