// The collection screens in a real browser: the sign-in redirect, a view with its preview, an
// index, a rename, schema import with its diff, deletion behind the typed name, every page at phone
// width, and a collections list that arrives while a screen opens.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { api, startServer, SUPERUSER, type TestServer } from '../support/baton.ts';
import { describeBrowser, openBrowser, screenshot, type BrowserSession } from '../support/browser.ts';

describeBrowser('dashboard: collections', () => {
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;

  beforeAll(async () => {
    server = await startServer();
    const created = await api(server, 'POST', '/api/collections', {
      token: server.superuserToken,
      body: {
        name: 'posts',
        type: 'base',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'body', type: 'editor' },
        ],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    browser = await openBrowser();
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const collection = async (name: string) => (await api(server, 'GET', `/api/collections/${name}`, { token: server.superuserToken })).body;

  it('sends a signed-out visitor to sign in, then back where they were going', async () => {
    await page.goto(`${server.url}/_/#/collections/posts/edit`);
    await page.waitForURL(/#\/login\?redirect=/);
    await page.getByLabel('Email').fill(SUPERUSER.email);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /authenticate|invalid/i }).waitFor();
    await page.getByLabel('Password').fill(SUPERUSER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Edit posts' }).waitFor();
    browser.assertNoErrors();
  });

  it('asks before leaving an edited collection for another screen, and stays when told to', async () => {
    await page.getByRole('heading', { name: 'Edit posts' }).waitFor();
    const name = page.getByLabel('Name', { exact: true });
    await name.fill('posts_changed');
    const answers: string[] = [];
    let accept = false;
    const onDialog = (dialog: import('playwright-core').Dialog) => {
      answers.push(dialog.message());
      void (accept ? dialog.accept() : dialog.dismiss());
    };
    page.on('dialog', onDialog);
    try {
      await page.getByRole('link', { name: 'Logs' }).click();
      await expect.poll(() => answers.length).toBe(1);
      expect(answers[0]).toMatch(/without saving/);
      // Told to stay: the editor and its change are still there, and so is the address.
      expect(page.url()).toMatch(/#\/collections\/posts\/edit/);
      expect(await name.inputValue()).toBe('posts_changed');
      await page.getByRole('heading', { name: 'Edit posts' }).waitFor();
      // Told to go: the Logs screen opens, and nothing was saved.
      accept = true;
      await page.getByRole('link', { name: 'Logs' }).click();
      await page.getByRole('heading', { name: 'Logs' }).waitFor();
      expect(answers).toHaveLength(2);
    } finally {
      page.off('dialog', onDialog);
    }
    expect((await collection('posts')).name).toBe('posts');
    await page.goto(`${server.url}/_/#/collections/posts/edit`);
    await page.getByRole('heading', { name: 'Edit posts' }).waitFor();
    browser.assertNoErrors();
  });

  it('adds a unique index and renames the collection', async () => {
    // Tabs follow the ARIA pattern: arrow keys move between them.
    await page.getByRole('tab', { name: 'Fields' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'API rules' }).getAttribute('aria-selected')).toBe('true');
    await page.getByRole('tab', { name: 'Indexes' }).click();
    await page.getByRole('checkbox', { name: 'title' }).check();
    await page.getByRole('checkbox', { name: 'Unique' }).check();
    await page.getByRole('button', { name: '+ Add index' }).click();
    await page.getByLabel('Name', { exact: true }).fill('articles');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(/#\/collections\/articles$/);
    await page.locator('.sidebar').getByRole('link', { name: 'articles', exact: true }).waitFor();
    const saved = await collection('articles');
    expect(saved.indexes).toHaveLength(1);
    expect(saved.indexes[0]).toMatch(/^CREATE UNIQUE INDEX .* ON `articles` \(`title`\)$/);
    browser.assertNoErrors();
  });

  it('creates a view collection after previewing its query', async () => {
    await page.getByRole('link', { name: '+ New collection' }).click();
    await page.getByLabel('Name', { exact: true }).fill('titles');
    await page.getByLabel('Type', { exact: true }).selectOption('view');
    await page.getByRole('tab', { name: 'Query' }).waitFor();
    await page.getByLabel('Select query').fill('SELECT id, title FROM articles');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('heading', { name: 'Preview' }).waitFor();
    await page.getByText('Fields: id (text), title (text)').waitFor();
    await screenshot(page, 'view-preview');
    await page.getByRole('tab', { name: 'API rules' }).click();
    await expect.poll(() => page.getByLabel('List/Search rule', { exact: true }).count()).toBe(1);
    expect(await page.getByLabel('Create rule', { exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Create collection' }).click();
    await page.waitForURL(/#\/collections\/titles$/);
    expect((await collection('titles')).type).toBe('view');
    browser.assertNoErrors();
  });

  it('creates an auth collection with its authentication and manage rules', async () => {
    await page.getByRole('link', { name: '+ New collection' }).click();
    await page.getByLabel('Name', { exact: true }).fill('members');
    await page.getByLabel('Type', { exact: true }).selectOption('auth');
    await page.getByRole('tab', { name: 'Auth options' }).click();
    // A new auth collection lets everyone who authenticates through (an empty rule): narrow it.
    await page.getByLabel('Authentication rule', { exact: true }).fill('verified = true');
    await page.getByLabel('Manage rule', { exact: true }).waitFor();
    await screenshot(page, 'auth-rules');
    await page.getByRole('button', { name: 'Create collection' }).click();
    await page.waitForURL(/#\/collections\/members$/);
    const saved = await collection('members');
    expect(saved).toMatchObject({ type: 'auth', authRule: 'verified = true', manageRule: null });
    expect(saved.fields.map((f: { name: string }) => f.name)).toEqual(expect.arrayContaining(['email', 'password', 'verified']));
    browser.assertNoErrors();
  });

  it('imports a schema after showing what it changes', async () => {
    await page.locator('.sidebar').getByRole('link', { name: 'Import / export collections' }).click();
    const exported = await page.getByLabel(/Schema of \d+ collections/).inputValue();
    const schema = JSON.parse(exported) as { name: string; fields: { name: string }[] }[];
    const articles = schema.find((c) => c.name === 'articles')!;
    articles.fields = articles.fields.filter((f) => f.name !== 'body');
    schema.push({ name: 'tags', type: 'base', fields: [{ name: 'label', type: 'text' }] } as never);
    await page.getByLabel('Schema JSON').fill(JSON.stringify(schema));
    await page.getByLabel('Delete collections and fields that are not in the import').check();
    await page.getByRole('button', { name: 'Review changes' }).click();
    const diff = page.locator('.diff');
    await diff.getByText('Added collections').waitFor();
    expect(await diff.textContent()).toContain('tags');
    expect(await diff.textContent()).toMatch(/articles.*removed fields: body/);
    await diff.scrollIntoViewIfNeeded();
    await screenshot(page, 'import-diff');
    await page.getByRole('button', { name: 'Apply import' }).click();
    await page.getByText('The import was applied.').waitFor();
    expect((await collection('tags')).name).toBe('tags');
    expect((await collection('articles')).fields.map((f: { name: string }) => f.name)).not.toContain('body');
    browser.assertNoErrors();
  });

  it('filters the sidebar by the search text', async () => {
    const sidebar = page.locator('.sidebar');
    await sidebar.getByLabel('Search collections').fill('art');
    await expect.poll(() => sidebar.locator('li > a:first-child > span:first-child').allTextContents()).toEqual(['articles']);
    await sidebar.getByLabel('Search collections').fill('superusers');
    await expect.poll(() => sidebar.locator('li > a:first-child > span:first-child').allTextContents()).toEqual(['_superusers']);
    await sidebar.getByLabel('Search collections').fill('');
  });

  it('deletes a collection only once its name is typed', async () => {
    await page.goto(`${server.url}/_/#/collections/tags/edit`);
    await page.getByRole('button', { name: 'Delete collection' }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete collection' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type tags to confirm/).fill('tag');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type tags to confirm/).fill('tags');
    await confirm.click();
    await page.waitForURL(/#\/collections$/);
    expect((await api(server, 'GET', '/api/collections/tags', { token: server.superuserToken })).status).toBe(404);
    browser.assertNoErrors();
  });

  it('fits a phone screen: no page scrolls sideways at 375px', async () => {
    await page.setViewportSize({ width: 375, height: 667 });
    expect((await api(server, 'POST', '/api/collections/articles/records', { token: server.superuserToken, body: { title: 'A title long enough to need the table scrolled sideways' } })).status).toBe(200);
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    const pages: Array<[string, () => Promise<void>]> = [
      ['collections', () => page.locator('.sidebar').getByRole('link', { name: 'articles', exact: true }).waitFor()],
      ['collections/articles', () => page.getByRole('cell', { name: /A title long enough/ }).waitFor()],
      ['collections/articles/edit', () => page.getByRole('heading', { name: 'Edit articles' }).waitFor()],
      ['collections/new', () => page.getByRole('heading', { name: 'New collection' }).waitFor()],
      ['logs', () => page.locator('.pg-logs-table').waitFor()],
      ['settings', () => page.getByRole('table', { name: 'Rate limit rules' }).waitFor()],
      ['sql', async () => {
        await page.getByLabel('Query').fill('SELECT * FROM articles');
        await page.getByRole('button', { name: 'Run' }).click();
        await page.getByRole('table', { name: 'Query results' }).waitFor();
      }],
      ['import-export', () => page.getByLabel('Schema JSON').waitFor()],
    ];
    for (const [hash, shown] of pages) {
      await page.goto(`${server.url}/_/#/${hash}`);
      await shown();
      expect(await overflow(), hash).toBeLessThanOrEqual(0);
      if (hash === 'collections/articles/edit') await screenshot(page, 'phone-editor');
    }
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await overflow(), 'login').toBeLessThanOrEqual(0);
    browser.assertNoErrors();
  });

  it('shows the collections list that arrives while a screen opens (the targets of a relation field)', async () => {
    // Signed out by the last test. Hold the list the sign-in loads, and let it through just after
    // the editor's first render, before its effects run: a screen that read the list while it was
    // still loading and subscribed afterwards must see it all the same.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.url}/_/#/login`);
    await page.evaluate(() => {
      const w = globalThis as any;
      const fetch = w.fetch;
      w.fetch = async (input: unknown, init: unknown) => {
        const res = await fetch(input, init);
        // The shared list's request (the import page asks for one of its own).
        if (/\/api\/collections\?.*sort=name/.test(String(input)) && !w.listReleased) await new Promise((resolve) => (w.releaseList = resolve));
        return res;
      };
    });
    await page.getByLabel('Email').fill(SUPERUSER.email);
    await page.getByLabel('Password').fill(SUPERUSER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForFunction(() => (globalThis as any).releaseList);
    await page.evaluate(() => {
      const w = globalThis as any;
      w.addEventListener('hashchange', () => setTimeout(() => ((w.listReleased = true), w.releaseList()), 0), { once: true });
      w.location.hash = '#/collections/new';
    });
    await page.getByRole('heading', { name: 'New collection' }).waitFor();
    await page.locator('.sidebar').getByRole('link', { name: 'articles', exact: true }).waitFor();
    await page.getByLabel('New field type').selectOption('relation');
    await page.getByRole('button', { name: '+ Add field' }).click();
    const targets = page.locator('.field-card').last().getByLabel('Related collection').locator('option');
    await expect.poll(() => targets.allTextContents()).toEqual(expect.arrayContaining(['articles', 'users']));
    browser.assertNoErrors();
  });
});
