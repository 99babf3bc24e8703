import { describe, expect, test } from 'vitest';
import { ApiError } from '../../kernel/errors.ts';
import {
  MAX_FIELDS_ENTRIES,
  MAX_FIELDS_PARAM_LENGTH,
  parseFieldsParam,
  pickFields,
  pickFieldsFromList,
  plainTextExcerpt,
} from './picker.ts';

const pick = (data: unknown, fields: string) => pickFields(data, parseFieldsParam(fields));

function badRequestMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(400);
    return (e as ApiError).message;
  }
  throw new Error('expected a 400 ApiError');
}

describe('parseFieldsParam', () => {
  test.each([
    ['', []],
    [' , ,, ', []],
    ['id, title ,\tcreated\n', ['id', 'title', 'created']],
    ['*,expand.author.name', ['*', 'expand.author.name']],
    ['body:excerpt(120, true),id', ['body', 'id']],
    ['"a,b",c', ['"a,b"', 'c']], // quotes group and stay in the path, as in PocketBase
    ['x\\,y', ['x\\', 'y']], // a backslash only guards quotes and parentheses
    ['summary :excerpt(5)', ['summary']], // PocketBase would keep the space in the path
  ])('%j lists %j', (raw, paths) => {
    expect(parseFieldsParam(raw).entries.map((e) => e.path)).toEqual(paths);
  });

  test('keeps commas inside excerpt(...) and reads its arguments', () => {
    const { entries } = parseFieldsParam('body:excerpt(200,true),title:excerpt( 3 )');
    expect(entries.map((e) => [e.path, e.modifier])).toEqual([
      ['body', { kind: 'excerpt', max: 200, withEllipsis: true }],
      ['title', { kind: 'excerpt', max: 3, withEllipsis: false }],
    ]);
  });

  test('returns a frozen selection', () => {
    const selection = parseFieldsParam('a:excerpt(3),b.c');
    expect(Object.isFrozen(selection)).toBe(true);
    expect(Object.isFrozen(selection.entries)).toBe(true);
    expect(Object.isFrozen(selection.entries[0].modifier)).toBe(true);
  });

  test('a NUL ends the parameter where a field would start, like Go reading end of input', () => {
    expect(parseFieldsParam('a\0b,c').entries.map((e) => e.path)).toEqual(['a', 'b', 'c']);
    expect(parseFieldsParam('a,\0b,c').entries.map((e) => e.path)).toEqual(['a']);
  });

  test.each([
    ['12', 12],
    ['12.9', 12], // cast truncates decimals
    ['0x1F', 31],
    ['0b101', 5],
    ['0o17', 15],
    ['017', 15], // a leading zero means octal to strconv.ParseInt
    ['1_000', 1000],
    ['+7', 7],
    ['9223372036854775807', 9223372036854775807],
  ])('excerpt max %s reads as %d', (arg, max) => {
    expect(parseFieldsParam(`a:excerpt(${arg})`).entries[0].modifier?.max).toBe(max);
  });

  test.each([
    ['1', true],
    ['t', true],
    ['TRUE', true],
    ['True', true],
    ['false', false],
    ['yes', false], // strconv.ParseBool fails, cast falls back to false
    ['"true"', false], // quotes stay part of the argument
  ])('excerpt withEllipsis %s reads as %s', (arg, withEllipsis) => {
    expect(parseFieldsParam(`a:excerpt(5,${arg})`).entries[0].modifier?.withEllipsis).toBe(withEllipsis);
  });

  test.each([
    ['a:excerpt', /excerpt needs a max argument/],
    ['a:excerpt()', /excerpt needs a max argument/],
    ['a:excerpt(1,true,x)', /at most 2 arguments/],
    ['a:excerpt(abc)', /max must be a number > 0/],
    ['a:excerpt(0)', /max must be a number > 0/],
    ['a:excerpt(-5)', /max must be a number > 0/],
    ['a:excerpt(08)', /max must be a number > 0/], // not valid octal
    ['a:excerpt(1__0)', /max must be a number > 0/],
    ['a:excerpt(9223372036854775808)', /max must be a number > 0/], // overflows int64
    ['a:', /empty modifier in "a:"/],
    ['a:upper(3)', /unknown modifier "upper" in "a:upper\(3\)"/],
    ['a:excerpt(3', /unbalanced parenthesis or quotes in "a:excerpt\(3"/],
    ['a,"b', /unbalanced parenthesis or quotes in "\\"b"/],
  ])('%j is a 400 naming the problem', (raw, problem) => {
    const message = badRequestMessage(() => parseFieldsParam(raw));
    expect(message).toMatch(/^Invalid "fields" parameter: /);
    expect(message).toMatch(problem);
  });

  test(`accepts up to ${MAX_FIELDS_PARAM_LENGTH} characters`, () => {
    const exact = 'a'.repeat(MAX_FIELDS_PARAM_LENGTH);
    expect(parseFieldsParam(exact).entries).toHaveLength(1);
    expect(badRequestMessage(() => parseFieldsParam(exact + 'a'))).toMatch(/at most 1000 characters/);
  });

  test(`accepts up to ${MAX_FIELDS_ENTRIES} fields`, () => {
    const names = Array.from({ length: MAX_FIELDS_ENTRIES + 1 }, (_, i) => `f${i}`);
    expect(parseFieldsParam(names.slice(0, -1).join(',')).entries).toHaveLength(MAX_FIELDS_ENTRIES);
    expect(badRequestMessage(() => parseFieldsParam(names.join(',')))).toMatch(/at most 100 fields/);
  });
});

describe('pickFields', () => {
  const post = {
    id: 'p1',
    title: 'Hello',
    views: 3,
    expand: {
      author: { id: 'u1', name: 'Ann', email: 'ann@example.com', avatar: { small: 's.png', large: 'l.png' } },
      tags: [
        { id: 't1', label: 'go', color: 'blue' },
        { id: 't2', label: 'ts', color: 'red' },
      ],
    },
  };

  test.each<[string, unknown, string, unknown]>([
    ['an empty parameter keeps everything', { a: 1, b: 2 }, '', { a: 1, b: 2 }],
    ['unknown fields give an empty object', { a: 1, b: 2 }, 'nope', {}],
    ['a string is left alone', 'plain', 'a,b', 'plain'],
    ['an array of non-objects is left alone', ['x', 'y'], 'x', ['x', 'y']],
    ['an array whose first item is not an object is left alone', [1, { a: 1, b: 2 }], 'a', [1, { a: 1, b: 2 }]],
    ['entries are trimmed; missing ones ignored', { a: 1, b: 2, c: 'x' }, ' a ,  c\t, zz', { a: 1, c: 'x' }],
    ['each object of an array is picked', [{ a: 1, b: 1 }, { a: 2, c: 2 }], 'a', [{ a: 1 }, { a: 2 }]],
    ['null and scalar values are kept as they are', { a: null, b: false, c: 0 }, 'a,b,c', { a: null, b: false, c: 0 }],
    ['a path through a scalar keeps nothing of it', { a: 5, b: 1 }, 'a.x,b', { a: 5, b: 1 }],
    ['a whole nested value is kept by its key', post, 'id,expand', { id: 'p1', expand: post.expand }],
    ['root wildcard keeps every key', { a: 1, b: { c: 2 } }, '*', { a: 1, b: { c: 2 } }],
    [
      'nested paths pick inside objects and arrays of objects',
      post,
      'title, expand.author.name, expand.tags.label, expand.author.avatar.small',
      { title: 'Hello', expand: { author: { name: 'Ann', avatar: { small: 's.png' } }, tags: [{ label: 'go' }, { label: 'ts' }] } },
    ],
    [
      'root wildcard with a nested exception',
      post,
      '*,expand.author.id',
      { id: 'p1', title: 'Hello', views: 3, expand: { author: { id: 'u1' } } },
    ],
    [
      'sub wildcard',
      post,
      'id,expand.author.*',
      { id: 'p1', expand: { author: post.expand.author } },
    ],
    [
      'sub wildcard with a nested exception',
      post,
      'id,expand.author.*,expand.author.avatar.large',
      { id: 'p1', expand: { author: { id: 'u1', name: 'Ann', email: 'ann@example.com', avatar: { large: 'l.png' } } } },
    ],
    ['an exact path wins over deeper ones', post, 'expand.author.avatar.small,expand.author', { expand: { author: post.expand.author } }],
    [
      'objects in an array that lack the path stay as empty objects',
      { list: [{ d: [{ x: 1 }, { y: 2 }] }, { e: 1 }] },
      'list.d.x',
      { list: [{ d: [{ x: 1 }, {}] }, {}] },
    ],
    ['keys with dots are matched by the path they spell', { 'a.b': 1, a: { b: 2, c: 3 }, z: 0 }, 'a.b', { 'a.b': 1, a: { b: 2 } }],
    ['a trailing dot names the key itself', { a: { b: 1 }, c: 2 }, 'a.', { a: { b: 1 } }],
    ['a literal "*" key is kept by the wildcard entry', { '*': 1, b: 2 }, '*', { '*': 1, b: 2 }],
  ])('%s', (_name, data, fields, expected) => {
    expect(pick(data, fields)).toEqual(expected);
  });

  test('wildcard and excerpt modifiers, with a more specific entry taking over its key', () => {
    const data = { id: '123', title: 'lorem', rel: { id: '456', title: '<p>rel_title</p>', sub: { id: '789' } } };
    expect(pick(data, '*:excerpt(2),rel.title:excerpt(3, true)')).toEqual({ id: '12', title: 'lo', rel: { title: 'rel...' } });
    expect(pick(data, '*:excerpt(2),title')).toEqual({ id: '12', title: 'lorem', rel: data.rel });
  });

  test('a modifier leaves non-string values untouched', () => {
    const data = { n: 12345, list: ['<b>long text</b>'], obj: { html: '<i>x</i>' }, none: null };
    expect(pick(data, 'n:excerpt(2),list:excerpt(2),obj:excerpt(2),none:excerpt(2),missing:excerpt(2)')).toEqual(data);
  });

  test('values with toJSON are converted before picking, as PocketBase marshals first', () => {
    class Model {
      toJSON() {
        return { id: 'm1', secret: 'x' };
      }
    }
    const data = { when: new Date('2024-05-06T07:08:09.000Z'), model: new Model() };
    expect(pick(data, 'when:excerpt(10),model.id')).toEqual({ when: '2024-05-06', model: { id: 'm1' } });
  });

  test('does not mutate the input', () => {
    const data = structuredClone(post);
    pick(data, '*,expand.author.name,title:excerpt(2)');
    expect(data).toEqual(post);
  });

  test('a "__proto__" key in the data stays an ordinary key', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const out = pick(data, '*') as Record<string, unknown>;
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"a":1}');
    const some = pick(data, '__proto__.polluted') as Record<string, unknown>;
    expect(Object.getPrototypeOf(some)).toBe(Object.prototype);
    expect(JSON.stringify(some)).toBe('{"__proto__":{"polluted":true}}');
  });

  test('a later entry for the same path replaces the earlier one', () => {
    expect(pick({ a: 'abcdef' }, 'a:excerpt(2),a')).toEqual({ a: 'abcdef' });
    expect(pick({ a: 'abcdef' }, 'a,a:excerpt(2)')).toEqual({ a: 'ab' });
  });

  test('pickFieldsFromList picks each item, and one selection serves many calls', () => {
    const selection = parseFieldsParam('id,expand.tags.id');
    const items = [post, { ...post, id: 'p2' }];
    const expected = { expand: { tags: [{ id: 't1' }, { id: 't2' }] } };
    expect(pickFieldsFromList(items, selection)).toEqual([{ id: 'p1', ...expected }, { id: 'p2', ...expected }]);
    expect(pickFieldsFromList(items, parseFieldsParam(''))).toEqual(items);
  });
});

