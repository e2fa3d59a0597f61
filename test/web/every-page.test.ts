// Every page of the main navigation in a real browser, first on an empty instance (where the
// empty states show) and then on the simulated shop (test/web/world.ts): each page says what to
// do next in words, never a raw write call to the API or a curl line (outside tables, which hold data); no table is cut off on
// the right; axe-core finds no serious or critical violation. The time each page took to become
// interactive on the shop is printed (a trace to read, not asserted: it depends on the machine;
// `npm run bench -- pages` measures it on the medium demo, docs/performance.md). Last, every
// page on a 375 px phone: nothing wider than the screen outside a scrolling box, and the menu
// folded until its button opens it, folded again once a page is chosen.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserSkipReason,
  clippedTables,
  closeBrowser,
  countFetches,
  launchBrowser,
  navigationLabels,
  openTimed,
  seriousViolations,
  signIn,
} from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { fillWorld } from './world.ts';

const reason = browserSkipReason('every-page browser test');

/** A write call to the API, or a curl line: what a marketer must never be told to type. */
const RAW_API_HINT = /\bcurl\b|\b(PUT|POST|DELETE|PATCH) \/api\//;

describe.skipIf(reason !== null)('every page of the navigation in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    ({ browser, page } = await launchBrowser());
    await countFetches(browser);
    await signIn(page, server);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  /** Visits every page; the problems found, each named by its page. */
  async function visitAll(): Promise<{ problems: string[]; timings: Array<[string, number]> }> {
    const labels = await navigationLabels(page);
    expect(labels.length).toBeGreaterThan(15);
    const problems: string[] = [];
    const timings: Array<[string, number]> = [];
    for (const label of labels) {
      timings.push([label, await openTimed(page, label)]);
      // Tables are data (the audit log lists the routes people called), not instructions.
      const text = (await page.evaluate(
        "(() => { const main = document.querySelector('main').cloneNode(true); for (const t of main.querySelectorAll('table')) t.remove(); return main.textContent; })()",
      )) as string;
      const hint = RAW_API_HINT.exec(text);
      if (hint) problems.push(`${label}: tells the reader to type "${hint[0]}"`);
      for (const table of await clippedTables(page)) problems.push(`${label}: table cut off: ${table}`);
      for (const violation of await seriousViolations(page)) problems.push(`${label}: ${violation}`);
    }
    return { problems, timings };
  }

  it('on an empty instance: next steps in words, no table cut off, no serious axe violation', async () => {
    const { problems } = await visitAll();
    expect(problems).toEqual([]);
  }, 600_000);

  /**
   * On the page as laid out now: whether the document is wider than the screen, and the
   * outermost elements that stick out past its right edge without a scrolling box around them
   * (a table scrolling inside its card is fine).
   */
  async function overflowing(phone: Page): Promise<{ scrollWidth: number; width: number; out: string[] }> {
    return (await phone.evaluate(`(() => {
      const width = document.documentElement.clientWidth;
      const sticksOut = (el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.right > width + 1;
      };
      const scrolled = (el) => {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
          const x = getComputedStyle(p).overflowX;
          if (x === 'auto' || x === 'scroll' || x === 'hidden') return true;
        }
        return false;
      };
      const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
        ' "' + (el.textContent || '').trim().slice(0, 40) + '" right ' + Math.round(el.getBoundingClientRect().right);
      const out = [];
      for (const el of document.querySelectorAll('body *')) {
        if (!sticksOut(el) || scrolled(el)) continue;
        if (el.parentElement && sticksOut(el.parentElement) && !scrolled(el.parentElement)) continue;
        out.push(name(el));
      }
      return { scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 5) };
    })()`)) as { scrollWidth: number; width: number; out: string[] };
  }

  it('on the simulated shop: the same, with each page’s time to interactive traced', async () => {
    await fillWorld(server);
    const { problems, timings } = await visitAll();
    console.info(
      `time to interactive on the simulated shop (300 people), ms: ${timings
        .map(([label, ms]) => `${label} ${Math.round(ms)}`)
        .join(', ')}`,
    );
    expect(problems).toEqual([]);
  }, 900_000);

  it('on a 375 px phone (the shop): every page fits the screen’s width and the menu opens and folds', async () => {
    const phone = await launchBrowser({ width: 375, height: 800 });
    try {
      await countFetches(phone.browser);
      await signIn(phone.page, server);
      const nav = phone.page.getByRole('navigation', { name: 'Main' });
      const menu = phone.page.getByRole('button', { name: 'Menu' });
      const problems: string[] = [];
      await menu.click();
      await nav.getByRole('link').first().waitFor();
      const labels = await navigationLabels(phone.page);
      expect(labels.length).toBeGreaterThan(15);
      await menu.click();
      for (const label of labels) {
        // The menu is folded; it opens on its button and folds again once a page is chosen.
        const link = nav.getByRole('link', { name: label, exact: true });
        if (await link.isVisible())
          problems.push(`${label}: the menu was open before its button was pressed`);
        await menu.click();
        await link.waitFor();
        await openTimed(phone.page, label);
        if (await link.isVisible()) problems.push(`${label}: the menu stayed open after choosing the page`);
        const { scrollWidth, width, out } = await overflowing(phone.page);
        if (scrollWidth > width)
          problems.push(`${label}: the page is ${scrollWidth} px wide on a ${width} px screen`);
        for (const element of out) problems.push(`${label}: sticks out: ${element}`);
      }
      expect(problems).toEqual([]);
    } finally {
      await closeBrowser(phone.browser);
    }
  }, 900_000);
});
