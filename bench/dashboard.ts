// Benchmark: the dashboard's records page on a big collection (docs/performance.md, "Dashboard").
//
// Usage: node --import tsx bench/dashboard.ts [--rounds=7] [--sizes=1000,100000]
//
// For each size, a data directory with a superuser, `authors` (100 records, `name` presentable) and
// `posts` (title, views, published, author -> authors, due date, created/updated autodates; no index
// but the id's), seeded straight into data.db with one prepared INSERT in one transaction (rows as
// Baton writes them: 15-character ids, UTC date text, created in insertion order), and
// `node bin/baton.js serve` on it. Both servers run at once; one Debian Chromium (playwright-core,
// fresh profile) signs in to each through the login form, then the rounds alternate which size goes
// first. Each round opens the records page as a new document and times, in the page:
//   open:   navigation start -> the first page of rows in the DOM (table idle); and -> the total shown
//   next:   "Next page" clicked -> the new rows in the DOM
//   last:   "Last page" clicked -> its rows
//   filter: a filter applied (default sort) -> the matching rows
//   sort:   the `views` header clicked (filter cleared first, untimed) -> the sorted rows
//   500 per page: the page opened again, then 500 rows a page chosen -> those rows (rendering)
//   open -created, last -created: the page opened with `?sort=-created` (the order the page
//           opened in before `-@rowid`), and its last page
// The records API requests each step sent are recorded, then replayed with fetch (the same URLs,
// the same token) as the API's own time, so the page's share is the difference. The figure that
// matters is the ratio largest size / smallest size, measured in the same run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { chromium, type Page } from 'playwright-core';
import { openBaton } from '../src/cli/wire.ts';
import { systemContext } from '../src/domain/context.ts';
import { silentLogger } from '../src/kernel/logger.ts';
import { answering } from './pinned-processes.ts';
import { cleanupAll, freePorts, isInterrupted, median, onCleanup, root, sqliteVersion, stop, versionOf } from './support.ts';

const { values: args } = parseArgs({ options: { rounds: { type: 'string' }, sizes: { type: 'string' } } });
const ROUNDS = Number(args.rounds ?? 7);
const SIZES = (args.sizes ?? '1000,100000').split(',').map(Number);
const EMAIL = 'bench@example.com';
const PASSWORD = 'bench-password';
const AUTHORS = 100;
const FILTER = 'views > 500 && published = true';
const STEPS = ['open', 'total', 'next', 'last', 'filter', 'sort', '500 per page', 'open -created', 'last -created'] as const;
type Step = (typeof STEPS)[number];

// ---- data ----------------------------------------------------------------------------------------

const ID_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
function makeId(random: () => number): string {
  let id = '';
  for (let i = 0; i < 15; i++) id += ID_CHARS[Math.floor(random() * ID_CHARS.length)];
  return id;
}

/** A data directory with the collections made by Baton's own service and `n` posts inserted directly. */
async function seedDir(n: number): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), `baton-bench-dashboard-${n}-`));
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  const baton = await openBaton({ dataDir: dir, logger: silentLogger });
  const { records, collections, schema } = baton.services;
  const ctx = systemContext(silentLogger, { kind: 'superuser', collection: schema.find('_superusers')!, record: {} });
  await records.create(ctx, '_superusers', { body: { email: EMAIL, password: PASSWORD, passwordConfirm: PASSWORD }, source: 'json' });
  const authors = await collections.create(ctx, { name: 'authors', fields: [{ name: 'name', type: 'text', presentable: true }] });
  await collections.create(ctx, {
    name: 'posts',
    fields: [
      { name: 'title', type: 'text' },
      { name: 'views', type: 'number' },
      { name: 'published', type: 'bool' },
      { name: 'author', type: 'relation', collectionId: authors.id, maxSelect: 1 },
      { name: 'due', type: 'date' },
      { name: 'created', type: 'autodate', onCreate: true },
      { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
    ],
  });
  const authorIds: string[] = [];
  for (let i = 0; i < AUTHORS; i++) authorIds.push(String((await records.create(ctx, 'authors', { body: { name: `Author ${i}` }, source: 'json' })).id));
  await baton.close();

  // A deterministic PRNG: both sizes get the same kind of rows.
  let state = 12345;
  const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const db = new Database(path.join(dir, 'data.db'));
  const insert = db.prepare('INSERT INTO posts (id, title, views, published, author, due, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const start = Date.UTC(2025, 0, 1);
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      // One record a minute, in insertion order, as a real collection grows.
      const created = new Date(start + i * 60_000).toISOString().replace('T', ' ');
      const due = new Date(start + Math.floor(random() * 365) * 86_400_000).toISOString().replace('T', ' ');
      insert.run(makeId(random), `post ${i}`, i % 1000, i % 3 !== 0 ? 1 : 0, authorIds[i % AUTHORS], due, created, created);
    }
  })();
  db.close();
  return dir;
}

