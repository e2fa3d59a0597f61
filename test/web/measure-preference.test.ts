// The Measure page's "Is this the medium they prefer?" in a real browser (Debian's chromium
// through playwright-core) against a real server: six people, four who click their texts and
// ignore email, two the other way round, three who said which they prefer, spend mostly on
// email. The table is checked against the API it names, and the starved channel is flagged.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSegmentStore } from '../../src/store/index.ts';
import { browserSkipReason, closeBrowser, launchBrowser, SHOWN, signIn } from '../support/browser.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('Measure preference browser test');

const T0 = Date.now() - 3 * 86_400_000;
const at = (hours: number) => new Date(T0 + hours * 3600_000).toISOString();
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

function messages(userId: string, smsClicks: boolean): unknown[] {
  const out: unknown[] = [];
  // Ten of each: enough that their own record outweighs the prior (ten sends' worth, best channel).
  for (let n = 0; n < 10; n++) {
    const sms = { channel: 'sms', send_key: `${userId}-sms-${n}` };
    const email = { email_id: `${userId}-email-${n}` };
    out.push({ type: 'track', userId, event: 'Message Delivered', properties: sms, timestamp: at(n) });
    out.push({ type: 'track', userId, event: 'Email Delivered', properties: email, timestamp: at(n) });
    if (smsClicks)
      out.push({ type: 'track', userId, event: 'Message Clicked', properties: sms, timestamp: at(n + 0.5) });
    else
      out.push({ type: 'track', userId, event: 'Email Opened', properties: email, timestamp: at(n + 0.5) });
  }
  return out;
}

const BATCH = [
  ...['p1', 'p2', 'p3', 'p4'].flatMap((id) => messages(id, true)),
  ...['p5', 'p6'].flatMap((id) => messages(id, false)),
  { type: 'identify', userId: 'p1', traits: { preferred_channel: 'sms' }, timestamp: at(12) },
  { type: 'identify', userId: 'p2', traits: { preferred_channel: 'sms' }, timestamp: at(12) },
  { type: 'identify', userId: 'p5', traits: { preferred_channel: 'email' }, timestamp: at(12) },
  { type: 'track', userId: 'p1', event: 'Order Completed', properties: { revenue: 30 }, timestamp: at(13) },
  { type: 'track', userId: 'p5', event: 'Order Completed', properties: { revenue: 20 }, timestamp: at(13) },
];

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const shareText = (value: number | null, interval: [number, number] | null) =>
  value === null || interval === null ? '–' : `${pct(value)} (${pct(interval[0])}–${pct(interval[1])})`;

describe.skipIf(reason !== null)("the Measure page's channel preference in headless chromium", () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    expect((await track(server, '/v1/batch', { batch: BATCH })).status).toBe(200);
    const spend = await server.adminRequest('POST', '/api/attribution/spend', {
      currency: 'EUR',
      rows: [
        { day: day(-3), channel: 'email', amount: 99 },
        { day: day(-3), channel: 'sms', amount: 1 },
      ],
    });
    expect(spend.body.imported).toBe(2);
    const created = await server.adminRequest('POST', '/api/segments', {
      id: 'said-sms',
      text: 'trait preferred_channel = "sms"',
    });
    expect(created.status).toBe(201);
    const store = await openSegmentStore({ dataDir: server.dataDir });
    try {
      for (let round = 0; (await store.memberCounts()).get('said-sms') !== 2; round++) {
        if (round > 600) throw new Error('the segment did not fill');
        await server.settle();
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await store.close();
    }
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  const cells = (channel: string) =>
    page.locator(`#preference-table tr[data-channel="${channel}"] td`).allTextContents();

  async function expectTableIs(segment: string | null) {
    const query = `from=${day(-29)}&to=${day(0)}${segment ? `&segment=${segment}` : ''}`;
    const { status, body } = await server.admin(`/api/attribution/channel-preference?${query}`);
    expect(status).toBe(200);
    for (const row of body.channels) {
      const converted = `${row.converted} ${row.conversionRate === null ? '' : `(${pct(row.conversionRate)})`}`;
      await expect
        .poll(() => cells(row.channel), SHOWN)
        .toEqual([
          String(row.reach),
          String(row.opened),
          String(row.clicked),
          converted,
          shareText(row.preferredShare, row.preferredInterval),
          shareText(row.statedShare, row.statedInterval),
          row.spendShare === null ? 'no spend' : pct(row.spendShare),
          row.flag === 'preferred-starved'
            ? 'Preferred here, but little spend'
            : row.flag === 'spend-not-preferred'
              ? 'Spend goes to a medium few here prefer'
              : '',
        ]);
    }
    return body;
  }

  it('shows reach, engagement, the learned and stated shares and the spend per channel, as the API has them', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Measure', exact: true })
      .click();
    await page.locator('#preference-table tr[data-channel="sms"]').waitFor();
    const body = await expectTableIs(null);
    const sms = body.channels.find((row: { channel: string }) => row.channel === 'sms');
    // Four of six open their texts and ignore email; two of the three who answered said sms.
    expect(sms).toMatchObject({ reach: 6, clicked: 4, preferred: 4, stated: 2, flag: 'preferred-starved' });
    expect(sms.preferredShare).toBeCloseTo(4 / 6);
    await expect
      .poll(() => page.locator('#preference').textContent(), SHOWN)
      .toContain('GET /api/attribution/channel-preference?');
  });

  it('narrows to a segment typed in the page’s segment field', async () => {
    await page.getByLabel('Segment (empty: everyone)').fill('said-sms');
    await page.locator('#preference').getByText('Segment said-sms: 2 people').waitFor();
    const body = await expectTableIs('said-sms');
    expect(body.channels.find((row: { channel: string }) => row.channel === 'sms')).toMatchObject({
      preferred: 2,
      stated: 2,
      statedShare: 1,
    });
  });
});
