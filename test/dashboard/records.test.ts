/**
 * The dashboard's records, logs, SQL and settings pages in a real browser against a real server:
 * a record created through the form (every common field type, a server error shown beside its
 * field), shown in the table (relation by its presentable field, dates in local time), edited,
 * sorted (mouse and keyboard), filtered (a bad filter's reason shown inline, the query kept in the
 * address) and bulk-deleted, with the requests a big collection needs (`-@rowid`, `skipTotal` and
 * a separate count, expand of visible relation columns only); chosen columns kept, the column
 * picker closing on Escape and outside clicks; an auth record with its
 * password; focus back to what opened a dialog; queries in the SQL console; the logs, one entry,
 * a filter; settings saved and refused, a test email without SMTP said to go to the server's log
 * only, SMTP set up and a test email received by a real SMTP server, token durations saved. Saves
 * screenshots to docs/screenshots/. The query-as-code text and the date conversion are checked
 * without a browser (the shell itself reads back the quoting).
 */
import { execFileSync } from 'node:child_process';
import { deflateSync } from 'node:zlib';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curlListCommand, sdkListCode, shellQuote } from '../../dashboard/src/pages/parts/code.ts';
import { fromLocalInput, toLocalInput } from '../../dashboard/src/pages/parts/dates.ts';
import { cellText, expandFor, relationTexts, shortList } from '../../dashboard/src/pages/records/values.ts';
import { api, startServer, SUPERUSER, type TestServer } from '../support/baton.ts';
import { describeBrowser, openBrowser, screenshot, type BrowserSession } from '../support/browser.ts';
import { startSmtpServer } from '../support/smtp.ts';

