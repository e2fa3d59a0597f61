// The Tasks page in a real browser against a real server: a journey's Create task step puts a
// call on the queue for two people; the page lists them by name, and a marketer claims one,
// marks it done with an outcome, and skips the other after a confirmation (a dismissed one
// changes nothing). Each change is checked through the API, where the outcome is what a journey
// waiting for Task Completed would see.
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
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('tasks browser test');

const CALL_JOURNEY = {
  format: 1,
  id: 'call-back',
  version: 1,
  name: 'Call people who ask for it',
  entry: { kind: 'event', event: 'Callback Requested' },
  reentry: { mode: 'once' },
  defaultTimeZone: 'UTC',
  start: 'call',
  steps: [
    {
      id: 'call',
      type: 'createTask',
      queue: 'call-centre',
      title: 'Call {{ traits.first_name }} back',
      next: 'done',
    },
    { id: 'done', type: 'exit' },
  ],
};

const PEOPLE = [
  { userId: 'task-ada', first_name: 'Ada', last_name: 'Lovelace' },
  { userId: 'task-grace', first_name: 'Grace', last_name: 'Hopper' },
];

interface TaskRow {
  id: string;
  profileId: string;
  title: string;
  status: string;
  claimedBy: string | null;
  outcome: string | null;
  completedBy: string | null;
}

describe.skipIf(reason !== null)('the Tasks page in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;
  let tasks: TaskRow[];

  const task = async (title: string): Promise<TaskRow> => {
    const all = (await server.admin('/api/tasks?queue=call-centre&limit=50')).body.items as TaskRow[];
    const found = all.find((t) => t.title === title);
    if (!found) throw new Error(`no task ${title}`);
    return found;
  };

  beforeAll(async () => {
    server = await startTestServer({}, { conductorPollMs: 20 });
    expect((await server.adminRequest('POST', '/api/journeys', CALL_JOURNEY)).status).toBe(201);
    for (const { userId, ...traits } of PEOPLE) {
      expect((await track(server, '/v1/identify', { userId, traits })).status).toBe(200);
      expect((await track(server, '/v1/track', { userId, event: 'Callback Requested' })).status).toBe(200);
    }
    tasks = await eventually(
      async () => (await server.admin('/api/tasks?queue=call-centre')).body.items as TaskRow[],
      (items) => items.length === 2,
      120_000,
    );
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
    await openFromNav(page, 'Tasks', 'Tasks');
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('lists the open tasks with each person by name, linked to their page', async () => {
    const table = page.locator('#tasks');
    await table.getByRole('link', { name: 'Ada Lovelace' }).waitFor();
    await table.getByRole('link', { name: 'Grace Hopper' }).waitFor();
    const ada = tasks.find((t) => t.title === 'Call Ada back');
    expect(ada).toBeDefined();
    expect(await table.getByRole('link', { name: 'Ada Lovelace' }).getAttribute('href')).toBe(
      `/people/${encodeURIComponent(ada!.profileId)}`,
    );
    expect(await table.locator('tbody tr').count()).toBe(2);
    expect(await seriousViolations(page)).toEqual([]);
  }, 120_000);

  it('claims a task, then marks it done with the outcome typed', async () => {
    const row = page.locator('#tasks tbody tr', { hasText: 'Call Ada back' });
    await row.getByRole('button', { name: 'Claim' }).click();
    await eventually(
      () => task('Call Ada back'),
      (t) => t.status === 'claimed',
      30_000,
    );
    expect((await task('Call Ada back')).claimedBy).toBe('test-admin');
    // Claimed, it left the open list: it is under Claimed.
    await row.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Claimed', exact: true }).click();
    const claimed = page.locator('#tasks tbody tr', { hasText: 'Call Ada back' });
    await claimed.getByText('claimed by test-admin').waitFor();
    await claimed.getByLabel('Outcome').fill('reached, ordering');
    await claimed.getByRole('button', { name: 'Mark done' }).click();
    await claimed.waitFor({ state: 'detached' });
    const done = await task('Call Ada back');
    expect(done).toMatchObject({
      status: 'completed',
      outcome: 'reached, ordering',
      completedBy: 'test-admin',
    });
  }, 120_000);

  it('skips a task only after a confirmation', async () => {
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    const row = page.locator('#tasks tbody tr', { hasText: 'Call Grace back' });
    page.once('dialog', (dialog) => void dialog.dismiss());
    await row.getByRole('button', { name: 'Skip' }).click();
    expect((await task('Call Grace back')).status).toBe('open');
    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.accept();
    });
    await row.getByRole('button', { name: 'Skip' }).click();
    await row.waitFor({ state: 'detached' });
    expect(asked).toContain('Call Grace back');
    expect(await task('Call Grace back')).toMatchObject({ status: 'completed', outcome: 'skipped' });
    await page.getByText('No open tasks').waitFor();
    await page.getByRole('button', { name: 'Done', exact: true }).click();
    await page.locator('#tasks tbody tr', { hasText: 'skipped' }).waitFor();
    expect(await page.locator('#tasks tbody tr').count()).toBe(2);
  }, 120_000);
});
