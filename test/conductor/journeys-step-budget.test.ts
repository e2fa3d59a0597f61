// The journeys processor runs on the HTTP thread, so a step stops once its time budget is
// spent and commits only what it did. With a budget of zero every step handles exactly one
// tracked event (plus the untracked entries before the next one): nothing is skipped or run
// twice across the cut, and every person still enters their journey once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Conductor, runJourneysStep, startConductor } from '../../src/conductor/runtime/index.ts';
import { DEFAULT_IDENTITY_CONFIG } from '../../src/identity/index.ts';
import { JOURNEYS_PROCESSOR, runProfilesStep } from '../../src/pipeline/index.ts';
import type { LogEntry } from '../../src/store/index.ts';

const NOW = new Date('2026-03-02T10:00:00.000Z');

function entry(message: Record<string, unknown>): LogEntry {
  const full = { timestamp: NOW.toISOString(), receivedAt: NOW.toISOString(), ...message };
  return {
    messageId: String(message.messageId),
    source: 'test',
    receivedAt: NOW.toISOString(),
    json: JSON.stringify(full),
  };
}

describe('journeys step with a time budget', () => {
  let dataDir: string;
  let conductor: Conductor;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rapport-journeys-budget-'));
    conductor = await startConductor({
      location: { dataDir },
      identity: DEFAULT_IDENTITY_CONFIG,
      clock: () => NOW,
      runLoops: false,
      onError: (error) => {
        throw error;
      },
    });
  });
  afterEach(async () => {
    await conductor.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('commits up to where the budget ran out and picks up there, losing and repeating nothing', async () => {
    await conductor.service.save({
      format: 1,
      id: 'welcome',
      version: 1,
      name: 'welcome',
      reentry: { mode: 'once' },
      defaultTimeZone: 'UTC',
      entry: { kind: 'event', event: 'Signed Up' },
      start: 'done',
      steps: [{ id: 'done', type: 'exit' }],
    });
    const state = conductor.state.state;
    const people = ['ann', 'bob', 'cat'];
    const messages = people.flatMap((userId, i) => [
      { type: 'identify', userId, messageId: `id-${i}`, traits: { name: userId } },
      { type: 'page', userId, messageId: `page-${i}`, name: 'Home' },
      { type: 'track', userId, messageId: `signup-${i}`, event: 'Signed Up' },
    ]);
    await state.log.append(messages.map(entry));
    while ((await runProfilesStep(state)) > 0);

    const options = { batchSize: 200, budgetMs: 0, identity: DEFAULT_IDENTITY_CONFIG };
    const consumed: number[] = [];
    for (let step = 0; step < 10; step++) {
      const n = await runJourneysStep(conductor.state, options);
      if (n === 0) break;
      consumed.push(n);
    }
    // One tracked event a step: [identify, page, track ann, identify, page] stops before
    // bob's track; then bob's track and cat's identify and page; then cat's track.
    expect(consumed).toEqual([5, 3, 1]);
    expect(await conductor.offset()).toBe(9);
    expect(await conductor.store.getOffset(JOURNEYS_PROCESSOR)).toBe(9);
    const stats = await conductor.store.journeyStats('welcome');
    expect(stats.entered).toBe(3);
  });
});
