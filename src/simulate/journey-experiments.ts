// Journey-arm experiments planted in a running instance (with `rapport demo`'s admin token):
// two journeys split their entrants, and the simulated people react to the arm the server gave
// them. A journey's arm is a hash of a profile id the simulator cannot know in advance, so the
// plant runs after the world is sent: every identified person is made eligible, the simulator
// reads the arm each one landed in (their Journey Step Completed event), then sends their
// reaction with the planted rates (exactly the planted share of each arm). The Experiments page should find the first effect (inside
// its interval) and not the second; test/simulate/journey-experiments.test.ts checks it does.
// Each arm that is not held out sends a real marketing email (the person's first name in it),
// through arbitration (consent checked last) to the server's email channel: the email sandbox
// when it has none. A planted rate is the rate of the people the email reached; a person the
// server did not send to (no consent) reacts as if held out, and only a delivered email is
// opened: the simulator invents no engagement with a message that was never sent.
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
  /**
   * The event a person in `arm` sends, with its probability: `delivered` says whether the arm's
   * email was sent to them (false in the holdout, and for a person without consent).
   */
  reaction: {
    event: string;
    rate: (arm: string, delivered: boolean) => number;
    properties?: Record<string, unknown>;
  };
  /** The delivered emails of these arms are opened (`event`), before the reaction. */
  touch?: { event: string; arms: readonly string[] };
}

const common = {
  owner: 'demo',
  status: 'running' as const,
  guardrailMetrics: [],
  minPeoplePerArm: 100,
};

/** The demo's emails: the person's first name, a link to the shop (tracked when sent). */
export interface DemoEmail {
  subject: string;
  heading: string;
  link: string;
  linkText: string;
}

const NAME = '{{ traits.first_name | default: "there" }}';

function emailStep(id: string, email: DemoEmail) {
  return {
    id,
    type: 'send',
    channel: 'email',
    purpose: 'marketing',
    template: {
      subject: email.subject,
      body: `Hello ${NAME},\n\n${email.heading}\n${email.linkText}: ${email.link}`,
      html: `<p>Hello ${NAME},</p><p>${email.heading}</p><p><a href="${email.link}">${email.linkText}</a></p>`,
    },
    next: 'done',
  };
}

/** A split journey; each arm named in `emails` sends its email, the others (the holdout) nothing. */
function splitJourney(
  id: string,
  name: string,
  eligibleEvent: string,
  split: { arms: Array<{ name: string; percent: number }>; holdout?: { percent: number } },
  emails: Record<string, DemoEmail>,
) {
  const next = (arm: string) => (emails[arm] ? `email-${arm}` : 'done');
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
      {
        id: 'split',
        type: 'split',
        arms: split.arms.map((arm) => ({ ...arm, next: next(arm.name) })),
        ...(split.holdout ? { holdout: { ...split.holdout, next: 'done' } } : {}),
      },
      ...Object.entries(emails).map(([arm, email]) => emailStep(`email-${arm}`, email)),
      { id: 'done', type: 'exit' },
    ],
  };
}

const SHOP = 'https://shop.example';

export const DEMO_JOURNEY_PLANTS: readonly PlantedJourney[] = [
  {
    journey: splitJourney(
      'demo-winback',
      'Win-back offer',
      'Winback Eligible',
      {
        arms: [
          { name: 'control', percent: 45 },
          { name: 'coupon', percent: 45 },
        ],
        holdout: { percent: 10 },
      },
      {
        control: {
          subject: `We miss you, ${NAME}`,
          heading: 'It has been a while: here is what is new in the shop.',
          link: `${SHOP}/new`,
          linkText: 'See what is new',
        },
        coupon: {
          subject: `10% off your next order, ${NAME}`,
          heading: 'It has been a while: take 10% off your next order with the code COMEBACK10.',
          link: `${SHOP}/?coupon=COMEBACK10`,
          linkText: 'Use my 10% off',
        },
      },
    ),
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
      rate: (arm, delivered) =>
        delivered
          ? (PLANTED_WINBACK_RATES[arm as keyof typeof PLANTED_WINBACK_RATES] ?? 0)
          : PLANTED_WINBACK_RATES.holdout,
    },
  },
  {
    journey: splitJourney(
      'demo-survey',
      'Survey invitation',
      'Survey Eligible',
      {
        arms: [
          { name: 'short', percent: 50 },
          { name: 'long', percent: 50 },
        ],
      },
      {
        short: {
          subject: `Two questions for you, ${NAME}`,
          heading: 'How are we doing? Two questions, one minute.',
          link: `${SHOP}/survey?length=short`,
          linkText: 'Answer two questions',
        },
        long: {
          subject: `Ten questions for you, ${NAME}`,
          heading: 'How are we doing? Ten questions, five minutes.',
          link: `${SHOP}/survey?length=long`,
          linkText: 'Answer ten questions',
        },
      },
    ),
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
    // Nobody answers a survey they were never invited to.
    reaction: { event: 'Survey Completed', rate: (_arm, delivered) => (delivered ? PLANTED_SURVEY_RATE : 0) },
  },
  {
    journey: splitJourney(
      'demo-promo',
      'Promo email',
      'Promo Eligible',
      { arms: [{ name: 'email', percent: 80 }], holdout: { percent: 20 } },
      {
        email: {
          subject: `This week only, ${NAME}`,
          heading: 'Our picks of the week, at their best price until Sunday.',
          link: `${SHOP}/promo`,
          linkText: 'See the picks',
        },
      },
    ),
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
      rate: (_arm, delivered) => (delivered ? PLANTED_PROMO_RATES.email : PLANTED_PROMO_RATES.holdout),
      properties: { revenue: PLANTED_PROMO_ORDER, currency: 'EUR' },
    },
    touch: { event: 'Email Opened', arms: ['email'] },
  },
];