// ---- servers -------------------------------------------------------------------------------------

async function startBaton(dir: string, port: number): Promise<{ url: string; child: ChildProcess }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_')));
  const child = spawn(process.execPath, ['bin/baton.js', 'serve', `--http=127.0.0.1:${port}`, `--dir=${dir}`, '--log-level=warn'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  onCleanup(() => stop(child));
  const url = `http://127.0.0.1:${port}`;
  await answering(child, `${url}/api/health`, `baton (${dir})`);
  return { url, child };
}

// ---- the page ------------------------------------------------------------------------------------

/**
 * Installed in every document before the app's scripts: `sig()` names the rows on screen once the
 * table is idle (null while loading or empty); `until(before)` resolves with performance.now() at
 * the first DOM change after which the rows differ from `before`.
 */
const PAGE_HELPERS = `
window.__bench = {
  sig() {
    const t = document.querySelector('table.pg-table');
    if (!t || t.getAttribute('aria-busy') === 'true') return null;
    const ids = Array.from(t.querySelectorAll('tbody button.pg-link'), (b) => b.textContent);
    return ids.length ? ids[0] + '|' + ids[ids.length - 1] + '|' + ids.length : null;
  },
  when(test) {
    return new Promise((resolve, reject) => {
      // A rebuild of dist/ while the servers run (they list the build at start) leaves a page that never renders.
      const timer = setTimeout(() => { observer.disconnect(); reject(new Error('no rows after 30 s: ' + document.body.innerText.slice(0, 200))); }, 30000);
      const check = () => {
        if (!test()) return;
        observer.disconnect();
        clearTimeout(timer);
        resolve(performance.now());
      };
      const observer = new MutationObserver(check);
      observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
      check();
    });
  },
  until(before) {
    return this.when(() => { const s = this.sig(); return s !== null && s !== before; });
  },
};
window.__firstRows = window.__bench.until(null);
window.__totalShown = window.__bench.when(() => /\\d/.test(document.querySelector('.pg-pager .pg-total')?.textContent ?? ''));
`;

/** Runs `trigger` in the page and returns ms from it until the rows on screen change. */
async function timed(page: Page, trigger: string): Promise<[number, number]> {
  return page.evaluate(async (code) => {
    const w = globalThis as any;
    const before = w.__bench.sig();
    const done = w.__bench.until(before);
    const t0 = performance.now();
    new Function(code)();
    const end = (await done) - t0;
    // When the last records response of this step had arrived: the rest is the page's own work.
    const fetched = performance
      .getEntriesByType('resource')
      .filter((e) => e.startTime >= t0 && /\/records\?/.test(e.name))
      .reduce((m, e) => Math.max(m, (e as any).responseEnd - t0), 0);
    return [end, fetched] as [number, number];
  }, trigger);
}

const click = (selector: string) => `document.querySelector(${JSON.stringify(selector)}).click()`;
const SORT_VIEWS = `Array.from(document.querySelectorAll('th button.pg-sort')).find((b) => b.textContent.trim().startsWith('views')).click()`;

const PER_PAGE_500 = `const s = document.querySelector('.pg-pager select'); s.value = '500'; s.dispatchEvent(new Event('change', { bubbles: true }))`;

interface Session {
  size: number;
  url: string;
  page: Page;
  /** Records API URLs the current step requested. */
  requests: string[];
  /** Per step: the API URLs it sent (from the first round). */
  urls: Partial<Record<Step, string[]>>;
  times: Record<Step, number[]>;
  /** Per step: ms until the last records response had arrived, as the page saw it. */
  fetched: Record<Step, number[]>;
}

async function round(s: Session, first: boolean): Promise<void> {
  const { page } = s;
  const record = (step: Step, [ms, fetched]: [number, number]) => {
    s.times[step].push(ms);
    s.fetched[step].push(fetched);
    if (first) s.urls[step] = [...s.requests];
    s.requests.length = 0;
  };
  await page.goto('about:blank');
  s.requests.length = 0;
  await page.goto(`${s.url}/_/#/collections/posts`);
  const open = await opened(page);
  s.times.total.push(await page.evaluate(() => (globalThis as any).__totalShown as Promise<number>));
  s.fetched.total.push(0);
  record('open', open);
  record('next', await timed(page, click('button[aria-label="Next page"]')));
  record('last', await timed(page, click('button[aria-label="Last page"]')));
  await page.fill('#records-filter', FILTER);
  s.requests.length = 0;
  record('filter', await timed(page, click('form.pg-filter button[type="submit"]')));
  await timed(page, `Array.from(document.querySelectorAll('form.pg-filter button')).find((b) => b.textContent.trim() === 'Clear').click()`);
  s.requests.length = 0;
  record('sort', await timed(page, SORT_VIEWS));

  // Rendering: 500 rows (the largest page size) in the default order.
  await page.goto('about:blank');
  await page.goto(`${s.url}/_/#/collections/posts`);
  await opened(page);
  s.requests.length = 0;
  record('500 per page', await timed(page, PER_PAGE_500));

  // The previous default order, for comparison: `-created` (no index on it), first and last page.
  await page.goto('about:blank');
  s.requests.length = 0;
  await page.goto(`${s.url}/_/#/collections/posts?sort=-created`);
  record('open -created', await opened(page));
  // "Last page" waits for the total.
  await page.evaluate(() => (globalThis as any).__totalShown as Promise<number>);
  record('last -created', await timed(page, click('button[aria-label="Last page"]')));
}

/** Waits for the first rows of a freshly opened records page: [ms from navigation, ms until its list response]. */
async function opened(page: Page): Promise<[number, number]> {
  return page.evaluate(async () => {
    const w = globalThis as any;
    const rows = await w.__firstRows;
    const ends = performance.getEntriesByType('resource').filter((e) => /\/records\?/.test(e.name));
    return [rows, ends.filter((e) => !e.name.includes('fields=id')).reduce((m, e) => Math.max(m, (e as any).responseEnd), 0)] as [number, number];
  });
}

// ---- run -----------------------------------------------------------------------------------------

async function apiTime(url: string, token: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { authorization: token } });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return performance.now() - t0;
}

