// Every page of the main navigation in a real browser, first on an empty instance (where the
// empty states show) and then on the simulated shop (test/web/world.ts): each page says what to
// do next in words, never a raw write call to the API or a curl line (outside tables, which hold data); no table is cut off on
// the right; axe-core finds no serious or critical violation. The time each page took to become
// interactive on the shop is printed (a trace to read, not asserted: it depends on the machine;
// `npm run bench -- pages` measures it on the medium demo, docs/performance.md).
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
});
