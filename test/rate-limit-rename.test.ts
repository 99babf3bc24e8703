/**
 * Rate limit rules follow a collection rename, as in PocketBase (core/settings_model.go): a label
 * `<old>:<tag>` becomes `<new>:<tag>`; everything else (`*:<tag>`, a bare tag, paths, another
 * spelling of the name) stays, and deleting a collection keeps its rules. The labels change in
 * the rename's own transaction: a rename that fails, or is undone by a failing import, changes
 * neither the collection nor the settings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { createCollection, PUBLIC_RULES, text } from './support/builders.ts';

let server: TestServer;

const su = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.superuserToken, body });
const rule = (label: string, maxRequests = 100, audience = '') => ({ label, audience, duration: 60, maxRequests });

async function setRules(rules: unknown[]): Promise<void> {
  const res = await su('PATCH', '/api/settings', { rateLimits: { enabled: true, rules } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function labels(): Promise<string[]> {
  const res = await su('GET', '/api/settings');
  expect(res.status).toBe(200);
  return res.body.rateLimits.rules.map((r: { label: string; audience: string }) => `${r.label}${r.audience}`);
}

const notesOf = (name: string) => createCollection(server, { name, fields: [text('title')], ...PUBLIC_RULES });
const rename = (from: string, to: string) => su('PATCH', `/api/collections/${from}`, { name: to });
const list = (name: string) => api(server, 'GET', `/api/collections/${name}/records`);

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

describe('rate limit labels on a collection rename', () => {
  it('rewrite `<old>:<tag>` labels, and the limiter applies them to the renamed collection', async () => {
    await notesOf('notes');
    await setRules([
      rule('notes:list', 1, '@guest'),
      rule('notes:view', 100, '@auth'),
      rule('notes'),
      rule('notesx:list'),
      rule('Notes:create'),
      rule('*:list'),
      rule('/api/collections/notes/records'),
    ]);
    const res = await rename('notes', 'memos');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await labels()).toEqual([
      'memos:list@guest',
      'memos:view@auth',
      'notes',
      'notesx:list',
      'Notes:create',
      '*:list',
      '/api/collections/notes/records',
    ]);
    // `memos:list` (1 per minute for guests) now limits the renamed collection.
    expect((await list('memos')).status).toBe(200);
    expect((await list('memos')).status).toBe(429);
  });

  it('follow a rename that only changes case', async () => {
    await notesOf('tasks');
    await setRules([rule('tasks:create')]);
    expect((await rename('tasks', 'Tasks')).status).toBe(200);
    expect(await labels()).toEqual(['Tasks:create']);
  });

  it('change nothing when the rename is refused for a label it would duplicate', async () => {
    await notesOf('drafts');
    // A stale rule already names `posts`: relabelled, two rules would share `posts:list`.
    await setRules([rule('drafts:list'), rule('posts:list')]);
    const res = await rename('drafts', 'posts');
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.message).toBe('Failed to update collection.');
    expect(await labels()).toEqual(['drafts:list', 'posts:list']);
    expect((await su('GET', '/api/collections/drafts')).body.name).toBe('drafts');
    expect((await su('GET', '/api/collections/posts')).status).toBe(404);
  });

  it('change nothing when an import that renames fails later on', async () => {
    const books = await notesOf('books');
    await setRules([rule('books:list')]);
    const exported = (await su('GET', `/api/collections/${books.id}`)).body;
    // The view fails once the rename is applied: everything is undone, the labels too.
    const res = await su('PUT', '/api/collections/import', {
      collections: [
        { ...exported, name: 'volumes' },
        { name: 'broken_view', type: 'view', viewQuery: 'SELECT id FROM no_such_table' },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(await labels()).toEqual(['books:list']);
    expect((await su('GET', `/api/collections/${books.id}`)).body.name).toBe('books');
    expect((await su('GET', '/api/collections/broken_view')).status).toBe(404);
  });

  it('follow a rename made by an import', async () => {
    const films = await notesOf('films');
    await setRules([rule('films:list'), rule('films:view')]);
    const exported = (await su('GET', `/api/collections/${films.id}`)).body;
    const res = await su('PUT', '/api/collections/import', { collections: [{ ...exported, name: 'movies' }] });
    expect(res.status, JSON.stringify(res.body)).toBe(204);
    expect(await labels()).toEqual(['movies:list', 'movies:view']);
  });

  it('stay when the collection is deleted, as in PocketBase', async () => {
    await notesOf('trash');
    await setRules([rule('trash:list'), rule('trash:delete')]);
    expect((await su('DELETE', '/api/collections/trash')).status).toBe(204);
    expect(await labels()).toEqual(['trash:list', 'trash:delete']);
  });

  it('stay when an update keeps the name', async () => {
    await notesOf('kept');
    await setRules([rule('kept:list')]);
    expect((await su('PATCH', '/api/collections/kept', { listRule: null })).status).toBe(200);
    expect(await labels()).toEqual(['kept:list']);
  });
});
