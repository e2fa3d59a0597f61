import { beforeEach, describe, expect, it } from 'vitest';
import type { JourneyDefinition, Step } from '../../src/conductor/index.ts';
import { type Conductor, runJourneysStep } from '../../src/conductor/runtime/index.ts';
import { PROFILES_PROCESSOR } from '../../src/pipeline/index.ts';
import type { LogEntry } from '../../src/store/index.ts';
import { exit } from './fixtures.ts';
import { journeysStepWorld, STEP_OPTIONS, stepEngines } from './journeys-step-world.ts';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const ENGINES = stepEngines();

let sequence = 0;
function entry(message: Record<string, unknown>): LogEntry {
  const messageId = `m-${++sequence}`;
  const full = { timestamp: NOW.toISOString(), receivedAt: NOW.toISOString(), messageId, ...message };
  return { messageId, source: 'test', receivedAt: NOW.toISOString(), json: JSON.stringify(full) };
}

/** Ordinary traffic no journey reads: a page, product views (one titled like a trigger). */
function noise(userId: string): LogEntry[] {
  return [
    entry({ type: 'page', userId, name: 'Home' }),
    entry({ type: 'track', userId, event: 'Product Viewed', properties: { sku: 'a1' } }),
    entry({ type: 'track', userId, event: 'Product Viewed', properties: { title: 'Signed Up' } }),
  ];
}

const waitForOpen: Step = {
  id: 'wait-open',
  type: 'waitForEvent',
  event: 'Email Opened',
  timeout: { amount: 2, unit: 'days' },
  next: 'opened',
  onTimeout: 'timed-out',
};

function welcome(overrides: Partial<JourneyDefinition> = {}): JourneyDefinition {
  return {
    format: 1,
    id: 'welcome',
    version: 1,
    name: 'welcome',
    reentry: { mode: 'once' },
    defaultTimeZone: 'UTC',
    entry: { kind: 'event', event: 'Signed Up' },
    start: 'wait-open',
    steps: [waitForOpen, exit('opened'), exit('timed-out')],
    ...overrides,
  };
}

const options = STEP_OPTIONS;

