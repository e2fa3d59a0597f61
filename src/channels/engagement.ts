// Best channel: per person and channel, how many sends they got and how many they engaged with
// (opened, clicked, replied), counted from every delivery event in the event store that names a
// channel, Rapport's own and those other senders report through the tracking API; the
// population's rate per channel as the prior (docs/arbitration.md, "Best channel"); the
// conductor's chooseBestChannel picks among the channels the person consented to.
// Counts are distinct send keys, so two opens of one email count once.
import {
  CHANNELS,
  type ChannelEstimate,
  type Channel as ChannelName,
  type ChannelRecord,
  chooseBestChannel,
  explainPreference,
  rankChannels,
} from '../conductor/index.ts';
import { mergedIdsOf, survivorOf } from '../profiles/index.ts';
import type { EventReader, StateStore } from '../store/index.ts';
import { ENGAGED_EVENTS, SENT_EVENTS } from './delivery-events.ts';

const quoted = (names: readonly string[]) =>
  names.map((name) => `'${name.replaceAll("'", "''")}'`).join(', ');

/**
 * The channel an event names: its `channel` property when that is a channel, else the one its
 * name implies (Segment's `Email …` and `Push Notification …` events carry none).
 */
export const CHANNEL_OF_EVENT = `CASE
    WHEN properties->>'channel' IN (${quoted(CHANNELS)}) THEN properties->>'channel'
    WHEN name LIKE 'Email %' THEN 'email'
    WHEN name LIKE 'Push Notification %' THEN 'push'
  END`;

/**
 * Which send an event is about: Rapport's `send_key`, else the ids other senders use
 * (`email_id` in Segment's email spec, `message_id`, `campaign_id`), else the event itself.
 */
export const SEND_OF_EVENT = `coalesce(properties->>'send_key', properties->>'email_id', properties->>'message_id',
    properties->>'campaign_id', message_id)`;

/**
 * Sends and engagements per channel. Works on DuckDB and PostgreSQL alike (`->>` reads a JSON
 * text field on both). An engagement counts as a send too, so a provider that reports opens but
 * not deliveries never gives more engagements than sends.
 */
function countsSql(where: string): string {
  return `SELECT channel, count(DISTINCT send) AS sent,
    count(DISTINCT CASE WHEN name IN (${quoted(ENGAGED_EVENTS)}) THEN send END) AS engaged
  FROM (SELECT ${CHANNEL_OF_EVENT} AS channel, ${SEND_OF_EVENT} AS send, name
        FROM events
        WHERE type = 'track' AND name IN (${quoted([...SENT_EVENTS, ...ENGAGED_EVENTS])}) ${where}) e
  WHERE channel IS NOT NULL
  GROUP BY 1`;
}

function isChannel(value: unknown): value is ChannelName {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value);
}

function recordsFrom(rows: Record<string, unknown>[]): Partial<Record<ChannelName, ChannelRecord>> {
  const records: Partial<Record<ChannelName, ChannelRecord>> = {};
  for (const row of rows) {
    if (isChannel(row.channel))
      records[row.channel] = { sent: Number(row.sent), engaged: Number(row.engaged) };
  }
  return records;
}

export interface ChannelPreference {
  profileId: string;
  /** The best consented channel, or undefined when none is consented. */
  best: { channel: ChannelName; explanation: string } | undefined;
  /** Every channel asked about, best first, with its numbers. */
  estimates: (ChannelEstimate & { explanation: string })[];
}

export class EngagementStats {
  private population: { at: number; rates: Partial<Record<ChannelName, number>> } | undefined;

  constructor(
    private readonly reader: EventReader,
    private readonly state: StateStore,
    /** How long the population rates are reused (they move slowly). */
    private readonly populationCacheMs = 5 * 60_000,
  ) {}

  /** The person's sends and engagements per channel, across every profile merged into theirs. */
  async recordsOf(profileId: string): Promise<Partial<Record<ChannelName, ChannelRecord>>> {
    const survivor = await survivorOf(this.state, profileId);
    if (!survivor) return {};
    const ids = [survivor.profileId, ...(await mergedIdsOf(this.state, survivor.profileId))];
    const unique = [...new Set(ids)];
    const marks = unique.map((_, index) => `$${index + 1}`).join(', ');
    return recordsFrom(await this.reader.query(countsSql(`AND profile_id IN (${marks})`), unique));
  }

  /** Engaged over sent per channel across everyone: the prior a person with few sends is pulled toward. */
  async populationRates(): Promise<Partial<Record<ChannelName, number>>> {
    if (this.population && Date.now() - this.population.at < this.populationCacheMs)
      return this.population.rates;
    const rates: Partial<Record<ChannelName, number>> = {};
    for (const [channel, record] of Object.entries(recordsFrom(await this.reader.query(countsSql(''))))) {
      if (record.sent > 0) rates[channel as ChannelName] = record.engaged / record.sent;
    }
    this.population = { at: Date.now(), rates };
    return rates;
  }

  /** The door for the outbox's "send via best channel": undefined when no channel is consented. */
  async bestChannelFor(
    profileId: string,
    consented: readonly ChannelName[],
    channels: readonly ChannelName[] = consented,
  ): Promise<{ channel: ChannelName; explanation: string } | undefined> {
    const input = {
      channels,
      own: await this.recordsOf(profileId),
      segmentRates: await this.populationRates(),
    };
    const choice = chooseBestChannel(input, (channel) => consented.includes(channel));
    return choice ? { channel: choice.channel, explanation: choice.explanation } : undefined;
  }

  /** For the profile page: every channel ranked, and the best one the person consented to. */
  async preferenceOf(
    profileId: string,
    consented: (channel: ChannelName) => boolean,
    channels: readonly ChannelName[] = CHANNELS,
  ): Promise<ChannelPreference> {
    const input = {
      channels,
      own: await this.recordsOf(profileId),
      segmentRates: await this.populationRates(),
    };
    const estimates = rankChannels(input).map((estimate) => ({
      ...estimate,
      explanation: explainPreference(estimate),
    }));
    const best = chooseBestChannel(input, consented);
    return { profileId, best: best && { channel: best.channel, explanation: best.explanation }, estimates };
  }
}
