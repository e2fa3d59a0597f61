// Journey-arm experiments planted in a running instance (with `rapport demo`'s admin token):
// two journeys split their entrants, and the simulated people react to the arm the server gave
// them. A journey's arm is a hash of a profile id the simulator cannot know in advance, so the
// plant runs after the world is sent: every identified person is made eligible, the simulator
// reads the arm each one landed in (their Journey Step Completed event), then sends their
// reaction with the planted rates (exactly the planted share of each arm). The Experiments page should find the first effect (inside
// its interval) and not the second; test/simulate/journey-experiments.test.ts checks it does.
import type { Experiment } from '../experiments/index.ts';
import { type DemoFetchOptions, demoFetch } from './admin-fetch.ts';
import { Random } from './random.ts';
import { sendMessages } from './send.ts';
import type { OutgoingMessage } from './types.ts';

/** Win-back: the coupon arm buys at 30%, the control and the holdout at 20% (+50% relative). */
export const PLANTED_WINBACK_RATES = { control: 0.2, coupon: 0.3, holdout: 0.2 } as const;
export const PLANTED_WINBACK_LIFT = PLANTED_WINBACK_RATES.coupon / PLANTED_WINBACK_RATES.control - 1;
/** Survey length: both arms complete at 40% (no effect). */
export const PLANTED_SURVEY_RATE = 0.4;
/**
 * Promo email: the people it reached (they open its email) order at 30%, the held out at 15%,
 * each order {@link PLANTED_PROMO_ORDER}; the Measure page's "Did it cause it?" table reads it.
 */
export const PLANTED_PROMO_RATES = { email: 0.3, holdout: 0.15 } as const;
export const PLANTED_PROMO_ORDER = 40;

interface PlantedJourney {
  journey: Record<string, unknown>;
  eligibleEvent: string;
  stepId: string;
  experiment: Experiment;
  /** The event a person in `arm` sends, with its probability. */
  reaction: { event: string; rate: (arm: string) => number; properties?: Record<string, unknown> };
  /** A touch the journey's message made on the people of these arms, before their reaction. */
  touch?: { event: string; properties: Record<string, unknown>; arms: readonly string[] };
}

const common = {
  owner: 'demo',
  status: 'running' as const,
  guardrailMetrics: [],
  minPeoplePerArm: 100,
};

function splitJourney(id: string, name: string, eligibleEvent: string, split: Record<string, unknown>) {
  return {
    format: 1,
    id,
    version: 1,
    name,
    reentry: { mode: 'once' },
    defaultTimeZone: 'UTC',
    entry: { kind: 'event', event: eligibleEvent },
    start: 'split',
    steps: [
      { id: 'split', type: 'split', ...split },
      { id: 'done', type: 'exit' },
    ],
  };
}

