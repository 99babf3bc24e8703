import { describe, expect, it } from 'vitest';
import { parseTopic, snakeCase } from './topics.ts';

/** A topic as the SDK builds it: `topic?options=<encodeURIComponent(JSON)>`. */
const withOptions = (topic: string, options: unknown) => `${topic}?options=${encodeURIComponent(JSON.stringify(options))}`;

describe('parseTopic', () => {
  it('keeps the topic as its event name and its part before `?` as its base', () => {
    expect(parseTopic('posts/*')).toMatchObject({ name: 'posts/*', base: 'posts/*', options: { query: {}, headers: {} }, optionsKey: '' });
    const name = withOptions('posts/abc', { query: { filter: "a = 'b'" } });
    expect(parseTopic(name)).toMatchObject({ name, base: 'posts/abc', options: { query: { filter: "a = 'b'" } } });
  });

  it('reads the options as PocketBase does: values as cast.ToString makes them, header names snake-cased, keys case-insensitive', () => {
    const t = parseTopic(withOptions('posts/*', {
      Query: { expand: 'tag', page: 2, big: 1e21, small: 1e-7, yes: true, none: null, list: [1], obj: { a: 1 } },
      HEADERS: { 'X-Token': 'abc', myTestDB: 1 },
    }));
    expect({ ...t.options.query }).toEqual({ expand: 'tag', page: '2', big: '1000000000000000000000', small: '0.0000001', yes: 'true', none: '', list: '', obj: '' });
    expect({ ...t.options.headers }).toEqual({ x_token: 'abc', my_test_db: '1' });
  });

  it('ignores options it cannot read, as Go\'s url and json packages fail on them', () => {
    for (const topic of [
      'posts/*?options={bad json',
      `posts/*?options=${encodeURIComponent('[1]')}`,
      `posts/*?options=${encodeURIComponent('{"query":"x"}')}`,
      `posts/%zz?options=${encodeURIComponent('{"query":{"a":"1"}}')}`,
      `posts/*?options=${encodeURIComponent('{"query":{"a":"1"}}')}#%zz`,
      `:posts/*?options=${encodeURIComponent('{"query":{"a":"1"}}')}`,
      `1a:b/*?options=${encodeURIComponent('{"query":{"a":"1"}}')}`,
      `posts/*?options=${encodeURIComponent('{"query":{"a":"1"}}')};x`,
      `posts/*\n?options=${encodeURIComponent('{"query":{"a":"1"}}')}`,
    ]) {
      expect({ ...parseTopic(topic).options.query }, topic).toEqual({});
    }
    // Another parameter first, `+` as a space, and the first `options` wins.
    const t = parseTopic(`posts/*?x=1&options=${encodeURIComponent('{"query":{"a":"b c"}}').replace('%20', '+')}&options=%7B%7D`);
    expect({ ...t.options.query }).toEqual({ a: 'b c' });
  });

  it('gives equal options one key whatever their order, and different ones different keys', () => {
    const a = parseTopic(withOptions('posts/*', { query: { a: '1', b: '2' }, headers: { h: 'x' } }));
    const b = parseTopic(withOptions('pbc_1/*', { headers: { h: 'x' }, query: { b: 2, a: 1 } }));
    const c = parseTopic(withOptions('posts/*', { query: { a: '1' } }));
    expect(a.optionsKey).toBe(b.optionsKey);
    expect(a.optionsKey).not.toBe(c.optionsKey);
    expect(parseTopic(withOptions('posts/*', { query: {} })).optionsKey).toBe(parseTopic('posts/*').optionsKey);
  });
});

describe('snakeCase (PocketBase\'s inflector.Snakecase)', () => {
  it.each([
    ['X-Token', 'x_token'],
    ['myTestDB', 'my_test_db'],
    ['already_snake', 'already_snake'],
    ['  Content--Type  ', 'content_type'],
    ['ABC', 'abc'],
    ['héllo', 'h_llo'],
  ])('%s -> %s', (input, expected) => {
    expect(snakeCase(input)).toBe(expected);
  });
});
