// Beliefs are tested again on their own as data arrives (RAPPORT_BELIEFS_RETEST_INTERVAL): a
// belief written on four people flips once sixty more arrive, with nobody asking, and the flip is
// recorded. The interval's configuration: a duration of at least a second, or off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { plantCohort } from './planted.ts';

describe('re-testing beliefs on a timer', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ beliefsRetestInterval: '1s' });
  }, 60_000);
  afterAll(async () => t?.close());

  it('records the flip of a belief when the data that settles it arrives', async () => {
    await plantCohort(t, 0, 4, 3);
    const created = await t.adminRequest('POST', '/api/beliefs', {
      statement: 'Most of the late cohort buys',
      claim: {
        kind: 'share',
        among: [{ kind: 'trait', trait: 'cohort', op: 'equals', value: 'late' }],
        have: { kind: 'event', event: 'Order Completed' },
        direction: 'at_least',
        share: 0.5,
      },
    });
    expect(created.body.result.verdict).toBe('not_enough_data');
    await plantCohort(t, 4, 60, 60);
    let flips: unknown[] = [];
    for (let attempt = 0; attempt < 120 && flips.length === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      flips = (await t.admin('/api/beliefs')).body.flips;
    }
    expect(flips).toMatchObject([
      { beliefId: created.body.id, from: 'not_enough_data', to: 'supported', people: 64 },
    ]);
  }, 120_000);

  it('reads the interval: a duration, off, or a clear error', () => {
    expect(loadConfig({ beliefsRetestInterval: '5m' }, {}).beliefsRetestIntervalMs).toBe(300_000);
    expect(loadConfig({}, {}).beliefsRetestIntervalMs).toBe(3_600_000);
    expect(loadConfig({}, { RAPPORT_BELIEFS_RETEST_INTERVAL: 'off' }).beliefsRetestIntervalMs).toBeNull();
    expect(() => loadConfig({ beliefsRetestInterval: '10ms' }, {})).toThrow(
      /RAPPORT_BELIEFS_RETEST_INTERVAL/,
    );
  });
});
