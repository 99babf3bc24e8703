// The first-run installer link `baton serve` prints while no superuser exists (PocketBase's
// apis/installer.go), through the real CLI, on the run's database.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { run as runCli, serve as serveCli, tempDirs, type Served } from './support/cli.ts';
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from './support/databases.ts';

const tempDir = tempDirs('baton-installer-');
const LINK = /\n {2}(http:\/\/127\.0\.0\.1:\d+)\/_\/#\/pbinstall\/([\w-]+\.[\w-]+\.[\w-]+)\n/;

/** `baton serve` on `dir` (and the test database), once its banner, installer part included, is out. */
async function start(dir: string, db: TestDatabase | undefined): Promise<Served> {
  const s = await serveCli([`--dir=${dir}`, ...(db?.url ? [`--db=${db.url}`] : [])], 'Database:');
  // The superuser part of the banner follows the first lines once the database has answered.
  for (let i = 0; i < 40 && !/pbinstall\/\S+\n/.test(s.output()); i++) await sleep(25);
  return s;
}

async function stop(s: Served): Promise<void> {
  s.child.kill('SIGTERM');
  expect(await s.exited).toBe(0);
}

async function call(s: Served, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(s.url + path, {
    method,
    headers: { ...(token ? { authorization: token } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('first-run installer', () => {
  it('prints a link whose token creates the first superuser; then the installer is gone and no link is printed', async () => {
    const db = TEST_DIALECT === 'sqlite' ? undefined : await createTestDatabase();
    try {
      const dir = tempDir();
      let s = await start(dir, db);
      // The CLI way stays beside the link.
      expect(s.output()).toContain('No superuser yet. Create one to manage collections and settings:\n  node bin/baton.js superuser upsert EMAIL PASSWORD');
      const match = LINK.exec(s.output());
      expect(match, s.output()).not.toBeNull();
      expect(match![1]).toBe(s.url);
      const token = match![2];
      // A static superuser token of 30 minutes.
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { exp: number; refreshable: boolean; collectionId: string };
      expect(claims.refreshable).toBe(false);
      expect(claims.collectionId).toBe('pbc_3142635823');
      expect(claims.exp - Date.now() / 1000).toBeGreaterThan(29 * 60);
      expect(claims.exp - Date.now() / 1000).toBeLessThanOrEqual(30 * 60);

      // The installer cannot sign in with a password: it has none anyone knows.
      const signIn = await call(s, 'POST', '/api/collections/_superusers/auth-with-password', undefined, { identity: '__pbinstaller@example.com', password: '' });
      expect(signIn.status).toBe(400);

      // A restart before anyone used it: a new link, the same installer (not a second one).
      await stop(s);
      s = await start(dir, db);
      const again = LINK.exec(s.output());
      expect(again, s.output()).not.toBeNull();
      const token2 = again![2];
      const before = await call(s, 'GET', '/api/collections/_superusers/records', token2);
      expect(before.status).toBe(200);
      expect(before.body.items.map((r: { email: string }) => r.email)).toEqual(['__pbinstaller@example.com']);

      // The token creates the first superuser.
      const created = await call(s, 'POST', '/api/collections/_superusers/records', token2, {
        email: 'first@example.com',
        password: 'first-password-1',
        passwordConfirm: 'first-password-1',
      });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const login = await call(s, 'POST', '/api/collections/_superusers/auth-with-password', undefined, { identity: 'first@example.com', password: 'first-password-1' });
      expect(login.status).toBe(200);
      // The installer is gone, and its token with it.
      const list = await call(s, 'GET', '/api/collections/_superusers/records', login.body.token);
      expect(list.body.items.map((r: { email: string }) => r.email)).toEqual(['first@example.com']);
      // (A token of no record is a guest's request: refused as the superusers-only list refuses guests.)
      expect((await call(s, 'GET', '/api/collections/_superusers/records', token2)).status).toBe(403);
      expect((await call(s, 'GET', '/api/collections', token2)).status).toBe(401);
      await stop(s);

      // A real superuser exists: no link, no hint.
      s = await start(dir, db);
      await sleep(300);
      expect(s.output()).not.toContain('pbinstall');
      expect(s.output()).not.toContain('No superuser yet');
      await stop(s);
    } finally {
      await db?.drop();
    }
  }, 90_000);

  it('`baton superuser upsert` makes the first superuser too: the installer goes, and no link is printed', async () => {
    const db = TEST_DIALECT === 'sqlite' ? undefined : await createTestDatabase();
    try {
      const dir = tempDir();
      const where = [`--dir=${dir}`, ...(db?.url ? [`--db=${db.url}`] : [])];
      let s = await start(dir, db);
      expect(LINK.exec(s.output()), s.output()).not.toBeNull();
      await stop(s);
      const up = await runCli(['superuser', 'upsert', 'ops@example.com', 'long-enough-password', ...where], { BATON_DB: '' });
      expect(up).toMatchObject({ code: 0, stdout: 'Created superuser ops@example.com.\n' });
      s = await start(dir, db);
      await sleep(300);
      expect(s.output()).not.toContain('pbinstall');
      expect(s.output()).not.toContain('No superuser yet');
      const login = await call(s, 'POST', '/api/collections/_superusers/auth-with-password', undefined, { identity: 'ops@example.com', password: 'long-enough-password' });
      expect(login.status).toBe(200);
      const list = await call(s, 'GET', '/api/collections/_superusers/records', login.body.token);
      expect(list.body.items.map((r: { email: string }) => r.email)).toEqual(['ops@example.com']);
      await stop(s);
    } finally {
      await db?.drop();
    }
  }, 90_000);
});