export const DEMO_JOURNEY_PLANTS: readonly PlantedJourney[] = [
  {
    journey: splitJourney('demo-winback', 'Win-back offer', 'Winback Eligible', {
      arms: [
        { name: 'control', percent: 45, next: 'done' },
        { name: 'coupon', percent: 45, next: 'done' },
      ],
      holdout: { percent: 10, next: 'done' },
    }),
    eligibleEvent: 'Winback Eligible',
    stepId: 'split',
    experiment: {
      ...common,
      id: 'demo-winback-coupon',
      name: 'Win-back coupon',
      hypothesis: 'A coupon brings more lapsed customers back (planted: 20% → 30%, +50%)',
      attachment: { kind: 'journey', journeyId: 'demo-winback', stepId: 'split' },
      arms: [
        { id: 'control', name: 'No coupon', weight: 0.45 },
        { id: 'coupon', name: 'Coupon', weight: 0.45 },
        { id: 'holdout', name: 'Holdout', weight: 0.1 },
      ],
      primaryMetric: {
        name: 'win-back purchase',
        kind: 'conversion',
        event: 'Winback Purchase',
        windowHours: 24,
      },
    },
    reaction: {
      event: 'Winback Purchase',
      rate: (arm) => PLANTED_WINBACK_RATES[arm as keyof typeof PLANTED_WINBACK_RATES] ?? 0,
    },
  },
  {
    journey: splitJourney('demo-survey', 'Survey invitation', 'Survey Eligible', {
      arms: [
        { name: 'short', percent: 50, next: 'done' },
        { name: 'long', percent: 50, next: 'done' },
      ],
    }),
    eligibleEvent: 'Survey Eligible',
    stepId: 'split',
    experiment: {
      ...common,
      id: 'demo-survey-length',
      name: 'Survey length',
      hypothesis: 'A shorter survey gets more answers (planted: no effect, 40% both)',
      attachment: { kind: 'journey', journeyId: 'demo-survey', stepId: 'split' },
      arms: [
        { id: 'short', name: 'Short', weight: 0.5 },
        { id: 'long', name: 'Long', weight: 0.5 },
      ],
      primaryMetric: {
        name: 'survey answered',
        kind: 'conversion',
        event: 'Survey Completed',
        windowHours: 24,
      },
    },
    reaction: { event: 'Survey Completed', rate: () => PLANTED_SURVEY_RATE },
  },
  {
    journey: splitJourney('demo-promo', 'Promo email', 'Promo Eligible', {
      arms: [{ name: 'email', percent: 80, next: 'done' }],
      holdout: { percent: 20, next: 'done' },
    }),
    eligibleEvent: 'Promo Eligible',
    stepId: 'split',
    experiment: {
      ...common,
      id: 'demo-promo-holdout',
      name: 'Promo email against its holdout',
      hypothesis: 'The promo email brings orders (planted: 15% → 30% over the holdout)',
      attachment: { kind: 'journey', journeyId: 'demo-promo', stepId: 'split' },
      arms: [
        { id: 'email', name: 'Promo email', weight: 0.8 },
        { id: 'holdout', name: 'Holdout', weight: 0.2 },
      ],
      primaryMetric: { name: 'order', kind: 'conversion', event: 'Order Completed', windowHours: 24 },
    },
    reaction: {
      event: 'Order Completed',
      rate: (arm) => PLANTED_PROMO_RATES[arm as keyof typeof PLANTED_PROMO_RATES] ?? 0,
      properties: { revenue: PLANTED_PROMO_ORDER, currency: 'EUR' },
    },
    touch: {
      event: 'Email Opened',
      properties: { channel: 'email', journey_id: 'demo-promo' },
      arms: ['email'],
    },
  },
];

export interface JourneyPlantOptions {
  url: string;
  writeKey: string;
  adminToken: string;
  /** Identified people (their profiles exist): each is made eligible for both journeys. */
  userIds: readonly string[];
  seed: number;
  /** How long to wait for the journeys to place everyone (default 5 minutes). */
  timeoutMs?: number;
}

/** Per experiment and arm: the people placed and those whose reaction was sent. */
export type JourneyPlantTruth = Record<string, Record<string, { n: number; converted: number }>>;

