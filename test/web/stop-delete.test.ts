// Stopping and deleting from the dashboard, in a real browser against a real server, each change
// checked through the API: an experiment cannot be deleted while it runs (the button is
// refused and says why), is stopped after a confirmation, then deleted after another (a
// dismissed confirmation changes nothing); a funnel is defined stage by stage in a form (a rule
// that does not parse is shown at its stage and nothing is saved), edited, and deleted after a
// confirmation.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserSkipReason,
  closeBrowser,
  launchBrowser,
  openFromNav,
  seriousViolations,
  signIn,
} from '../support/browser.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('stop and delete browser test');

const EXPERIMENT = {
  id: 'banner-colour',
  name: 'Banner colour',
  hypothesis: 'A green banner sells more',
  owner: 'ada',
  status: 'running',
  attachment: { kind: 'standalone' },
  arms: [
    { id: 'a', name: 'Blue', weight: 0.5 },
    { id: 'b', name: 'Green', weight: 0.5 },
  ],
  primaryMetric: { name: 'purchases', kind: 'conversion', event: 'Order Completed', windowHours: 72 },
  guardrailMetrics: [],
};

/** Accepts (or dismisses) the next confirmation and returns what it asked. */
function answerNext(page: Page, accept: boolean): { asked: () => string } {
  let asked = '';
  page.once('dialog', (dialog) => {
    asked = dialog.message();
    void (accept ? dialog.accept() : dialog.dismiss());
  });
  return { asked: () => asked };
}

describe.skipIf(reason !== null)('stopping and deleting in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    expect((await track(server, '/v1/track', { userId: 'u1', event: 'Order Completed' })).status).toBe(200);
    expect((await track(server, '/v1/track', { userId: 'u1', event: 'Product Viewed' })).status).toBe(200);
    await server.settle();
    expect((await server.adminRequest('PUT', `/api/experiments/${EXPERIMENT.id}`, EXPERIMENT)).status).toBe(
      200,
    );
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('refuses to delete a running experiment, stops it after a confirmation, then deletes it', async () => {
    await openFromNav(page, 'Experiments', 'Experiments');
    const remove = page.getByRole('button', { name: 'Delete experiment' });
    await remove.waitFor();
    expect(await remove.isDisabled()).toBe(true);
    await page.getByText('A running experiment cannot be deleted').waitFor();

    answerNext(page, false);
    await page.getByRole('button', { name: 'Stop experiment' }).click();
    expect((await server.admin(`/api/experiments/${EXPERIMENT.id}`)).body.status).toBe('running');
    const stop = answerNext(page, true);
    await page.getByRole('button', { name: 'Stop experiment' }).click();
    await page.getByRole('button', { name: 'Stop experiment' }).waitFor({ state: 'detached' });
    expect(stop.asked()).toContain('Banner colour');
    const stopped = (await server.admin(`/api/experiments/${EXPERIMENT.id}`)).body;
    expect(stopped).toMatchObject({
      status: 'stopped',
      arms: EXPERIMENT.arms,
      hypothesis: EXPERIMENT.hypothesis,
    });

    expect(await remove.isDisabled()).toBe(false);
    answerNext(page, false);
    await remove.click();
    expect((await server.admin(`/api/experiments/${EXPERIMENT.id}`)).status).toBe(200);
    const removal = answerNext(page, true);
    await remove.click();
    await page.getByText('No experiments yet').waitFor();
    expect(removal.asked()).toContain('Banner colour');
    expect((await server.admin(`/api/experiments/${EXPERIMENT.id}`)).status).toBe(404);
    expect((await server.admin('/api/experiments')).body.items).toEqual([]);
  }, 120_000);

  it('defines a funnel in a form: a bad rule is shown at its stage, a good one saved', async () => {
    await openFromNav(page, 'Funnel and paths', 'Funnel and paths');
    await page.getByRole('button', { name: 'Define your own stages' }).click();
    const form = page.getByRole('form', { name: 'Funnel definition' });
    await form.getByLabel('Funnel name').fill('Shop lifecycle');
    await form.getByLabel('Id (lowercase, digits, - and _)').fill('lifecycle');
    await form.getByLabel('Stage 2 name').fill('Browsing');
    await form.getByLabel('Reached when').nth(1).fill('performed "Product Viewed" at least');
    await form.getByRole('button', { name: 'Add a stage' }).click();
    await form.getByLabel('Stage 3 name').fill('Buying');
    await form.getByLabel('Reached when').nth(2).fill('performed "Order Completed"');
    await form.getByRole('button', { name: 'Save funnel' }).click();
    await form.locator('#stage-issues-1').waitFor();
    expect(await form.locator('#stage-issues-0').count()).toBe(0);
    expect((await server.admin('/api/funnels')).body.funnels).toEqual([]);

    await form.getByLabel('Reached when').nth(1).fill('performed "Product Viewed"');
    await form.getByRole('button', { name: 'Save funnel' }).click();
    await form.waitFor({ state: 'detached' });
    const [funnel] = (await server.admin('/api/funnels')).body.funnels;
    expect(funnel).toMatchObject({ id: 'lifecycle', name: 'Shop lifecycle' });
    expect(funnel.stages.map((s: { id: string; text: string }) => [s.id, s.text])).toEqual([
      ['aware', 'first seen after 1970-01-01'],
      ['browsing', 'performed "Product Viewed"'],
      ['buying', 'performed "Order Completed"'],
    ]);
    expect(await seriousViolations(page)).toEqual([]);
  }, 120_000);

  it('edits the funnel (a stage moved and removed), then deletes it after a confirmation', async () => {
    await page.getByRole('button', { name: 'Edit funnel' }).click();
    const form = page.getByRole('form', { name: 'Funnel definition' });
    await form.getByRole('button', { name: 'Remove stage 1' }).click();
    await form.getByRole('button', { name: 'Stage 2 up' }).click();
    await form.getByRole('button', { name: 'Save funnel' }).click();
    await form.waitFor({ state: 'detached' });
    const [funnel] = (await server.admin('/api/funnels')).body.funnels;
    expect(funnel.stages.map((s: { id: string }) => s.id)).toEqual(['buying', 'browsing']);
    expect(funnel.version).toBe(2);

    answerNext(page, false);
    await page.getByRole('button', { name: 'Delete funnel' }).click();
    expect((await server.admin('/api/funnels')).body.funnels).toHaveLength(1);
    const removal = answerNext(page, true);
    await page.getByRole('button', { name: 'Delete funnel' }).click();
    await page.getByText('No funnel is switched on').waitFor();
    expect(removal.asked()).toContain('Shop lifecycle');
    expect((await server.admin('/api/funnels')).body.funnels).toEqual([]);
  }, 120_000);
});