/** The processors' summed lag behind the log head (GET /api/status), undefined if unknown. */
async function processorLag(options: JourneyPlantOptions): Promise<number | undefined> {
  const status = await admin(options, 'GET', '/api/status');
  const processors = (status.body?.processors ?? {}) as Record<string, { lag?: unknown }>;
  const lags = Object.values(processors).map((p) => Number(p.lag));
  return status.status === 200 && lags.length > 0 && lags.every(Number.isFinite)
    ? lags.reduce((a, b) => a + b, 0)
    : undefined;
}

export interface JourneyPlantOptions {
  url: string;
  writeKey: string;
  adminToken: string;
  /** Identified people (their profiles exist): each is made eligible for every planted journey. */
  userIds: readonly string[];
  seed: number;
  /** How long to wait without progress (a person placed, the processors' lag falling) (default 5 minutes). */
  timeoutMs?: number;
}

/**
 * Per experiment and arm: the people placed, those the arm's email was sent to (0 in the
 * holdout; a person without consent is dropped by arbitration), and those whose reaction was
 * sent, in all and among the delivered.
 */
export type JourneyPlantTruth = Record<
  string,
  Record<string, { n: number; delivered: number; converted: number; convertedDelivered: number }>
>;

/** How the server's email channel was found or made for the plant's emails. */
export type DemoEmailChannel = 'sandbox switched on' | 'sandbox' | 'smtp' | 'other';