for (const engine of ENGINES) {
  describe.skipIf(!engine.enabled)(`journeys step reads only what journeys read, on ${engine.name}`, () => {
    const world = journeysStepWorld(engine, 'rapport-journeys-relevance-', NOW);
    const { applyLog, profileOf } = world;
    let conductor: Conductor;
    beforeEach(() => {
      conductor = world.conductor;
    });

    async function tripsOf(userId: string) {
      const rows = await conductor.store.instancesOf(await profileOf(userId));
      return rows.map((row) => ({
        journey: `${row.journeyId} v${row.journeyVersion}`,
        at: row.stepId,
        exit: row.exitReason,
      }));
    }

    async function activate(definition: JourneyDefinition): Promise<void> {
      await conductor.service.save(definition);
      await conductor.service.setStatus(definition.id, 'active');
    }

    it('enters on the trigger among ordinary tracks, and moves a trip on when its awaited event comes later', async () => {
      await activate(welcome());
      await applyLog([
        entry({ type: 'identify', userId: 'ann', traits: { email: 'ann@example.com' } }),
        entry({ type: 'identify', userId: 'bob', traits: { email: 'bob@example.com' } }),
        ...noise('ann'),
        ...noise('bob'),
        entry({ type: 'track', userId: 'ann', event: 'Signed Up', properties: {} }),
        ...noise('ann'),
      ]);
      expect(await tripsOf('ann')).toEqual([{ journey: 'welcome v1', at: 'wait-open', exit: null }]);
      expect(await tripsOf('bob')).toEqual([]);
      await applyLog([
        ...noise('ann'),
        entry({ type: 'track', userId: 'ann', event: 'Email Opened' }),
        ...noise('bob'),
      ]);
      expect(await tripsOf('ann')).toEqual([{ journey: 'welcome v1', at: 'opened', exit: 'completed' }]);
    });

    it('hands the awaited event to a trip entered earlier in the same slice', async () => {
      await activate(welcome());
      await applyLog([
        entry({ type: 'identify', userId: 'cat', traits: { email: 'cat@example.com' } }),
        entry({ type: 'track', userId: 'cat', event: 'Signed Up', properties: {} }),
        ...noise('cat'),
        entry({ type: 'track', userId: 'cat', event: 'Email Opened', properties: {} }),
      ]);
      expect(await tripsOf('cat')).toEqual([{ journey: 'welcome v1', at: 'opened', exit: 'completed' }]);
    });

    it("hands a trip on an older version the event that version waits for, and the goal of a paused journey's", async () => {
      await activate(welcome({ goal: { event: 'Upgraded' } }));
      await applyLog([
        entry({ type: 'identify', userId: 'dan', traits: { email: 'dan@example.com' } }),
        entry({ type: 'identify', userId: 'eve', traits: { email: 'eve@example.com' } }),
        entry({ type: 'track', userId: 'dan', event: 'Signed Up', properties: {} }),
        entry({ type: 'track', userId: 'eve', event: 'Signed Up', properties: {} }),
      ]);
      // Version 2 waits for another event and has no goal: only version 1's trips read these.
      await activate(
        welcome({
          version: 2,
          steps: [{ ...waitForOpen, event: 'Push Opened' }, exit('opened'), exit('timed-out')],
        }),
      );
      await conductor.service.setStatus('welcome', 'paused');
      await applyLog([
        ...noise('dan'),
        entry({ type: 'track', userId: 'dan', event: 'Email Opened', properties: {} }),
        entry({ type: 'track', userId: 'eve', event: 'Upgraded', properties: {} }),
      ]);
      expect(await tripsOf('dan')).toEqual([{ journey: 'welcome v1', at: 'opened', exit: 'completed' }]);
      expect(await tripsOf('eve')).toEqual([{ journey: 'welcome v1', at: 'wait-open', exit: 'converted' }]);
    });

    it('enters on a segment trigger, for that segment only', async () => {
      await activate(welcome({ id: 'vip', entry: { kind: 'segment', segmentId: 'vip', on: 'entered' } }));
      await applyLog([
        entry({ type: 'identify', userId: 'fay', traits: { email: 'fay@example.com' } }),
        entry({ type: 'identify', userId: 'gus', traits: { email: 'gus@example.com' } }),
        entry({
          type: 'track',
          userId: 'gus',
          event: 'Segment Entered',
          properties: { segment_id: 'churn' },
        }),
        ...noise('fay'),
        entry({ type: 'track', userId: 'fay', event: 'Segment Entered', properties: { segment_id: 'vip' } }),
      ]);
      expect(await tripsOf('fay')).toEqual([{ journey: 'vip v1', at: 'wait-open', exit: null }]);
      expect(await tripsOf('gus')).toEqual([]);
    });

    it('records a suppression while a journey is active', async () => {
      await activate(welcome());
      await applyLog([
        entry({ type: 'identify', userId: 'hal', traits: { email: 'hal@example.com' } }),
        ...noise('hal'),
        entry({ type: 'track', userId: 'hal', event: 'Email Bounced', properties: { bounceType: 'hard' } }),
      ]);
      const suppressions = await conductor.store.suppressionsOf(await profileOf('hal'));
      expect(suppressions.map(({ channel, scope, reason }) => ({ channel, scope, reason }))).toEqual([
        { channel: 'email', scope: 'all', reason: 'hard bounce' },
      ]);
    });

    it('consumes a track no journey reads without parsing it, and parses one a journey reads', async () => {
      await activate(welcome());
      const state = conductor.state.state;
      const broken = (event: string): LogEntry => {
        const messageId = `broken-${++sequence}`;
        const json = `{"type":"track","messageId":"${messageId}","event":"${event}","properties":{`;
        return { messageId, source: 'test', receivedAt: NOW.toISOString(), json };
      };
      // Past the profiles step by hand: it would set the broken entries aside itself.
      const resolve = async () => {
        const head = await state.log.headSeq();
        await state.withProcessorLock(PROFILES_PROCESSOR, (tx) => tx.setOffset(head));
      };
      await state.log.append([broken('Page Scrolled'), ...noise('ivy')]);
      await resolve();
      expect(await runJourneysStep(conductor.state, options)).toBe(4);
      expect(await conductor.offset()).toBe(await state.log.headSeq());
      await state.log.append([broken('Signed Up')]);
      await resolve();
      await expect(runJourneysStep(conductor.state, options)).rejects.toThrow(SyntaxError);
    });
  });
}
