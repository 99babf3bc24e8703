import { base64url, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { newAuthSecret, newTokenKey } from './keys.ts';
import {
  extractToken,
  isRefreshable,
  parseTokenClaims,
  signAuthToken,
  signEmailChangeToken,
  signPasswordResetToken,
  signRecordToken,
  signVerificationToken,
  TokenType,
  verifyAuthToken,
  verifyEmailFlowToken,
  verifyRecordToken,
  type TokenClaims,
  type TokenCollection,
} from './tokens.ts';

// --- builders -------------------------------------------------------------------------------

const tokenOptions = (duration: number) => ({ secret: newAuthSecret(), duration });

function authCollection(overrides: { id?: string; authDuration?: number } = {}): TokenCollection {
  return {
    id: overrides.id ?? 'pbc_test_users',
    type: 'auth',
    options: {
      authToken: tokenOptions(overrides.authDuration ?? 1_209_600),
      fileToken: tokenOptions(180),
      verificationToken: tokenOptions(86_400),
      passwordResetToken: tokenOptions(1_800),
      emailChangeToken: tokenOptions(1_800),
    },
  };
}

const authRecord = (id = 'abcdefghij12345') => ({ id, email: 'a@example.com', tokenKey: newTokenKey() });

const withAuthSecret = (c: TokenCollection, secret: string): TokenCollection => ({
  ...c,
  options: { ...c.options, authToken: { ...(c.options.authToken as object), secret } },
});

const decodePayloadText = (token: string) => new TextDecoder().decode(base64url.decode(token.split('.')[1]));
const keyOf = (record: { tokenKey: string }, c: TokenCollection) =>
  new TextEncoder().encode(record.tokenKey + (c.options.authToken as { secret: string }).secret);
const at = (iso: string) => new Date(iso);

// --- signing --------------------------------------------------------------------------------

describe('signAuthToken', () => {
  test('makes the same JWT layout PocketBase does', async () => {
    const collection = authCollection({ authDuration: 1000 });
    const record = authRecord();
    const token = await signAuthToken(record, collection, { now: at('2030-01-01T00:00:00.900Z') });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const exp = Date.UTC(2030, 0, 1) / 1000 + 1000;
    expect(decodePayloadText(token)).toBe(
      `{"collectionId":"pbc_test_users","exp":${exp},"id":"abcdefghij12345","refreshable":true,"type":"auth"}`,
    );
  });

  test('round-trips through verifyAuthToken', async () => {
    const collection = authCollection();
    const record = authRecord();
    const token = await signAuthToken(record, collection);
    const claims = await verifyAuthToken(token, record, collection);
    expect(claims).toMatchObject({ id: record.id, collectionId: collection.id, type: 'auth', refreshable: true });
    expect(isRefreshable(claims!)).toBe(true);
  });

  test('static tokens: refreshable false and a custom duration', async () => {
    const collection = authCollection({ authDuration: 1000 });
    const record = authRecord();
    const now = at('2030-01-01T00:00:00Z');
    const token = await signAuthToken(record, collection, { refreshable: false, duration: 60, now });
    const claims = await verifyAuthToken(token, record, collection, { now });
    expect(claims?.exp).toBe(now.getTime() / 1000 + 60);
    expect(isRefreshable(claims!)).toBe(false);
  });

  test.each([0, -5, Number.NaN])('duration %s falls back to the collection duration', async (duration) => {
    const collection = authCollection({ authDuration: 1000 });
    const now = at('2030-01-01T00:00:00Z');
    const token = await signAuthToken(authRecord(), collection, { duration, now });
    expect(parseTokenClaims(token, { now })?.exp).toBe(now.getTime() / 1000 + 1000);
  });

  test('refuses to sign for a non-auth collection or without any key or duration', async () => {
    const record = authRecord();
    await expect(signAuthToken(record, { ...authCollection(), type: 'base' })).rejects.toThrow(/authToken/);
    await expect(signAuthToken({ id: 'x', tokenKey: '' }, withAuthSecret(authCollection(), ''))).rejects.toThrow(/signing key/);
    await expect(signAuthToken({ tokenKey: 'k' }, authCollection())).rejects.toThrow(/without id/);
    await expect(signAuthToken(record, authCollection({ authDuration: 0 }))).rejects.toThrow(/duration/);
  });
});

// --- verification ---------------------------------------------------------------------------

describe('verifyAuthToken rejects', () => {
  test('a token signed with another collection secret', async () => {
    const collection = authCollection();
    const record = authRecord();
    const token = await signAuthToken(record, collection);
    expect(await verifyAuthToken(token, record, withAuthSecret(collection, newAuthSecret()))).toBeUndefined();
  });

  test('every old token once the record tokenKey changes', async () => {
    const collection = authCollection();
    const record = authRecord();
    const token = await signAuthToken(record, collection);
    expect(await verifyAuthToken(token, record, collection)).toBeDefined();
    const rotated = { ...record, tokenKey: newTokenKey() };
    expect(await verifyAuthToken(token, rotated, collection)).toBeUndefined();
    expect(await verifyAuthToken(await signAuthToken(rotated, collection), rotated, collection)).toBeDefined();
  });

  test('an expired token, from exactly exp on', async () => {
    const collection = authCollection({ authDuration: 100 });
    const record = authRecord();
    const issued = at('2030-01-01T00:00:00Z');
    const token = await signAuthToken(record, collection, { now: issued });
    const after = (s: number) => ({ now: new Date(issued.getTime() + s * 1000) });
    expect(await verifyAuthToken(token, record, collection, after(99.999))).toBeDefined();
    expect(await verifyAuthToken(token, record, collection, after(100))).toBeUndefined();
  });

  test('a token that expired by the real clock', async () => {
    const collection = authCollection();
    const record = authRecord();
    const token = await signAuthToken(record, collection, { duration: 10, now: new Date(Date.now() - 3_600_000) });
    expect(await verifyAuthToken(token, record, collection)).toBeUndefined();
  });

  test('a token of another type, even for the same record', async () => {
    const collection = authCollection();
    const record = authRecord();
    const fileToken = await signRecordToken(record, collection, TokenType.file);
    expect(await verifyAuthToken(fileToken, record, collection)).toBeUndefined();
    expect(await verifyRecordToken(fileToken, record, collection, TokenType.file)).toMatchObject({ type: 'file' });
  });

  test('a token of another type even when both types share one secret', async () => {
    const base = authCollection();
    const shared = { ...base, options: { ...base.options, fileToken: { ...(base.options.authToken as object), duration: 180 } } };
    const record = authRecord();
    const fileToken = await signRecordToken(record, shared, TokenType.file);
    const authToken = await signAuthToken(record, shared);
    expect(await verifyAuthToken(fileToken, record, shared)).toBeUndefined();
    expect(await verifyRecordToken(authToken, record, shared, TokenType.file)).toBeUndefined();
  });

  test('a token for another record or another collection', async () => {
    const collection = authCollection();
    const record = authRecord();
    const token = await signAuthToken(record, collection);
    expect(await verifyAuthToken(token, { ...record, id: 'zzzzzzzzzzzzzzz' }, collection)).toBeUndefined();
    expect(await verifyAuthToken(token, record, { ...collection, id: 'pbc_other' })).toBeUndefined();
    expect(await verifyAuthToken(token, record, { ...collection, type: 'base' })).toBeUndefined();
  });

  test('a tampered payload', async () => {
    const collection = authCollection();
    const record = authRecord();
    const [h, , s] = (await signAuthToken(record, collection)).split('.');
    const payload = base64url.encode(JSON.stringify({ collectionId: collection.id, exp: 4_000_000_000, id: record.id, refreshable: true, type: 'auth' }));
    expect(await verifyAuthToken(`${h}.${payload}.${s}`, record, collection)).toBeUndefined();
  });

  test('alg none, other algorithms, and tokens without exp', async () => {
    const collection = authCollection();
    const record = authRecord();
    const claims = { id: record.id, collectionId: collection.id, type: 'auth', refreshable: true };
    const none = new UnsecuredJWT({ ...claims, exp: 4_000_000_000 }).encode();
    const hs512 = await new SignJWT({ ...claims, exp: 4_000_000_000 }).setProtectedHeader({ alg: 'HS512' }).sign(keyOf(record, collection));
    const noExp = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(keyOf(record, collection));
    for (const token of [none, hs512, noExp]) expect(await verifyAuthToken(token, record, collection)).toBeUndefined();
  });

  test('garbage, oversized and non-string input', async () => {
    const collection = authCollection();
    const record = authRecord();
    const good = await signAuthToken(record, collection);
    const inputs = ['', 'garbage', 'a.b.c', 'a.b', good + 'x', `${good}.extra`, good + ' '.repeat(9000), undefined, null, 42];
    for (const token of inputs) expect(await verifyAuthToken(token as string, record, collection)).toBeUndefined();
  });
});

describe('signRecordToken for the other token types', () => {
  test('each type is signed with its own secret', async () => {
    const collection = authCollection();
    const record = authRecord();
    const token = await signRecordToken(record, collection, TokenType.verification, { email: record.email });
    expect(await verifyRecordToken(token, record, collection, TokenType.verification)).toMatchObject({ email: 'a@example.com' });
    const rotatedVerification = { ...collection, options: { ...collection.options, verificationToken: tokenOptions(86_400) } };
    expect(await verifyRecordToken(token, record, rotatedVerification, TokenType.verification)).toBeUndefined();
    // rotating the verification secret leaves login tokens alone
    const login = await signAuthToken(record, collection);
    expect(await verifyAuthToken(login, record, rotatedVerification)).toBeDefined();
  });

  test('identifying claims cannot be overridden by extra claims', async () => {
    const collection = authCollection();
    const record = authRecord();
    const token = await signRecordToken(record, collection, TokenType.emailChange, { id: 'evil', type: 'auth', newEmail: 'b@example.com' });
    expect(parseTokenClaims(token)).toMatchObject({ id: record.id, type: 'emailChange', newEmail: 'b@example.com' });
  });
});

describe('email flow tokens', () => {
  const signers = {
    verification: (r: ReturnType<typeof authRecord>, c: TokenCollection) => signVerificationToken(r, c, { now: at('2030-01-01T00:00:00Z') }),
    passwordReset: (r: ReturnType<typeof authRecord>, c: TokenCollection) => signPasswordResetToken(r, c, { now: at('2030-01-01T00:00:00Z') }),
    emailChange: (r: ReturnType<typeof authRecord>, c: TokenCollection) =>
      signEmailChangeToken(r, c, 'new@example.com', { now: at('2030-01-01T00:00:00Z') }),
  } as const;

  test.each([
    ['verification', 86_400, ''],
    ['passwordReset', 1_800, ''],
    ['emailChange', 1_800, ',"newEmail":"new@example.com"'],
  ] as const)('%s: PocketBase\'s claims and the collection\'s duration', async (type, duration, extra) => {
    const token = await signers[type](authRecord(), authCollection());
    const exp = Date.UTC(2030, 0, 1) / 1000 + duration;
    expect(decodePayloadText(token)).toBe(
      `{"collectionId":"pbc_test_users","email":"a@example.com","exp":${exp},"id":"abcdefghij12345"${extra},"type":"${type}"}`,
    );
  });

  test('each type is refused where another is expected, the auth type included', async () => {
    const collection = authCollection();
    const record = authRecord();
    const now = at('2030-01-01T00:10:00Z');
    const tokens = {
      verification: await signers.verification(record, collection),
      passwordReset: await signers.passwordReset(record, collection),
      emailChange: await signers.emailChange(record, collection),
    };
    for (const [made, token] of Object.entries(tokens)) {
      for (const expected of [TokenType.verification, TokenType.passwordReset, TokenType.emailChange] as const) {
        const claims = await verifyEmailFlowToken(token, record, collection, expected, { now });
        expect(claims === undefined, `${made} token checked as ${expected}`).toBe(made !== expected);
      }
      expect(await verifyAuthToken(token, record, collection, { now })).toBeUndefined();
    }
    const login = await signAuthToken(record, collection, { now: at('2030-01-01T00:00:00Z') });
    expect(await verifyEmailFlowToken(login, record, collection, TokenType.passwordReset, { now })).toBeUndefined();
  });

  test('a new tokenKey (password or email changed) revokes them', async () => {
    const collection = authCollection();
    const record = authRecord();
    const token = await signPasswordResetToken(record, collection);
    expect(await verifyEmailFlowToken(token, record, collection, TokenType.passwordReset)).toBeDefined();
    expect(await verifyEmailFlowToken(token, { ...record, tokenKey: newTokenKey() }, collection, TokenType.passwordReset)).toBeUndefined();
  });
});

// --- unverified parsing, header parsing -----------------------------------------------------

describe('parseTokenClaims', () => {
  const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('k'));
  const base = { id: 'r1', collectionId: 'c1', type: 'auth' };

  test('reads the identifying claims without a key', async () => {
    expect(parseTokenClaims(await sign({ ...base, exp: 4_000_000_000 }))).toEqual({ ...base, exp: 4_000_000_000 });
  });

  test.each([
    ['missing id', { collectionId: 'c1', type: 'auth' }],
    ['empty type', { ...base, type: '' }],
    ['numeric collectionId', { ...base, collectionId: 5 }],
    ['expired', { ...base, exp: 1_000 }],
    ['string exp', { ...base, exp: '4000000000' }],
    ['nbf in the future', { ...base, nbf: 4_000_000_000 }],
    ['iat in the future', { ...base, iat: 4_000_000_000 }],
  ])('undefined when %s', async (_label, claims) => {
    expect(parseTokenClaims(await sign(claims))).toBeUndefined();
  });

  test.each(['', 'x', 'a.b.c', 'eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.sig', 'eyJhbGciOiJIUzI1NiJ9.WzFd.sig'])('undefined for %j', (token) => {
    expect(parseTokenClaims(token)).toBeUndefined();
  });
});

describe('extractToken', () => {
  test.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['abc.def.ghi', 'abc.def.ghi'],
    ['Bearer ', 'Bearer '], // too short to carry a token: passed through, as in PocketBase, and fails later
    ['Basic dXNlcjpwYXNz', 'Basic dXNlcjpwYXNz'],
    ['', ''],
    [undefined, ''],
    [null, ''],
  ])('%j -> %j', (header, token) => {
    expect(extractToken(header)).toBe(token);
  });
});

describe('isRefreshable', () => {
  const claims = (refreshable: unknown): TokenClaims => ({ id: 'r', collectionId: 'c', type: 'auth', refreshable });
  test.each([
    [true, true],
    [false, false],
    [undefined, false],
    ['true', true],
    ['1', true],
    ['false', false],
    ['yes', false],
    [1, true],
    [0, false],
    [null, false],
  ])('%j -> %s', (value, expected) => {
    expect(isRefreshable(claims(value))).toBe(expected);
  });
});
