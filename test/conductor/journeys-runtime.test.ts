// Journeys end to end on a real server (embedded storage): events in over the tracking API,
// journeys saved over the admin API, time moved by the clock injected into the processors,
// deliveries seen by an in-process channel that records them (a real Channel implementation;
// the outbox, arbitration and rendering in front of it are the production code).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../../src/pipeline/index.ts';
import { eventually, RecordingChannel } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const T0 = new Date('2026-03-02T10:00:00.000Z'); // a Monday, 11:00 in Paris
const DAY = 86_400_000;

const clock = new TestClock(T0);
const email = new RecordingChannel('email');
let server: TestServer;

function journey(id: string, extra: Record<string, unknown>) {
  return {
    format: 1,
    id,
    version: 1,
    name: id,
    reentry: { mode: 'once' },
    defaultTimeZone: 'UTC',
    ...extra,
  };
}

const welcome = journey('welcome', {
  entry: { kind: 'event', event: 'Signed Up', where: [{ property: 'plan', test: { op: 'exists' } }] },
  goal: { event: 'Purchased' },
  start: 'hello',
  steps: [
    {
      id: 'hello',
      type: 'send',
      channel: 'email',
      purpose: 'email',
      template: { subject: 'Hi {{ traits.first_name }}', body: 'Welcome on {{ event.properties.plan }}' },
      next: 'wait',
    },
    { id: 'wait', type: 'wait', duration: { amount: 2, unit: 'days' }, next: 'is-pro' },
    {
      id: 'is-pro',
      type: 'branch',
      cases: [{ rule: { kind: 'trait', trait: 'plan', test: { op: 'eq', value: 'pro' } }, next: 'pro-tips' }],
      otherwise: 'nudge',
    },
    {
      id: 'pro-tips',
      type: 'send',
      channel: 'email',
      purpose: 'email',
      template: { subject: 'Pro tips', body: 'tips' },
      next: 'split',
    },
    {
      id: 'nudge',
      type: 'send',
      channel: 'email',
      purpose: 'email',
      template: { subject: 'Still there?', body: 'nudge' },
      next: 'split',
    },
    {
      id: 'split',
      type: 'split',
      arms: [
        { name: 'a', percent: 50, next: 'done' },
        { name: 'b', percent: 50, next: 'done' },
      ],
    },
    { id: 'done', type: 'exit' },
  ],
});

const promo = (id: string, priority: number) =>
  journey(id, {
    entry: { kind: 'event', event: 'Browsed' },
    reentry: { mode: 'always' },
    start: 'offer',
    steps: [
      {
        id: 'offer',
        type: 'send',
        channel: 'email',
        purpose: 'email',
        priority,
        template: { subject: id, body: id },
        next: 'done',
      },
      { id: 'done', type: 'exit' },
    ],
  });

async function person(
  userId: string,
  traits: Record<string, unknown>,
  consent: 'granted' | 'denied' | undefined,
) {
  const context = consent ? { consent: { categoryPreferences: { email: consent === 'granted' } } } : {};
  const response = await track(server, '/v1/identify', { userId, traits, context });
  expect(response.status).toBe(200);
}

async function event(userId: string, name: string, properties: Record<string, unknown> = {}) {
  expect((await track(server, '/v1/track', { userId, event: name, properties })).status).toBe(200);
}

async function profileIdOf(userId: string): Promise<string> {
  const found = await eventually(
    () => server.server.state.findIdentities([{ kind: 'user_id', value: userId }]),
    (rows) => rows.length > 0,
  );
  return found[0]!.profileId;
}

const stats = (id: string) => server.adminRequest('GET', `/api/journeys/${id}/stats`).then((r) => r.body);
const decisions = (profileId: string) =>
  server
    .adminRequest('GET', `/api/decisions?profileId=${profileId}`)
    .then((r) => r.body.items as Array<Record<string, unknown>>);

beforeAll(async () => {
  server = await startTestServer(
    {},
    {
      clock,
      channels: [email],
      conductorPollMs: 20,
      arbitrationPolicy: {
        caps: [{ channel: 'email', period: 'day', limit: 1 }],
        quietHours: { start: '21:00', end: '08:00' },
        defaultTimeZone: 'UTC',
      },
    },
  );
  for (const definition of [welcome, promo('promo-high', 200), promo('promo-low', 50)])
    expect((await server.adminRequest('POST', '/api/journeys', definition)).status).toBe(201);
});

afterAll(async () => {
  await server?.close();
});

