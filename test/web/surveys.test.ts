// The Surveys page in a real browser (Debian's chromium through playwright-core) against a real
// server holding the planted survey answered mostly by the engaged: the marketer reads the NPS
// as answered and for everyone (the API's numbers), who answered against everyone, switches the
// correction, and defines a survey with the form. The hosted page a link opens is answered on a
// phone-sized screen with the keyboard-reachable, labelled controls.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, closeBrowser, launchBrowser, SHOTS, SHOWN, signIn } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { plantSurveyWorld, SURVEY, userIdOf } from '../surveys/planted.ts';

const reason = browserSkipReason('Surveys browser test');

const round = (n: number) => (Math.round(n * 10) / 10).toLocaleString('en');

describe.skipIf(reason !== null)('the Surveys page in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;
  let world: Awaited<ReturnType<typeof plantSurveyWorld>>;

  beforeAll(async () => {
    server = await startTestServer();
    world = await plantSurveyWorld(server, 600);
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  const stat = (label: string) => page.locator('.stat', { hasText: label });

  it('shows the NPS as answered and for everyone, and who answered against everyone', async () => {
    await page.getByRole('link', { name: 'Surveys' }).click();
    await page.getByRole('heading', { name: `Results: ${SURVEY.title}` }).waitFor();
    const results = (await server.admin(`/api/surveys/${SURVEY.id}/results?method=raking`)).body;
    const nps = results.questions.find((q: { id: string }) => q.id === 'nps').nps;
    await expect.poll(() => stat('NPS as answered').textContent(), SHOWN).toContain(round(nps.raw.value));
    await expect
      .poll(() => stat('NPS for everyone').textContent(), SHOWN)
      .toContain(round(nps.corrected.value));
    // The planted truth lies in the corrected interval, not the raw one.
    expect(world.truth.nps).toBeGreaterThan(nps.corrected.low);
    expect(world.truth.nps).toBeLessThan(nps.raw.low);
    const gaps = page.locator('table', { hasText: 'Share of everyone' });
    await expect.poll(() => gaps.getByRole('row', { name: /engagement high/ }).count(), SHOWN).toBe(1);
    await expect.poll(() => page.getByRole('list', { name: /Themes of/ }).count(), SHOWN).toBe(1);
    await page.locator('.card svg').first().waitFor();
    await page.getByText('Loading chart').first().waitFor({ state: 'detached' });
    await page.screenshot({ path: join(SHOTS, 'surveys.png'), fullPage: true });

    await page.getByLabel('Correct for who answered by').selectOption('post-stratification');
    const post = (await server.admin(`/api/surveys/${SURVEY.id}/results?method=post-stratification`)).body;
    const postNps = post.questions.find((q: { id: string }) => q.id === 'nps').nps;
    await page
      .locator('.stat', { hasText: 'NPS for everyone' })
      .getByText(round(postNps.corrected.value), { exact: true })
      .waitFor();
  }, 120_000);

  it('sits under Understand, and labels every input, select and textarea', async () => {
    const understand = page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('list', { name: 'Understand' });
    await expect.poll(() => understand.getByRole('link').allTextContents(), SHOWN).toContain('Surveys');
    const unlabelled: string[] =
      (await page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
        .filter((el) => !(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
        .map((el) => el.outerHTML.slice(0, 80))`)) as string[];
    expect(unlabelled).toEqual([]);
  });

  it('defines a survey with the form, no JSON', async () => {
    const form = page.getByRole('form', { name: 'New survey' });
    await form.getByLabel('Title').fill('Delivery check');
    await form.getByRole('button', { name: 'Add a question' }).click();
    await form.getByLabel('Kind').nth(1).selectOption('single');
    await form.getByLabel('Question', { exact: true }).nth(1).fill('Did it arrive on time?');
    await form.getByLabel('Choices (comma-separated)').fill('yes, no');
    await form.getByRole('button', { name: 'Save survey' }).click();
    await page.getByRole('heading', { name: 'Results: Delivery check' }).waitFor();
    const saved = (await server.admin('/api/surveys/delivery-check')).body;
    expect(saved.questions.map((q: { kind: string }) => q.kind)).toEqual(['nps', 'single']);
    expect(saved.questions[1].options).toEqual(['yes', 'no']);
  }, 120_000);

  it('the hosted page works on a phone: labelled controls, no sideways scrolling, answered with the keyboard', async () => {
    const person = world.people.find((p) => !p.responds)!;
    const profileId = (await server.admin(`/api/profiles/lookup?userId=${userIdOf(person.index)}`)).body
      .profileId;
    const { url } = (
      await server.adminRequest('POST', '/api/survey-links', { surveyId: SURVEY.id, profileId })
    ).body;
    const phone = await browser.newPage();
    await phone.setViewportSize({ width: 360, height: 740 });
    await phone.goto(url);
    const widths = (await phone.evaluate(
      '[document.documentElement.scrollWidth, window.innerWidth]',
    )) as number[];
    expect(widths[0]).toBeLessThanOrEqual(widths[1]!);
    const group = phone.getByRole('radiogroup', { name: /recommend us to a friend/ });
    await group.getByRole('radio', { name: '9', exact: true }).focus();
    await phone.keyboard.press('Space');
    await phone.getByRole('checkbox', { name: 'service' }).check();
    await phone.getByRole('textbox', { name: /main reason/ }).fill('Kind people');
    await phone.screenshot({ path: join(SHOTS, 'survey-page.png'), fullPage: true });
    await phone.getByRole('button', { name: 'Send my answers' }).click();
    await phone.getByRole('heading', { name: 'Thank you' }).waitFor();
    await phone.close();
    const exported = (await server.admin(`/api/profiles/${profileId}/export`)).body;
    expect(exported.surveys.responses[0].answers).toEqual({ nps: 9, liked: ['service'], why: 'Kind people' });
  }, 120_000);
});
