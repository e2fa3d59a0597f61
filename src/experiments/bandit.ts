// Thompson sampling over a placement's offers: each offer's click rate has a Beta(1 + clicks,
// 1 + impressions − clicks) posterior; a decision draws one rate per offer and shows the
// highest. So an offer is shown as often as it is likely to be the best: the leader most of the
// time, the others while the data still leave them a chance. The exploration share is the
// share of decisions that go to an offer other than the current leader, estimated by drawing.
import randomGamma from '@stdlib/random-base-gamma';
import mt19937 from '@stdlib/random-base-mt19937';

export interface BanditArm {
  id: string;
  impressions: number;
  clicks: number;
}

export interface BanditArmSummary extends BanditArm {
  /** Posterior mean click rate. */
  rate: number;
  /** P(this offer has the highest click rate): also the share of decisions it gets. */
  chanceBest: number;
}

export interface BanditSummary {
  arms: BanditArmSummary[];
  /** The offer with the highest posterior mean. */
  leader: string | null;
  /** Share of decisions that go to another offer than the leader: 1 − its chanceBest. */
  explorationShare: number;
  draws: number;
}

type Uniform = () => number;

function sampler(seed: number): { uniform: Uniform; beta: (a: number, b: number) => number } {
  // The generator's `normalized` (uniform on [0, 1)) is left out of stdlib's types.
  const generator = mt19937.factory({ seed }) as unknown as { normalized: Uniform };
  const gamma = randomGamma.factory({ prng: generator.normalized });
  return {
    uniform: generator.normalized,
    beta: (a, b) => {
      const x = gamma(a, 1);
      return x / (x + gamma(b, 1));
    },
  };
}

function posterior(arm: BanditArm): [number, number] {
  const clicks = Math.max(0, Math.min(arm.clicks, arm.impressions));
  return [1 + clicks, 1 + arm.impressions - clicks];
}

/** One decision: the offer whose drawn click rate is highest. */
export function thompsonChoice(
  arms: readonly BanditArm[],
  draw: (a: number, b: number) => number,
): string | null {
  let best: string | null = null;
  let bestRate = -1;
  for (const arm of arms) {
    const rate = draw(...posterior(arm));
    if (rate > bestRate) {
      bestRate = rate;
      best = arm.id;
    }
  }
  return best;
}

export function banditSummary(arms: readonly BanditArm[], draws = 20_000, seed = 1): BanditSummary {
  const { beta } = sampler(seed);
  const wins = new Map(arms.map((arm) => [arm.id, 0]));
  for (let i = 0; i < draws && arms.length > 0; i++) {
    const choice = thompsonChoice(arms, beta) as string;
    wins.set(choice, (wins.get(choice) ?? 0) + 1);
  }
  const summaries = arms.map((arm) => {
    const [a, b] = posterior(arm);
    return { ...arm, rate: a / (a + b), chanceBest: (wins.get(arm.id) ?? 0) / draws };
  });
  const leader = summaries.reduce<BanditArmSummary | null>(
    (top, arm) => (!top || arm.rate > top.rate ? arm : top),
    null,
  );
  return {
    arms: summaries,
    leader: leader?.id ?? null,
    explorationShare: leader ? 1 - leader.chanceBest : 0,
    draws,
  };
}

/** A seeded decision function for simulations and tests: shows one offer per call. */
export function thompsonSampler(seed: number): (arms: readonly BanditArm[]) => string | null {
  const { beta } = sampler(seed);
  return (arms) => thompsonChoice(arms, beta);
}

export interface BanditWeightsPolicy {
  /** Share of people spread evenly over the arms whatever the data say. */
  explorationShare: number;
  /** No arm gets less than this share. */
  floor: number;
}

/**
 * The weights for the next batch of people, as GrowthBook's bandits update theirs: each arm's
 * chance of being best (Thompson sampling), mixed with an even split for the exploration
 * share, then no arm below the floor (the arms above it give up what the floored ones need,
 * in proportion to their weight).
 */
export function banditWeights(
  arms: readonly BanditArm[],
  policy: BanditWeightsPolicy,
  draws = 20_000,
  seed = 1,
): number[] {
  if (arms.length === 0) return [];
  const summary = banditSummary(arms, draws, seed);
  const even = 1 / arms.length;
  const mixed = summary.arms.map(
    (arm) => (1 - policy.explorationShare) * arm.chanceBest + policy.explorationShare * even,
  );
  return applyFloor(mixed, Math.min(policy.floor, even));
}

/** Raises every weight to the floor, taking what that costs from the others in proportion. */
export function applyFloor(weights: readonly number[], floor: number): number[] {
  const floored = new Set<number>();
  for (;;) {
    const free = 1 - floor * floored.size;
    const freeTotal = weights.reduce((sum, w, i) => (floored.has(i) ? sum : sum + w), 0);
    const scaled = weights.map((w, i) =>
      floored.has(i)
        ? floor
        : freeTotal > 0
          ? (w * free) / freeTotal
          : free / (weights.length - floored.size),
    );
    const below = scaled.findIndex((w, i) => !floored.has(i) && w < floor - 1e-15);
    if (below < 0) return scaled;
    floored.add(below);
  }
}

export interface BanditDay {
  /** YYYY-MM-DD (UTC). */
  day: string;
  arms: Array<{
    id: string;
    impressions: number;
    clicks: number;
    /** The share of that day's impressions this offer got; null on a day without any. */
    share: number | null;
    /** P(best) from everything up to the end of that day: the share a bandit would give it next. */
    chanceBest: number;
  }>;
}

/**
 * Day by day: what each offer was served (its share of the day's impressions) and its chance
 * of being the best from the data up to that day's end. Each day's chance is `banditSummary`
 * of the running totals, with `draws` draws.
 */
export function banditOverTime(
  days: readonly string[],
  armIds: readonly string[],
  daily: ReadonlyArray<{ day: string; offerId: string; impressions: number; clicks: number }>,
  draws = 4_000,
): BanditDay[] {
  const totals = new Map(armIds.map((id) => [id, { id, impressions: 0, clicks: 0 }]));
  return days.map((day) => {
    const today = new Map(armIds.map((id) => [id, { impressions: 0, clicks: 0 }]));
    for (const row of daily) {
      const counts = row.day === day ? today.get(row.offerId) : undefined;
      if (!counts) continue;
      counts.impressions += row.impressions;
      counts.clicks += row.clicks;
    }
    let served = 0;
    for (const [id, counts] of today) {
      const total = totals.get(id)!;
      total.impressions += counts.impressions;
      total.clicks += counts.clicks;
      served += counts.impressions;
    }
    const summary = banditSummary([...totals.values()], draws);
    return {
      day,
      arms: summary.arms.map((arm) => {
        const counts = today.get(arm.id)!;
        return {
          id: arm.id,
          impressions: counts.impressions,
          clicks: counts.clicks,
          share: served > 0 ? counts.impressions / served : null,
          chanceBest: arm.chanceBest,
        };
      }),
    };
  });
}
