// PocketBase's own storage/ (its test data directory, served from a copy): files, their .attrs
// content types and the thumbs PocketBase made, served as they are; protected files and views.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { describeFixture, fixtureDir } from './support/fixture.ts';
import { dimensions, get } from './support/files.ts';
import { signAuthToken } from '../src/domain/auth/tokens.ts';
import { decodeRow, rowShape } from '../src/domain/records/codec.ts';
import { selectById } from '../src/domain/records/query.ts';

const USERS = '_pb_users_auth_';
const USER_ID = '4q1xlclmfloku33';
const AVATAR = '300_1SEi6Q6U72.png';
const DEMO1 = 'wsmn24bux7wo113';
const DEMO1_RECORD = '84nmscqy84lsi1t';

describeFixture("files of PocketBase's test data directory", () => {
  let server: TestServer;
  let userToken: string;
  const stored = (...parts: string[]) => readFileSync(path.join(fixtureDir(), 'storage', ...parts));
  const fileToken = async (authToken: string): Promise<string> => (await api(server, 'POST', '/api/files/token', { token: authToken })).body.token;

  beforeAll(async () => {
    server = await startServer({ fixture: true });
    // The fixture's users sign in with MFA: a token is signed for the user directly.
    const { db, schema } = server.baton.services;
    const users = schema.find('users')!;
    const user = decodeRow(users, (await db.get(selectById(users).bind(USER_ID), rowShape(users)))!);
    userToken = await signAuthToken(user, users);
  });
  afterAll(() => server?.close());

  it('serves a stored file with the content type of its .attrs sidecar', async () => {
    const res = await get(server, `/api/files/users/${USER_ID}/${AVATAR}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.body.equals(stored(USERS, USER_ID, AVATAR))).toBe(true);
    const txt = await get(server, `/api/files/demo1/${DEMO1_RECORD}/test_QZFjKjXchk.txt`);
    expect(txt.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(txt.headers.get('content-disposition')).toBe('attachment; filename=test_QZFjKjXchk.txt');
    const svg = await get(server, `/api/files/demo1/${DEMO1_RECORD}/logo_vcfJJG5TAh.svg`);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.body.equals(stored(DEMO1, DEMO1_RECORD, 'logo_vcfJJG5TAh.svg'))).toBe(true);
  });

  it("serves PocketBase's thumbs as they are, for every size the field lists and 100x100", async () => {
    for (const size of ['70x50', '70x50t', '70x50b', '70x50f', '0x50', '70x0', '100x100']) {
      const res = await get(server, `/api/files/users/${USER_ID}/${AVATAR}?thumb=${size}`);
      expect(res.headers.get('content-disposition'), size).toBe(`inline; filename=${size}_${AVATAR}`);
      expect(res.body.equals(stored(USERS, USER_ID, `thumbs_${AVATAR}`, `${size}_${AVATAR}`)), size).toBe(true);
    }
  });

  it('makes a missing thumb again, in the same place', async () => {
    const thumb = path.join(server.dataDir, 'storage', USERS, USER_ID, `thumbs_${AVATAR}`, `70x50_${AVATAR}`);
    rmSync(thumb);
    rmSync(`${thumb}.attrs`);
    const res = await get(server, `/api/files/users/${USER_ID}/${AVATAR}?thumb=70x50`);
    expect(await dimensions(res.body)).toBe('70x50');
    expect(existsSync(thumb)).toBe(true);
    expect(JSON.parse(readFileSync(`${thumb}.attrs`, 'utf8'))['user.content_type']).toBe('image/png');
  });

  it('protected files: a null viewRule admits only a superuser file token', async () => {
    const target = `/api/files/demo1/${DEMO1_RECORD}/test_d61b33QdDU.txt`;
    expect((await get(server, target)).status).toBe(404);
    expect((await get(server, `${target}?token=${await fileToken(userToken)}`)).status).toBe(404);
    const res = await get(server, `${target}?token=${await fileToken(server.superuserToken)}`);
    expect(res.status).toBe(200);
    expect(res.body.equals(stored(DEMO1, DEMO1_RECORD, 'test_d61b33QdDU.txt'))).toBe(true);
  });

  it("a view's files come from the record that owns them, its protected ones by the view's rule", async () => {
    // view1.viewRule: @request.auth.id != "" && bool = true (true for this record).
    const target = `/api/files/view1/${DEMO1_RECORD}/test_d61b33QdDU.txt`;
    expect((await get(server, target)).status).toBe(404);
    const res = await get(server, `${target}?token=${await fileToken(userToken)}`);
    expect(res.status).toBe(200);
    expect(res.body.equals(stored(DEMO1, DEMO1_RECORD, 'test_d61b33QdDU.txt'))).toBe(true);
    // view2 selects from view1: followed to demo1.
    const png = await get(server, `/api/files/view2/${DEMO1_RECORD}/300_WlbFWSGmW9.png?thumb=100x100`);
    expect(png.body.equals(stored(DEMO1, DEMO1_RECORD, 'thumbs_300_WlbFWSGmW9.png', '100x100_300_WlbFWSGmW9.png'))).toBe(true);
  });
});
