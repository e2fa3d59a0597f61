// The Experiments page in a real browser (Debian's chromium through playwright-core) against a
// real server: an experiment defined through the form (no JSON), a refusal shown with its field,
// results whose verdict, rates and p-values are the API's, the interval drawn, and the SRM
// warning on a broken split. Saves docs/screenshots/experiments.png.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserSkipReason,
  closeBrowser,
  launchBrowser,
  openFromNav,
  SHOTS,
  SHOWN,
  signIn,
} from '../support/browser.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('experiments browser tests');

const T0 = Date.now() - 3 * 86_400_000;
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function exposure(userId: string, experimentId: string, arm: string, minute: number) {
  return {
    type: 'track',
    userId,
    event: 'Experiment Viewed',
    properties: {
      experiment_id: experimentId,
      experiment_name: experimentId,
      variation_id: arm,
      variation_name: arm,
    },
    timestamp: at(minute),
  };
}

/** 200 people per arm; 20% buy in control, 45% in green; 5 unsubscribe in each. */
function checkoutEvents() {
  const events: unknown[] = [];
  for (let i = 0; i < 400; i++) {
    const arm = i % 2 === 0 ? 'control' : 'green';
    const userId = `shopper-${i}`;
    const rank = Math.floor(i / 2);
    events.push(exposure(userId, 'checkout', arm, i % 60));
    if (rank < (arm === 'control' ? 40 : 90)) {
      events.push({
        type: 'track',
        userId,
        event: 'Order Completed',
        properties: { revenue: 20 },
        timestamp: at(90 + (i % 60)),
      });
    }
    if (rank >= 195) events.push({ type: 'track', userId, event: 'Email Unsubscribed', timestamp: at(120) });
  }
  // A placement's two offers: 6 clicks in 300 views against 24 in 300.
  for (let i = 0; i < 600; i++) {
    const offer = i < 300 ? 'offer-a' : 'offer-b';
    const props = { promotion_id: offer, placement: 'home', creative: 'home', position: 'home' };
    events.push({
      type: 'track',
      userId: `viewer-${i}`,
      event: 'Promotion Viewed',
      properties: props,
      timestamp: at(1),
    });
    if (i % 300 < (offer === 'offer-a' ? 6 : 24)) {
      events.push({
        type: 'track',
        userId: `viewer-${i}`,
        event: 'Promotion Clicked',
        properties: props,
        timestamp: at(2),
      });
    }
  }
  // A broken split: 300 against 100 on a 50/50 experiment.
  for (let i = 0; i < 400; i++) {
    events.push(exposure(`visitor-${i}`, 'skewed', i < 300 ? 'a' : 'b', 5));
    if (i % 4 === 0)
      events.push({ type: 'track', userId: `visitor-${i}`, event: 'Order Completed', timestamp: at(30) });
  }
  return events;
}

