// Best channel: which channel a person engages with, estimated from their own delivery events
// and pulled toward their segment's rate when they have few. Per channel, the segment's rate p
// becomes a Beta(α, β) prior with α = p·s, β = (1−p)·s, where s (the prior strength) counts as
// s sends' worth of evidence; after k engagements in n sends the estimate is the posterior
// mean (k + α) / (n + s). With n = 0 it is the segment's rate; with n ≫ s, the person's own.
import type { Channel } from './journey/definition.ts';

/** The prior weighs as much as ten sends of the person's own: three opens of three do not outrank a 40% segment by much. */
export const BEST_CHANNEL_PRIOR_STRENGTH = 10;
/** Used for a channel whose segment has no rate yet. */
export const DEFAULT_PRIOR_RATE = 0.1;

/** A person's record on one channel, from delivery events (sent; opened, clicked or replied). */
export interface ChannelRecord {
  sent: number;
  engaged: number;
}

export interface ChannelEstimate {
  channel: Channel;
  /** Posterior mean engagement rate. */
  rate: number;
  alpha: number;
  beta: number;
  sent: number;
  engaged: number;
}

export interface BestChannelInput {
  /** In order of the designer's preference: it breaks ties. */
  channels: readonly Channel[];
  own: Readonly<Partial<Record<Channel, ChannelRecord>>>;
  segmentRates: Readonly<Partial<Record<Channel, number>>>;
  priorStrength?: number;
}

export function estimateEngagement(
  channel: Channel,
  own: ChannelRecord | undefined,
  segmentRate: number | undefined,
  priorStrength = BEST_CHANNEL_PRIOR_STRENGTH,
): ChannelEstimate {
  // Keep α and β above zero: a segment rate of exactly 0 or 1 would make the prior unmovable.
  const prior = Math.min(0.99, Math.max(0.01, segmentRate ?? DEFAULT_PRIOR_RATE));
  const sent = Math.max(0, own?.sent ?? 0);
  const engaged = Math.min(sent, Math.max(0, own?.engaged ?? 0));
  const alpha = prior * priorStrength + engaged;
  const beta = (1 - prior) * priorStrength + (sent - engaged);
  return { channel, rate: alpha / (alpha + beta), alpha, beta, sent, engaged };
}

/** Every channel with its estimate, best first (ties keep the given order): for the profile page. */
export function rankChannels(input: BestChannelInput): ChannelEstimate[] {
  const estimates = input.channels.map((channel) =>
    estimateEngagement(channel, input.own[channel], input.segmentRates[channel], input.priorStrength),
  );
  return estimates
    .map((estimate, order) => ({ estimate, order }))
    .sort((a, b) => b.estimate.rate - a.estimate.rate || a.order - b.order)
    .map(({ estimate }) => estimate);
}

/** The best channel among those the person consented to, with a sentence saying why; undefined when none is. */
export function chooseBestChannel(
  input: BestChannelInput,
  consented: (channel: Channel) => boolean,
  verb = 'opened',
): { channel: Channel; estimate: ChannelEstimate; explanation: string } | undefined {
  const best = rankChannels(input).find((estimate) => consented(estimate.channel));
  if (!best) return undefined;
  return { channel: best.channel, estimate: best, explanation: explainPreference(best, verb) };
}

/** "prefers sms: 12 of 15 opened", or the segment's rate when the person has no history there. */
export function explainPreference(estimate: ChannelEstimate, verb = 'opened'): string {
  if (estimate.sent === 0) {
    return `prefers ${estimate.channel}: no sends yet, like similar people (${Math.round(estimate.rate * 100)}%)`;
  }
  return `prefers ${estimate.channel}: ${estimate.engaged} of ${estimate.sent} ${verb}`;
}
