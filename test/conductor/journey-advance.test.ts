import { describe, expect, it } from 'vitest';
import {
  type AdvanceInput,
  advanceJourney,
  type JourneyAction,
  type JourneyDefinition,
  type JourneyInstance,
  newJourneyInstance,
  type ProfileFacts,
  type Step,
  validateJourney,
} from '../../src/conductor/index.ts';
import { exit, journey, send } from './fixtures.ts';

const person: ProfileFacts = {
  profileId: 'p1',
  traits: { first_name: 'Ada', plan: 'pro' },
  timeZone: 'Europe/Paris',
};
const isPro = (rule: unknown, profile: ProfileFacts) =>
  (rule as { plan?: string }).plan === profile.traits.plan;

function start(definition: JourneyDefinition, now = '2026-03-02T09:00:00.000Z') {
  expect(validateJourney(definition)).toMatchObject({ ok: true });
  const instance = newJourneyInstance(definition, { instanceId: 'i1', profileId: 'p1', now });
  return advanceJourney(definition, instance, { kind: 'entered', now, profile: person }, isPro);
}

type WithoutProfile<T> = T extends unknown ? Omit<T, 'profile'> : never;

function step(definition: JourneyDefinition, instance: JourneyInstance, input: WithoutProfile<AdvanceInput>) {
  return advanceJourney(definition, instance, { ...input, profile: person } as AdvanceInput, isPro);
}

const ofType = <T extends JourneyAction['type']>(actions: JourneyAction[], type: T) =>
  actions.filter((a): a is Extract<JourneyAction, { type: T }> => a.type === type);

const wait = (id: string, next: string, amount = 2): Step => ({
  id,
  type: 'wait',
  duration: { amount, unit: 'days' },
  next,
});