describe.skipIf(reason !== null)('the Experiments page in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    const events = checkoutEvents();
    for (let i = 0; i < events.length; i += 500) {
      expect((await track(server, '/v1/batch', { batch: events.slice(i, i + 500) })).status).toBe(200);
    }
    await server.settle();
    const skewed = await server.adminRequest('PUT', '/api/experiments/skewed', {
      id: 'skewed',
      name: 'Skewed banner test',
      hypothesis: '',
      owner: '',
      status: 'running',
      attachment: { kind: 'standalone' },
      arms: [
        { id: 'a', name: 'A', weight: 0.5 },
        { id: 'b', name: 'B', weight: 0.5 },
      ],
      primaryMetric: { name: 'purchases', kind: 'conversion', event: 'Order Completed', windowHours: 72 },
      guardrailMetrics: [],
    });
    expect(skewed.status).toBe(200);
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
    await openFromNav(page, 'Experiments', 'Experiments');
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('refuses weights that do not add up, naming the field', async () => {
    const form = page.locator('#new-experiment');
    await form.locator('#exp-name').fill('Green checkout button');
    await form.getByLabel(/^Key/).fill('checkout');
    await form.locator('#primary-name').fill('purchases');
    await form.locator('#primary-event').fill('Order Completed');
    await form.getByLabel('Arm 2 weight (%)').fill('60');
    await form.getByRole('button', { name: 'Save experiment' }).click();
    await expect.poll(() => form.getByRole('alert').textContent(), SHOWN).toContain('arms');
  });

  it('defines an experiment through the form and shows its results as the API computes them', async () => {
    const form = page.locator('#new-experiment');
    await form.getByLabel('Hypothesis').fill('A green button makes more people finish their order');
    await form.getByLabel('Owner').fill('ada@example.com');
    await form.getByLabel('Arm 2 key').fill('green');
    await form.getByLabel('Arm 2 name').fill('Green');
    await form.getByLabel('Arm 2 weight (%)').fill('50');
    await form.locator('#primary-name').fill('purchases');
    await form.locator('#primary-event').fill('Order Completed');
    await form.getByRole('button', { name: 'Add a guardrail metric' }).click();
    await form.locator('#guardrail-name').fill('unsubscribes');
    await form.locator('#guardrail-event').fill('Email Unsubscribed');
    await form.getByRole('button', { name: 'Save experiment' }).click();
    await page.locator('#experiment-select').selectOption('checkout');
    await page.locator('#verdict').waitFor();

    const results = (await server.admin('/api/experiments/checkout/results')).body;
    const verdict = await page.locator('#verdict').textContent();
    expect(verdict).toBe(results.verdict);
    // The planted 20% → 45% is found; the guardrail's equal unsubscribes are not.
    expect(verdict).toContain('Green wins on purchases');
    expect(verdict).toContain('guardrail unsubscribes unchanged');
    const rows = await page.locator('#metric-purchases tbody tr').allTextContents();
    expect(rows[0]).toContain('Control');
    expect(rows[0]).toContain('20.0%');
    expect(rows[1]).toContain('45.0%');
    const green = results.metrics[0].arms[1];
    expect(rows[1]).toContain(`+${(green.effect * 100).toFixed(1)}%`);
    expect(rows[1]).toContain(green.adjustedPValue < 0.001 ? '< 0.001' : green.adjustedPValue.toFixed(3));
    const interval = page.getByRole('img', { name: /^Green on purchases/ });
    await expect
      .poll(() => interval.getAttribute('aria-label'), SHOWN)
      .toContain(`interval +${(green.ci[0] * 100).toFixed(1)}% to +${(green.ci[1] * 100).toFixed(1)}%`);
    await expect.poll(() => page.locator('#srm-warning').count(), SHOWN).toBe(0);
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(SHOTS, 'experiments.png'), fullPage: true });
  });

  it('warns of a sample-ratio mismatch', async () => {
    await page.locator('#experiment-select').selectOption('skewed');
    await page.locator('#srm-warning').waitFor();
    await expect
      .poll(() => page.locator('#srm-warning').textContent(), SHOWN)
      .toContain('300 (A) and 100 (B)');
    await expect.poll(() => page.locator('#verdict').textContent(), SHOWN).toContain('The split is broken');
  });

  it("shows a placement's bandit with its exploration share, as the API computes it", async () => {
    await page.locator('#bandit-placement').fill('home');
    await page.locator('#bandit').getByRole('button', { name: 'Show' }).click();
    await page.locator('#bandit-table').waitFor();
    const bandit = (await server.admin('/api/bandits/home')).body;
    const text = await page.locator('#bandit-explained').textContent();
    expect(text).toContain(`${bandit.leader} is most likely the best`);
    expect(bandit.leader).toBe('offer-b');
    expect(text).toContain(`spread the other ${(bandit.explorationShare * 100).toFixed(1)}%`);
    const rows = await page.locator('#bandit-table tbody tr').allTextContents();
    expect(rows.join(' ')).toContain('300');
  });

  it('defines a bandit on a placement without JSON and shows who is served now, as the API says', async () => {
    const form = page.locator('#new-experiment');
    await form.locator('#exp-name').fill('Home banner bandit');
    await form.getByLabel(/^Key/).fill('home-bandit');
    await form.getByLabel('Where it runs').selectOption('placement');
    await form.getByLabel(/^Placement id/).fill('home');
    await form.getByLabel('How people are shared out').selectOption('bandit');
    await form.getByLabel(/^Exploration share/).fill('10');
    await form.getByLabel(/^Floor per arm/).fill('5');
    await form.getByLabel('Arm 1 key').fill('offer-a');
    await form.getByLabel('Arm 1 name').fill('Offer A');
    await form.getByLabel('Arm 1 weight (%)').fill('50');
    await form.getByLabel('Arm 2 key').fill('offer-b');
    await form.getByLabel('Arm 2 name').fill('Offer B');
    await form.getByLabel('Arm 2 weight (%)').fill('50');
    await form.locator('#primary-name').fill('clicks');
    await form.locator('#primary-event').fill('Promotion Clicked');
    await form.getByRole('button', { name: 'Save experiment' }).click();
    await page.locator('#experiment-select').selectOption('home-bandit');
    await page.locator('#serving-weights').waitFor();

    const saved = (await server.admin('/api/experiments/home-bandit')).body;
    expect(saved).toMatchObject({
      attachment: { kind: 'placement', placementId: 'home' },
      mode: 'bandit',
      bandit: { explorationShare: 0.1, floor: 0.05 },
      minPeoplePerArm: 100,
    });
    const results = (await server.admin('/api/experiments/home-bandit/results')).body;
    // 24 clicks in 300 views against 6 in 300: the bandit serves offer B to almost everyone.
    expect(results.servingWeights['offer-b']).toBeGreaterThan(0.9);
    const rows = await page.locator('#serving-weights tbody tr').allTextContents();
    expect(rows).toEqual([
      `Offer A${(results.servingWeights['offer-a'] * 100).toFixed(1)}%`,
      `Offer B${(results.servingWeights['offer-b'] * 100).toFixed(1)}%`,
    ]);
    await expect
      .poll(() => page.locator('#serving-weights caption').textContent(), SHOWN)
      .toContain('no arm gets less than 5%');
    // Nobody has been exposed yet: no winner is called, and the page says why.
    const verdict = await page.locator('#verdict').textContent();
    expect(verdict).toBe(results.verdict);
    expect(verdict).toMatch(/^Not enough data yet: no winner is called before every arm has 100 people/);
    await expect.poll(() => page.locator('#minimum-note').textContent(), SHOWN).toContain('100 people');
  });

  it('labels every input, select and textarea', async () => {
    const unlabelled: string[] =
      await page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
      .filter((el) => !(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
      .map((el) => el.outerHTML.slice(0, 80))`);
    expect(unlabelled).toEqual([]);
  });
});
