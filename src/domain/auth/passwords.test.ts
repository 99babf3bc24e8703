import bcrypt from 'bcryptjs';
import { hash as argon2Hash } from '@node-rs/argon2';
import { describe, expect, test } from 'vitest';
import { ARGON2_PARAMS, hashPassword, needsRehash, verifyPassword } from './passwords.ts';

describe('hashPassword', () => {
  test('makes an argon2id PHC string with the documented parameters', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  });

  test('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
  });
});

describe('verifyPassword with argon2id', () => {
  test('accepts the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse');
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horsE', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  test('handles non-ASCII passwords', async () => {
    const hash = await hashPassword('пароль-密码-🔑');
    expect(await verifyPassword('пароль-密码-🔑', hash)).toBe(true);
    expect(await verifyPassword('пароль-密码-🔐', hash)).toBe(false);
  });
});

describe('verifyPassword with bcrypt (PocketBase hashes)', () => {
  test.each(['2a', '2b', '2y'])('verifies a $%s$ hash', async (revision) => {
    const made = await bcrypt.hash('1234567890', 4); // $2b$; revisions differ only in the prefix
    const hash = `$${revision}$${made.slice(4)}`;
    expect(await verifyPassword('1234567890', hash)).toBe(true);
    expect(await verifyPassword('1234567891', hash)).toBe(false);
  });

  test('counts only the first 72 bytes, like Go bcrypt and so PocketBase', async () => {
    const long = 'a'.repeat(72);
    const hash = await bcrypt.hash(long, 4);
    expect(await verifyPassword(long + 'anything', hash)).toBe(true);
    expect(await verifyPassword(long.slice(1), hash)).toBe(false);
  });
});

describe('verifyPassword never throws on garbage', () => {
  const garbage = [
    '',
    'garbage',
    'plain text password',
    '$argon2id$',
    '$argon2id$v=19$m=19456,t=2,p=1$bm90YmFzZTY0$!!!',
    '$argon2id$v=19$m=abc,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA',
    '$2a$10$short',
    `$2q$10$${'a'.repeat(53)}`,
    `$2a$99$${'a'.repeat(53)}`,
    `$2a$10$${'\u00e9'.repeat(53)}`,
    '$pbkdf2-sha256$29000$N2bsXYvRWoux$abc',
  ];
  test.each(garbage)('%j -> false', async (hash) => {
    await expect(verifyPassword('1234567890', hash)).resolves.toBe(false);
  });

  test('non-string input -> false', async () => {
    await expect(verifyPassword(undefined as unknown as string, 'x')).resolves.toBe(false);
    await expect(verifyPassword('x', null as unknown as string)).resolves.toBe(false);
    await expect(verifyPassword({} as unknown as string, await hashPassword('x'))).resolves.toBe(false);
  });
});

describe('needsRehash', () => {
  test('bcrypt hashes need rehashing', async () => {
    expect(needsRehash(await bcrypt.hash('x', 4))).toBe(true);
  });

  test('a fresh argon2id hash does not', async () => {
    expect(needsRehash(await hashPassword('x'))).toBe(false);
  });

  test('other argon2 variants and weaker argon2id parameters do', async () => {
    expect(needsRehash(await argon2Hash('x', { ...ARGON2_PARAMS, algorithm: 1 as typeof ARGON2_PARAMS.algorithm }))).toBe(true);
    expect(needsRehash(await argon2Hash('x', { ...ARGON2_PARAMS, memoryCost: 4096 }))).toBe(true);
    expect(needsRehash(await argon2Hash('x', { ...ARGON2_PARAMS, timeCost: 1 }))).toBe(true);
  });

  test('garbage does not (there is nothing to upgrade)', () => {
    for (const hash of ['', 'garbage', '$argon2id$broken', undefined as unknown as string]) expect(needsRehash(hash)).toBe(false);
  });
});
