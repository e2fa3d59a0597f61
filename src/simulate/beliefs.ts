// Beliefs planted by `rapport demo` (store, with an admin token), so the assumption audit page is
// filled at start: two that the simulated world makes true and two it makes false, each from a
// parameter the simulator plants. Cities are drawn uniformly from eight (people.ts), so Lyon holds
// about 12.5%, never "most"; about three in four sign-ups buy (experiments.ts: 75%, 85% with the
// reminder); the checkout reminder adds 10 points of buyers; the welcome subject line adds none;
// 45% prefer email and 10% SMS, and open a message on their preferred channel four times as often
// as on another (store.ts), so per buyer email is engaged with more than SMS or push.

import { demoFetch } from './admin-fetch.ts';
import { PLANTED_EFFECT, PLANTED_NULL } from './experiments.ts';
import { SendRefusedError } from './send.ts';

export interface DemoBelief {
  statement: string;
  /** What the simulator planted makes it so. */
  truth: 'true' | 'false';
  /** Needs the planted experiments' Experiment Viewed events. */
  experiments: boolean;
  claim: Record<string, unknown>;
}

const signedUp = { kind: 'event', event: 'Signed Up' };
const ordered = { kind: 'event', event: 'Order Completed' };
const exposed = (experimentId: string) => ({
  kind: 'event',
  event: 'Experiment Viewed',
  property: 'experiment_id',
  value: experimentId,
});
const inArm = (armId: string) => ({
  kind: 'event',
  event: 'Experiment Viewed',
  property: 'variation_id',
  value: armId,
});

export const DEMO_BELIEFS: readonly DemoBelief[] = [
  {
    statement: 'Most of our customers live in Lyon',
    truth: 'false',
    experiments: false,
    claim: {
      kind: 'share',
      among: [signedUp],
      have: { kind: 'trait', trait: 'city', op: 'equals', value: 'Lyon' },
      direction: 'at_least',
      share: 0.5,
    },
  },
  {
    statement: 'Most people who sign up go on to buy',
    truth: 'true',
    experiments: false,
    claim: { kind: 'share', among: [signedUp], have: ordered, direction: 'at_least', share: 0.5 },
  },
  {
    statement: 'The checkout reminder makes more sign-ups buy',
    truth: 'true',
    experiments: true,
    claim: {
      kind: 'difference',
      among: [exposed(PLANTED_EFFECT.id)],
      group: inArm('reminder'),
      outcome: ordered,
      direction: 'more',
      margin: 0,
    },
  },
  {
    statement: 'A question in the welcome subject line makes at least 10 points more sign-ups buy',
    truth: 'false',
    experiments: true,
    claim: {
      kind: 'difference',
      among: [exposed(PLANTED_NULL.id)],
      group: inArm('question'),
      outcome: ordered,
      direction: 'more',
      margin: 0.1,
    },
  },
  {
    statement: 'Email is the channel our buyers prefer',
    truth: 'true',
    experiments: false,
    claim: { kind: 'preferred_channel', among: [ordered], channel: 'email', by: 'engagement' },
  },
  {
    statement: 'SMS is the channel our buyers prefer',
    truth: 'false',
    experiments: false,
    claim: { kind: 'preferred_channel', among: [ordered], channel: 'sms', by: 'engagement' },
  },
];

/** Writes the demo beliefs not already written (by statement); answers how many it wrote. */
export async function plantDemoBeliefs(url: string, token: string, experiments: boolean): Promise<number> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const statements = async () => {
    const listed = await demoFetch(new URL('/api/beliefs', url), {
      headers: { authorization: headers.authorization },
    });
    return new Set(
      ((await listed.json()) as { beliefs?: Array<{ statement: string }> }).beliefs?.map(
        (b) => b.statement,
      ) ?? [],
    );
  };
  const existing = await statements();
  let written = 0;
  for (const belief of DEMO_BELIEFS) {
    if ((belief.experiments && !experiments) || existing.has(belief.statement)) continue;
    const response = await demoFetch(
      new URL('/api/beliefs', url),
      { method: 'POST', headers, body: JSON.stringify({ statement: belief.statement, claim: belief.claim }) },
      {
        // A belief has no id of its own: an earlier attempt landed when its statement is listed.
        landed: async () => ((await statements()).has(belief.statement) ? new Response(null) : undefined),
      },
    );
    if (!response.ok)
      throw new SendRefusedError(
        response.status,
        `writing the belief "${belief.statement}" was refused (${response.status}): ${await response.text()}`,
      );
    written += 1;
  }
  return written;
}
