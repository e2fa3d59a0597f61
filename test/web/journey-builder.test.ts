// The visual journey builder in a real browser (Debian's chromium through playwright-core)
// against a real server filled with the simulated shop. A journey is built only by clicking
// and typing (no API call builds it): bad input first (a send with no text, an outlet left
// unconnected, a cycle with no wait), each shown at its step with saving refused; then a
// broadcast to the shop's big spenders that sets a trait and sends an email. It runs, and its
// result is checked against queries anyone can rerun: everyone in the segment entered, and the
// trait it set holds for exactly the segment's members. axe-core runs inside the page.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserSkipReason,
  closeBrowser,
  launchBrowser,
  openFromNav,
  SHOTS,
  seriousViolations,
  signIn,
} from '../support/browser.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { api, fillWorld } from './world.ts';

const reason = browserSkipReason('journey builder browser tests');

describe.skipIf(reason !== null)('the journey builder in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  const node = (id: string): Locator => page.locator(`.react-flow__node[data-id="${id}"]`);
  const issuesAt = (id: string): Locator => page.getByTestId(`issues-${id}`);
  const saveButton = (): Locator => page.getByRole('button', { name: 'Save journey' });
  const stepForm = (): Locator => page.getByRole('complementary', { name: 'Selected step' });
  const add = (label: string) =>
    page.locator('.add-buttons').getByRole('button', { name: label, exact: true }).click();

  /** Drags from one step's outlet to another step, as a marketer connects them. */
  async function connect(from: string, outlet: string, to: string): Promise<void> {
    await page.getByTestId('journey-canvas').scrollIntoViewIfNeeded();
    const handle = node(from).locator(`.react-flow__handle[data-handleid="${outlet}"]`);
    const target = node(to).locator('.react-flow__handle.target');
    const a = (await handle.boundingBox())!;
    const b = (await target.boundingBox())!;
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 5, { steps: 5 });
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
    await page.mouse.up();
  }

  /** Waits for a step's problems to go; says which remain when they do not. */
  async function cleared(id: string): Promise<void> {
    await issuesAt(id)
      .waitFor({ state: 'detached', timeout: 15_000 })
      .catch(async () => {
        await page.screenshot({ path: join(tmpdir(), `journey-builder-${id}.png`), fullPage: true });
        throw new Error(`problems remain at ${id}: ${await issuesAt(id).textContent()}`);
      });
  }

  async function checked(): Promise<void> {
    await page.getByTestId('check-status').filter({ hasNotText: 'Checking' }).waitFor();
  }

  beforeAll(async () => {
    server = await startTestServer({}, { conductorPollMs: 50 });
    await fillWorld(server);
    ({ browser, page } = await launchBrowser({ width: 1500, height: 1000 }));
    await signIn(page, server);
    await openFromNav(page, 'Journeys', 'Journeys');
    await page.getByRole('button', { name: 'New journey' }).click();
    await page.getByTestId('journey-canvas').waitFor();
  }, 600_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('shows a send with no text at its step and refuses to save', async () => {
    await add('Send a message');
    await issuesAt('send-1').getByText('step send-1 sends nothing: its message text is empty').waitFor();
    await checked();
    expect(await saveButton().isDisabled()).toBe(true);
    const form = stepForm();
    await form.getByLabel('Subject').fill('Thank you, {{ traits.first_name | default: "friend" }}');
    await form.getByLabel('Message text').fill('Thank you for shopping with us.');
    await cleared('send-1');
  });

  it('shows an outlet left unconnected at its step, until it is dragged to a step', async () => {
    await add('Wait for an event');
    await issuesAt('waitForEvent-1')
      .getByText('step waitForEvent-1 is not connected: its onTimeout goes to no step')
      .waitFor();
    await checked();
    expect(await saveButton().isDisabled()).toBe(true);
    await stepForm().getByLabel('Wait for the event').fill('Order Completed');
    // A drag under a loaded machine sometimes ends before React Flow has seen the pointer reach
    // the target; a marketer would drag again, and so does the test (three tries at most).
    for (let attempt = 1; ; attempt++) {
      await connect('waitForEvent-1', 'onTimeout', 'done');
      const gone = await issuesAt('waitForEvent-1')
        .waitFor({ state: 'detached', timeout: 5_000 })
        .then(() => true)
        .catch(() => false);
      if (gone || attempt === 3) break;
    }
    await cleared('waitForEvent-1');
  });

  it('shows a cycle with no wait at a step on it and refuses to save', async () => {
    // The graph is checked once the shape is whole: the trigger needs its event first. A name
    // never seen is a warning before save, with the near miss named (names match exactly).
    const settings = page.getByRole('region', { name: 'Journey settings' });
    const trigger = settings.getByLabel('Trigger event');
    await trigger.fill('order completed');
    await settings
      .getByTestId('unknown-name')
      .getByText('No event “order completed” has been seen; did you mean “Order Completed”?', {
        exact: false,
      })
      .waitFor();
    await trigger.fill('Order Completed');
    await settings.getByTestId('unknown-name').waitFor({ state: 'detached' });
    await node('send-1').click();
    await add('Branch');
    await stepForm().getByLabel('Event', { exact: true }).fill('Order Completed');
    await stepForm().getByLabel('otherwise: goes to').selectOption('send-1');
    const cycle = page.locator('.flow-step-issues').getByText(/form a cycle with no wait on it/);
    await cycle.waitFor().catch(async (error) => {
      await page.screenshot({ path: join(tmpdir(), 'journey-builder-cycle.png'), fullPage: true });
      throw error;
    });
    await checked();
    expect(await saveButton().isDisabled()).toBe(true);
    // Nothing was stored on the way.
    expect((await server.adminRequest('GET', '/api/journeys/my-journey')).status).toBe(404);
    // Chosen from the list, the keyboard's way to a step.
    await page.getByLabel('Step to set up').selectOption('branch-1');
    await stepForm().getByRole('button', { name: 'Remove this step' }).click();
    await cycle.waitFor({ state: 'detached' });
  });

  it('has no serious accessibility violations in the builder (axe-core)', async () => {
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('builds a broadcast to the big spenders through the forms, saves it, and it runs on the shop', async () => {
    const settings = page.getByRole('region', { name: 'Journey settings' });
    await settings.getByLabel('Name').fill('Thank the big spenders');
    await settings.getByLabel(/^Id/).fill('thank-big-spenders');
    await settings.getByLabel('Starts').selectOption('broadcast');
    await settings.getByLabel('Segment').fill('big-spenders');
    await settings.getByLabel(/^At/).fill('2020-01-01T00:00:00.000Z');
    await node('__trigger').click();
    await add('Set a trait');
    await stepForm().getByLabel('Trait', { exact: true }).fill('thanked');
    await stepForm()
      .getByLabel(/^Value/)
      .fill('true');
    await checked();
    expect(await page.getByTestId('check-status').textContent()).toBe('The server’s check finds no problem.');
    await page.screenshot({ path: join(SHOTS, 'journey-builder.png'), fullPage: true });
    await saveButton().click();
    await page.getByRole('heading', { level: 1, name: 'Thank the big spenders' }).waitFor();

    const saved = (await api(server, 'GET', '/api/journeys/thank-big-spenders')).definition;
    expect(saved.entry).toEqual({
      kind: 'broadcast',
      segmentId: 'big-spenders',
      at: '2020-01-01T00:00:00.000Z',
    });
    expect(saved.start).toBe('setTrait-1');
    const byId = new Map(saved.steps.map((s: { id: string }) => [s.id, s]));
    expect(byId.get('setTrait-1')).toMatchObject({
      type: 'setTrait',
      trait: 'thanked',
      value: true,
      next: 'send-1',
    });
    expect(byId.get('send-1')).toMatchObject({ type: 'send', channel: 'email', next: 'waitForEvent-1' });
    expect(byId.get('waitForEvent-1')).toMatchObject({
      event: 'Order Completed',
      next: 'done',
      onTimeout: 'done',
    });
    expect(byId.has('branch-1')).toBe(false);

    // The truth: the segment's members, by the API anyone can call.
    const members: string[] = (
      await api(server, 'GET', '/api/segments/big-spenders/members?limit=5000')
    ).members.map((m: { profileId: string }) => m.profileId);
    expect(members.length).toBeGreaterThan(0);
    const stats = await eventually(
      () => api(server, 'GET', '/api/journeys/thank-big-spenders/stats'),
      (s) => s.steps['setTrait-1']?.passed === members.length,
      60_000,
    );
    expect(stats.entered).toBe(members.length);
    await server.settle();
    const thanked = await eventually(
      () => api(server, 'POST', '/api/segments/preview?sample=1000', { text: 'trait thanked = true' }),
      (answer) => answer.size >= members.length,
      60_000,
    );
    expect([...thanked.sample].sort()).toEqual([...members].sort());

    // The canvas shows the same counts, live.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByTestId('counts-setTrait-1').getByText(`${members.length} passed`).waitFor();
    await page.getByRole('heading', { name: 'Version history' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('offers the names seen in the segment builder too, and warns of one never seen', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Segments', exact: true })
      .click();
    const event = page.getByLabel('Event', { exact: true });
    await event.fill('Order completed');
    await page
      .getByTestId('unknown-name')
      .getByText('No event “Order completed” has been seen; did you mean “Order Completed”?', {
        exact: false,
      })
      .waitFor();
    // The offered names are the warehouse's, as GET /api/names answers (the journeys above add
    // their own events meanwhile, so the page's list may be the shorter, never another).
    const listId = await event.getAttribute('list');
    const offered = await page
      .locator(`datalist[id="${listId}"] option`)
      .evaluateAll((options) => options.map((option) => option.getAttribute('value')));
    const names: string[] = (await api(server, 'GET', '/api/names')).events.map(
      (e: { name: string }) => e.name,
    );
    expect(offered.length).toBeGreaterThan(15);
    expect(names).toEqual(expect.arrayContaining(offered));
    expect(offered).toEqual(expect.arrayContaining(['Order Completed', 'Signed Up', 'Product Viewed']));
    await event.fill('Order Completed');
    await page.getByTestId('unknown-name').waitFor({ state: 'detached' });
  });
});
