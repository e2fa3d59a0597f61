// Email against a real SMTP server: rendering, headers, a stable Message-ID across a retry, a
// refused recipient, and the tracking links (open, click, unsubscribe) turning into events
// and a consent decision.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../src/channels/index.ts';
import { consentOf } from '../../src/profiles/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { eventsNamed, makePerson, type SmtpPeer, startSmtpPeer } from './support.ts';

let smtp: SmtpPeer;
let server: TestServer;
let profileId: string;

beforeAll(async () => {
  smtp = await startSmtpPeer();
  server = await startTestServer({ smtpUrl: smtp.url, emailFrom: 'City Hall <hello@city.example>' });
  profileId = await makePerson(
    server,
    'resident-1',
    { email: 'ada@example.org', first_name: 'Ada' },
    { email: 'granted' },
  );
});

afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

function welcome(key: string, email = 'ada@example.org'): OutgoingMessage {
  return {
    idempotencyKey: key,
    profileId,
    channel: 'email',
    journeyId: 'new-resident',
    stepId: 'welcome',
    to: { email },
    content: {
      subject: 'Welcome, Ada',
      html: '<html><body><h1>Hello Ada</h1><a href="https://city.example/bins?zone=4&amp;day=tue">Your bin day</a></body></html>',
      text: 'Hello Ada, your bin day: https://city.example/bins?zone=4&day=tue',
    },
  };
}

const email = () => {
  const channel = server.server.channels.get('email');
  if (!channel) throw new Error('no email channel');
  return channel;
};

function linkIn(html: string, pattern: RegExp): string {
  const match = pattern.exec(html);
  if (!match?.[1]) throw new Error(`no link like ${pattern} in ${html}`);
  return match[1].replaceAll('&amp;', '&');
}

describe('email channel', () => {
  it('renders subject, HTML and text, with List-Unsubscribe one-click and a Message-ID stable across a retry', async () => {
    const first = await email().deliver(welcome('journey:new-resident:i1:welcome:1'));
    const again = await email().deliver(welcome('journey:new-resident:i1:welcome:1'));
    expect(first.status).toBe('sent');
    expect(again).toEqual(first);
    const [mail, retried] = smtp.received.slice(-2);
    expect(mail?.subject).toBe('Welcome, Ada');
    expect(mail?.text).toContain('Hello Ada, your bin day: https://city.example/bins?zone=4&day=tue');
    expect(mail?.html).toContain('<h1>Hello Ada</h1>');
    expect(mail?.html).toContain(`${server.url}/t/c/`);
    expect(mail?.html).not.toContain('href="https://city.example');
    // Unfolded: long headers are folded over lines.
    const header = (key: string) =>
      (mail?.headerLines.find((line) => line.key === key)?.line ?? '').replace(/\r\n\s+/g, ' ');
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(header('list-unsubscribe')).toMatch(new RegExp(`^List-Unsubscribe: <${server.url}/t/u/[^>]+>`));
    expect(mail?.messageId).toBe(first.providerMessageId);
    expect(retried?.messageId).toBe(mail?.messageId);
    expect(mail?.messageId).toMatch(/@city\.example>$/);
    const sent = await eventsNamed(server, profileId, 'Email Sent');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.properties).toMatchObject({
      channel: 'email',
      journey_id: 'new-resident',
      email_subject: 'Welcome, Ada',
    });
  });

  it('a recipient refused with 550 fails the send and records Email Bounced; a 451 asks for a retry', async () => {
    smtp.refuse.set('gone@example.org', 550);
    smtp.refuse.set('busy@example.org', 451);
    const bounced = await email().deliver(welcome('bounce-1', 'gone@example.org'));
    expect(bounced.status).toBe('failed');
    expect(bounced.error).toContain('mailbox unavailable');
    const later = await email().deliver(welcome('busy-1', 'busy@example.org'));
    expect(later.status).toBe('retry');
    expect(later.retryAfterMs).toBeGreaterThan(0);
    const bounces = await eventsNamed(server, profileId, 'Email Bounced');
    expect(bounces.map((e) => e.properties.send_key)).toEqual(['bounce-1']);
    expect(bounces[0]?.properties.smtp_code).toBe(550);
  });

  it('refuses a message without a subject or body and one without an address, before talking to SMTP', async () => {
    const count = smtp.received.length;
    const noAddress = await email().deliver({ ...welcome('x-1'), to: {} });
    const noTemplate = await email().deliver({ ...welcome('x-2'), content: { subject: 'Hi' } });
    expect(noAddress.status).toBe('failed');
    expect(noTemplate).toMatchObject({ status: 'failed', error: expect.stringContaining('html or text') });
    expect(smtp.received.length).toBe(count);
  });

  it('the open pixel and click redirect record events once per message and link; a tampered link is refused', async () => {
    await email().deliver(welcome('track-1'));
    const html = String(smtp.received.at(-1)?.html);
    const pixel = linkIn(html, /<img src="([^"]+\/t\/o\/[^"]+)"/);
    const click = linkIn(html, /href="([^"]+\/t\/c\/[^"]+)"/);
    for (let i = 0; i < 2; i++) {
      const opened = await fetch(pixel);
      expect(opened.headers.get('content-type')).toBe('image/gif');
      await opened.arrayBuffer();
    }
    const redirect = await fetch(click, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('https://city.example/bins?zone=4&day=tue');
    const elsewhere = new URL(click);
    elsewhere.searchParams.set('u', 'https://evil.example/');
    const refused = await fetch(elsewhere, { redirect: 'manual' });
    expect(refused.status).toBe(400);
    const opens = await eventsNamed(server, profileId, 'Email Opened');
    expect(opens.map((e) => e.properties.send_key)).toEqual(['track-1']);
    const clicks = await eventsNamed(server, profileId, 'Email Link Clicked');
    expect(clicks.map((e) => e.properties.link_url)).toEqual(['https://city.example/bins?zone=4&day=tue']);
  });

  it('the unsubscribe link asks on GET, refuses a tampered token, and on POST denies email consent through the log', async () => {
    await email().deliver(welcome('unsub-1'));
    const html = String(smtp.received.at(-1)?.html);
    const link = linkIn(html, /href="([^"]+\/t\/u\/[^"]+)"/);
    const confirm = await fetch(link);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('<form method="post">');
    expect((await consentOf(server.server.state, profileId, 'email')).state).toBe('granted');

    const tampered = `${link.slice(0, -3)}${link.endsWith('A') ? 'B' : 'A'}xx`;
    expect((await fetch(tampered, { method: 'POST' })).status).toBe(400);

    const oneClick = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    await server.settle();
    const consent = await consentOf(server.server.state, profileId, 'email');
    expect(consent).toMatchObject({ state: 'denied', allowed: false });
    const unsubscribed = await eventsNamed(server, profileId, 'Unsubscribed');
    expect(unsubscribed.map((e) => e.properties.purpose)).toEqual(['email']);
  });
});