async function admin(
  options: Pick<JourneyPlantOptions, 'url' | 'adminToken'>,
  method: string,
  path: string,
  body?: unknown,
  retry: DemoFetchOptions = {},
) {
  // Retried on a connection reset or an overloaded answer when repeating cannot act twice
  // (admin-fetch.ts).
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

/**
 * The demo's emails need an email channel: a server without one gets the email sandbox (its
 * messages kept on the Messages page, sent to no inbox); one with an SMTP relay keeps it.
 */
export async function ensureDemoEmailChannel(
  options: Pick<JourneyPlantOptions, 'url' | 'adminToken'>,
): Promise<DemoEmailChannel> {
  const channels = await admin(options, 'GET', '/api/channels');
  const email = (channels.body?.items ?? []).find((c: { name: string }) => c.name === 'email');
  if (email) return email.transport === 'sandbox' ? 'sandbox' : email.transport === 'smtp' ? 'smtp' : 'other';
  const on = await admin(options, 'PUT', '/api/channels/email/sandbox');
  if (on.status !== 200)
    throw new Error(`the email sandbox could not be switched on (${on.status}): ${JSON.stringify(on.body)}`);
  return 'sandbox switched on';
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

interface Placed {
  profileId: string;
  /** Journey id → arm. */
  arms: Map<string, string>;
}

/** Each person's arm of every planted journey, read from their Journey Step Completed events. */
async function placementOf(options: JourneyPlantOptions, userId: string): Promise<Placed | undefined> {
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
    if (props.stepId !== undefined && props.stepId !== 'split') continue;
    const outcome = String(props.outcome ?? '');
    arms.set(String(props.journeyId), outcome === 'holdout' ? 'holdout' : outcome.replace(/^arm /, ''));
  }
  return { profileId: person.body.profileId, arms };
}

interface Sent {
  idempotencyKey: string;
  stepId: string;
}

/**
 * What arbitration decided for the person's email in each planted journey whose arm sends one:
 * the sent message, or null when it was not sent (dropped, failed). Undefined until every such
 * email is decided.
 */
async function emailsOf(
  options: JourneyPlantOptions,
  placed: Placed,
): Promise<Map<string, Sent | null> | undefined> {
  const decisions = await admin(options, 'GET', `/api/decisions?profileId=${placed.profileId}&limit=100`);
  const outcome = new Map<string, Sent | null>();
  for (const plant of DEMO_JOURNEY_PLANTS) {
    const journeyId = plant.journey.id as string;
    const arm = placed.arms.get(journeyId) as string;
    if (!sendsEmail(plant, arm)) continue;
    const final = ((decisions.body?.items ?? []) as Array<Record<string, string>>).find(
      (d) => d.journeyId === journeyId && ['send', 'drop', 'fail'].includes(d.action as string),
    );
    if (!final) return undefined;
    outcome.set(
      journeyId,
      final.action === 'send'
        ? { idempotencyKey: final.idempotencyKey as string, stepId: final.stepId as string }
        : null,
    );
  }
  return outcome;
}

function sendsEmail(plant: PlantedJourney, arm: string): boolean {
  const steps = plant.journey.steps as Array<{ id: string }>;
  return steps.some((step) => step.id === `email-${arm}`);
}

export async function plantJourneyExperiments(options: JourneyPlantOptions): Promise<JourneyPlantTruth> {
  await ensureDemoEmailChannel(options);
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

  // Wait until every person has been placed in every split and each email of their arms has
  // been sent or dropped, then read their arms and what reached them.
  // The timeout counts from the last progress, not from the start: on a large or loaded
  // instance the processors first work through the whole history sent before, which may take
  // longer than the timeout while their lag keeps falling.
  const timeoutMs = options.timeoutMs ?? 300_000;
  let deadline = Date.now() + timeoutMs;
  let lastLag = Number.POSITIVE_INFINITY;
  let lagCheckedAt = 0;
  const placed = new Map<string, Placed>();
  const emails = new Map<string, Map<string, Sent | null>>();
  const wait = async (userId: string, what: string) => {
    if (Date.now() - lagCheckedAt > 5_000) {
      lagCheckedAt = Date.now();
      const lag = await processorLag(options);
      if (lag !== undefined && lag < lastLag) deadline = Date.now() + timeoutMs;
      if (lag !== undefined) lastLag = lag;
    }
    if (Date.now() > deadline) throw new Error(`the planted journeys did not ${what} ${userId} in time`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  };
  for (const userId of options.userIds) {
    for (;;) {
      const found = await placementOf(options, userId);
      if (found && DEMO_JOURNEY_PLANTS.every((plant) => found.arms.has(plant.journey.id as string))) {
        placed.set(userId, found);
        break;
      }
      await wait(userId, 'place');
    }
    for (;;) {
      const decided = await emailsOf(options, placed.get(userId) as Placed);
      if (decided) {
        emails.set(userId, decided);
        break;
      }
      await wait(userId, 'send to');
    }
  }

  // The opens and reactions come after the exposure (the split's event), inside the window.
  const touchedAt = new Date(Date.now() + 500);
  const reactedAt = new Date(Date.now() + 1000);
  const truth: JourneyPlantTruth = {};
  const reactions: OutgoingMessage[] = [];
  DEMO_JOURNEY_PLANTS.forEach((plant, p) => {
    const journeyId = plant.journey.id as string;
    // Stratified by arm and by whether the email reached them: exactly the planted share of
    // each reacts (rounded), the people chosen by the seed. Which arm a person lands in follows
    // their profile id, which differs each run; exact shares keep the recovered lift the
    // planted one in every run, not in 95%.
    const strata = new Map<string, { arm: string; delivered: boolean; indices: number[] }>();
    options.userIds.forEach((userId, index) => {
      const arm = placed.get(userId)?.arms.get(journeyId) as string;
      const delivered = Boolean(emails.get(userId)?.get(journeyId));
      const key = `${arm}\u0000${delivered}`;
      const stratum = strata.get(key) ?? { arm, delivered, indices: [] };
      stratum.indices.push(index);
      strata.set(key, stratum);
    });
    const arms: JourneyPlantTruth[string] = {};
    truth[plant.experiment.id] = arms;
    for (const { arm, delivered, indices } of strata.values()) {
      const reacting = Math.round(plant.reaction.rate(arm, delivered) * indices.length);
      const order = indices
        .map((index) => ({ index, key: new Random(options.seed, index, 100 + p).uniform() }))
        .sort((a, b) => a.key - b.key);
      const reacts = new Set(order.slice(0, reacting).map((o) => o.index));
      const counts = arms[arm] ?? { n: 0, delivered: 0, converted: 0, convertedDelivered: 0 };
      counts.n += indices.length;
      counts.converted += reacts.size;
      if (delivered) {
        counts.delivered += indices.length;
        counts.convertedDelivered += reacts.size;
      }
      arms[arm] = counts;
      for (const index of indices) {
        const userId = options.userIds[index] as string;
        const sent = emails.get(userId)?.get(journeyId);
        if (sent && plant.touch?.arms.includes(arm)) {
          // The open of the email this person was sent, named by its send key.
          const properties = {
            channel: 'email',
            journey_id: journeyId,
            step_id: sent.stepId,
            send_key: sent.idempotencyKey,
          };
          reactions.push(
            track(userId, plant.touch.event, touchedAt, `${plant.experiment.id}-touch`, properties),
          );
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