describe('journeys on a running server', () => {
  it('refuses an invalid journey at save with the step and field', async () => {
    const bad = journey('bad', {
      entry: { kind: 'event', event: 'X' },
      start: 'a',
      steps: [{ id: 'a', type: 'wait', duration: { amount: 1, unit: 'days' }, next: 'nowhere' }],
    });
    const response = await server.adminRequest('POST', '/api/journeys', bad);
    expect(response.status).toBe(400);
    expect(response.body.issues).toContainEqual(
      expect.objectContaining({ code: 'unknown_step', stepId: 'a', field: '/steps/0/next' }),
    );
  });

  it('enters on the event, sends, waits two days by the clock, branches, and completes', async () => {
    await person('ann', { first_name: 'Ann', plan: 'pro' }, 'granted');
    await event('ann', 'Signed Up', { plan: 'pro' });
    const ann = await profileIdOf('ann');
    const first = await eventually(
      async () => email.to(ann),
      (d) => d.length === 1,
    );
    expect(first[0]?.content).toMatchObject({ subject: 'Hi Ann', text: 'Welcome on pro' });
    expect(first[0]?.idempotencyKey).toMatch(/^welcome:ji_[0-9a-f]+:hello:1$/);
    expect((await stats('welcome')).steps.wait).toEqual({ current: 1, passed: 1 });

    clock.set(new Date(T0.getTime() + 2 * DAY + 60_000));
    server.server.conductor.wake();
    const all = await eventually(
      async () => email.to(ann),
      (d) => d.length === 2,
    );
    expect(all[1]?.content.subject).toBe('Pro tips');
    const after = await eventually(
      () => stats('welcome'),
      (s) => s.completed === 1,
    );
    expect(after.steps['pro-tips']).toEqual({ current: 0, passed: 1 });
    expect(after.steps.nudge).toBeUndefined();
    const [instance] = await server.server.conductor.store.instancesOf(ann);
    expect(instance?.exitReason).toBe('completed');
    const arms = (instance?.body as { arms: Record<string, string> } | undefined)?.arms;
    expect(['a', 'b']).toContain(arms?.split);
  });

  it('gives the stats of every journey in one answer, each equal to the journey route', async () => {
    const all = await server.adminRequest('GET', '/api/journey-stats');
    expect(all.status).toBe(200);
    const journeys = (await server.adminRequest('GET', '/api/journeys')).body as Array<{ journeyId: string }>;
    expect(all.body.map((s: { journeyId: string }) => s.journeyId).sort()).toEqual(
      journeys.map((j) => j.journeyId).sort(),
    );
    for (const one of all.body) expect(one).toEqual(await stats(one.journeyId));
    expect(all.body.find((s: { journeyId: string }) => s.journeyId === 'welcome')).toMatchObject({
      entered: 1,
      completed: 1,
    });
  });

  it('is once per person: a second sign-up does not enter again', async () => {
    const ann = await profileIdOf('ann');
    await event('ann', 'Signed Up', { plan: 'pro' });
    await event('ann', 'Marker');
    await server.settle();
    const head = await server.server.state.log.headSeq();
    await eventually(
      () => server.server.conductor.offset(),
      (offset) => offset >= head,
    );
    expect(await server.server.conductor.store.instancesOf(ann)).toHaveLength(1);
    expect(email.to(ann)).toHaveLength(2);
  });

  it('ends at the goal as converted and cancels the pending wait', async () => {
    clock.set(T0);
    await person('bob', { first_name: 'Bob', plan: 'free' }, 'granted');
    await event('bob', 'Signed Up', { plan: 'free' });
    const bob = await profileIdOf('bob');
    await eventually(
      async () => email.to(bob),
      (d) => d.length === 1,
    );
    await event('bob', 'Purchased');
    await eventually(
      () => server.server.conductor.store.instancesOf(bob),
      (rows) => rows[0]?.exitReason === 'converted',
    );
    expect(
      await server.server.conductor.store.pendingTimers(
        (await server.server.conductor.store.instancesOf(bob))[0]!.instanceId,
      ),
    ).toEqual([]);
    clock.set(new Date(T0.getTime() + 3 * DAY));
    server.server.conductor.wake();
    expect((await stats('welcome')).converted).toBeGreaterThanOrEqual(1);
    expect(email.to(bob)).toHaveLength(1);
  });

  it('drops a send without consent, with the reason in the log', async () => {
    clock.set(T0);
    await person('cid', { plan: 'free' }, 'denied');
    await event('cid', 'Signed Up', { plan: 'free' });
    const cid = await profileIdOf('cid');
    const logged = await eventually(
      () => decisions(cid),
      (items) => items.length > 0,
    );
    expect(logged[0]).toMatchObject({
      action: 'drop',
      code: 'consent_denied',
      reason: 'dropped: no consent for email by email (denied)',
      journeyId: 'welcome',
    });
    const outbox = await server.adminRequest('GET', `/api/outbox?status=dropped&profileId=${cid}`);
    expect(outbox.body.items).toHaveLength(1);
    expect(email.to(cid)).toHaveLength(0);
  });

  it('defers during quiet hours in the person’s zone and sends when they end', async () => {
    clock.set(new Date('2026-03-02T21:30:00.000Z')); // 22:30 in Paris
    await person('dee', { first_name: 'Dee', timeZone: 'Europe/Paris' }, 'granted');
    await event('dee', 'Signed Up', { plan: 'free' });
    const dee = await profileIdOf('dee');
    const logged = await eventually(
      () => decisions(dee),
      (items) => items.length > 0,
    );
    expect(logged[0]).toMatchObject({
      action: 'defer',
      code: 'quiet_hours',
      reason: 'deferred: quiet hours until 08:00 Europe/Paris',
      until: '2026-03-03T07:00:00.000Z',
    });
    expect(email.to(dee)).toHaveLength(0);
    clock.set(new Date('2026-03-03T07:00:30.000Z'));
    server.server.conductor.wake();
    await eventually(
      async () => email.to(dee),
      (d) => d.length === 1,
    );
    expect((await decisions(dee))[0]).toMatchObject({ action: 'send', code: 'send' });
  });

  it('lets the higher priority win a fatigue cap across two journeys; the other waits for the next day', async () => {
    clock.set(new Date('2026-03-04T10:00:00.000Z'));
    await person('eve', {}, 'granted');
    await event('eve', 'Browsed');
    const eve = await profileIdOf('eve');
    const logged = await eventually(
      () => decisions(eve),
      (items) => items.length >= 2,
    );
    const high = logged.find((d) => d.journeyId === 'promo-high');
    const low = logged.find((d) => d.journeyId === 'promo-low');
    expect(high).toMatchObject({ action: 'send' });
    expect(low).toMatchObject({ action: 'defer', code: 'fatigue_cap', until: '2026-03-05T08:00:00.000Z' });
    expect(String(low?.reason)).toMatch(
      /^deferred: daily email cap of 1 reached; lost to promo-high:.*, until 08:00 UTC$/,
    );
    const sent = await eventually(
      async () => email.to(eve),
      (d) => d.length === 1,
    );
    expect(sent[0]?.journeyId).toBe('promo-high');
  });

  it('queues an API send through the same arbitration', async () => {
    clock.set(new Date('2026-03-04T12:00:00.000Z'));
    await person('fay', {}, undefined);
    const fay = await profileIdOf('fay');
    const queued = await server.adminRequest('POST', '/api/messages', {
      userId: 'fay',
      channel: 'email',
      kind: 'marketing',
      template: { subject: 'Hello', body: 'x' },
      idempotencyKey: 'fay-1',
    });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ profileId: fay, idempotencyKey: 'api:fay-1', queued: true });
    const logged = await eventually(
      () => decisions(fay),
      (items) => items.length > 0,
    );
    expect(logged[0]).toMatchObject({ action: 'drop', code: 'consent_unknown' });
    const again = await server.adminRequest('POST', '/api/messages', {
      userId: 'fay',
      channel: 'email',
      template: { subject: 'Hello', body: 'x' },
      idempotencyKey: 'fay-1',
    });
    expect(again.body.queued).toBe(false);
  });

  it('pauses and resumes a journey', async () => {
    expect((await server.adminRequest('POST', '/api/journeys/promo-low/pause')).body.status).toBe('paused');
    expect(
      (await server.adminRequest('GET', '/api/journeys')).body.map(
        (j: { journeyId: string; status: string }) => [j.journeyId, j.status],
      ),
    ).toContainEqual(['promo-low', 'paused']);
    expect((await server.adminRequest('POST', '/api/journeys/promo-low/resume')).body.status).toBe('active');
    expect((await server.adminRequest('PUT', '/api/journeys/promo-low', promo('promo-low', 60))).status).toBe(
      409,
    );
    const v2 = { ...promo('promo-low', 60), version: 2 };
    expect((await server.adminRequest('PUT', '/api/journeys/promo-low', v2)).body.version).toBe(2);
  });
});
