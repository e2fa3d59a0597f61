// The demo's planted experiments, end to end: a store world sent by runDemo with its planted
// website experiments to a real server, the experiments defined with the admin token, and the
// results read from GET /api/experiments/:id/results. The arm counts and conversion rates are
// exactly what the ground truth says (people exposed, and who bought inside the window), the
// planted effect is found (Reminder wins) and the planted null is not.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_BELIEFS,
  type PersonTruth,
  PLANTED_EFFECT,
  PLANTED_NULL,
  runDemo,
} from '../../src/simulate/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const START = new Date('2025-01-01T00:00:00.000Z');
const DAYS = 240;
const dir = mkdtempSync(join(tmpdir(), 'rapport-demo-experiments-'));

describe('the demo plants an experiment with an effect and one without', () => {
  let server: TestServer;
  let truths: PersonTruth[];

  beforeAll(async () => {
    server = await startTestServer();
    const truthFile = join(dir, 'truth.jsonl');
    const summary = await runDemo({
      kind: 'store',
      seed: 11,
      people: 1500,
      days: DAYS,
      start: START,
      url: server.url,
      writeKey: server.writeKey,
      adminToken: server.adminToken,
      experiments: true,
      truthFile,
      batchSize: 500,
    });
    expect(summary.rejected).toBe(0);
    expect(summary.experimentsDefined).toEqual([PLANTED_EFFECT.id, PLANTED_NULL.id]);
    truths = readFileSync(truthFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as PersonTruth);
    await server.settle();
  }, 600_000);

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** From the truth: exposed people per arm, and those whose first order fell inside the window. */
  function truthByArm(experimentId: string) {
    const arms = new Map<string, { n: number; buyers: number }>();
    for (const truth of truths) {
      const arm = truth.experiments?.[experimentId];
      if (!arm) continue;
      const totals = arms.get(arm) ?? { n: 0, buyers: 0 };
      totals.n += 1;
      if (truth.firstPurchaseAt !== null) totals.buyers += 1;
      arms.set(arm, totals);
    }
    return arms;
  }

  it('plants beliefs the world makes true or false, and each gets the verdict its truth calls for', async () => {
    const { body } = await server.admin('/api/beliefs');
    expect(body.beliefs).toHaveLength(DEMO_BELIEFS.length);
    for (const planted of DEMO_BELIEFS) {
      const belief = body.beliefs.find((b: { statement: string }) => b.statement === planted.statement);
      expect({ statement: planted.statement, verdict: belief?.result?.verdict }).toEqual({
        statement: planted.statement,
        verdict: planted.truth === 'true' ? 'supported' : 'contradicted',
      });
    }
    // The difference beliefs count the same people as the truth: exposed per arm, and buyers.
    const reminder = body.beliefs.find(
      (b: { statement: string }) => b.statement === DEMO_BELIEFS[2]!.statement,
    );
    const truth = truthByArm(PLANTED_EFFECT.id);
    expect(reminder.result.group).toEqual({
      people: truth.get('reminder')!.n,
      withOutcome: truth.get('reminder')!.buyers,
    });
    expect(reminder.result.rest).toEqual({
      people: truth.get('control')!.n,
      withOutcome: truth.get('control')!.buyers,
    });
  });

  it('counts each arm as the truth says and finds the planted effect', async () => {
    const { status, body } = await server.admin(`/api/experiments/${PLANTED_EFFECT.id}/results`);
    expect(status).toBe(200);
    const truth = truthByArm(PLANTED_EFFECT.id);
    const purchases = body.metrics[0];
    for (const arm of purchases.arms) {
      const expected = truth.get(arm.arm)!;
      expect(arm.n).toBe(expected.n);
      expect(arm.value).toBeCloseTo(expected.buyers / expected.n, 12);
    }
    const reminder = purchases.arms[1];
    expect(reminder.adjustedPValue).toBeLessThan(0.05);
    expect(reminder.ci[0]).toBeGreaterThan(0);
    expect(body.verdict).toMatch(/^Reminder wins on purchases/);
    expect(body.srm.mismatch).toBe(false);
  });

  it('does not find an effect where none was planted', async () => {
    const { body } = await server.admin(`/api/experiments/${PLANTED_NULL.id}/results`);
    const truth = truthByArm(PLANTED_NULL.id);
    const question = body.metrics[0].arms[1];
    expect(question.n).toBe(truth.get('question')!.n);
    expect(question.pValue).toBeGreaterThan(0.05);
    expect(question.ci[0]).toBeLessThan(0);
    expect(question.ci[1]).toBeGreaterThan(0);
    expect(body.verdict).toMatch(/^No clear difference yet for Question on purchases/);
  });
});
