import { describe, expect, test } from 'vitest';
import { newAuthSecret, newTokenKey, TOKEN_KEY_AUTOGENERATE_PATTERN } from './keys.ts';

describe('random keys', () => {
  test.each([
    ['newTokenKey', newTokenKey],
    ['newAuthSecret', newAuthSecret],
  ])('%s: 50 characters of [a-zA-Z0-9], different every time', (_name, make) => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const key = make();
      expect(key).toMatch(/^[a-zA-Z0-9]{50}$/);
      seen.add(key);
    }
    expect(seen.size).toBe(200);
  });

  test('token keys match the tokenKey field pattern PocketBase gives new auth collections', () => {
    expect(newTokenKey()).toMatch(new RegExp(`^${TOKEN_KEY_AUTOGENERATE_PATTERN}$`));
    // and the pattern of collections migrated from v0.22, as in PocketBase's own test data
    expect(newTokenKey()).toMatch(/^[a-zA-Z0-9_]{50}$/);
  });
});
