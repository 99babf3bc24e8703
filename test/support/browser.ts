// A real browser for the dashboard's tests: Debian's Chromium driven by playwright-core (no browser
// download). Where Chromium is missing the browser tests skip with one printed line, unless
// BATON_REQUIRE_BROWSER=1 (CI), which makes that a failure.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describe } from 'vitest';

/** Where Chromium is looked for (BATON_CHROMIUM overrides Debian's path). */
export const CHROMIUM_PATH = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCREENSHOTS = path.join(ROOT, 'docs/screenshots');

/**
 * Whether the browser tests can run. Without Chromium they skip (vitest.config.ts prints the one
 * line saying so), unless BATON_REQUIRE_BROWSER=1 (CI), where this throws.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.BATON_REQUIRE_BROWSER === '1') {
    throw new Error(`dashboard browser tests: ${CHROMIUM_PATH} not found (BATON_REQUIRE_BROWSER=1; apt-get install -y chromium)`);
  }
  return false;
}

/** `describe` that runs only where Chromium is (see chromiumAvailable). */
export function describeBrowser(name: string, body: () => void): void {
  describe.skipIf(!chromiumAvailable())(name, body);
}

export interface BrowserSession {
  context: BrowserContext;
  /** A new tab; its console errors and uncaught exceptions are collected into `errors`. */
  newPage(): Promise<Page>;
  /** Console errors and page errors seen so far, on every page of the session. */
  errors: string[];
  /** Throws if any page logged an error or threw: call it at the end of each test. */
  assertNoErrors(): void;
  close(): Promise<void>;
}

export interface BrowserOptions {
  /**
   * Console errors to tolerate. By default only the browser's own line for an API answer of 4xx
   * ("Failed to load resource" on an /api/ URL) is, since a form that shows a 400 is expected.
   */
  allow?: RegExp[];
  viewport?: { width: number; height: number };
}

/** Headless Chromium with a fresh profile in a temp directory, removed on close. */
export async function openBrowser(options: BrowserOptions = {}): Promise<BrowserSession> {
  const profile = mkdtempSync(path.join(tmpdir(), 'baton-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: options.viewport ?? { width: 1280, height: 800 },
  });
  const errors: string[] = [];
  const allowed = (text: string, url: string) =>
    (text.startsWith('Failed to load resource: the server responded with a status of 4') && new URL(url || 'http://x/').pathname.startsWith('/api/')) ||
    (options.allow ?? []).some((re) => re.test(text));
  const watch = (page: Page) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      if (!allowed(text, msg.location().url)) errors.push(`console error: ${text} (${msg.location().url})`);
    });
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  };
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  return {
    context,
    errors,
    newPage: () => context.newPage(),
    assertNoErrors() {
      if (errors.length) throw new Error(`the page logged errors:\n${errors.join('\n')}`);
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a PNG of the page to docs/screenshots/<name>.png (kept in the repo as the dashboard's pictures). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}
