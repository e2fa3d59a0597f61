import { beforeEach, describe, expect, it } from 'vitest';
import type { Conductor } from '../../src/conductor/runtime/index.ts';
import type { LogEntry } from '../../src/store/index.ts';
import { journeysStepWorld, stepEngines } from './journeys-step-world.ts';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const ENGINES = stepEngines();

let sequence = 0;
function entry(message: Record<string, unknown>): LogEntry {
  const messageId = `m-${++sequence}`;
  const full = { timestamp: NOW.toISOString(), receivedAt: NOW.toISOString(), messageId, ...message };
  return { messageId, source: 'test', receivedAt: NOW.toISOString(), json: JSON.stringify(full) };
}

for (const engine of ENGINES) {
  describe.skipIf(!engine.enabled)(`journeys step with nothing active, on ${engine.name}`, () => {
    const world = journeysStepWorld(engine, 'rapport-journeys-idle-', NOW);
    const { applyLog, profileOf } = world;
    let conductor: Conductor;
    beforeEach(() => {
      conductor = world.conductor;
    });

    it('records an unsubscribe among ordinary tracks, and nothing for the ordinary ones', async () => {
      await applyLog([
        entry({ type: 'identify', userId: 'ann', traits: { email: 'ann@example.com' } }),
        entry({ type: 'identify', userId: 'bob', traits: { email: 'bob@example.com' } }),
        entry({
          type: 'track',
          userId: 'ann',
          event: 'Product Viewed',
          properties: { note: 'Unsubscribed' },
        }),
        entry({ type: 'track', userId: 'bob', event: 'Email Unsubscribed', properties: {} }),
        entry({ type: 'track', userId: 'ann', event: 'Order Completed', properties: { total: 10 } }),
      ]);
      const suppressions = await conductor.store.suppressionsOf(await profileOf('bob'));
      expect(suppressions.map(({ channel, scope, reason }) => ({ channel, scope, reason }))).toEqual([
        { channel: 'email', scope: 'marketing', reason: 'unsubscribed' },
      ]);
      expect(await conductor.store.suppressionsOf(await profileOf('ann'))).toEqual([]);
    });

    it('hands the goal event to a trip under way in a paused journey', async () => {
      await conductor.service.save({
        format: 1,
        id: 'nurture',
        version: 1,
        name: 'nurture',
        reentry: { mode: 'once' },
        defaultTimeZone: 'UTC',
        entry: { kind: 'event', event: 'Signed Up' },
        goal: { event: 'Purchased' },
        start: 'wait',
        steps: [
          { id: 'wait', type: 'wait', duration: { amount: 2, unit: 'days' }, next: 'done' },
          { id: 'done', type: 'exit' },
        ],
      });
      await applyLog([
        entry({ type: 'identify', userId: 'cat', traits: { email: 'cat@example.com' } }),
        entry({ type: 'track', userId: 'cat', event: 'Signed Up', properties: {} }),
      ]);
      const cat = await profileOf('cat');
      expect((await conductor.store.instancesOf(cat)).map((row) => row.exitReason ?? 'active')).toEqual([
        'active',
      ]);
      await conductor.service.setStatus('nurture', 'paused');
      await applyLog([entry({ type: 'track', userId: 'cat', event: 'Purchased', properties: {} })]);
      expect((await conductor.store.instancesOf(cat)).map((row) => row.exitReason)).toEqual(['converted']);
    });
  });
}
