// The worked examples in examples/journeys/, end to end on a real server: the bank's mortgage
// cross-sell and the city's new-resident on-ramp, saved through the admin API with the example
// arbitration policy, email delivered to a real SMTP server (smtp-server, parsed by mailparser),
// SMS through a webhook-shaped provider to a real node:http receiver that checks the HMAC, and
// time moved by the injected clock. What the peers received, and the logged decision reasons,
// show caps, quiet hours and consent changing what is sent.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArbitrationPolicy, splitBucket, validatePolicy } from '../../src/conductor/index.ts';
import { TestClock } from '../../src/pipeline/index.ts';
import { type SmtpPeer, startSmtpPeer } from '../channels/support.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const example = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../examples/journeys/${name}`, import.meta.url), 'utf8'));

function examplePolicy(): ArbitrationPolicy {
  const result = validatePolicy(example('city-arbitration-policy.json'));
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.policy;
}

interface Sms {
  headers: IncomingHttpHeaders;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: the JSON a provider receives
  json: any;
}

const clock = new TestClock(new Date('2026-03-01T10:00:00.000Z')); // Sunday, 10:00 in London
let smtp: SmtpPeer;
let server: TestServer;
let receiver: Server;
let signingKey: string;
const sms: Sms[] = [];

async function identify(userId: string, traits: Record<string, unknown>, consent: Record<string, boolean>) {
  const context = { consent: { categoryPreferences: consent } };
  expect((await track(server, '/v1/identify', { userId, traits, context })).status).toBe(200);
  const found = await eventually(
    () => server.server.state.findIdentities([{ kind: 'user_id', value: userId }]),
    (rows) => rows.length > 0,
  );
  return found[0]!.profileId;
}

async function event(userId: string, name: string, properties: Record<string, unknown> = {}) {
  expect((await track(server, '/v1/track', { userId, event: name, properties })).status).toBe(200);
}

/**
 * A mortgage customer in the journey's 90% "offer" arm. The holdout bucket is a hash of the
 * profile id (sticky, not random per run), so the test picks people outside the 10% holdout.
 */
async function mortgageCustomer(
  name: string,
  traits: Record<string, unknown>,
  consent: Record<string, boolean>,
) {
  for (let i = 0; ; i++) {
    const userId = `${name}-${i}`;
    const profileId = await identify(userId, { first_name: name, ...traits }, consent);
    if (splitBucket('mortgage-cross-sell', 'holdout-split', profileId) >= 1000) return { userId, profileId };
  }
}

const decisions = (profileId: string) =>
  server
    .adminRequest('GET', `/api/decisions?profileId=${profileId}`)
    .then((r) => r.body.items as Array<Record<string, unknown>>);
const mailTo = (address: string) =>
  smtp.received.filter((mail) => mail.to && JSON.stringify(mail.to).includes(address));
const smsTo = (phone: string) => sms.filter((message) => message.json.to?.phone === phone);

async function moveClockTo(iso: string) {
  clock.set(new Date(iso));
  server.server.conductor.wake();
}

