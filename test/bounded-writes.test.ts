// A create or update whose answer would pass `--max-response-size` is the limit's 400, and, as
// every failed request, leaves the data as it was: the answer is built and weighed before the
// write commits (RecordService's `respond`), so a client that trusts the 400 and retries makes no
// duplicate, and a refused PATCH changed nothing. Stored uploads go again, and in a batch the
// refused item fails the whole batch.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseTooLarge } from '../src/domain/records/limits.ts';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, field, PUBLIC_RULES, text } from './support/builders.ts';

const LIMIT = 1024;
const TOO_LARGE = { status: 400, message: responseTooLarge(LIMIT).message, data: {} };
const LONG = 'x'.repeat(2000);
const posts = '/api/collections/posts/records';

describe('a write whose answer would pass the response limit', () => {
  let server: TestServer;
  let postsId: string;
  const su = (method: string, url: string, body?: unknown) => api(server, method, url, { token: server.superuserToken, body });
  /** The ids stored (only ids: a record with a long title could not be read back under the limit). */
  const ids = async (): Promise<string[]> => (await su('GET', `${posts}?perPage=500&fields=id`)).body.items.map((r: { id: string }) => r.id);
  const storedFiles = (): string[] => {
    const dir = path.join(server.dataDir, 'storage', postsId);
    return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : [];
  };

  beforeAll(async () => {
    server = await startServer({ responseLimits: { maxResponseBytes: LIMIT } });
    postsId = (await createCollection(server, { name: 'posts', ...PUBLIC_RULES, fields: [text('title'), field('file', 'doc', { maxSelect: 1 })] })).id;
  });
  afterAll(() => server?.close());

  it('is refused on create, and no record is left', async () => {
    const before = await ids();
    const res = await api(server, 'POST', posts, { body: { title: LONG } });
    expect(res).toMatchObject({ status: 400, body: TOO_LARGE });
    expect(await ids()).toEqual(before);
  });

  it('is refused on update, and the record keeps its old values', async () => {
    const created = await api(server, 'POST', posts, { body: { title: 'short' } });
    expect(created.status).toBe(200);
    const res = await api(server, 'PATCH', `${posts}/${created.body.id}`, { body: { title: LONG } });
    expect(res).toMatchObject({ status: 400, body: TOO_LARGE });
    expect((await su('GET', `${posts}/${created.body.id}?fields=title`)).body).toEqual({ title: 'short' });
  });

  it('is weighed as it is sent: narrowed by `fields`, the same write is stored and answered', async () => {
    const res = await api(server, 'POST', `${posts}?fields=id`, { body: { title: LONG } });
    expect(res.status).toBe(200);
    expect(await ids()).toContain(res.body.id);
  });

  it('removes the uploads of a refused create from storage', async () => {
    const before = storedFiles();
    const form = new FormData();
    form.set('title', LONG);
    form.set('doc', new File(['some text'], 'doc.txt'));
    const res = await fetch(server.url + posts, { method: 'POST', body: form });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(TOO_LARGE);
    expect(storedFiles()).toEqual(before);
  });

  it('fails a batch, which rolls back its earlier items too', async () => {
    await su('PATCH', '/api/settings', { batch: { enabled: true, maxRequests: 10, timeout: 3, maxBodySize: 0 } });
    const before = await ids();
    const requests = [
      { method: 'POST', url: posts, body: { title: 'first' } },
      { method: 'POST', url: posts, body: { title: LONG } },
    ];
    const res = await api(server, 'POST', '/api/batch', { body: { requests } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Batch transaction failed.');
    expect(res.body.data.requests['1']).toMatchObject({ code: 'batch_request_failed', response: TOO_LARGE });
    expect(await ids()).toEqual(before);
  });
});