async function admin(
  options: JourneyPlantOptions,
  method: string,
  path: string,
  body?: unknown,
  retry: DemoFetchOptions = {},
) {
  const response = await demoFetch(
    new URL(path, options.url),
    {
      method,
      headers: {
        authorization: `Bearer ${options.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
    retry,
  );
  // biome-ignore lint/suspicious/noExplicitAny: the demo reads whatever JSON the API answers
  return { status: response.status, body: (await response.json().catch(() => null)) as any };
}

function track(userId: string, event: string, at: Date, key: string, properties = {}): OutgoingMessage {
  return {
    type: 'track',
    messageId: `demo-${key}-${userId}`,
    userId,
    event,
    properties,
    timestamp: at.toISOString(),
  };
}

/** Each person's arm of every planted journey, read from their Journey Step Completed events. */
async function armsOf(
  options: JourneyPlantOptions,
  userId: string,
): Promise<Map<string, string> | undefined> {
  const person = await admin(options, 'GET', `/api/profiles/lookup?userId=${encodeURIComponent(userId)}`);
  if (person.status !== 200) return undefined;
  const timeline = await admin(
    options,
    'GET',
    `/api/profiles/${person.body.profileId}/events?name=${encodeURIComponent('Journey Step Completed')}&limit=50`,
  );
  const arms = new Map<string, string>();
  for (const item of timeline.body?.items ?? []) {
    const props = item.properties ?? {};
    const outcome = String(props.outcome ?? '');
    arms.set(String(props.journeyId), outcome === 'holdout' ? 'holdout' : outcome.replace(/^arm /, ''));
  }
  return arms;
}

export async function plantJourneyExperiments(options: JourneyPlantOptions): Promise<JourneyPlantTruth> {
  for (const plant of DEMO_JOURNEY_PLANTS) {
    const saved = await admin(options, 'POST', '/api/journeys', plant.journey, {
      landed: async () => {
        const made = await demoFetch(new URL(`/api/journeys/${plant.journey.id}`, options.url), {
          headers: { authorization: `Bearer ${options.adminToken}` },
        });
        return made.status === 200 ? made : undefined;
      },
    });
    if (
      saved.status !== 201 &&
      (await admin(options, 'GET', `/api/journeys/${plant.journey.id}`)).status !== 200
    ) {
      throw new Error(
        `the journey ${plant.journey.id} was refused (${saved.status}): ${JSON.stringify(saved.body)}`,
      );
    }
  }
  const eligibleAt = new Date();
  const eligible = options.userIds.flatMap((userId) =>
    DEMO_JOURNEY_PLANTS.map((plant) =>
      track(userId, plant.eligibleEvent, eligibleAt, plant.journey.id as string),
    ),
  );
  await sendMessages(eligible, { url: options.url, writeKey: options.writeKey, batchSize: 500 });

  // Wait until every person has been placed in both splits, then read their arms.
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  const placed = new Map<string, Map<string, string>>();
  for (const userId of options.userIds) {
    for (;;) {
      const arms = await armsOf(options, userId);
      if (arms && DEMO_JOURNEY_PLANTS.every((plant) => arms.has(plant.journey.id as string))) {
        placed.set(userId, arms);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the planted journeys did not place ${userId} in time`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  // The touches and reactions come after the exposure (the split's event), inside the window.
  const touchedAt = new Date(Date.now() + 500);
  const reactedAt = new Date(Date.now() + 1000);
  const truth: JourneyPlantTruth = {};
  const reactions: OutgoingMessage[] = [];
  DEMO_JOURNEY_PLANTS.forEach((plant, p) => {
    const byArm = new Map<string, number[]>();
    options.userIds.forEach((userId, index) => {
      const arm = placed.get(userId)?.get(plant.journey.id as string) as string;
      byArm.set(arm, [...(byArm.get(arm) ?? []), index]);
    });
    const arms: Record<string, { n: number; converted: number }> = {};
    truth[plant.experiment.id] = arms;
    for (const [arm, indices] of byArm) {
      // Stratified: exactly the planted share of each arm reacts (rounded), the people chosen
      // by the seed. Which arm a person lands in follows their profile id, which differs each
      // run; exact shares keep the recovered lift the planted one in every run, not in 95%.
      const reacting = Math.round(plant.reaction.rate(arm) * indices.length);
      const order = indices
        .map((index) => ({ index, key: new Random(options.seed, index, 100 + p).uniform() }))
        .sort((a, b) => a.key - b.key);
      const reacts = new Set(order.slice(0, reacting).map((o) => o.index));
      arms[arm] = { n: indices.length, converted: reacts.size };
      for (const index of indices) {
        const userId = options.userIds[index] as string;
        if (plant.touch?.arms.includes(arm)) {
          const key = `${plant.experiment.id}-touch`;
          reactions.push(track(userId, plant.touch.event, touchedAt, key, plant.touch.properties));
        }
        if (!reacts.has(index)) continue;
        const properties = plant.reaction.properties ?? {};
        reactions.push(track(userId, plant.reaction.event, reactedAt, plant.experiment.id, properties));
      }
    }
  });
  await sendMessages(reactions, { url: options.url, writeKey: options.writeKey, batchSize: 500 });
  return truth;
}

/** The planted journeys' experiments, for defining once their metrics' events are seen. */
export const DEMO_JOURNEY_EXPERIMENTS: readonly Experiment[] = DEMO_JOURNEY_PLANTS.map((p) => p.experiment);
