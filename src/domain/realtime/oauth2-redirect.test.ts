import { describe, expect, it } from 'vitest';
import { OAuth2RedirectNames } from './oauth2-redirect.ts';

describe('OAuth2RedirectNames (Apple\'s name, kept for auth-with-oauth2)', () => {
  const user = (name: unknown) => JSON.stringify({ name });

  it('keeps "first last" for one minute, for one read', () => {
    let now = 0;
    const names = new OAuth2RedirectNames(() => now);
    names.remember('c1', user({ firstName: 'Grace', lastName: 'Hopper' }));
    names.remember('c2', user({ firstName: 'Ada' }));
    expect(names.take('c1')).toBe('Grace Hopper');
    expect(names.take('c1')).toBeUndefined();
    now = 60_001;
    expect(names.take('c2')).toBeUndefined();
  });

  it('reads the document as Go\'s decoder does: a value of the wrong type drops it, keys match case-insensitively', () => {
    const names = new OAuth2RedirectNames();
    names.remember('a', user({ FIRSTNAME: 'Ada', lastname: null }));
    expect(names.take('a')).toBe('Ada');
    for (const [code, doc] of [
      ['b', user({ firstName: 1 })],
      ['c', user('Ada')],
      ['d', '{not json'],
      ['e', 'null'],
      ['f', user({ firstName: ' ', lastName: '' })],
      ['g', JSON.stringify([1])],
    ]) {
      names.remember(code, doc);
      expect(names.take(code), doc).toBeUndefined();
    }
  });

  it('cuts the name at 150 bytes and refuses codes past PocketBase\'s key length', () => {
    const names = new OAuth2RedirectNames();
    names.remember('long', user({ firstName: 'a'.repeat(200), lastName: 'b' }));
    expect(names.take('long')).toBe('a'.repeat(150));
    names.remember('x'.repeat(986), user({ firstName: 'Ada' }));
    expect(names.take('x'.repeat(986))).toBeUndefined();
    names.remember('x'.repeat(985), user({ firstName: 'Ada' }));
    expect(names.take('x'.repeat(985))).toBe('Ada');
  });
});
