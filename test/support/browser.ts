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