function signatureValid(message: Sms): boolean {
  const timestamp = String(message.headers['x-rapport-timestamp']);
  const expected = `sha256=${createHmac('sha256', signingKey).update(`${timestamp}.${message.body}`).digest('hex')}`;
  const given = String(message.headers['x-rapport-signature']);
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

beforeAll(async () => {
  smtp = await startSmtpPeer();
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      sms.push({ headers: request.headers, body, json: JSON.parse(body) });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const smsUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/sms`;
  server = await startTestServer(
    { smtpUrl: smtp.url, emailFrom: 'Rapport Examples <hello@city.example>' },
    { clock, conductorPollMs: 20, arbitrationPolicy: examplePolicy() },
  );
  // SMS goes out through a provider behind a signed webhook (docs/channels.md).
  server.server.channels.register(server.server.channels.webhookProvider({ name: 'sms', url: smsUrl }));
  signingKey = (await server.adminRequest('GET', '/api/channels/webhook-signing-key')).body.key;

  const placements = await server.adminRequest('PUT', '/api/placements', {
    placements: [{ id: 'mortgage-confirmation', defaultOfferId: 'mortgage-faq' }],
    offers: [
      {
        id: 'mortgage-faq',
        placement: 'mortgage-confirmation',
        priority: 1,
        expectedValue: 0,
        requiresPersonalization: false,
        content: { headline: 'What happens next', url: 'https://bank.example/mortgage/next' },
      },
      {
        id: 'home-insurance-10',
        placement: 'mortgage-confirmation',
        priority: 10,
        expectedValue: 120,
        requiresPersonalization: true,
        content: { discount: '10%', url: 'https://bank.example/home-insurance' },
      },
    ],
  });
  expect(placements.status).toBe(200);
  const segment = await server.adminRequest('POST', '/api/segments', {
    id: 'paid-parking-zones',
    name: 'Lives in a paid parking zone',
    rule: { kind: 'trait', trait: 'district', test: { op: 'in', values: ['Centrum', 'Oud-West'] } },
  });
  expect(segment.status).toBe(201);
  for (const name of ['mortgage-cross-sell.json', 'city-new-resident.json'])
    expect((await server.adminRequest('POST', '/api/journeys', example(name))).status).toBe(201);
});

afterAll(async () => {
  await server?.close();
  await smtp?.close();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('the worked examples on a running server', () => {
  const people: Record<string, { userId: string; profileId: string }> = {};
  const London = 'Europe/London';

  it('takes the people and their triggers (Sunday 1 March)', async () => {
    // The bank: Ada gets everything; Dora denied email; Quinn applies late in the evening; Finn
    // is also a new resident and had a newsletter this morning (the daily email cap binds).
    people.ada = await mortgageCustomer(
      'Ada',
      { email: 'ada@example.org', last_name: 'Lovelace', timeZone: London },
      { email: true },
    );
    people.dora = await mortgageCustomer(
      'Dora',
      { email: 'dora@example.org', timeZone: London },
      { email: false },
    );
    people.finn = await mortgageCustomer(
      'Finn',
      { email: 'finn@example.org', timeZone: London, library_card: false, housing: 'apartment' },
      { email: true },
    );
    // The city: Rosa (SMS yes, email never asked) is eligible for all three services; Ravi
    // already has a library card and no paid parking in his district.
    people.rosa = {
      userId: 'rosa',
      profileId: await identify(
        'rosa',
        {
          first_name: 'Rosa',
          email: 'rosa@example.org',
          phone: '+31611111111',
          library_card: false,
          housing: 'house',
          owns_car: true,
          district: 'Centrum',
          waste_day: 'Tuesday',
        },
        { sms: true },
      ),
    };
    people.ravi = {
      userId: 'ravi',
      profileId: await identify(
        'ravi',
        {
          first_name: 'Ravi',
          email: 'ravi@example.org',
          library_card: true,
          housing: 'house',
          owns_car: true,
          district: 'Noord',
        },
        { email: true },
      ),
    };
    // Paul consented to email only, has a card, an apartment and a car in Centrum: the parking
    // offer (a `best` step over email and SMS) must reach him by email, which needs a subject.
    people.paul = {
      userId: 'paul',
      profileId: await identify(
        'paul',
        {
          first_name: 'Paul',
          email: 'paul@example.org',
          library_card: true,
          housing: 'apartment',
          owns_car: true,
          district: 'Centrum',
        },
        { email: true },
      ),
    };
    const entered = (journeyId: string, count: number) =>
      eventually(
        () => server.adminRequest('GET', `/api/journeys/${journeyId}/stats`).then((r) => r.body),
        (s) => s.entered === count,
      );
    // Entries take the clock's time when the journey processor reads them: let each land first.
    for (const who of ['ada', 'dora', 'finn'])
      await event(people[who]!.userId, 'Mortgage Application Submitted', { amount: 250000 });

    await entered('mortgage-cross-sell', 3);
    await moveClockTo('2026-03-01T22:30:00.000Z');
    people.quinn = await mortgageCustomer(
      'Quinn',
      { email: 'quinn@example.org', timeZone: London },
      { email: true },
    );
    await event(people.quinn.userId, 'Mortgage Application Submitted', { amount: 180000 });
    await entered('mortgage-cross-sell', 4);
    await moveClockTo('2026-03-02T12:00:00.000Z'); // Monday noon
    for (const who of ['rosa', 'ravi', 'finn', 'paul'])
      await event(people[who]!.userId, 'Residence Registered', {
        district: who === 'rosa' || who === 'paul' ? 'Centrum' : 'Noord',
      });
    await entered('city-new-resident', 4);
    const members = await eventually(
      () => server.adminRequest('GET', '/api/segments/paid-parking-zones/members').then((r) => r.body),
      (body) => JSON.stringify(body ?? {}).includes(people.rosa!.profileId),
    );
    expect(JSON.stringify(members)).not.toContain(people.ravi!.profileId);
    expect(smtp.received).toHaveLength(0);
  });

  it('Tuesday 10:00 in Amsterdam: the city offers each resident the next service they are eligible for', async () => {
    await moveClockTo('2026-03-03T09:00:30.000Z');
    // Rosa: no library card → library offer by the channel she consented to (SMS, signed webhook).
    const [library] = await eventually(
      async () => smsTo('+31611111111'),
      (m) => m.length === 1,
    );
    expect(signatureValid(library!)).toBe(true);
    expect(library!.headers['x-rapport-idempotency-key']).toMatch(/^city-new-resident:.*:library-offer:1$/);
    expect(library!.json).toMatchObject({
      channel: 'sms',
      profileId: people.rosa!.profileId,
      stepId: 'library-offer',
    });
    expect(library!.json.content.subject).toBe('Your free library card, Rosa');
    expect(library!.json.content.text).toContain('Welcome to Centrum!');
    // Ravi has a card: straight to waste pickup (a house, not registered) — a service message by email.
    const [waste] = await eventually(
      async () => mailTo('ravi@example.org'),
      (m) => m.length === 1,
    );
    expect(waste!.subject).toBe('Register for waste pickup');
    expect(waste!.text).toContain('collected on your collection day');
    expect(mailTo('rosa@example.org')).toHaveLength(0);
    // Paul (email only, a car in a paid zone): the parking offer by email, with its subject.
    const [parking] = await eventually(
      async () => mailTo('paul@example.org'),
      (m) => m.length === 1,
    );
    expect(parking!.subject).toBe('Your resident parking permit');
    expect(parking!.text).toContain('apply for a resident parking permit online');
  });

  it('Tuesday 10:00 in London: Ada gets the offer with the offer’s content; Dora’s is dropped for consent', async () => {
    // Finn had a marketing newsletter at 09:30: one of his two emails today.
    await moveClockTo('2026-03-03T09:30:00.000Z');
    const newsletter = await server.adminRequest('POST', '/api/messages', {
      userId: people.finn!.userId,
      channel: 'email',
      template: { subject: 'Bank newsletter', body: 'Rates this month.' },
      idempotencyKey: 'newsletter-2026-03',
    });
    expect(newsletter.status).toBe(202);
    await eventually(
      async () => mailTo('finn@example.org'),
      (m) => m.length === 1,
    );

    await moveClockTo('2026-03-03T10:00:30.000Z');
    const [offer] = await eventually(
      async () => mailTo('ada@example.org'),
      (m) => m.length === 1,
    );
    expect(offer!.subject).toBe('Ada, protect your new home');
    expect(offer!.text).toContain('Dear Ada,');
    expect(offer!.text).toContain(
      'Mortgage customers get 10% off home insurance: https://bank.example/home-insurance',
    );
    expect(offer!.from?.text).toContain('hello@city.example');
    // The HTML part is the MJML template compiled (responsive: a media query), its button
    // rewritten into a signed click link.
    expect(String(offer!.html)).toContain('@media');
    expect(String(offer!.html)).toMatch(/href="[^"]*\/t\/c\/[^"]+"/);

    const dora = await eventually(
      () => decisions(people.dora!.profileId),
      (items) => items.length > 0,
    );
    expect(dora[0]).toMatchObject({
      journeyId: 'mortgage-cross-sell',
      stepId: 'email-offer',
      action: 'drop',
      code: 'consent_denied',
      reason: 'dropped: no consent for email by email (denied)',
    });
    expect(mailTo('dora@example.org')).toHaveLength(0);
  });

  it('Finn: two journeys want his second email of the day; the mortgage offer (priority 200) wins, the library waits', async () => {
    const finn = await eventually(
      () => decisions(people.finn!.profileId),
      (items) => items.filter((d) => d.journeyId).length >= 2,
    );
    const mortgage = finn.find((d) => d.journeyId === 'mortgage-cross-sell');
    const library = finn.find((d) => d.journeyId === 'city-new-resident');
    expect(mortgage).toMatchObject({ action: 'send', code: 'send' });
    expect(library).toMatchObject({
      action: 'defer',
      code: 'fatigue_cap',
      until: '2026-03-04T09:00:00.000Z',
    });
    expect(String(library?.reason)).toMatch(
      /^deferred: daily email cap of 2 reached; lost to mortgage-cross-sell:.*:email-offer:1, until 09:00 Europe\/London\b/,
    );
    const mail = await eventually(
      async () => mailTo('finn@example.org'),
      (m) => m.length === 2,
    );
    expect(mail.map((m) => m.subject)).toEqual(['Bank newsletter', 'Finn, protect your new home']);
  });

  it('Quinn applied at 22:30: the offer falls in quiet hours, is deferred to 09:00 and goes out then', async () => {
    await moveClockTo('2026-03-03T22:30:30.000Z');
    const logged = await eventually(
      () => decisions(people.quinn!.profileId),
      (items) => items.length > 0,
    );
    expect(logged[0]).toMatchObject({
      action: 'defer',
      code: 'quiet_hours',
      reason: 'deferred: quiet hours until 09:00 Europe/London',
      until: '2026-03-04T09:00:00.000Z',
    });
    expect(mailTo('quinn@example.org')).toHaveLength(0);

    await moveClockTo('2026-03-04T09:00:30.000Z');
    const [offer] = await eventually(
      async () => mailTo('quinn@example.org'),
      (m) => m.length === 1,
    );
    expect(offer!.subject).toBe('Quinn, protect your new home');
    await eventually(
      () => decisions(people.quinn!.profileId),
      (items) => items[0]?.action === 'send',
    );
    // Finn's library offer, deferred by the cap, goes at the same hour.
    const finn = await eventually(
      async () => mailTo('finn@example.org'),
      (m) => m.length === 3,
    );
    expect(finn[2]!.subject).toBe('Your free library card, Finn');
  });

  it('Ada clicks the offer: Email Link Clicked names the URL and the offer, and the call centre gets a task for her only', async () => {
    const [offer] = mailTo('ada@example.org');
    const link = /href="([^"]*\/t\/c\/[^"]+)"/.exec(String(offer!.html))?.[1]?.replaceAll('&amp;', '&');
    expect(link).toBeDefined();
    const redirect = await fetch(link!, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('https://bank.example/home-insurance');
    const titles = async () =>
      server
        .adminRequest('GET', '/api/tasks?queue=call-centre')
        .then((r) => (r.body.items as Array<{ title: string; stepId: string }>).map((task) => task.title));
    // The click, in Rapport's own shape (offer_id), matches the step's filter: the task comes at once.
    expect(await eventually(titles, (seen) => seen.length === 1)).toEqual([
      'Offer home insurance to Ada Lovelace',
    ]);
    await server.settle();
    const clicks = await server.server.pipeline.eventsOf({
      profileIds: [people.ada!.profileId],
      limit: 10,
      name: 'Email Link Clicked',
    });
    expect(clicks[0]?.properties).toMatchObject({
      offer_id: 'home-insurance-10',
      link_url: 'https://bank.example/home-insurance',
      journey_id: 'mortgage-cross-sell',
      step_id: 'email-offer',
    });
    // Five days on, Dora (email refused) and Finn (no click) time out without a call.
    await moveClockTo('2026-03-08T10:05:00.000Z');
    const exits = await eventually(
      () =>
        Promise.all(
          ['dora', 'finn'].map((who) => server.server.conductor.store.instancesOf(people[who]!.profileId)),
        ),
      (rows) =>
        rows.every((r) =>
          r.some((i) => i.journeyId === 'mortgage-cross-sell' && i.exitReason === 'completed'),
        ),
    );
    expect(exits).toHaveLength(2);
    expect(await titles()).toEqual(['Offer home insurance to Ada Lovelace']);
  });

  it('a week later Rosa is offered waste pickup (a service email, no marketing consent needed), then parking by SMS', async () => {
    await moveClockTo('2026-03-10T09:00:30.000Z');
    const [waste] = await eventually(
      async () => mailTo('rosa@example.org'),
      (m) => m.length === 1,
    );
    expect(waste!.subject).toBe('Register for waste pickup');
    expect(waste!.text).toContain('collected on Tuesday');
    // The decision is logged just after the relay accepted the message.
    const rosa = await eventually(
      () => decisions(people.rosa!.profileId),
      (items) => items.some((d) => d.stepId === 'waste-offer'),
    );
    expect(rosa.find((d) => d.stepId === 'waste-offer')).toMatchObject({
      action: 'send',
      reason: 'send: transactional, consent for email not required',
    });

    await moveClockTo('2026-03-17T09:00:30.000Z');
    const messages = await eventually(
      async () => smsTo('+31611111111'),
      (m) => m.length === 2,
    );
    expect(messages[1]!.json.stepId).toBe('parking-offer');
    expect(messages[1]!.json.content.text).toBe(
      'You can apply for a resident parking permit online: it takes five minutes.',
    );
    expect(signatureValid(messages[1]!)).toBe(true);
    // Ravi's district has no paid parking: his trip ended without a parking offer.
    const ravi = await eventually(
      () => server.server.conductor.store.instancesOf(people.ravi!.profileId),
      (rows) => rows[0]?.exitReason === 'completed',
    );
    expect(ravi).toHaveLength(1);
    expect(mailTo('ravi@example.org')).toHaveLength(1);
    expect(sms.every(signatureValid)).toBe(true);
  });
});
