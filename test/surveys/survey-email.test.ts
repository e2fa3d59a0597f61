// A survey sent by email against a real SMTP server: the template's `rapport:survey/<id>`
// becomes the recipient's signed link (in the HTML through the click redirect, in the text as
// is), the link opens the hosted page, and the answer is stored with the send it came from.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../src/channels/index.ts';
import { eventsNamed, makePerson, type SmtpPeer, startSmtpPeer } from '../channels/support.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let smtp: SmtpPeer;
let server: TestServer;
let profileId: string;

beforeAll(async () => {
  smtp = await startSmtpPeer();
  server = await startTestServer({ smtpUrl: smtp.url, emailFrom: 'Shop <hello@shop.example>' });
  profileId = await makePerson(server, 'buyer-1', { email: 'ada@example.org' }, { email: 'granted' });
  const survey = await server.adminRequest('POST', '/api/surveys', {
    id: 'after-order',
    title: 'Your order',
    questions: [{ id: 'csat', kind: 'csat', text: 'How satisfied are you with your order?', required: true }],
  });
  expect(survey.status).toBe(200);
});

afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

const message: () => OutgoingMessage = () => ({
  idempotencyKey: 'journey:after-order:i1:ask:1',
  profileId,
  channel: 'email',
  journeyId: 'after-order',
  stepId: 'ask',
  to: { email: 'ada@example.org' },
  content: {
    subject: 'How did we do?',
    html: '<p>Tell us: <a href="rapport:survey/after-order">one question</a></p>',
    text: 'Tell us: rapport:survey/after-order',
  },
});

describe('a survey sent by email', () => {
  it('carries a signed link per recipient that opens the hosted page and stores the answer with its send', async () => {
    const email = server.server.channels.get('email');
    expect((await email!.deliver(message())).status).toBe('sent');
    const mail = smtp.received.at(-1)!;
    expect(mail.html).not.toContain('rapport:survey');
    const link = /(http:\/\/[^\s]+\/s\/[^\s]+)/.exec(String(mail.text))?.[1];
    expect(link).toBeDefined();
    // In the HTML the survey link goes through the click redirect, so the click is counted too.
    expect(String(mail.html)).toContain(`u=${encodeURIComponent(link!)}`);
    const page = await fetch(link!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('How satisfied are you with your order?');
    const answer = await fetch(link!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'q_csat=4',
    });
    expect(answer.status).toBe(200);
    const [event] = await eventsNamed(server, profileId, 'Survey Answered');
    expect(event?.properties).toMatchObject({
      survey_id: 'after-order',
      answers: { csat: 4 },
      channel: 'email',
      send_key: 'journey:after-order:i1:ask:1',
      journey_id: 'after-order',
    });
    // Another person's profile id cannot be put in the link: the signature covers it.
    const [, token] = link!.split('/s/');
    const [body, mac] = token!.split('.');
    const forged = JSON.parse(Buffer.from(body!, 'base64url').toString());
    forged.p = 'someone-else';
    const forgedLink = `${link!.split('/s/')[0]}/s/${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${mac}`;
    expect((await fetch(forgedLink)).status).toBe(400);
  });

  it('a webhook-shaped channel (an SMS provider) gets the signed link in its content too', async () => {
    const bodies: string[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        bodies.push(body);
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const port = (receiver.address() as AddressInfo).port;
      const webhook = server.server.channels.get('webhook');
      const sent = await webhook!.deliver({
        ...message(),
        idempotencyKey: 'journey:after-order:i1:sms:1',
        channel: 'webhook',
        to: { url: `http://127.0.0.1:${port}/sms` },
        content: { text: 'How did we do? rapport:survey/after-order' },
      });
      expect(sent.status).toBe('sent');
      const text: string = JSON.parse(bodies[0]!).content.text;
      const link = /(http:\/\/\S+\/s\/\S+)/.exec(text)?.[1];
      expect(link).toBeDefined();
      const page = await fetch(link!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('How satisfied are you with your order?');
    } finally {
      receiver.close();
    }
  });
});