function bundleSizes(): { raw: number; gzip: number; css: number; cssGzip: number } {
  const dir = path.join(root, 'dist/dashboard/assets');
  const sizes = { raw: 0, gzip: 0, css: 0, cssGzip: 0 };
  for (const name of readdirSync(dir)) {
    const bytes = readFileSync(path.join(dir, name));
    if (name.endsWith('.js')) {
      sizes.raw += bytes.length;
      sizes.gzip += gzipSync(bytes).length;
    } else if (name.endsWith('.css')) {
      sizes.css += bytes.length;
      sizes.cssGzip += gzipSync(bytes).length;
    }
  }
  return sizes;
}

const ms = (xs: number[]) => (xs.length ? median(xs).toFixed(0) : '-');
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  const ports = await freePorts(SIZES.length);
  const sessions: Session[] = [];
  const profile = mkdtempSync(path.join(tmpdir(), 'baton-bench-chromium-'));
  onCleanup(async () => rmSync(profile, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
  });
  onCleanup(() => context.close());
  const tokens = new Map<number, string>();
  for (const [i, size] of SIZES.entries()) {
    const t0 = performance.now();
    const dir = await seedDir(size);
    console.log(`seeded ${size} posts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const { url } = await startBaton(dir, ports[i]);
    const login = await fetch(`${url}/api/collections/_superusers/auth-with-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: EMAIL, password: PASSWORD }),
    });
    tokens.set(size, ((await login.json()) as { token: string }).token);
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await page.addInitScript(PAGE_HELPERS);
    const s: Session = { size, url, page, requests: [], urls: {}, times: Object.fromEntries(STEPS.map((k) => [k, []])) as unknown as Record<Step, number[]>, fetched: Object.fromEntries(STEPS.map((k) => [k, []])) as unknown as Record<Step, number[]> };
    page.on('request', (r) => {
      // The page names the collection by id; it lists no other collection's records.
      if (/\/api\/collections\/[^/]+\/records\?/.test(r.url())) s.requests.push(r.url());
    });
    page.on('pageerror', (e) => console.error(`page error (${size}): ${e.message}`));
    // Sign in through the login form, as a user does; the SDK keeps the session in localStorage.
    await page.goto(`${url}/_/#/login`);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    sessions.push(s);
  }

  // One untimed round each warms the server (statement caches) and the browser (bundle cache).
  for (const s of sessions) await round(s, true);
  for (const s of sessions) for (const k of STEPS) s.times[k].length = s.fetched[k].length = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...sessions].reverse() : sessions;
    for (const s of order) await round(s, false);
    process.stdout.write(`round ${r + 1}/${ROUNDS}\r`);
  }

  // The API's own time for the same requests, alternating sizes.
  const api: Record<number, Partial<Record<Step, number[]>>> = {};
  for (const s of sessions) api[s.size] = {};
  for (let r = 0; r < ROUNDS + 1; r++) {
    const order = r % 2 ? [...sessions].reverse() : sessions;
    for (const s of order) {
      for (const step of STEPS) {
        const urls = s.urls[step];
        if (!urls?.length) continue;
        // The page sends a step's requests at once: time them the same way.
        const t0 = performance.now();
        await Promise.all(urls.map((u) => apiTime(u, tokens.get(s.size)!)));
        if (r > 0) (api[s.size][step] ??= []).push(performance.now() - t0);
      }
    }
  }

  const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const bundle = bundleSizes();
  const small = sessions[0];
  const big = sessions[sessions.length - 1];
  console.log(
    `\nRun ${new Date().toISOString().slice(0, 10)}: \`node --import tsx bench/dashboard.ts --rounds=${ROUNDS} --sizes=${SIZES.join(',')}\`, ` +
      `Node ${process.version}, Chromium ${context.browser()?.version() ?? '(persistent context)'} headless, playwright-core ${versionOf('playwright-core')}, ` +
      `SQLite ${await sqliteVersion()}, medians of ${ROUNDS} alternating rounds after one warm-up round; load average at the end ${loadavg}.\n`,
  );
  const header = SIZES.map((n) => `${n.toLocaleString('en')} records: page (response in) / API ms`);
  console.log(`| step | ${header.join(' | ')} | ${big.size.toLocaleString('en')} vs ${small.size.toLocaleString('en')} (page) |`);
  console.log(`|---|${SIZES.map(() => '---|').join('')}---|`);
  for (const step of STEPS) {
    const cells = sessions.map((s) => `${ms(s.times[step])} (${step === 'total' ? '-' : ms(s.fetched[step])}) / ${ms(api[s.size][step] ?? [])}`);
    const ratio = median(big.times[step]) / median(small.times[step]);
    console.log(`| ${step} | ${cells.join(' | ')} | ${ratio.toFixed(2)}x |`);
  }
  console.log('\nRequests per step (first round):');
  for (const step of STEPS) {
    const urls = big.urls[step] ?? [];
    console.log(`- ${step}: ${urls.map((u) => decodeURIComponent(new URL(u).search)).join(' ; ') || '(none)'}`);
  }
  console.log(`\nBundle: JS ${kb(bundle.raw)} (gzip ${kb(bundle.gzip)}), CSS ${kb(bundle.css)} (gzip ${kb(bundle.cssGzip)})`);
}

try {
  await main();
} catch (e) {
  // Interrupted: the signal handler is tearing down; the page's calls fail on the way.
  if (!isInterrupted()) throw e;
} finally {
  await cleanupAll();
}
