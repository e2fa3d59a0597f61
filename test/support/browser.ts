// The browser tests' shared setup: Debian's chromium driven by playwright-core (never a
// downloaded browser), a fresh profile per launch, the admin-token sign-in, the main
// navigation, and axe-core run inside the page. Each test file keeps its own world and
// assertions; only the wiring lives here.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import type { TestServer } from './server.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHOTS = join(ROOT, 'docs/screenshots');
/**
 * How long a figure the page shows is awaited (vitest's expect.poll options): a read right
 * after an action or a navigation may run before the answer it depends on is drawn, and
 * waitForLoadState('networkidle') returns at once on a page that was idle before. Polling
 * keeps the assertion whole (the same matcher) and only stops it reading too early.
 */
export const SHOWN = { timeout: 15_000, interval: 100 } as const;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * Why the browser tests named `what` cannot run here (no chromium, or the dashboard not built),
 * said once on the console; null when they can. CI (.ci/run) installs chromium and builds first.
 */
export function browserSkipReason(what: string): string | null {
  const reason = !existsSync(CHROMIUM)
    ? `no ${CHROMIUM} (apt-get install chromium)`
    : !existsSync(join(ROOT, 'web/dist/index.html'))
      ? 'web/dist is missing (npm run build)'
      : null;
  if (reason) console.warn(`${what} skipped: ${reason}`);
  return reason;
}

const profiles = new WeakMap<BrowserContext, string>();

/**
 * Headless chromium with a fresh profile directory (launchPersistentContext is playwright's
 * way to pass one) and its first page. Close it with closeBrowser, which removes the profile.
 */
export async function launchBrowser(
  viewport: { width: number; height: number } = { width: 1360, height: 900 },
): Promise<{ browser: BrowserContext; page: Page }> {
  mkdirSync(SHOTS, { recursive: true });
  const profileDir = mkdtempSync(join(tmpdir(), 'rapport-chromium-'));
  const browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport,
  });
  profiles.set(browser, profileDir);
  const page = browser.pages()[0] ?? (await browser.newPage());
  return { browser, page };
}

export async function closeBrowser(browser: BrowserContext | undefined): Promise<void> {
  if (!browser) return;
  await browser.close();
  const profileDir = profiles.get(browser);
  if (profileDir) rmSync(profileDir, { recursive: true, force: true, maxRetries: 5 });
}

/**
 * Signs in with the server's admin token on the page at `path` and waits for the page's first
 * heading (`Overview` on the home page).
 */
export async function signIn(
  page: Page,
  server: TestServer,
  { path = '', heading = 'Overview' }: { path?: string; heading?: string } = {},
): Promise<void> {
  await page.goto(`${server.url}${path}`);
  await page.getByLabel('Admin token').fill(server.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: heading, level: path === '' ? undefined : 1 }).waitFor();
}

/** Follows a link of the main navigation and waits for the page's level-1 heading. */
export async function openFromNav(page: Page, label: string, heading?: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: label, exact: true })
    .click();
  const h1 = page.getByRole('heading', heading ? { level: 1, name: heading } : { level: 1 });
  await h1.first().waitFor();
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** axe-core run inside the page; the serious and critical violations, described. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  // A string, evaluated in the page: axe is the global the script above defined there.
  const violations = await page.evaluate('axe.run(document).then((result) => result.violations)');
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

// The scripts below run inside the page; they are strings because this project's Node
// typings have no DOM (as the axe call above).

/** Counts fetches in flight, released once the body has been read (a clone of it). */
const COUNT_FETCHES = `
  window.__rapportInflight = 0;
  const original = window.fetch.bind(window);
  window.fetch = async (...args) => {
    window.__rapportInflight++;
    try {
      const response = await original(...args);
      await response.clone().text();
      return response;
    } finally {
      window.__rapportInflight--;
    }
  };
`;

/**
 * Counts the page's fetches in flight (window.__rapportInflight), for openTimed. Call before
 * the first navigation: it runs in every document the context opens.
 */
export async function countFetches(browser: BrowserContext): Promise<void> {
  await browser.addInitScript({ content: COUNT_FETCHES });
}

/** In the page: its heading is drawn, no counted fetch is in flight and nothing says "Loading". */
const DRAWN = `(() => {
  const main = document.querySelector('main');
  return main !== null && main.querySelector('h1') !== null &&
    (window.__rapportInflight ?? 0) === 0 &&
    !/Loading/.test(main.textContent ?? '');
})()`;

const interactive = (title: string) =>
  `document.title.startsWith(${JSON.stringify(`${title} ·`)}) && ${DRAWN}`;

/**
 * Waits until the page shown is drawn from its answers: its heading is there, nothing says
 * "Loading" (a page's calls say so from the first render, before they start) and, with
 * countFetches on the context, no fetch is in flight. What a check that something is absent
 * must wait for (read earlier, it passes for the wrong reason), and what
 * waitForLoadState('networkidle') cannot say on a page that was idle before.
 */
export async function drawn(page: Page): Promise<void> {
  await page.waitForFunction(DRAWN, undefined, { polling: 'raf', timeout: 60_000 });
}

/**
 * Follows a main navigation link and waits until the page is interactive: its title is the
 * page's, its heading is drawn, no fetch is in flight and nothing says "Loading". Returns the
 * milliseconds from the click (a figure to report, never to assert: timing depends on the
 * machine). Needs countFetches on the context.
 */
export async function openTimed(page: Page, label: string): Promise<number> {
  const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true });
  const started = performance.now();
  await link.click();
  await page.waitForFunction(interactive(label), undefined, { polling: 'raf', timeout: 120_000 });
  return performance.now() - started;
}

/** The labels of the main navigation's links, in order. */
export async function navigationLabels(page: Page): Promise<string[]> {
  const links = page.getByRole('navigation', { name: 'Main' }).getByRole('link');
  return (await links.allTextContents()).map((text) => text.trim());
}

/** Tables wider than their holder with no scrolling box around them: their last columns are cut. */
const CLIPPED_TABLES = `(() => {
  const clipped = [];
  for (const table of document.querySelectorAll('main table')) {
    const holder = table.parentElement;
    if (table.scrollWidth <= holder.clientWidth + 1) continue;
    let box = holder;
    let scrolls = false;
    while (box && box.tagName !== 'MAIN') {
      const overflow = getComputedStyle(box).overflowX;
      if (overflow === 'auto' || overflow === 'scroll') { scrolls = true; break; }
      box = box.parentElement;
    }
    if (scrolls) continue;
    const section = table.closest('section');
    const heading = section?.querySelector('h2, h3')?.textContent ?? 'a table';
    clipped.push(heading + ' (' + table.scrollWidth + ' px in ' + holder.clientWidth + ' px)');
  }
  return clipped;
})()`;

/** Tables in the page cut off on the right (wider than their box, nothing to scroll them). */
export async function clippedTables(page: Page): Promise<string[]> {
  return (await page.evaluate(CLIPPED_TABLES)) as string[];
}
