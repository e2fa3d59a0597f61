// A belief that flips is announced in the log as `Belief Flipped`, and the conductor acts on it: a
// belief written on four people is not settled; sixty more arrive, the beliefs are tested again,
// the verdict flips to supported, the event is in the log with the belief and both verdicts, and a
// journey whose entry is that event opens a task for the analysts. The audit's own profile (the
// event's owner) is not counted among the customers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_USER_ID, BELIEF_FLIPPED } from '../../src/audit/index.ts';
import { eventsNamed } from '../channels/support.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { plantCohort } from './planted.ts';

const lateCohortBuys = {
  statement: 'Most of the late cohort buys',
  claim: {
    kind: 'share',
    among: [{ kind: 'trait', trait: 'cohort', op: 'equals', value: 'late' }],
    have: { kind: 'event', event: 'Order Completed' },
    direction: 'at_least',
    share: 0.5,
  },
};

const reviewJourney = (beliefId: string) => ({
  format: 1,
  id: 'review-flipped-belief',
  version: 1,
  name: 'Review a belief that flipped',
  entry: {
    kind: 'event',
    event: BELIEF_FLIPPED,
    where: [{ property: 'belief_id', test: { op: 'eq', value: beliefId } }],
  },
  reentry: { mode: 'always' },
  defaultTimeZone: 'UTC',
  start: 'review',
  steps: [
    {
      id: 'review',
      type: 'createTask',
      queue: 'analysts',
      title: 'Belief flipped: {{ event.properties.statement }}',
      note: '{{ event.properties.from_verdict }} to {{ event.properties.to_verdict }}',
      next: 'done',
    },
    { id: 'done', type: 'exit' },
  ],
});

describe('a flipped belief announced to the conductor', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ beliefsRetestInterval: 'off' });
  }, 60_000);
  afterAll(async () => t?.close());

  it('appends Belief Flipped when new data flips a verdict, and a journey triggered by it runs', async () => {
    await plantCohort(t, 0, 4, 3);
    const created = await t.adminRequest('POST', '/api/beliefs', lateCohortBuys);
    expect(created.body.result.verdict).toBe('not_enough_data');
    const everyone = await t.adminRequest('POST', '/api/beliefs', {
      statement: 'Most of our customers buy',
      claim: { ...lateCohortBuys.claim, among: [] },
    });
    expect((await t.adminRequest('POST', '/api/journeys', reviewJourney(created.body.id))).status).toBe(201);

    // Tested again before new data: nothing flips, nothing is announced.
    expect((await t.adminRequest('POST', '/api/beliefs/test')).body.flipped).toEqual([]);

    await plantCohort(t, 4, 60, 60);
    const tested = await t.adminRequest('POST', '/api/beliefs/test');
    expect(tested.body.flipped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          beliefId: created.body.id,
          from: 'not_enough_data',
          to: 'supported',
          people: 64,
        }),
      ]),
    );

    // The announcement is in the log; the processors apply it in their own time.
    await t.settle();
    const [audit] = await t.server.state.findIdentities([{ kind: 'user_id', value: AUDIT_USER_ID }]);
    expect(audit).toBeDefined();
    const events = await eventsNamed(t, audit!.profileId, BELIEF_FLIPPED);
    const flips = events.filter((e) => e.properties.belief_id === created.body.id);
    expect(flips).toHaveLength(1);
    expect(flips[0]!.properties).toMatchObject({
      belief_id: created.body.id,
      statement: 'Most of the late cohort buys',
      from_verdict: 'not_enough_data',
      to_verdict: 'supported',
      people: 64,
      threshold: 0.5,
    });
    expect(flips[0]!.properties.estimate).toBeCloseTo(63 / 64, 6);

    const tasks = await eventually(
      () => t.admin('/api/tasks?queue=analysts').then((r) => r.body.items as Array<Record<string, unknown>>),
      (items) => items.length > 0,
    );
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      title: 'Belief flipped: Most of the late cohort buys',
      note: 'not_enough_data to supported',
      profileId: audit!.profileId,
      journeyId: 'review-flipped-belief',
    });

    // The audit's own profile is not a customer: "everyone" is the 64 planted people.
    const again = await t.adminRequest('POST', '/api/beliefs/test');
    const all = again.body.beliefs.find((b: { id: string }) => b.id === everyone.body.id);
    expect(all.result.people).toBe(64);
  }, 120_000);
});
