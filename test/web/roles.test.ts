// People and roles in a real browser (docs/access.md): an analyst signs in with name and
// password, stays signed in across a reload (the httpOnly cookie), sees every read page but no
// control that would change something, and no owner page; an owner signs in, creates a user
// on the Users and roles page, and finds that in the audit log page; the new marketer sees
// the segment builder's save but not a person's erase.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserSkipReason,
  closeBrowser,
  countFetches,
  drawn,
  launchBrowser,
  SHOTS,
  SHOWN,
} from '../support/browser.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('roles browser tests');

const ANALYST = { name: 'ann', password: 'analyst-password-1' };
const OWNER = { name: 'olive', password: 'owner-password-12' };
const NEW_USER = { name: 'nina', password: 'marketer-password-1' };

describe.skipIf(reason !== null)('people and roles in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;
  let profileId: string;

  const nav = () => page.getByRole('navigation', { name: 'Main' });

  async function go(label: string): Promise<void> {
    await nav().getByRole('link', { name: label, exact: true }).click();
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await drawn(page);
  }

  async function signIn(user: { name: string; password: string }): Promise<void> {
    await page.goto(server.url);
    await page.getByLabel('Name').fill(user.name);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  }

  async function signOut(): Promise<void> {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Name').waitFor();
  }

  /** How many visible buttons carry this name (a hidden form's button does not count). */
  const visibleButtons = async (name: string | RegExp) => {
    const buttons = page.getByRole('button', { name });
    let visible = 0;
    for (let i = 0; i < (await buttons.count()); i++) if (await buttons.nth(i).isVisible()) visible++;
    return visible;
  };

  beforeAll(async () => {
    server = await startTestServer();
    for (const [user, role] of [
      [ANALYST, 'analyst'],
      [OWNER, 'owner'],
    ] as const) {
      const made = await server.adminRequest('POST', '/api/users', { ...user, role });
      expect(made.status).toBe(201);
    }
    const sent = await track(server, '/v1/identify', {
      userId: 'roles-person-1',
      traits: { email: 'roles.person@example.com' },
    });
    expect(sent.status).toBe(200);
    await server.settle();
    profileId = (await server.admin('/api/profiles/lookup?userId=roles-person-1')).body.profileId;
    ({ browser, page } = await launchBrowser());
    await countFetches(browser);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('refuses a wrong password, then signs an analyst in with a cookie that survives a reload', async () => {
    await page.goto(server.url);
    await page.getByLabel('Name').fill(ANALYST.name);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), SHOWN).toContain('refused');
    await signIn(ANALYST);
    expect(page.url()).not.toContain(ANALYST.password);
    // The session is an httpOnly cookie: the page's scripts cannot read it.
    expect(await page.evaluate('document.cookie')).not.toContain('rapport_session');
    const cookie = (await browser.cookies(server.url)).find((c) => c.name === 'rapport_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.reload();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await expect.poll(() => nav().textContent(), SHOWN).toContain('analyst');
  });

  it('shows the analyst every read page, no owner page, and no control that changes anything', async () => {
    const links = await nav().getByRole('link').allTextContents();
    expect(links).toEqual(
      expect.arrayContaining(['Overview', 'People', 'Segments', 'Journeys', 'Value', 'Settings']),
    );
    expect(links).not.toContain('Users and roles');
    expect(links).not.toContain('Audit log');

    await go('Segments');
    await page.getByLabel('Segment name').waitFor();
    expect(await visibleButtons('Save segment')).toBe(0);
    await go('Journeys');
    expect(await visibleButtons('New journey')).toBe(0);
    await go('Value');
    expect(await visibleButtons('Recompute now')).toBe(0);
    await go('Settings');
    await page.locator('#write-keys table').waitFor();
    expect(await visibleButtons(/^Create /)).toBe(0);
    expect(await visibleButtons('Revoke')).toBe(0);
    expect(await visibleButtons('Save policy')).toBe(0);
    expect(await page.locator('#admin-tokens').count()).toBe(0);

    await page.goto(`${server.url}/people/${encodeURIComponent(profileId)}`);
    await page.locator('#traits').getByText('roles.person@example.com').waitFor();
    await drawn(page);
    expect(await visibleButtons('Export (JSON)')).toBe(0);
    expect(await visibleButtons('Erase…')).toBe(0);
    expect(await visibleButtons('Save consent')).toBe(0);

    await page.goto(`${server.url}/users`);
    await page.getByText('does not show Users and roles').waitFor();
    await signOut();
  });

  it('lets an owner create a user on the Users and roles page, and shows it in the audit log', async () => {
    await signIn(OWNER);
    await go('Segments');
    await page.getByLabel('Segment name').waitFor();
    await expect.poll(() => visibleButtons('Save segment'), SHOWN).toBe(1);

    await go('Users and roles');
    await page.locator('#users table').getByRole('cell', { name: ANALYST.name, exact: true }).waitFor();
    await page.getByLabel(/^Name \(what they type/).fill(NEW_USER.name);
    await page.getByLabel('Role', { exact: true }).selectOption('marketer');
    await page.getByLabel(/^First password/).fill(NEW_USER.password);
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('status').getByText(`${NEW_USER.name} can sign in now as marketer.`).waitFor();
    await page.locator('#users table').getByRole('cell', { name: NEW_USER.name, exact: true }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'users.png'), fullPage: true });
    const users = (await server.admin('/api/users')).body as Array<{ name: string; role: string }>;
    expect(users.find((u) => u.name === NEW_USER.name)?.role).toBe('marketer');

    await go('Audit log');
    const row = page.locator('#audit tbody tr').filter({ hasText: 'POST /api/users' }).first();
    await expect.poll(() => row.textContent(), SHOWN).toContain(OWNER.name);
    await page.screenshot({ path: join(SHOTS, 'audit.png'), fullPage: true });
    await signOut();
  });

  it('gives the new marketer the segment builder’s save but not a person’s erase or export', async () => {
    await signIn(NEW_USER);
    await go('Segments');
    await page.getByLabel('Segment name').waitFor();
    await expect.poll(() => visibleButtons('Save segment'), SHOWN).toBe(1);
    await page.goto(`${server.url}/people/${encodeURIComponent(profileId)}`);
    await page.locator('#traits').getByText('roles.person@example.com').waitFor();
    await drawn(page);
    expect(await visibleButtons('Erase…')).toBe(0);
    expect(await visibleButtons('Export (JSON)')).toBe(0);
    await signOut();
  });
});