describe('advanceJourney', () => {
  it('walks send → exit on entry, logging every step', () => {
    const { instance, actions } = start(journey([send('hello', 'done'), exit()]));
    expect(instance.status).toBe('exited');
    expect(instance.exit).toMatchObject({ reason: 'completed', stepId: 'done' });
    expect(ofType(actions, 'send')).toEqual([
      expect.objectContaining({
        idempotencyKey: 'welcome:i1:hello:1',
        channel: 'email',
        purpose: 'marketing',
      }),
    ]);
    const events = ofType(actions, 'emitEvent').map((a) => a.event.name);
    expect(events).toEqual([
      'Journey Entered',
      'Journey Step Completed',
      'Journey Step Completed',
      'Journey Exited',
    ]);
    expect(ofType(actions, 'exit')).toEqual([{ type: 'exit', reason: 'completed' }]);
    expect(instance.revision).toBe(1);
  });

  it('replaying the same input gives the same keys (nothing sent twice)', () => {
    const definition = journey([send('hello', 'done'), exit()]);
    const first = start(definition);
    const second = start(definition);
    expect(second.actions).toEqual(first.actions);
  });

  it('ignores a second entry and anything after exit', () => {
    const definition = journey([send('hello', 'done'), exit()]);
    const { instance } = start(definition);
    expect(step(definition, instance, { kind: 'entered', now: '2026-03-02T10:00:00Z' }).ignored).toBe(
      'exited',
    );
  });

  it('waits 2 days by the wall clock across a DST change, then continues on the timer', () => {
    const definition = journey([wait('w', 'hello'), send('hello', 'done'), exit()]);
    const entered = start(definition, '2026-03-28T09:00:00.000Z'); // 10:00 in Paris, the day before DST
    expect(entered.instance.status).toBe('waiting');
    expect(entered.instance.waitingUntil).toBe('2026-03-30T08:00:00.000Z'); // 10:00 in Paris, now UTC+2
    const [timer] = ofType(entered.actions, 'scheduleTimer');
    expect(timer).toEqual({
      type: 'scheduleTimer',
      instanceId: 'i1',
      token: 'welcome:i1:w:1',
      at: '2026-03-30T08:00:00.000Z',
    });

    const early = step(definition, entered.instance, {
      kind: 'timer',
      now: '2026-03-30T07:00:00Z',
      token: timer!.token,
    });
    expect(early.ignored).toBe('early_timer');
    const stale = step(definition, entered.instance, {
      kind: 'timer',
      now: '2026-03-30T08:00:00Z',
      token: 'old',
    });
    expect(stale.ignored).toBe('stale_timer');

    const woke = step(definition, entered.instance, {
      kind: 'timer',
      now: '2026-03-30T08:00:01Z',
      token: timer!.token,
    });
    expect(ofType(woke.actions, 'send')).toHaveLength(1);
    expect(woke.instance.exit?.reason).toBe('completed');
    expect(woke.instance.history.map((h) => h.outcome)).toEqual(['elapsed', 'queued', 'exit']);
  });

  it('waits until a time of day in the person’s zone, falling back to the journey’s zone', () => {
    const definition = journey([{ id: 'w', type: 'waitUntil', at: '09:00', next: 'done' }, exit()]);
    // 20:00 in Paris on Monday: next 09:00 is Tuesday 08:00 UTC
    expect(start(definition, '2026-03-02T19:00:00.000Z').instance.waitingUntil).toBe(
      '2026-03-03T08:00:00.000Z',
    );
    const tokyo = { ...person, timeZone: 'Asia/Tokyo' };
    const instance = newJourneyInstance(definition, {
      instanceId: 'i1',
      profileId: 'p1',
      now: '2026-03-02T19:00:00Z',
    });
    const result = advanceJourney(
      definition,
      instance,
      { kind: 'entered', now: '2026-03-02T19:00:00Z', profile: tokyo },
      isPro,
    );
    expect(result.instance.waitingUntil).toBe('2026-03-03T00:00:00.000Z'); // 09:00 JST
    const nowhere = { ...person, timeZone: 'Not/AZone' };
    const fallback = advanceJourney(
      definition,
      instance,
      { kind: 'entered', now: '2026-03-02T19:00:00Z', profile: nowhere },
      isPro,
    );
    expect(fallback.instance.waitingUntil).toBe('2026-03-03T08:00:00.000Z');
  });

  it('waits until a time that does not exist on the DST day: it moves forward by the gap', () => {
    const definition = journey([{ id: 'w', type: 'waitUntil', at: '02:30', next: 'done' }, exit()]);
    // Paris skips 02:00–03:00 on 2026-03-29; 02:30 that day becomes 03:30 CEST = 01:30 UTC
    expect(start(definition, '2026-03-28T23:00:00.000Z').instance.waitingUntil).toBe(
      '2026-03-29T01:30:00.000Z',
    );
  });

  it('waits for an event, with a timeout that takes the other path', () => {
    const definition = journey([
      {
        id: 'w',
        type: 'waitForEvent',
        event: 'Email Opened',
        where: [{ property: 'campaign', test: { op: 'eq', value: 'spring' } }],
        timeout: { amount: 3, unit: 'days' },
        next: 'thanks',
        onTimeout: 'reminder',
      },
      send('thanks', 'done'),
      send('reminder', 'done'),
      exit(),
    ]);
    const entered = start(definition);
    const token = entered.instance.timerToken!;
    const event = (campaign: string) => ({
      name: 'Email Opened',
      messageId: 'm1',
      timestamp: '2026-03-03T09:00:00Z',
      properties: { campaign },
    });
    const other = step(definition, entered.instance, {
      kind: 'event',
      now: '2026-03-03T09:00:00Z',
      event: event('autumn'),
    });
    expect(other.ignored).toBe('event_not_awaited');

    const opened = step(definition, entered.instance, {
      kind: 'event',
      now: '2026-03-03T09:00:00Z',
      event: event('spring'),
    });
    expect(ofType(opened.actions, 'cancelTimer')).toEqual([{ type: 'cancelTimer', instanceId: 'i1', token }]);
    expect(ofType(opened.actions, 'send').map((a) => a.stepId)).toEqual(['thanks']);

    const late = step(definition, entered.instance, { kind: 'timer', now: '2026-03-05T09:00:00Z', token });
    expect(ofType(late.actions, 'send').map((a) => a.stepId)).toEqual(['reminder']);
    expect(
      step(definition, opened.instance, { kind: 'timer', now: '2026-03-05T09:00:00Z', token }).ignored,
    ).toBe('exited');
  });

  it('branches on the injected rule, first matching case wins', () => {
    const steps: Step[] = [
      {
        id: 'b',
        type: 'branch',
        cases: [
          { rule: { plan: 'free' }, next: 'free' },
          { rule: { plan: 'pro' }, next: 'pro' },
        ],
        otherwise: 'done',
      },
      send('free', 'done'),
      send('pro', 'done'),
      exit(),
    ];
    const { actions, instance } = start(journey(steps));
    expect(ofType(actions, 'send').map((a) => a.stepId)).toEqual(['pro']);
    expect(instance.history[0]).toMatchObject({ stepId: 'b', outcome: 'case 1' });
  });

  it('ends as converted when the goal event comes, at any step, cancelling the timer', () => {
    const definition = journey([wait('w', 'hello'), send('hello', 'done'), exit()], {
      goal: { event: 'Order Completed', where: [{ property: 'total', test: { op: 'gt', value: 0 } }] },
    });
    const { instance } = start(definition);
    const goal = {
      name: 'Order Completed',
      messageId: 'o1',
      timestamp: '2026-03-03T09:00:00Z',
      properties: { total: 30 },
    };
    const converted = step(definition, instance, { kind: 'event', now: '2026-03-03T09:00:00Z', event: goal });
    expect(converted.instance.exit).toMatchObject({ reason: 'converted', stepId: 'w' });
    expect(ofType(converted.actions, 'cancelTimer')).toHaveLength(1);
    expect(ofType(converted.actions, 'send')).toEqual([]);
    const zero = { ...goal, properties: { total: 0 } };
    expect(
      step(definition, instance, { kind: 'event', now: '2026-03-03T09:00:00Z', event: zero }).ignored,
    ).toBe('event_not_awaited');
  });

  it('a loop through a wait gives each visit its own idempotency key', () => {
    const definition = journey([
      send('nudge', 'w'),
      wait('w', 'b', 1),
      { id: 'b', type: 'branch', cases: [{ rule: { plan: 'pro' }, next: 'nudge' }], otherwise: 'done' },
      exit(),
    ]);
    const first = start(definition);
    const second = step(definition, first.instance, {
      kind: 'timer',
      now: '2026-03-03T09:00:00Z',
      token: first.instance.timerToken!,
    });
    const keys = [...ofType(first.actions, 'send'), ...ofType(second.actions, 'send')].map(
      (a) => a.idempotencyKey,
    );
    expect(keys).toEqual(['welcome:i1:nudge:1', 'welcome:i1:nudge:2']);
    expect(second.instance.timerToken).toBe('welcome:i1:w:2');
  });

  it('sets traits, creates tasks with a due time, and records the split arm', () => {
    const definition = journey([
      { id: 'flag', type: 'setTrait', trait: 'journey_welcome', value: true, next: 's' },
      { id: 's', type: 'split', arms: [{ name: 'only', percent: 100, next: 'call' }] },
      {
        id: 'call',
        type: 'createTask',
        queue: 'call-centre',
        title: 'Call {{ traits.first_name }}',
        dueIn: { amount: 1, unit: 'days' },
        next: 'done',
      },
      exit(),
    ]);
    const { actions, instance } = start(definition);
    expect(ofType(actions, 'setTrait')).toEqual([
      {
        type: 'setTrait',
        idempotencyKey: 'welcome:i1:flag:1',
        profileId: 'p1',
        trait: 'journey_welcome',
        value: true,
      },
    ]);
    expect(ofType(actions, 'createTask')[0]).toMatchObject({
      queue: 'call-centre',
      dueAt: '2026-03-03T09:00:00.000Z',
    });
    expect(instance.arms).toEqual({ s: 'only' });
  });

  it('leaves as aborted when the step it waits at is gone, instead of looping or throwing', () => {
    const definition = journey([wait('w', 'done'), exit()]);
    const { instance } = start(definition);
    const moved = { ...instance, stepId: 'vanished' };
    const result = step(definition, moved, {
      kind: 'timer',
      now: '2026-03-09T09:00:00Z',
      token: instance.timerToken!,
    });
    expect(result.instance.exit?.reason).toBe('aborted');
  });

  it('refuses to run an instance on another revision of the journey', () => {
    const definition = journey([send('hello', 'done'), exit()]);
    const { instance } = start(definition);
    expect(() =>
      step({ ...definition, version: 2 }, instance, { kind: 'entered', now: '2026-03-02T09:00:00Z' }),
    ).toThrow(/v1, not welcome v2/);
  });

  it('does not change the instance it was given', () => {
    const definition = journey([wait('w', 'done'), exit()]);
    const instance = newJourneyInstance(definition, {
      instanceId: 'i1',
      profileId: 'p1',
      now: '2026-03-02T09:00:00Z',
    });
    const copy = structuredClone(instance);
    step(definition, instance, { kind: 'entered', now: '2026-03-02T09:00:00Z' });
    expect(instance).toEqual(copy);
  });
});