/** A tiny solid-colour PNG, built here rather than kept as a binary fixture. */
function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3).fill(Buffer.from(rgb))]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('dashboard: the query as code, and dates', () => {
  const hostile = `it's "x" $(rm -rf /) \`id\` \\ ~ \n end`;

  it('quotes for the shell so that sh reads back exactly the text', () => {
    expect(execFileSync('sh', ['-c', `printf %s ${shellQuote(hostile)}`], { encoding: 'utf8' })).toBe(hostile);
  });

  it('builds a curl command whose URL carries the filter percent-encoded', () => {
    const q = { collection: 'posts', page: 2, perPage: 50, filter: hostile, sort: '-created' };
    const command = curlListCommand('http://127.0.0.1:8090', q);
    const url = execFileSync('sh', ['-c', `printf %s ${command.split('\\\n')[1].trim()}`], { encoding: 'utf8' });
    const parsed = new URL(url);
    expect(parsed.pathname).toBe('/api/collections/posts/records');
    expect(Object.fromEntries(parsed.searchParams)).toEqual({ page: '2', perPage: '50', sort: '-created', filter: hostile });
    expect(command).toContain('"Authorization: $PB_TOKEN"');
  });

  it('writes the SDK call with JavaScript string literals that evaluate to the filter', () => {
    const code = sdkListCode({ collection: "o'k", page: 1, perPage: 30, filter: hostile, sort: '' });
    const calls: unknown[][] = [];
    const pb = { collection: (name: string) => ({ getList: (...args: unknown[]) => calls.push([name, ...args]) }) };
    new Function('pb', `return (async () => { ${code} })()`)(pb);
    expect(calls).toEqual([["o'k", 1, 30, { filter: hostile }]]);
  });

  it("turns a datetime-local value into PocketBase's UTC text and back", () => {
    const stored = fromLocalInput('2025-01-02T03:04:05');
    expect(stored).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(stored).toBe(new Date('2025-01-02T03:04:05').toISOString().replace('T', ' '));
    expect(toLocalInput(stored)).toBe('2025-01-02T03:04:05');
    expect(fromLocalInput('')).toBe('');
    expect(toLocalInput('')).toBe('');
  });

  it('shows dates in local time, and related records by their presentable fields or ids', () => {
    const stored = '2025-01-02 03:04:05.000Z';
    expect(cellText({ name: 'due', type: 'date' } as any, stored)).toBe(toLocalInput(stored).replace('T', ' '));
    const people = { id: 'c_people', name: 'people', fields: [{ name: 'name', type: 'text', presentable: true }, { name: 'born', type: 'date', presentable: true }, { name: 'secret', type: 'text', presentable: true, hidden: true }] };
    const bare = { id: 'c_bare', name: 'bare', fields: [{ name: 'note', type: 'text' }] };
    const collections = [people, bare] as any[];
    const owners = { name: 'owners', type: 'relation', collectionId: 'c_people', maxSelect: 5 } as any;
    const record = {
      id: 'r1',
      owners: ['p1', 'p2', 'p3'],
      // p3 not expanded (not visible to the viewer, or gone): its id is shown.
      expand: { owners: [{ id: 'p1', name: 'Ann', born: stored, secret: 'x' }, { id: 'p2', name: '', born: '' }] },
    } as any;
    expect(relationTexts(owners, record, collections)).toEqual([`Ann ${toLocalInput(stored).replace('T', ' ')}`, 'p2', 'p3']);
    const single = { name: 'thing', type: 'relation', collectionId: 'c_bare', maxSelect: 1 } as any;
    expect(relationTexts(single, { id: 'r2', thing: 'b1', expand: { thing: { id: 'b1', note: 'n' } } } as any, collections)).toEqual(['b1']);
    expect(relationTexts(single, { id: 'r3', thing: '' } as any, collections)).toEqual([]);
    expect(shortList(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c +2');
    expect(shortList(['a', 'b'])).toBe('a, b');
    // Only the relation columns shown are expanded.
    expect(expandFor([{ name: 'title', type: 'text' }, owners, { name: 'due', type: 'date' }, single] as any[])).toBe('owners,thing');
  });
});

describeBrowser('dashboard: records, logs, SQL console and settings', () => {
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;
  let token: string;

  beforeAll(async () => {
    server = await startServer();
    token = server.superuserToken;
    const people = await api(server, 'POST', '/api/collections', {
      token,
      body: { name: 'people', type: 'base', fields: [{ name: 'name', type: 'text', presentable: true }] },
    });
    expect(people.status).toBe(200);
    for (const name of ['Ann Archer', 'Bob Baker']) {
      expect((await api(server, 'POST', '/api/collections/people/records', { token, body: { name } })).status).toBe(200);
    }
    const items = await api(server, 'POST', '/api/collections', {
      token,
      body: {
        name: 'items',
        type: 'base',
        listRule: '',
        fields: [
          { name: 'title', type: 'text', required: true },
          { name: 'body', type: 'editor' },
          { name: 'count', type: 'number' },
          { name: 'active', type: 'bool' },
          { name: 'contact', type: 'email' },
          { name: 'site', type: 'url' },
          { name: 'due', type: 'date' },
          { name: 'status', type: 'select', values: ['draft', 'published'], maxSelect: 1 },
          { name: 'tags', type: 'select', values: ['red', 'green', 'blue'], maxSelect: 3 },
          { name: 'meta', type: 'json' },
          { name: 'owner', type: 'relation', collectionId: people.body.id, maxSelect: 1 },
          { name: 'pictures', type: 'file', maxSelect: 2, maxSize: 1 << 20 },
          { name: 'created', type: 'autodate', onCreate: true },
          { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
        ],
      },
    });
    expect(items.status).toBe(200);
    for (const title of ['Alpha', 'Zulu']) {
      expect((await api(server, 'POST', '/api/collections/items/records', { token, body: { title, count: title.length } })).status).toBe(200);
    }

    browser = await openBrowser();
    page = await browser.newPage();
    // Fail fast with the locator's name rather than at the test's timeout.
    page.setDefaultTimeout(8_000);
    // Signed in the way the SDK keeps a session: its auth store's localStorage entry.
    const login = await api(server, 'POST', '/api/collections/_superusers/auth-with-password', {
      body: { identity: SUPERUSER.email, password: SUPERUSER.password },
    });
    await page.goto(`${server.url}/_/`);
    // Signed out, the page sends itself to the login screen once it has rendered. Wait for that:
    // a reload before it would start at `/_/`, which a signed-in page shows without changing the
    // URL, and the wait for `#/collections` below would time out (it did once, under CI's load).
    await page.waitForURL(/#\/login$/);
    const session = JSON.stringify({ token: login.body.token, record: login.body.record });
    // Runs in the page (test/ is type-checked without the DOM's types).
    await page.evaluate((value) => (globalThis as any).localStorage.setItem('baton_dashboard_auth', value), session);
    // Later goto()s change only the hash: the page keeps running, as it would for a user. Wait
    // for the signed-in shell, so that the login page's redirect does not overtake the next goto.
    await page.reload();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.waitForURL(/#\/collections$/);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('creates, edits, sorts, filters and deletes records through the records page', async () => {
    // The records lists the page asks for: what each carries is how 100,000 records stay one page's cost.
    const lists: URLSearchParams[] = [];
    const onRequest = (r: { url(): string }) => {
      const url = new URL(r.url());
      if (/^\/api\/collections\/[^/]+\/records$/.test(url.pathname)) lists.push(url.searchParams);
    };
    page.on('request', onRequest);
    await page.goto(`${server.url}/_/#/collections/items`);
    await page.getByRole('heading', { name: /^items/ }).waitFor();
    await page.getByRole('cell', { name: 'Zulu' }).waitFor();
    // The total comes from a request of its own.
    await expect.poll(() => page.locator('.pg-pager .pg-total').textContent()).toBe('2 items');
    const rows = lists.filter((q) => q.get('perPage') === '30');
    const counts = lists.filter((q) => q.get('perPage') === '1');
    // The rows: newest first by row order (no index needed), no total, the visible relation column
    // expanded. Only SQLite has a row id: elsewhere the server's 400 turns the page to `-created`.
    expect(Object.fromEntries(rows[0])).toEqual({ page: '1', perPage: '30', sort: '-@rowid', expand: 'owner', skipTotal: 'true' });
    expect(rows.at(-1)!.get('sort')).toBe(server.dialect === 'sqlite' ? '-@rowid' : '-created');
    // The total: one id, no sort.
    expect(Object.fromEntries(counts[0])).toEqual({ page: '1', perPage: '1', fields: 'id' });
    const firstTitle = () => page.locator('table.pg-table tbody tr').first().locator('td').nth(2).textContent();
    expect(await firstTitle()).toBe('Zulu');

    // A new record through the form; a bad email first, refused by the server next to its field.
    // Each input is named by its field's name alone, "(required)" added where it is (not the type
    // pill or the star, which are only seen).
    await page.getByRole('button', { name: 'New record' }).click();
    const form = page.getByRole('dialog', { name: 'New items record' });
    await form.getByRole('textbox', { name: 'title (required)', exact: true }).fill('First item');
    await form.getByRole('textbox', { name: 'body', exact: true }).fill('<p>Hello</p>');
    await form.getByRole('spinbutton', { name: 'count', exact: true }).fill('5');
    await form.getByRole('checkbox', { name: 'active', exact: true }).check();
    await form.getByRole('textbox', { name: 'contact', exact: true }).fill('not-an-email');
    await form.getByRole('textbox', { name: 'site', exact: true }).fill('https://example.com/a');
    await form.getByLabel('due').fill('2025-01-02T03:04:05');
    await form.getByRole('combobox', { name: 'status', exact: true }).selectOption('published');
    await form.getByRole('group', { name: 'tags', exact: true }).getByLabel('red').check();
    await form.getByRole('group', { name: 'tags', exact: true }).getByLabel('blue').check();
    await form.getByRole('textbox', { name: 'meta', exact: true }).fill('{"k": [1, 2');
    await expect.poll(() => form.getByText(/Invalid JSON/).count()).toBe(1);
    await form.getByRole('textbox', { name: 'meta', exact: true }).fill('{"k": [1, 2]}');
    await form.getByLabel('Search people').fill('Ann');
    await form.getByRole('button', { name: /Ann Archer/ }).click();
    await form.getByLabel('Add files').setInputFiles({ name: 'red.png', mimeType: 'image/png', buffer: png(24, 24, [220, 40, 40]) });
    await form.getByText('red.png').waitFor();
    await form.getByRole('button', { name: 'Create' }).click();
    const contactError = form.locator('.field', { has: page.getByLabel('contact') }).locator('.field-error');
    await contactError.waitFor();
    expect(await contactError.textContent()).toMatch(/email/i);
    await form.evaluate((dialog) => dialog.querySelector('.modal-body')?.scrollTo(0, 0));
    await form.evaluate((dialog) => dialog.scrollTo(0, 0));
    await screenshot(page, 'record-form');
    await form.getByRole('textbox', { name: 'contact', exact: true }).fill('ann@example.com');
    await form.getByRole('button', { name: 'Create' }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'First item' }).waitFor();
    // Newest first.
    expect(await firstTitle()).toBe('First item');

    const created = await api(server, 'GET', `/api/collections/items/records?filter=${encodeURIComponent('title="First item"')}`, { token });
    const record = created.body.items[0];
    const ann = (await api(server, 'GET', `/api/collections/people/records?filter=${encodeURIComponent('name="Ann Archer"')}`, { token })).body.items[0];
    expect(record).toMatchObject({
      body: '<p>Hello</p>',
      count: 5,
      active: true,
      contact: 'ann@example.com',
      site: 'https://example.com/a',
      status: 'published',
      tags: ['red', 'blue'],
      meta: { k: [1, 2] },
      owner: ann.id,
    });
    // Local wall-clock time in, PocketBase's UTC text stored.
    expect(record.due).toBe(new Date('2025-01-02T03:04:05').toISOString().replace('T', ' '));
    expect(record.pictures).toHaveLength(1);

    // In the table: the relation by its presentable field (the id in the tooltip), the date in
    // local time as on the logs page (the stored UTC text in the tooltip), said in the header.
    const row = page.locator('table.pg-table tbody tr', { has: page.getByRole('button', { name: `Edit record ${record.id}` }) });
    const ownerCell = row.getByRole('cell', { name: 'Ann Archer', exact: true });
    await ownerCell.waitFor();
    expect(await ownerCell.getAttribute('title')).toBe(`Ann Archer (${ann.id})`);
    const dueCell = row.getByRole('cell', { name: '2025-01-02 03:04:05', exact: true });
    expect(await dueCell.getAttribute('title')).toBe(`${record.due} UTC`);
    expect(await page.getByRole('columnheader', { name: /^due \(local time\)/ }).count()).toBe(1);
    expect(await page.getByRole('columnheader', { name: /^created \(local time\)/ }).count()).toBe(1);

    // Edit it: the stored picture is shown as a thumbnail; change the title.
    await page.getByRole('button', { name: `Edit record ${record.id}` }).click();
    const edit = page.getByRole('dialog', { name: 'Edit items record' });
    await edit.locator('.pg-file img').waitFor();
    await edit.getByLabel('title').fill('First item (edited)');
    await edit.getByRole('button', { name: `Remove ${record.pictures[0]}` }).click();
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'First item (edited)' }).waitFor();
    const edited = (await api(server, 'GET', `/api/collections/items/records/${record.id}`, { token })).body;
    expect(edited).toMatchObject({ title: 'First item (edited)', pictures: [], owner: ann.id, due: record.due, meta: { k: [1, 2] } });

    // Sort by title: ascending, then descending; a new order is not counted again.
    lists.length = 0;
    await page.getByRole('button', { name: 'title', exact: true }).click();
    await expect.poll(firstTitle).toBe('Alpha');
    // The headers are buttons: the keyboard sorts too.
    await page.getByRole('button', { name: 'title', exact: true }).press('Enter');
    await expect.poll(firstTitle).toBe('Zulu');
    expect(await page.getByRole('columnheader', { name: 'title' }).getAttribute('aria-sort')).toBe('descending');
    expect(lists.map((q) => `${q.get('perPage')} ${q.get('sort')}`)).toEqual(['30 title', '30 -title']);

    // A filter the server refuses shows its message inline; a good one narrows the rows.
    const filter = page.getByLabel('Filter');
    await filter.fill('nosuchfield = 1');
    await filter.press('Enter');
    const filterError = page.locator('#records-error');
    await filterError.waitFor();
    expect(await filterError.textContent()).toContain('Invalid filter: unknown field "nosuchfield"');
    await filter.fill('title ~ "edited"');
    await filter.press('Enter');
    await filterError.waitFor({ state: 'detached' });
    await expect.poll(() => page.locator('table.pg-table tbody tr').count()).toBe(1);
    // The query is in the address: a reload opens the same rows.
    await page.reload();
    await page.getByRole('cell', { name: 'First item (edited)' }).waitFor();
    expect(await page.getByLabel('Filter').inputValue()).toBe('title ~ "edited"');
    expect(await page.locator('table.pg-table tbody tr').count()).toBe(1);
    await page.getByRole('button', { name: 'API preview' }).click();
    const curl = await page.locator('#records-code pre').nth(1).textContent();
    expect(curl).toContain(`'${server.url}/api/collections/items/records?page=1&perPage=30&sort=-title&filter=title%20~%20%22edited%22'`);
    await screenshot(page, 'records');

    // Bulk delete, confirmed.
    await page.getByLabel(`Select ${record.id}`).check();
    await page.getByRole('button', { name: 'Delete selected (1)' }).click();
    await page.getByRole('dialog', { name: 'Delete records' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No records match this filter.').waitFor();
    expect((await api(server, 'GET', `/api/collections/items/records/${record.id}`, { token })).status).toBe(404);
    await expect.poll(() => page.locator('.pg-pager .pg-total').textContent()).toBe('0 items');
    page.off('request', onRequest);
    browser.assertNoErrors();
  }, 40_000);

  it('keeps the chosen columns per collection and creates an auth record with its password', async () => {
    // The same hash as before: reload, for a page without the last test's filter.
    await page.goto(`${server.url}/_/#/collections/items`);
    await page.reload();
    await page.getByRole('cell', { name: 'Zulu' }).waitFor();
    const picker = page.getByRole('group', { name: 'Shown columns' });
    await page.getByText('Columns', { exact: true }).click();
    await picker.getByLabel('body').uncheck();
    await page.getByRole('columnheader', { name: 'body' }).waitFor({ state: 'detached' });
    // The picker closes on Escape, focus back on its button, and on a click outside it.
    await page.keyboard.press('Escape');
    await picker.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.textContent)).toBe('Columns');
    await page.getByText('Columns', { exact: true }).click();
    await picker.waitFor();
    // A hidden relation column is not expanded: the list asks for no expand at all.
    const expands: Array<string | null> = [];
    const onRequest = (r: { url(): string }) => {
      const url = new URL(r.url());
      if (/\/records$/.test(url.pathname) && url.searchParams.get('perPage') === '30') expands.push(url.searchParams.get('expand'));
    };
    page.on('request', onRequest);
    await picker.getByLabel('owner').uncheck();
    await page.getByRole('columnheader', { name: 'owner' }).waitFor({ state: 'detached' });
    await expect.poll(() => expands).toEqual([null]);
    page.off('request', onRequest);
    await page.getByRole('heading', { name: /^items/ }).click();
    await picker.waitFor({ state: 'hidden' });
    await page.reload();
    await page.getByRole('cell', { name: 'Zulu' }).waitFor();
    expect(await page.getByRole('columnheader', { name: 'count' }).count()).toBe(1);
    expect(await page.getByRole('columnheader', { name: 'body' }).count()).toBe(0);

    await page.goto(`${server.url}/_/#/collections/users`);
    await page.getByRole('button', { name: 'New record' }).click();
    const form = page.getByRole('dialog', { name: 'New users record' });
    await form.getByRole('textbox', { name: 'email (required)', exact: true }).fill('dana@example.com');
    await form.getByRole('textbox', { name: 'password (required)', exact: true }).fill('long-enough-password');
    await form.getByRole('textbox', { name: 'passwordConfirm', exact: true }).fill('long-enough-password');
    await form.getByRole('checkbox', { name: 'verified', exact: true }).check();
    await form.getByRole('button', { name: 'Create' }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'dana@example.com' }).waitFor();
    const auth = await api(server, 'POST', '/api/collections/users/auth-with-password', { body: { identity: 'dana@example.com', password: 'long-enough-password' } });
    expect(auth.status).toBe(200);
    expect(auth.body.record.verified).toBe(true);
    browser.assertNoErrors();
  }, 15_000);

  it('gives focus back to what opened a dialog, also from a dialog inside a dialog', async () => {
    await page.goto(`${server.url}/_/#/collections/items`);
    await page.getByRole('cell', { name: 'Zulu' }).waitFor();
    const dialogs = page.locator('dialog[open]');
    const focusIsOn = (target: Locator) =>
      expect.poll(() => target.evaluate((el) => el === (globalThis as any).document.activeElement)).toBe(true);

    // New record: closed by Escape, by Cancel and by ×.
    const newRecord = page.getByRole('button', { name: 'New record' });
    for (const close of [
      () => page.keyboard.press('Escape'),
      () => dialogs.getByRole('button', { name: 'Cancel' }).click(),
      () => dialogs.getByRole('button', { name: 'Close' }).click(),
    ]) {
      await newRecord.press('Enter');
      await page.getByRole('dialog', { name: 'New items record' }).waitFor();
      await close();
      await expect.poll(() => dialogs.count()).toBe(0);
      await focusIsOn(newRecord);
    }

    // Edit record, and its Delete's confirmation: Escape there leaves the record's dialog open, focus on its Delete.
    const zulu = (await api(server, 'GET', `/api/collections/items/records?filter=${encodeURIComponent('title="Zulu"')}`, { token })).body.items[0];
    const editZulu = page.getByRole('button', { name: `Edit record ${zulu.id}` });
    await editZulu.press('Enter');
    const edit = page.getByRole('dialog', { name: 'Edit items record' });
    await edit.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete record' }).waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => dialogs.count()).toBe(1);
    await focusIsOn(edit.getByRole('button', { name: 'Delete' }));
    await page.keyboard.press('Escape');
    await expect.poll(() => dialogs.count()).toBe(0);
    await focusIsOn(editZulu);

    // A confirmation on the page.
    await page.getByLabel(`Select ${zulu.id}`).check();
    const deleteSelected = page.getByRole('button', { name: 'Delete selected (1)' });
    await deleteSelected.click();
    await page.getByRole('dialog', { name: 'Delete records' }).getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialogs.count()).toBe(0);
    await focusIsOn(deleteSelected);
    await page.getByLabel(`Select ${zulu.id}`).uncheck();

    // A record deleted from its dialog can take the button that opened it along (the last row of
    // a filtered table): focus goes to the main content, not to <body>.
    const gone = (await api(server, 'POST', '/api/collections/items/records', { token, body: { title: 'Focus target' } })).body;
    const filter = page.getByLabel('Filter');
    await filter.fill('title = "Focus target"');
    await filter.press('Enter');
    await expect.poll(() => page.locator('table.pg-table tbody tr').count()).toBe(1);
    const editGone = page.getByRole('button', { name: `Edit record ${gone.id}` });
    await editGone.press('Enter');
    await page.getByRole('dialog', { name: 'Edit items record' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete record' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => dialogs.count()).toBe(0);
    await expect.poll(() => editGone.count()).toBe(0);
    await focusIsOn(page.locator('#main'));
    await filter.fill('');
    await filter.press('Enter');
    browser.assertNoErrors();
  }, 15_000);

  it('runs a query in the SQL console', async () => {
    await page.goto(`${server.url}/_/#/sql`);
    const query = page.getByLabel('Query');
    await query.fill('SELECT title, count FROM items ORDER BY title');
    await query.press('Control+Enter');
    await page.getByRole('cell', { name: 'Zulu' }).waitFor();
    expect(await page.locator('.pg-stats').textContent()).toContain('2 rows');
    await screenshot(page, 'sql');
    await query.fill("UPDATE items SET count = 7 WHERE title = 'Zulu'");
    await query.press('Control+Enter');
    await expect.poll(() => page.locator('.pg-stats').textContent()).toContain('1 affected');
    await query.fill('SELECT nope FROM nowhere');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.locator('.pg-sql .error-text').waitFor();
    browser.assertNoErrors();
  }, 15_000);

  it('lists the request logs and opens one', async () => {
    await page.goto(`${server.url}/_/#/logs`);
    // Request logs are written in batches off the request path: refresh until they are there.
    await expect
      .poll(async () => {
        await page.getByRole('button', { name: 'Refresh', exact: true }).click();
        return page.locator('.pg-logs-table tbody .pg-message button').count();
      }, { timeout: 10_000, interval: 500 })
      .toBeGreaterThan(0);
    await page.locator('.pg-chart rect').first().waitFor();
    await screenshot(page, 'logs');
    await page.locator('.pg-logs-table tbody .pg-message button').first().click();
    const detail = page.getByRole('dialog', { name: 'Log entry' });
    await detail.getByText('status').waitFor();
    await detail.getByRole('button', { name: 'Close' }).click();
    await detail.waitFor({ state: 'detached' });
    // Focus back on the entry that was opened.
    expect(await page.locator('.pg-logs-table tbody .pg-message button').first().evaluate((el) => el === (globalThis as any).document.activeElement)).toBe(true);

    // Filtered in the filter language; a bad filter's message inline.
    const filter = page.getByRole('searchbox', { name: 'Filter' });
    await filter.fill('data.status >= 400');
    await filter.press('Enter');
    await expect
      .poll(async () => (await page.locator('.pg-logs-table tbody tr td:nth-child(2)').allTextContents()).every((s) => Number(s) >= 400))
      .toBe(true);
    await filter.fill('bogus = 1');
    await filter.press('Enter');
    expect(await page.locator('#logs-error').textContent()).toContain('Invalid filter: unknown field "bogus"');
    browser.assertNoErrors();
  }, 20_000);

  it('saves settings, shows a refused one beside its field, sends a test email and saves token durations', async () => {
    await page.goto(`${server.url}/_/#/settings`);
    const appName = page.getByLabel('Application name');
    await appName.fill('');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('.field', { has: appName }).locator('.field-error').waitFor();
    await appName.fill('Baton Test');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    expect((await api(server, 'GET', '/api/settings', { token })).body.meta.appName).toBe('Baton Test');
    await screenshot(page, 'settings');

    // The test email needs an address: refused beside the field.
    await page.getByRole('button', { name: 'Send test email' }).click();
    await page.locator('.field', { has: page.getByLabel('To', { exact: true }) }).locator('.field-error').waitFor();

    // Without SMTP (the default) the server only writes the mail to its log, and the page says so.
    expect(await page.getByLabel("Send through an SMTP server (otherwise mail is not sent, only written to the server's log)", { exact: true }).isChecked()).toBe(false);
    await page.getByLabel('To', { exact: true }).fill('tester@example.com');
    await page.getByRole('button', { name: 'Send test email' }).click();
    await page.getByText("SMTP is not enabled, so the test email to tester@example.com was not sent: it was written to the server's log.").waitFor();

    // SMTP set up through the form, then a test email through it to a real SMTP server.
    const smtp = await startSmtpServer();
    try {
      await page.getByLabel(/^Send through an SMTP server/).check();
      await page.getByLabel('SMTP host').fill(smtp.host);
      await page.getByLabel('Port').fill(String(smtp.port));
      await page.getByRole('button', { name: 'Save settings' }).click();
      await expect.poll(async () => (await api(server, 'GET', '/api/settings', { token })).body.smtp).toMatchObject({ enabled: true, host: smtp.host, port: smtp.port });
      await page.getByLabel('To', { exact: true }).fill('tester@example.com');
      await page.getByRole('button', { name: 'Send test email' }).click();
      await page.getByText('A test email was sent to tester@example.com.').waitFor();
      expect((await smtp.take('tester@example.com')).subject).toMatch(/Baton Test/);
    } finally {
      await smtp.close();
    }

    // Token durations live on the auth collection.
    const users = page.getByRole('form', { name: 'users tokens and OAuth2', exact: true });
    await users.getByLabel('Auth token (seconds)').fill('3600');
    await users.getByRole('button', { name: 'Save users' }).click();
    await users.getByText('Saved.').waitFor();
    expect((await api(server, 'GET', '/api/collections/users', { token })).body.authToken.duration).toBe(3600);
    browser.assertNoErrors();
  }, 15_000);
});
