// The Operations page in a real browser against a real server: dead letters (messages the
// tracking API refused) and the quarantine (a log entry both stores refuse, appended past the
// tracking API as an old version or another tool on the shared log would). Each is inspected
// with its reason and the message as sent; a dead letter is sent again as kept (refused again,
// shown), corrected in the page (lands, and its person exists), and discarded after a confirm
// (a dismissed confirm keeps it); a quarantined entry is replayed (fails again: shown, and the
// attempt counted) and discarded; the ingest log's state is shown and compacted after a
// confirmation. Every figure is checked against the API. axe-core runs too.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserSkipReason,
  closeBrowser,
  launchBrowser,
  openFromNav,
  SHOTS,
  SHOWN,
  seriousViolations,
  signIn,
} from '../support/browser.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('Operations browser test');

interface Letter {
  id: number;
  field: string;
  reason: string;
  body: string;
}

describe.skipIf(reason !== null)('the Operations page in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  const letters = async (): Promise<Letter[]> =>
    (await server.admin('/api/dead-letters?limit=500')).body.items;
  const letterWith = async (marker: string): Promise<Letter> => {
    const found = (await letters()).find((d) => d.body.includes(marker));
    expect(found, marker).toBeDefined();
    return found as Letter;
  };
  const deadLetters = () => page.locator('#dead-letters');
  const quarantine = () => page.locator('#quarantine');

  beforeAll(async () => {
    server = await startTestServer();
    const sent = await track(server, '/v1/batch', {
      batch: [
        { type: 'track', userId: 'op-good', event: 'Viewed', messageId: 'op-good' },
        { type: 'track', event: 'Order Completed', messageId: 'op-nobody', properties: { revenue: 42 } },
        {
          type: 'track',
          userId: 'op-late',
          event: 'Viewed',
          messageId: 'op-bad-time',
          timestamp: 'yesterday',
        },
      ],
    });
    expect(sent.body.rejected).toHaveLength(2);
    // Both stores refuse an identify without a timestamp (first_seen NOT NULL): profiles and the
    // warehouse each set it aside.
    await server.server.state.log.append([
      {
        messageId: 'op-no-time',
        source: 'legacy-import',
        receivedAt: new Date().toISOString(),
        json: JSON.stringify({
          type: 'identify',
          messageId: 'op-no-time',
          userId: 'bob',
          traits: { plan: 'pro' },
        }),
      },
    ]);
    await server.settle();
    for (let round = 0; (await server.admin('/api/quarantine')).body.total < 2; round++) {
      if (round > 300) throw new Error('the entry was not set aside');
      await new Promise((r) => setTimeout(r, 100));
    }
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
    await openFromNav(page, 'Operations', 'Operations');
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('lists the refused messages with the reasons the API keeps, and shows one as sent', async () => {
    const kept = await letters();
    expect(kept).toHaveLength(2);
    for (const letter of kept) {
      const row = deadLetters().locator(`tr[data-dead-letter="${letter.id}"]`);
      await expect.poll(() => row.textContent(), SHOWN).toContain(`${letter.field}: ${letter.reason}`);
    }
    const nobody = await letterWith('op-nobody');
    await deadLetters()
      .getByRole('button', { name: `Inspect dead letter ${nobody.id}` })
      .click();
    const detail = page.getByRole('region', { name: `Dead letter ${nobody.id}` });
    const message = detail.getByLabel(/The message as sent/);
    expect(JSON.parse(await message.inputValue())).toEqual(JSON.parse(nobody.body));
    await expect.poll(() => detail.textContent(), SHOWN).toContain(`${nobody.field}: ${nobody.reason}`);
  });

  it('sends one again as kept (refused again, shown), then corrected in the page (it lands)', async () => {
    const nobody = await letterWith('op-nobody');
    const detail = page.getByRole('region', { name: `Dead letter ${nobody.id}` });
    await detail.getByRole('button', { name: 'Send again as it was' }).click();
    await detail
      .getByRole('alert')
      .getByText(/refused again/)
      .waitFor();
    await expect.poll(() => detail.getByRole('alert').textContent(), SHOWN).toContain(nobody.reason);
    expect((await server.admin(`/api/dead-letters/${nobody.id}`)).status).toBe(200);

    const message = detail.getByLabel(/The message as sent/);
    await message.fill('{"userId": "op-fixed",');
    await detail.getByRole('button', { name: 'Send the corrected message' }).click();
    await detail
      .getByRole('alert')
      .getByText(/not JSON/)
      .waitFor();

    await message.fill(JSON.stringify({ ...JSON.parse(nobody.body), userId: 'op-fixed' }, null, 2));
    await detail.getByRole('button', { name: 'Send the corrected message' }).click();
    await deadLetters()
      .getByRole('status')
      .getByText(`Dead letter ${nobody.id} replayed: 1 message now in the log.`)
      .waitFor();
    expect((await server.admin(`/api/dead-letters/${nobody.id}`)).status).toBe(404);
    await deadLetters().locator(`tr[data-dead-letter="${nobody.id}"]`).waitFor({ state: 'detached' });
    await server.settle();
    expect((await server.admin('/api/profiles/lookup?userId=op-fixed')).status).toBe(200);
  });

  it('discards one only after the confirmation is accepted', async () => {
    const late = await letterWith('op-bad-time');
    await deadLetters()
      .getByRole('button', { name: `Inspect dead letter ${late.id}` })
      .click();
    const detail = page.getByRole('region', { name: `Dead letter ${late.id}` });
    page.once('dialog', (dialog) => void dialog.dismiss());
    await detail.getByRole('button', { name: 'Discard' }).click();
    expect((await server.admin(`/api/dead-letters/${late.id}`)).status).toBe(200);
    page.once('dialog', (dialog) => void dialog.accept());
    await detail.getByRole('button', { name: 'Discard' }).click();
    await deadLetters().getByRole('status').getByText(`Dead letter ${late.id} discarded.`).waitFor();
    expect((await server.admin(`/api/dead-letters/${late.id}`)).status).toBe(404);
    await deadLetters().getByText('No refused messages').waitFor();
  });

  it('shows the quarantine as the API has it, replays an entry (fails again, counted) and discards it', async () => {
    const list = (await server.admin('/api/quarantine')).body;
    expect(list.byProcessor).toEqual({ profiles: 1, warehouse: 1 });
    for (const entry of list.items) {
      const row = quarantine().locator(`tr[data-quarantined="${entry.id}"]`);
      await expect.poll(() => row.textContent(), SHOWN).toContain(entry.error);
    }
    const entry = list.items.find((e: { processor: string }) => e.processor === 'profiles');
    await quarantine()
      .getByRole('button', { name: `Inspect quarantined entry ${entry.id}` })
      .click();
    const detail = page.getByRole('region', { name: `Quarantined entry ${entry.id}` });
    expect(JSON.parse((await detail.getByTestId('quarantined-message').textContent()) ?? '')).toEqual(
      JSON.parse(entry.body),
    );
    await detail.getByRole('button', { name: 'Replay now' }).click();
    await detail
      .getByRole('alert')
      .getByText(/RAPPORT_QUARANTINE_REPLAY_FAILED/)
      .waitFor();
    expect((await server.admin(`/api/quarantine/${entry.id}`)).body.attempts).toBe(entry.attempts + 1);

    page.once('dialog', (dialog) => void dialog.accept());
    await detail.getByRole('button', { name: 'Discard' }).click();
    await quarantine()
      .getByRole('status')
      .getByText(`Entry ${entry.id} discarded: profiles will never apply it.`)
      .waitFor();
    expect((await server.admin(`/api/quarantine/${entry.id}`)).status).toBe(404);
    expect((await server.admin('/api/quarantine')).body.byProcessor).toEqual({ warehouse: 1 });
    // The list is read again after the discard: the old choices may show until it answers.
    await expect
      .poll(() => quarantine().getByLabel('Processor').textContent(), SHOWN)
      .not.toContain('profiles');
    await page.screenshot({ path: `${SHOTS}/operations.png`, fullPage: true });
  });

  it('shows the ingest log as the API has it, and compacts it after a confirmation', async () => {
    // Opened afresh: the replay above appended to the log after the page first read it.
    await openFromNav(page, 'Settings', 'Settings');
    await openFromNav(page, 'Operations', 'Operations');
    const before = (await server.admin('/api/log')).body;
    await page.locator('#ingest-log').getByTestId('log-entries').waitFor();
    await expect
      .poll(() => page.getByTestId('log-entries').textContent(), SHOWN)
      .toBe(before.entries.toLocaleString('en'));
    for (const reader of before.readers)
      await expect
        .poll(() => page.locator('#ingest-log').textContent(), SHOWN)
        .toContain(`#${reader.offset.toLocaleString('en')}`);
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.getByRole('button', { name: 'Compact now' }).click();
    expect((await server.admin('/api/log')).body.lastRun).toEqual(before.lastRun);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Compact now' }).click();
    const status = page.locator('#ingest-log').getByRole('status');
    await status.getByText(/^Compaction removed/).waitFor();
    const after = (await server.admin('/api/log')).body;
    expect(after.lastRun).not.toBeNull();
    expect(await status.textContent()).toContain(
      `removed ${after.lastRun.removed.toLocaleString('en')} entr`,
    );
    expect(after.removedTotal - before.removedTotal).toBe(after.lastRun.removed);
  });

  it('has no serious accessibility violations (axe-core)', async () => {
    const warehouse = (await server.admin('/api/quarantine')).body.items[0];
    await quarantine()
      .getByRole('button', { name: `Inspect quarantined entry ${warehouse.id}` })
      .click();
    expect(await seriousViolations(page)).toEqual([]);
  });
});
