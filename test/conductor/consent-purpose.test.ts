// Consent by purpose and channel, end to end over a real SMTP peer: a person who follows the
// unsubscribe link of a marketing email gets no more marketing email, but still gets a
// transactional receipt (the send's own `purpose`, not the channel's opt-in, is what a
// transactional message answers to); a denial of the receipt's purpose stops it; erasure
// stops everything. And the admin consent PUT's `note` is kept in the consent history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePerson, type SmtpPeer, startSmtpPeer } from '../channels/support.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
let smtp: SmtpPeer;

beforeAll(async () => {
  smtp = await startSmtpPeer();
  server = await startTestServer(
    {
      smtpUrl: smtp.url,
      emailFrom: 'Shop <hello@shop.example>',
      // Message purposes people may refuse are configured purposes, beside the channels' opt-ins.
      consentPurposes: 'analytics,personalization,email,sms,push,phone,location,marketing,receipts',
    },
    { conductorPollMs: 20 },
  );
});

afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

const mailTo = (address: string) => smtp.received.filter((mail) => JSON.stringify(mail.to).includes(address));

const send = (profileId: string, key: string, extra: Record<string, unknown>) =>
  server.adminRequest('POST', '/api/messages', {
    profileId,
    channel: 'email',
    template: { subject: key, body: 'x' },
    idempotencyKey: key,
    ...extra,
  });

async function decisionFor(profileId: string, key: string) {
  const items = await eventually(
    () =>
      server
        .admin(`/api/decisions?profileId=${profileId}`)
        .then((r) => r.body.items as Array<Record<string, unknown>>),
    (list) => list.some((d) => d.idempotencyKey === `api:${key}` && d.action !== 'defer'),
  );
  return items.find((d) => d.idempotencyKey === `api:${key}`);
}

describe('consent by purpose and channel', () => {
  it('after unsubscribing from marketing email, a receipt still arrives; more marketing does not', async () => {
    const profileId = await makePerson(
      server,
      'buyer-1',
      { email: 'buyer@example.org' },
      { email: 'granted' },
    );
    expect((await send(profileId, 'newsletter-1', { purpose: 'marketing' })).status).toBe(202);
    const [newsletter] = await eventually(
      async () => mailTo('buyer@example.org'),
      (mails) => mails.length === 1,
    );
    const header = newsletter!.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '';
    const link = /<([^>]+)>/.exec(header)?.[1];
    expect(link).toBeDefined();
    const oneClick = await fetch(link!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    await server.settle();

    expect((await send(profileId, 'receipt-1', { purpose: 'receipts', kind: 'transactional' })).status).toBe(
      202,
    );
    expect(await decisionFor(profileId, 'receipt-1')).toMatchObject({
      action: 'send',
      reason: 'send: transactional, consent for email not required',
    });
    const mails = await eventually(
      async () => mailTo('buyer@example.org'),
      (list) => list.length === 2,
    );
    expect(mails[1]!.subject).toBe('receipt-1');

    expect((await send(profileId, 'newsletter-2', { purpose: 'marketing' })).status).toBe(202);
    expect(await decisionFor(profileId, 'newsletter-2')).toMatchObject({ action: 'drop' });
    expect(mailTo('buyer@example.org')).toHaveLength(2);
  });

  it('a denial of the transactional purpose itself stops it; erasure stops it too', async () => {
    const profileId = await makePerson(
      server,
      'buyer-2',
      { email: 'buyer2@example.org' },
      { email: 'granted', receipts: 'denied' },
    );
    await send(profileId, 'receipt-2', { purpose: 'receipts', kind: 'transactional' });
    expect(await decisionFor(profileId, 'receipt-2')).toMatchObject({
      action: 'drop',
      code: 'consent_denied',
      reason: 'dropped: no consent for receipts by email (denied)',
    });
    const other = await makePerson(server, 'buyer-3', { email: 'buyer3@example.org' }, { email: 'granted' });
    expect((await server.adminRequest('DELETE', `/api/profiles/${other}`)).status).toBeLessThan(300);
    await eventually(
      () => server.admin(`/api/profiles/${other}`).then((r) => r.status),
      (status) => status === 410,
    );
    await send(other, 'receipt-3', { purpose: 'service', kind: 'transactional' });
    expect(await decisionFor(other, 'receipt-3')).toMatchObject({ action: 'drop', code: 'suppressed' });
    expect(mailTo('buyer2@example.org')).toHaveLength(0);
    expect(mailTo('buyer3@example.org')).toHaveLength(0);
  });
});
