// An auth record that becomes verified loses the OAuth2 links made before (`_externalAuths`) and
// its sessions, as in PocketBase: whoever registered an address first and linked a provider to it
// must not keep access once the address's owner proves it. On PocketBase's own test data.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { describeFixture } from './support/fixture.ts';

let server: TestServer;
const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });
const links = async (recordId: string) =>
  (await su('GET', `/api/collections/_externalAuths/records?filter=${encodeURIComponent(`recordRef = "${recordId}"`)}`)).body.totalItems as number;

beforeAll(async () => {
  server = await startServer({ fixture: true });
});
afterAll(async () => {
  await server?.close();
});

describeFixture('verified upgrade', () => {
  it('drops the record\'s external auths and sessions when it becomes verified; a verified record keeps them', async () => {
    // users 4q1xlclmfloku33 is unverified and linked to google and gitlab; bgs820n361vj1qd is verified, linked to github.
    expect(await links('4q1xlclmfloku33')).toBe(2);
    const session = await su('POST', '/api/collections/users/impersonate/4q1xlclmfloku33', {});
    expect((await api(server, 'POST', '/api/collections/users/auth-refresh', { token: session.body.token })).status).toBe(200);

    const upgrade = await su('PATCH', '/api/collections/users/records/4q1xlclmfloku33', { verified: true });
    expect(upgrade.status).toBe(200);
    expect(await links('4q1xlclmfloku33')).toBe(0);
    expect((await api(server, 'POST', '/api/collections/users/auth-refresh', { token: session.body.token })).status).toBe(401);

    const other = await su('PATCH', '/api/collections/users/records/bgs820n361vj1qd', { name: 'still linked' });
    expect(other.status).toBe(200);
    expect(await links('bgs820n361vj1qd')).toBe(1);
  });
});
