// Two website experiments planted in the store world (on with `experiments: true`, which
// `rapport demo` sets): every person who signs up is exposed to both at sign-up, in the arm
// POST /v1/assign would give their userId. One has a true effect: people in its treatment arm
// who would not have bought are turned into buyers with probability PLANTED_EXTRA_BUYERS (75% →
// 75% + 25% × 0.4 = 85% buy). The other has none. The results page should find the first and not
// the second; test/simulate/experiments.test.ts checks that it does.
import { assignArm, type Experiment } from '../experiments/index.ts';

export const PLANTED_EXTRA_BUYERS = 0.4;

const common = {
  owner: 'demo',
  status: 'running' as const,
  attachment: { kind: 'standalone' as const },
  // A first order may come months after sign-up: count it over the whole demo year.
  primaryMetric: {
    name: 'purchases',
    kind: 'conversion' as const,
    event: 'Order Completed',
    windowHours: 365 * 24,
  },
  guardrailMetrics: [],
};

/** The treatment arm ("reminder") makes more people buy. */
export const PLANTED_EFFECT: Experiment = {
  ...common,
  id: 'demo-checkout-reminder',
  name: 'Checkout reminder after sign-up',
  hypothesis: 'Reminding new sign-ups of their basket makes more of them buy (planted: +10 points)',
  arms: [
    { id: 'control', name: 'No reminder', weight: 0.5 },
    { id: 'reminder', name: 'Reminder', weight: 0.5 },
  ],
};

/** Neither arm changes anything. */
export const PLANTED_NULL: Experiment = {
  ...common,
  id: 'demo-welcome-subject',
  name: 'Welcome email subject line',
  hypothesis: 'A question in the subject line makes more people buy (planted: no effect)',
  arms: [
    { id: 'control', name: 'Statement', weight: 0.5 },
    { id: 'question', name: 'Question', weight: 0.5 },
  ],
};

export const DEMO_EXPERIMENTS: readonly Experiment[] = [PLANTED_EFFECT, PLANTED_NULL];

/** The arm of each demo experiment for a userId, as /v1/assign would answer. */
export function demoArms(userId: string): Record<string, string> {
  return Object.fromEntries(DEMO_EXPERIMENTS.map((e) => [e.id, assignArm(e, `u:${userId}`).id]));
}
