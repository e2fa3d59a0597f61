// Messages by channel and journey over a range of UTC days. Each count comes from where it
// truly lives:
// - sent, failed, suppressed (dropped by arbitration) and deferred: the conductor's decision
//   log (ConductorStore.countDecisions, SQL on SQLite or PostgreSQL), distinct messages;
// - delivered, opened, clicked and bounced: the delivery and engagement events the channels and
//   providers append (docs/channels.md), counted in the warehouse as distinct send keys.
import {
  type ConductorStore,
  type DecisionCounts,
  type EventReader,
  timeRangeSql,
  type WarehouseEngine,
} from '../store/index.ts';
import type { DayRange } from './range.ts';
import {
  MESSAGE_METRICS,
  type MessageCounts,
  type MessageMetric,
  type MessageReason,
  type MessageStats,
} from './schema.ts';

export { MESSAGE_METRICS, type MessageCounts, type MessageMetric, type MessageReason, type MessageStats };

/** Decision log action → metric. */
const DECISION_METRICS: Record<string, MessageMetric> = {
  send: 'sent',
  fail: 'failed',
  drop: 'suppressed',
  defer: 'deferred',
};

/**
 * Event name → metric. Email has no delivery confirmation (a relay's 250 is not delivery and
 * Rapport reads no DSNs), so `delivered` counts webhook deliveries (and webhook-shaped SMS and
 * push providers). Providers report opens and clicks as `Message Opened` / `Message Clicked`.
 */
export const ENGAGEMENT_METRICS: Record<string, MessageMetric> = {
  'Webhook Delivered': 'delivered',
  'Email Opened': 'opened',
  'Message Opened': 'opened',
  'Email Link Clicked': 'clicked',
  'Message Clicked': 'clicked',
  'Email Bounced': 'bounced',
};

const quoted = (names: readonly string[]) =>
  names.map((name) => `'${name.replaceAll("'", "''")}'`).join(', ');

/** Both engines: `->>` reads JSON text, epoch seconds are UTC (see ./events.ts). */
export const engagementSql = (
  engine: WarehouseEngine,
): string => `SELECT properties->>'channel' AS channel, properties->>'journey_id' AS journey_id, name,
    count(DISTINCT properties->>'send_key') AS messages
  FROM events
  WHERE type = 'track' AND name IN (${quoted(Object.keys(ENGAGEMENT_METRICS))})
    AND ${timeRangeSql(engine, 'timestamp', '$1', '$2')}
  GROUP BY 1, 2, 3`;

const zero = (): MessageCounts =>
  Object.fromEntries(MESSAGE_METRICS.map((metric) => [metric, 0])) as MessageCounts;

function tally<K extends string | null>(
  table: Map<K, MessageCounts>,
  key: K,
  metric: MessageMetric,
  n: number,
) {
  const counts = table.get(key) ?? zero();
  counts[metric] += n;
  table.set(key, counts);
}

const textOrNull = (value: unknown): string | null =>
  value === null || value === undefined || value === '' ? null : String(value);

/** Pure: folds the decision counts and the engagement rows into the answer. */
export function assembleMessageStats(
  range: DayRange,
  decisions: DecisionCounts,
  engagement: Array<Record<string, unknown>>,
  defaulted: boolean,
): MessageStats {
  const totals = zero();
  const channels = new Map<string | null, MessageCounts>();
  const journeys = new Map<string | null, MessageCounts>();
  for (const [action, n] of Object.entries(decisions.total)) {
    const metric = DECISION_METRICS[action];
    if (metric) totals[metric] += n;
  }
  for (const row of decisions.byChannel) {
    const metric = DECISION_METRICS[row.action];
    if (metric) tally(channels, row.channel, metric, row.messages);
  }
  for (const row of decisions.byJourney) {
    const metric = DECISION_METRICS[row.action];
    if (metric) tally(journeys, row.journeyId, metric, row.messages);
  }
  for (const row of engagement) {
    const metric = ENGAGEMENT_METRICS[String(row.name)];
    if (!metric) continue;
    const n = Number(row.messages);
    totals[metric] += n;
    tally(channels, textOrNull(row.channel), metric, n);
    tally(journeys, textOrNull(row.journey_id), metric, n);
  }
  const reasons: MessageReason[] = decisions.byCode
    .filter((row) => row.action === 'drop' || row.action === 'defer')
    .map((row) => ({
      outcome: row.action === 'drop' ? ('suppressed' as const) : ('deferred' as const),
      code: row.code,
      messages: row.messages,
    }))
    .sort((a, b) => b.messages - a.messages || a.code.localeCompare(b.code));
  const ordered = <K extends string | null>(table: Map<K, MessageCounts>) =>
    [...table].sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b)));
  return {
    from: range.from,
    to: range.to,
    timeZone: 'UTC',
    ...(defaulted ? { note: 'no from or to given: today (UTC)' } : {}),
    metrics: [...MESSAGE_METRICS],
    totals,
    byChannel: ordered(channels).map(([channel, counts]) => ({ channel, ...counts })),
    byJourney: ordered(journeys).map(([journeyId, counts]) => ({ journeyId, ...counts })),
    reasons,
  };
}

export async function messageStats(
  decisions: Pick<ConductorStore, 'countDecisions'>,
  events: Pick<EventReader, 'query'>,
  engine: WarehouseEngine,
  range: DayRange,
  defaulted: boolean,
): Promise<MessageStats> {
  const [counts, engagement] = await Promise.all([
    decisions.countDecisions(new Date(range.startMs).toISOString(), new Date(range.endMs).toISOString()),
    events.query(engagementSql(engine), [range.startMs / 1000, range.endMs / 1000]),
  ]);
  return assembleMessageStats(range, counts, engagement, defaulted);
}