describe('plainTextExcerpt', () => {
  // The same features as PocketBase's own table: excluded script, whitespace runs, blocks, inline
  // runs, nested inline elements and a trailing block, in a document of our own.
  const html = `\n<style>p{}</style>  <h2>Intro</h2><section class="x">fo  o<em>ba\n\tr</em><code>9</code></section><a>one <i>2</i> three<span>(<strong>x</strong><i> y </i><i>z </i>w</span>)<p>end</p>`;
  const text = 'Intro fo oba r9 one 2 three(x y z w) end';

  test.each<[string, number, boolean, string]>([
    ['max below the length', 3, false, text.slice(0, 3)],
    ['max at the length', text.length, false, text],
    ['max above the length', text.length + 4, false, text],
    ['ellipsis, max below the length', 3, true, `${text.slice(0, 3)}...`],
    ['ellipsis, max at the length', text.length, true, text],
    ['ellipsis, max above the length', text.length + 4, true, text],
    ['a cut before a space is trimmed', 6, true, 'Intro...'],
  ])('%s', (_name, max, withEllipsis, expected) => {
    expect(plainTextExcerpt(html, max, withEllipsis)).toBe(expected);
  });

  test.each<[string, string, number, boolean, string]>([
    ['multi-byte text within max', 'жё\nщ ', 4, true, 'жё щ'],
    ['multi-byte text over max', 'жё\nщ ', 3, true, 'жё...'],
    ['astral characters count once', '😀😀😀😀', 3, true, '😀😀😀...'],
    ['multi-byte paragraphs count characters, not bytes', '<p>абв</p><p>где</p>', 4, true, 'абв...'],
    ['plain text needs no markup', '  just   words  ', 50, false, 'just words'],
    ['entities are decoded', 'a &amp; b &lt;c&gt; &copy;', 50, false, 'a & b <c> ©'],
    ['non-breaking spaces are not collapsed but trimmed at the ends', '&nbsp;a&nbsp;&nbsp;b&nbsp;', 50, false, 'a\u00a0\u00a0b'],
    ['br is inline', 'a<br>b<br/>c', 50, false, 'abc'],
    ['elements outside the inline list are blocks, even u and mark', 'a<u>b</u>c<mark>d</mark>e', 50, false, 'a b c d e'],
    ['comments and doctype are skipped', '<!doctype html><!-- note -->a<!-- x -->b', 50, false, 'ab'],
    [
      'contents of excluded elements are skipped',
      'a<img src=x>b<svg><text>no</text></svg>c<form>f</form>d<select><option>o</option></select>e<button>x</button>g<textarea>t</textarea>h',
      50,
      false,
      'abcdegh',
    ],
    ['raw text elements hide markup-like text', '<script>if (a<b) {"</p>"}</script>ok<iframe><p>x</p></iframe>!', 50, false, 'ok!'],
    ['a leading title belongs to the head', '<title>Doc</title><meta charset=utf-8><p>Body</p>', 50, false, 'Body'],
    ['a title after content is ordinary text', '<p>Body</p><title>Doc</title>', 50, false, 'Body Doc'],
    ['the document shell adds nothing', '<html><head><title>T</title></head><body><b>x</b>y</body></html>z', 50, false, 'xyz'],
    ['blocks separate words once', '<div><p>a</p>\n\n<p>b</p></div><ul><li>c</li><li>d</li></ul>', 50, false, 'a b c d'],
    ['an unmatched </p> makes an empty paragraph', 'a</p>b', 50, false, 'a b'],
    // PocketBase stops entering elements once past max+2 characters, even when those are only
    // non-breaking spaces that are trimmed later; text directly in open elements still counts.
    ['elements met past max+2 characters are dropped', `<p>${'&nbsp;'.repeat(10)}</p><p>Hello</p>`, 3, true, ''],
    ['text of open elements past max+2 still counts', `<div>${'&nbsp;'.repeat(10)}<b>x</b>tail</div>`, 3, true, 'tai...'],
    ['empty input', '', 10, true, ''],
    ['markup only', '<p> </p><img>', 10, true, ''],
  ])('%s', (_name, input, max, withEllipsis, expected) => {
    expect(plainTextExcerpt(input, max, withEllipsis)).toBe(expected);
  });

  test('stops early on long documents without changing the result', () => {
    const paragraphs = Array.from({ length: 20_000 }, (_, i) => `<p>para ${i} <b>bold</b></p>`).join('\n');
    const full = plainTextExcerpt(paragraphs, 1_000_000, false);
    expect(full.startsWith('para 0 bold para 1 bold')).toBe(true);
    for (const max of [1, 5, 6, 7, 100, 1234]) {
      const expected = full.slice(0, max).trim() + '...';
      expect(plainTextExcerpt(paragraphs, max, true)).toBe(expected);
    }
  });
});
