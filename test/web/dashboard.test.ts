// The dashboard in a real browser: Debian's chromium driven by playwright-core against a real
// server filled with a small simulated shop. Logs in, finds a person from the world's truth,
// builds a segment and checks the preview against the API, opens a journey graph, erases a
// person. Saves a screenshot of every page to docs/screenshots/ on the way.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserSkipReason,
  closeBrowser,
  countFetches,
  drawn,
  launchBrowser,
  openFromNav,
  SHOTS,
  SHOWN,
} from '../support/browser.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';
import { api, type FilledWorld, fillWorld, SEGMENTS, WELCOME_JOURNEY } from './world.ts';

const reason = browserSkipReason('dashboard browser tests');

describe.skipIf(reason !== null)('the dashboard in headless chromium', () => {
  let server: TestServer;
  let world: FilledWorld;
  let browser: BrowserContext;
  let page: Page;

  async function shot(name: string): Promise<void> {
    // Charts draw after their chunk loads; wait for the page to be quiet, not for a time.
    await page.waitForLoadState('networkidle');
    await page
      .getByText(/^Loading/)
      .first()
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  const go = (label: string): Promise<void> => openFromNav(page, label);

  beforeAll(async () => {
    server = await startTestServer();
    world = await fillWorld(server);
    ({ browser, page } = await launchBrowser());
    await countFetches(browser);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('refuses a wrong token, then logs in with the admin token (never in the URL)', async () => {
    await page.goto(server.url);
    await page.getByLabel('Admin token').fill('rk_admin_wrong');
    await page.getByLabel('Admin token').press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent(), SHOWN).toContain('refused');
    await shot('login');
    await page.getByLabel('Admin token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(page.url()).not.toContain(server.adminToken);
    const profiles = (await api(server, 'GET', '/api/status')).profiles as number;
    await expect
      .poll(() => page.locator('#ingest').textContent(), SHOWN)
      .toContain(profiles.toLocaleString('en'));
    await shot('overview');
  });

  it('finds a person from the simulated world and opens their 360', async () => {
    const person = world.truths.find((t) => t.userId !== null && t.email !== null && t.purchases > 1);
    expect(person).toBeDefined();
    await go('People');
    await shot('people');
    await page.getByLabel(/^Search by/).fill(person!.email!);
    await page.getByLabel(/^Search by/).press('Enter');
    // Waits for the answer's first row: a count taken at once may run before the search answers.
    const result = page.locator('#results tbody tr');
    await result.first().waitFor();
    await result.first().getByRole('link').click();
    await page.locator('#traits').getByText(person!.email!).waitFor();
    // The identities card shows the user id the world gave this person.
    await page.locator('#identities').getByText(person!.userId!).waitFor();
    await page.locator('#timeline li').first().waitFor();
    // The lifecycle stage is the one the API gives (it once showed "–" for everyone).
    const view = await api(server, 'GET', `/api/profiles/lookup?email=${encodeURIComponent(person!.email!)}`);
    expect(view.lifecycleStage?.stage).toBeTruthy();
    await expect
      .poll(() => page.getByTestId('lifecycle-stage').textContent(), SHOWN)
      .toContain(`Lifecycle stage: ${view.lifecycleStage.stage}`);
    await shot('person');
  });

  it('finds people by name as typed and by a trait written as name=value', async () => {
    const person = world.truths.find((t) => t.userId !== null && t.email !== null)!;
    const view = await api(server, 'GET', `/api/profiles/lookup?email=${encodeURIComponent(person.email!)}`);
    const { first_name: first, last_name: last, city } = view.traits as Record<string, string>;
    expect(first && last && city).toBeTruthy();
    await go('People');
    const search = async (text: string) => {
      await page.getByLabel(/^Search by/).fill(text);
      await page.getByLabel(/^Search by/).press('Enter');
      await page.getByRole('heading', { name: `Results for “${text}”` }).waitFor();
      // The rows may still be the previous list's until this search's answer is drawn.
      await drawn(page);
      return page.locator('#results tbody tr');
    };
    const byName = await search(`${first} ${last}`.toLowerCase());
    await byName.first().waitFor();
    await expect
      .poll(() => byName.getByRole('link', { name: `${first} ${last}` }).count(), SHOWN)
      .toBeGreaterThan(0);
    const inCity = await api(server, 'GET', `/api/profiles?trait.city=${encodeURIComponent(city!)}&limit=25`);
    expect(inCity.items.length).toBeGreaterThan(0);
    const byTrait = await search(`city=${city}`);
    await byTrait.first().waitFor();
    await expect.poll(() => byTrait.count(), SHOWN).toBe(inCity.items.length);
  });

  it('builds a segment whose preview count matches the API', async () => {
    await go('Segments');
    await page.getByLabel('Event', { exact: true }).fill('Order Completed');
    await page.getByLabel('Times').fill('2');
    const size = page.getByTestId('preview-size');
    // Strings run in the page (the tests' type-check has no DOM library).
    await page.waitForFunction(`(() => {
      const text = document.getElementById('rule-text')?.value ?? '';
      return text.includes('at least 2 times') && !document.body.textContent.includes('(updating…)');
    })()`);
    const shown = Number((await size.textContent())!.replace(/,/g, ''));
    const text = await page.getByLabel(/^Rule as text/).inputValue();
    const direct = await api(server, 'POST', '/api/segments/preview?sample=0', { text });
    expect(direct.size).toBeGreaterThan(0);
    expect(shown).toBe(direct.size);
    const listed = await api(server, 'GET', '/api/segments');
    expect(listed.segments.length).toBe(SEGMENTS.length);
    await shot('segments');
  });

  it("shows each segment's trend and its membership over time", async () => {
    await go('Segments');
    const buyers = (await api(server, 'GET', '/api/segments/buyers')).size as number;
    expect(buyers).toBeGreaterThan(0);
    const row = page.locator('#list tbody tr', { hasText: 'Buyers' });
    // The sparkline's text alternative ends at today's size.
    await expect
      .poll(() => row.getByRole('img', { name: /^Last 7 days:/ }).getAttribute('aria-label'), SHOWN)
      .toContain(`→ ${buyers.toLocaleString('en')} (`);
    await row.getByRole('link', { name: 'Buyers' }).click();
    const chart = page.getByRole('img', { name: /^Membership over time/ });
    await chart.waitFor();
    await expect
      .poll(() => chart.getAttribute('aria-label'), SHOWN)
      .toContain(`${buyers.toLocaleString('en')} members`);
    await page.locator('#history svg').first().waitFor();
    await shot('segment');
  });

  it('opens a journey graph with its steps, and pauses and resumes it', async () => {
    await go('Journeys');
    await shot('journeys');
    await page.getByRole('link', { name: /Welcome new sign-ups/ }).click();
    const graph = page.getByRole('img', { name: /Journey graph/ });
    await graph.waitFor();
    await expect.poll(() => graph.getAttribute('aria-label'), SHOWN).toContain('wait-order (waitForEvent');
    // The chart draws every step as a labelled box.
    await page.locator('#graph svg text', { hasText: 'already-bought' }).first().waitFor();
    await shot('journey');
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByTestId('journey-status').getByText('paused').waitFor();
    expect((await api(server, 'GET', '/api/journeys/welcome')).status).toBe('paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByTestId('journey-status').getByText('active').waitFor();
  });

  it("lists the world's journey on the 360 of a person who signed up", async () => {
    // The world's people signed up before the journey was saved; a newcomer enters it now.
    const signup = await fetch(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${server.writeKey}:`).toString('base64')}`,
      },
      body: JSON.stringify({
        batch: [
          { type: 'identify', userId: 'newcomer-1', traits: { email: 'newcomer-1@example.com' } },
          { type: 'track', userId: 'newcomer-1', event: 'Signed Up' },
        ],
      }),
    });
    expect(signup.status).toBe(200);
    await server.settle();
    const profileId = (await api(server, 'GET', '/api/profiles/lookup?userId=newcomer-1')).profileId;
    let trips: Array<{ name: string; status: string; currentStep: string }> = [];
    for (let round = 0; round < 600 && trips.length === 0; round++) {
      trips = (await api(server, 'GET', `/api/profiles/${profileId}/journeys`)).items;
      if (trips.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(trips.map((t) => t.name)).toEqual([WELCOME_JOURNEY.name]);
    await go('People');
    await page.getByLabel(/^Search by/).fill('newcomer-1');
    await page.getByLabel(/^Search by/).press('Enter');
    await page.locator('#results tbody tr').first().getByRole('link').click();
    const row = page.locator('#journeys tbody tr').first();
    await row.getByRole('link', { name: WELCOME_JOURNEY.name }).waitFor();
    await expect.poll(() => row.textContent(), SHOWN).toContain(trips[0]!.currentStep);
  });

  it('draws the paths between touchpoints as a Sankey with a table of the top transitions', async () => {
    await go('Funnel and paths');
    const sankey = page.getByRole('img', { name: /^Paths between touchpoints/ });
    await sankey.waitFor();
    const today = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
    const paths = await api(server, 'GET', `/api/paths?from=${from}&to=${today}&steps=4&top=6`);
    expect(paths.people).toBeGreaterThan(0);
    // The text alternative carries the counts the server answered.
    const first = paths.nodes[0];
    const name = first.kind === 'page' ? `${first.name} (page)` : first.name;
    await expect
      .poll(() => sankey.getAttribute('aria-label'), SHOWN)
      .toContain(`step 1: ${name} ${first.people.toLocaleString('en')}`);
    // The Sankey drew its bands, and the table lists the largest transition first.
    await page.locator('#paths svg path').first().waitFor();
    const top = page.locator('#transitions tbody tr').first();
    await expect
      .poll(() => top.locator('td').nth(3).textContent(), SHOWN)
      .toBe(paths.links[0].people.toLocaleString('en'));
  });

  it('shows the remaining pages with data or an honest empty state', async () => {
    await go('Funnel and paths');
    await page.getByRole('img', { name: /Lifecycle funnel/ }).waitFor();
    await shot('funnel');
    await go('Messages');
    await shot('messages');
    await go('Placements');
    await page.locator('#offers').getByText('pro-upgrade').first().waitFor();
    await shot('placements');
    await go('Value');
    await page.locator('#ranking tbody tr').first().waitFor();
    await shot('value');
    await go('Settings');
    await page.getByText('test-source').waitFor();
    await shot('settings');
  });

  it('shows events per day on the Overview, consistent with GET /api/stats/events', async () => {
    // Sends and journeys may still append events: the page's count lies between two API reads.
    const before = await api(server, 'GET', '/api/stats/events?by=day&days=30');
    await go('People');
    await go('Overview');
    const chart = page.getByRole('img', { name: /^Events per day/ });
    await chart.waitFor();
    const shown = Number((await page.getByTestId('events-30d').textContent())!.replace(/,/g, ''));
    const after = await api(server, 'GET', '/api/stats/events?by=day&days=30');
    expect(before.totals.total).toBeGreaterThan(0);
    expect(shown).toBeGreaterThanOrEqual(before.totals.total);
    expect(shown).toBeLessThanOrEqual(after.totals.total);
    await expect
      .poll(() => chart.getAttribute('aria-label'), SHOWN)
      .toContain(`from ${after.from} to ${after.to}`);
  });

  it('shows messages sent and suppressed today on the Overview and by channel on Messages, as the API counts them', async () => {
    // A person without consent and a marketing email: arbitration drops it (consent_unknown).
    const who = { userId: 'dash-no-consent', traits: { email: 'no-consent@example.com' } };
    expect((await track(server, '/v1/identify', who)).status).toBe(200);
    await server.settle();
    await api(server, 'POST', '/api/messages', {
      userId: who.userId,
      channel: 'email',
      kind: 'marketing',
      template: { subject: 'News', body: 'x' },
      idempotencyKey: 'dash-no-consent-1',
    });
    await eventually(
      () => api(server, 'GET', '/api/messages/stats'),
      (stats) => stats.reasons.some((r: { code: string }) => r.code === 'consent_unknown'),
    );
    const before = await api(server, 'GET', '/api/messages/stats');
    await go('People');
    await go('Overview');
    const read = async (id: string) => Number((await page.getByTestId(id).textContent())!.replace(/,/g, ''));
    const sent = await read('messages-sent-today');
    const suppressed = await read('messages-suppressed-today');
    const after = await api(server, 'GET', '/api/messages/stats');
    expect(before.totals.suppressed).toBeGreaterThan(0);
    expect(suppressed).toBeGreaterThanOrEqual(before.totals.suppressed);
    expect(suppressed).toBeLessThanOrEqual(after.totals.suppressed);
    expect(sent).toBeGreaterThanOrEqual(before.totals.sent);
    expect(sent).toBeLessThanOrEqual(after.totals.sent);

    await go('Messages');
    const cell = page.locator('#stats-by-channel tr[data-key="email"] td[data-metric="suppressed"]');
    await cell.waitFor();
    const shownEmail = Number((await cell.textContent())!.replace(/,/g, ''));
    const final = await api(server, 'GET', '/api/messages/stats');
    const emailRow = (stats: typeof final) =>
      stats.byChannel.find((r: { channel: string }) => r.channel === 'email');
    expect(shownEmail).toBeGreaterThanOrEqual(emailRow(before).suppressed);
    expect(shownEmail).toBeLessThanOrEqual(emailRow(final).suppressed);
    await page.locator('#reasons').getByText('consent_unknown').waitFor();
    await page.getByRole('img', { name: /^Messages by channel/ }).waitFor();
  });

  it('shows impressions, clicks and conversions per offer on Placements, as the API counts them', async () => {
    const people = world.truths.filter((t) => t.userId !== null).slice(0, 3);
    for (const person of people) {
      const response = await fetch(`${server.url}/v1/decide?placement=home-hero&userId=${person.userId}`, {
        headers: { authorization: `Basic ${Buffer.from(`${server.writeKey}:`).toString('base64')}` },
      });
      expect(response.status).toBe(200);
    }
    const query = '?goal=Order%20Completed&window=7';
    const impressions = (stats: { offers: Array<{ impressions: number }> }) =>
      stats.offers.reduce((sum, offer) => sum + offer.impressions, 0);
    const before = await eventually(
      () => api(server, 'GET', `/api/placements/stats${query}`),
      (stats) => impressions(stats) >= people.length,
    );
    await go('Placements');
    const table = page.locator('#placement-stats');
    await table.waitFor();
    const after = await api(server, 'GET', `/api/placements/stats${query}`);
    for (const offer of after.offers as Array<{ offerId: string; impressions: number; clicks: number }>) {
      const row = table.locator(`tr[data-offer="${offer.offerId}"]`);
      const cell = async (metric: string) =>
        Number((await row.locator(`td[data-metric="${metric}"]`).textContent())!.replace(/,/g, ''));
      const earlier = before.offers.find((o: { offerId: string }) => o.offerId === offer.offerId);
      expect(await cell('impressions')).toBeGreaterThanOrEqual(earlier.impressions);
      expect(await cell('impressions')).toBeLessThanOrEqual(offer.impressions);
      expect(await cell('clicks')).toBe(offer.clicks);
    }
  });

  it('creates and revokes an admin token, and saves a fatigue cap that reads back', async () => {
    await go('Settings');
    await page.getByLabel('New admin token name').fill('browser-made');
    await page.getByRole('button', { name: 'Create admin token' }).click();
    const secret = (await page.getByTestId('admin-tokens-secret').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^rk_admin_/);
    const row = page.locator('#admin-tokens tr[data-credential="browser-made"]');
    await row.getByText('live').waitFor();
    // The new token works until it is revoked.
    const status = async () => (await server.adminRequest('GET', '/api/status', undefined, secret)).status;
    expect(await status()).toBe(200);
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Revoke admin token browser-made' }).click();
    await row.getByText(/^revoked/).waitFor();
    expect(await status()).toBe(401);

    // A test send through the webhook channel to a real HTTP peer (this server, which has no
    // such route): the page shows the receiver's answer.
    const webhook = page.getByTestId('test-webhook');
    await webhook.getByLabel(/^Send a test through webhook/).fill(`${server.url}/no-such-receiver`);
    await webhook.getByRole('button', { name: 'Send test' }).click();
    await webhook.getByRole('alert').getByText('webhook: HTTP 404').waitFor();

    const policy = page.locator('#policy');
    await policy.getByRole('button', { name: 'Add a cap' }).click();
    await policy.getByLabel('Cap 1 channel').selectOption('email');
    await policy.getByLabel('Cap 1 period').selectOption('week');
    // A bad limit is refused in the form, naming the field, and nothing is saved.
    await policy.getByLabel('Cap 1 limit').fill('-1');
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await policy
      .getByRole('alert')
      .getByText(/Cap 1 limit: a whole number/)
      .waitFor();
    expect((await api(server, 'GET', '/api/arbitration-policy')).source).toBe('default');
    await policy.getByLabel('Cap 1 limit').fill('3');
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await policy
      .getByRole('status')
      .getByText(/^Saved/)
      .waitFor();
    const saved = await api(server, 'GET', '/api/arbitration-policy');
    expect(saved.policy.caps).toEqual([{ channel: 'email', period: 'week', limit: 3 }]);
    // Read back by the page itself after leaving it.
    await go('Overview');
    await go('Settings');
    await expect.poll(() => page.locator('#policy').getByLabel('Cap 1 limit').inputValue(), SHOWN).toBe('3');
    await expect
      .poll(() => page.locator('#policy').getByLabel('Cap 1 period').inputValue(), SHOWN)
      .toBe('week');
  });

  it('lists people by name, not by profile id, in the value ranking', async () => {
    const ranking = await api(server, 'GET', '/api/value/ranking?order=top&limit=10');
    const top = ranking.items[0];
    const view = await api(server, 'GET', `/api/profiles/${top.profileId}`);
    const t = view.traits as Record<string, string | undefined>;
    const expected = t.name ?? ([t.first_name, t.last_name].filter(Boolean).join(' ') || t.email);
    expect(expected).toBeTruthy();
    await go('Value');
    const first = page.locator('#ranking tbody tr').first().getByRole('link');
    await first.getByText(expected!, { exact: true }).waitFor();
    await expect(first.textContent()).resolves.not.toContain(top.profileId);
  });

  it('draws the value charts from the server aggregates; a scatter point opens the person', async () => {
    const distribution = await api(server, 'GET', '/api/value/distribution?metric=clv&bins=16');
    const scatter = await api(server, 'GET', '/api/value/scatter?limit=1000');
    const check = await api(server, 'GET', '/api/value/validation');
    expect(distribution.count).toBeGreaterThan(0);
    await go('Value');
    const histogram = page.getByRole('img', { name: /^CLV distribution over/ });
    await histogram.waitFor();
    await expect
      .poll(() => histogram.getAttribute('aria-label'), SHOWN)
      .toContain(`over ${distribution.count.toLocaleString('en')} customers`);
    await page.locator('#clv svg path[fill="#2563eb"]').first().waitFor();
    const alive = page.getByRole('img', { name: /^P\(alive\) against CLV/ });
    await alive.waitFor();
    await expect
      .poll(() => alive.getAttribute('aria-label'), SHOWN)
      .toContain(
        `for ${scatter.sampled.toLocaleString('en')} of ${scatter.total.toLocaleString('en')} customers`,
      );
    const validation = page.getByRole('img', { name: /^Predicted versus actual purchases/ });
    await validation.waitFor();
    await expect
      .poll(() => validation.getAttribute('aria-label'), SHOWN)
      .toContain(`Mean absolute error ${check.validation.errors.meanAbsoluteError.toFixed(2)}`);
    await page.getByTestId('validation-figures').getByText('Verdict').waitFor();
    // The churn model: its held-out AUC when fitted, "not enough data" when not (never a constant).
    const churn = await api(server, 'GET', '/api/value/churn');
    const churnNote = await page.getByTestId('churn-model').innerText();
    if (churn.fitted) expect(churnNote).toContain(`held-out AUC ${churn.heldOutAuc.toFixed(2)}`);
    else expect(churnNote).toContain('not enough data');
    // The retention picks say what they rank by, and the effect is an assumption until measured.
    const budget = await api(server, 'GET', '/api/value/budget?amount=1000&costPerCustomer=20');
    const churnCard = await page.locator('#churn').innerText();
    expect(churnCard).toContain('what can still be saved');
    expect(churnCard).toContain('an assumption until a holdout measures it');
    if (budget.chosen.length > 0) expect(churnCard).toMatch(/can be saved/i);
    await shot('value');
    // Clicking a point of the scatter (drawn as an SVG path in the series colour) opens that person.
    // ECharts listens on its own canvas layer, so click where the point is drawn.
    await page.locator('#alive').scrollIntoViewIfNeeded();
    const point = await page.locator('#alive svg path[fill="#2563eb"]').first().boundingBox();
    expect(point).not.toBeNull();
    await page.mouse.click(point!.x + point!.width / 2, point!.y + point!.height / 2);
    await page.waitForURL(/\/people\//);
    const opened = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    expect(scatter.points.map((p: { profileId: string }) => p.profileId)).toContain(opened);
    // The 360 shows how the lead score is made up, as the refresh wrote it on the profile.
    const profile = await api(server, 'GET', `/api/profiles/${encodeURIComponent(opened)}`);
    const lead = profile.computedProperties.lead_explanation.value as string;
    expect(lead).toMatch(/^[\d.]+ = fit [\d.]+.* \+ behaviour [\d.]+/);
    expect(lead.startsWith(`${profile.computedProperties.lead_score.value} = `)).toBe(true);
    await expect.poll(() => page.getByTestId('lead-breakdown').innerText(), SHOWN).toContain(lead);
  });

  it('labels every input, select and textarea on every page', async () => {
    for (const label of [
      'Overview',
      'People',
      'Segments',
      'Funnel and paths',
      'Journeys',
      'Messages',
      'Tasks',
      'Placements',
      'Value',
      'Settings',
    ]) {
      await go(label);
      await drawn(page);
      const unlabelled: string[] =
        await page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
        .filter((el) => !(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
        .map((el) => el.outerHTML.slice(0, 80))`);
      expect(unlabelled, label).toEqual([]);
    }
  });

  it('erases a person after confirmation, and they are gone', async () => {
    const person = world.truths.find((t) => t.userId !== null && t.email !== null && t.purchases === 0)!;
    const profile = await api(
      server,
      'GET',
      `/api/profiles/lookup?userId=${encodeURIComponent(person.userId!)}`,
    );
    await go('People');
    await page.getByLabel(/^Search by/).fill(person.userId!);
    await page.getByLabel(/^Search by/).press('Enter');
    await page.locator('#results tbody tr').first().getByRole('link').click();
    await page.getByRole('button', { name: 'Erase…' }).click();
    const confirm = page.getByRole('button', { name: 'Erase permanently' });
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel(/^Type the profile id/).fill(profile.profileId);
    await shot('erase');
    await confirm.click();
    await page
      .getByRole('status')
      .getByText(/Erasure complete/)
      .waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Back to people' }).click();
    const gone = await server.admin(`/api/profiles/${profile.profileId}`);
    // 410 Gone: the API remembers that this profile was erased.
    expect(gone.status).toBe(410);
    await page.getByLabel(/^Search by/).fill(person.userId!);
    await page.getByLabel(/^Search by/).press('Enter');
    await page.getByText('Nobody matches').waitFor();
  });
});
