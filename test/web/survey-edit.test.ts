// Editing and closing a survey from the Surveys page in a real browser (Debian's chromium through
// playwright-core) against a real server: the marketer edits the title and adds a question (the
// API then holds version 2, the first question's id kept), closes the survey (the table says so,
// and an answer over the API is refused with 409), and reopens it.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePerson } from '../channels/support.ts';
import { browserSkipReason, closeBrowser, launchBrowser, SHOWN, signIn } from '../support/browser.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('Survey editing browser test');

describe.skipIf(reason !== null)('editing and closing a survey in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    await makePerson(server, 'shopper-1');
    const defined = await server.adminRequest('POST', '/api/surveys', {
      id: 'checkout',
      title: 'Checkout',
      questions: [{ id: 'easy', kind: 'ces', text: 'How easy was it to pay?', required: true }],
    });
    expect(defined.status).toBe(200);
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('edits a survey into its next version, keeping the question ids', async () => {
    await page.getByRole('link', { name: 'Surveys' }).click();
    await page.getByRole('button', { name: 'Edit Checkout' }).click();
    const form = page.getByRole('form', { name: 'Edit Checkout' });
    await form.getByLabel('Title').fill('Paying at checkout');
    await form.getByRole('button', { name: 'Add a question' }).click();
    await form.getByLabel('Question', { exact: true }).nth(1).fill('What got in the way?');
    await form.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByRole('button', { name: 'Edit Paying at checkout' }).waitFor();
    const saved = (await server.admin('/api/surveys/checkout')).body;
    expect(saved).toMatchObject({ version: 2, title: 'Paying at checkout' });
    expect(saved.questions.map((q: { id: string }) => q.id)).toEqual(['easy', 'q1']);
    const row = page.getByRole('row', { name: /Paying at checkout/ });
    await expect.poll(() => row.getByRole('cell').nth(3).textContent(), SHOWN).toBe('2');
  }, 120_000);

  it('closes it: the table says so and an answer is refused; reopening takes answers again', async () => {
    await page.getByRole('button', { name: 'Close Paying at checkout' }).click();
    await page.getByRole('button', { name: 'Reopen Paying at checkout' }).waitFor();
    const row = page.getByRole('row', { name: /Paying at checkout/ });
    await expect.poll(() => row.getByRole('cell').nth(4).textContent(), SHOWN).toMatch(/^closed /);
    const refused = await track(server, '/v1/survey-response', {
      surveyId: 'checkout',
      userId: 'shopper-1',
      answers: { easy: 5 },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('RAPPORT_SURVEY_CLOSED');
    await page.getByRole('button', { name: 'Reopen Paying at checkout' }).click();
    await page.getByRole('button', { name: 'Close Paying at checkout' }).waitFor();
    const taken = await track(server, '/v1/survey-response', {
      surveyId: 'checkout',
      userId: 'shopper-1',
      answers: { easy: 5 },
    });
    expect(taken.status).toBe(200);
  }, 120_000);
});
