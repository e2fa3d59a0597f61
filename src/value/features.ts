// Per-profile features for the value models, read with analytics SQL over the `events` table
// through `EventReader.query`. The SQL is written once for DuckDB and PostgreSQL: times are
// compared as epoch seconds (extract(epoch …) means UTC on both), numbers are read from JSON
// text only when they look like numbers (a `~` regex guard, which both engines have), and
// "latest" is DISTINCT ON, which both support. Events carry the profile id they had when stored,
// so results are folded onto the surviving profile of any later merge (`ProfileResolver`).
import type { EventReader } from '../store/index.ts';
import { DAYS_PER_UNIT, type TimeUnit } from './dates.ts';
import type { CustomerSummary } from './summary.ts';

const NUMBER_PATTERN = `'^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$'`;
const EPOCH = 'extract(epoch FROM timestamp)';
const DAY_SECONDS = 86_400;

/** A JSON text expression as a number, NULL when it is missing or not a number. */
export function numberFromText(expression: string): string {
  return `CASE WHEN (${expression}) ~ ${NUMBER_PATTERN} THEN CAST((${expression}) AS DOUBLE PRECISION) END`;
}

/**
 * A string literal. Used for JSON keys, which DuckDB cannot take as a parameter (it binds a
 * parameter after `->>` as a number, for the array-index form).
 */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Maps a stored profile id to the profile it lives on now (after merges). */
export type ProfileResolver = (profileId: string) => string;

export const identityResolver: ProfileResolver = (profileId) => profileId;

export const ORDER_EVENT = 'Order Completed';

export interface RejectedOrders {
  /** Order Completed events with neither `revenue` nor `total`. */
  missing: number;
  /** with a revenue that is not a number (text). */
  notNumber: number;
  /** with a negative revenue (refunds are not purchases). */
  negative: number;
}

export interface PurchaseSummaries {
  customers: CustomerSummary[];
  rejected: RejectedOrders;
}

/**
 * One BG/NBD summary per buyer from `Order Completed` (value: `revenue`, else `total`) up to
 * `asOf` (epoch ms). Orders with no, text or negative revenue are left out and counted;
 * revenue 0 is a purchase.
 *
 * With `calibrationEnd` (epoch ms, before `asOf`) the summary is a calibration/holdout split:
 * purchase days up to the calibration end's day make x, t_x, T; the days after it, up to
 * `asOf`, are the holdout purchases; buyers whose first purchase is after it are left out.
 */
export async function purchaseSummaries(
  reader: Pick<EventReader, 'query'>,
  options: { asOf: number; unit: TimeUnit; resolve?: ProfileResolver; calibrationEnd?: number },
): Promise<PurchaseSummaries> {
  const valued = `SELECT profile_id, floor(${EPOCH} / ${DAY_SECONDS}) AS day, raw, ${numberFromText('raw')} AS value
    FROM (SELECT profile_id, timestamp, coalesce(properties->>'revenue', properties->>'total') AS raw
          FROM events WHERE type = 'track' AND name = $1 AND ${EPOCH} <= $2) orders`;
  const days = await reader.query(
    // Ordered: the rows' order decides the order of the customers, and with it the order the
    // fit adds their likelihoods in. Unordered, a parallel engine returned them differently
    // from run to run, and the optimiser turned last-bit differences into CLVs 1e-5 apart.
    `SELECT profile_id, day, sum(value) AS value FROM (${valued}) v WHERE value >= 0
     GROUP BY profile_id, day ORDER BY profile_id, day`,
    [ORDER_EVENT, options.asOf / 1000],
  );
  const [rejects] = await reader.query(
    `SELECT count(*) FILTER (WHERE raw IS NULL) AS missing,
            count(*) FILTER (WHERE raw IS NOT NULL AND value IS NULL) AS not_number,
            count(*) FILTER (WHERE value < 0) AS negative
     FROM (${valued}) v`,
    [ORDER_EVENT, options.asOf / 1000],
  );
  const resolve = options.resolve ?? identityResolver;
  const byProfile = new Map<string, Map<number, number>>();
  for (const row of days) {
    const profileId = resolve(String(row.profile_id));
    const history = byProfile.get(profileId) ?? new Map<number, number>();
    const day = Number(row.day);
    history.set(day, (history.get(day) ?? 0) + Number(row.value));
    byProfile.set(profileId, history);
  }
  const endDay = Math.floor((options.calibrationEnd ?? options.asOf) / 1000 / DAY_SECONDS);
  const unitDays = DAYS_PER_UNIT[options.unit];
  const customers: CustomerSummary[] = [];
  for (const [customerId, history] of byProfile) {
    const calibration = new Map([...history].filter(([day]) => day <= endDay));
    if (calibration.size === 0) continue;
    const summary = summarise(customerId, calibration, endDay, unitDays);
    summary.holdoutPurchases = history.size - calibration.size;
    customers.push(summary);
  }
  // Merged profiles resolve to one customer whatever the raw ids' order: sort by the result.
  customers.sort((left, right) =>
    left.customerId < right.customerId ? -1 : left.customerId > right.customerId ? 1 : 0,
  );
  return {
    customers,
    rejected: {
      missing: Number(rejects?.missing ?? 0),
      notNumber: Number(rejects?.not_number ?? 0),
      negative: Number(rejects?.negative ?? 0),
    },
  };
}

function summarise(
  customerId: string,
  history: Map<number, number>,
  endDay: number,
  unitDays: number,
): CustomerSummary {
  const sorted = [...history].sort((left, right) => left[0] - right[0]);
  const [firstDay] = sorted[0]!;
  const [lastDay] = sorted.at(-1)!;
  const repeats = sorted.slice(1);
  const repeatValue = repeats.reduce((sum, [, value]) => sum + value, 0);
  return {
    customerId,
    frequency: repeats.length,
    recency: (lastDay - firstDay) / unitDays,
    age: (endDay - firstDay) / unitDays,
    meanRepeatSpend: repeats.length > 0 ? repeatValue / repeats.length : 0,
    holdoutPurchases: 0,
  };
}

export const SUBSCRIPTION_EVENTS = {
  started: 'Subscription Started',
  renewed: 'Subscription Renewed',
  cancelled: 'Subscription Cancelled',
} as const;

export const ENGAGEMENT_EVENTS = {
  emailOpened: 'Email Opened',
  ticketCreated: 'Ticket Created',
  paymentFailed: 'Payment Failed',
} as const;

/** Events that are not the customer using the product (sent by other systems about them). */
const NOT_USE = [
  ...Object.values(SUBSCRIPTION_EVENTS),
  ...Object.values(ENGAGEMENT_EVENTS),
  'Email Delivered',
  'Email Sent',
  'Email Link Clicked',
  'Ticket Resolved',
  // What senders report about messages (docs/channels.md): a push received is not a visit.
  'Push Notification Received',
  'Push Notification Tapped',
  'Message Sent',
  'Message Delivered',
  'Message Opened',
  'Message Clicked',
  'Message Replied',
  'Webhook Delivered',
];

export interface SubscriberAtCutoff {
  profileId: string;
  /** Subscribed at the cutoff (started, not cancelled since). */
  active: boolean;
  startedAt: number | null;
  lastUseAt: number | null;
  supportTickets: number;
  emailOpens: number;
  paymentFailures: number;
  /** Cancelled after the cutoff and within the horizon. */
  cancelledWithinHorizon: boolean;
}

/**
 * Subscription state and engagement signals of everyone who ever started a subscription, as
 * of `cutoff` (epoch ms): signals count the `windowDays` before it; `cancelledWithinHorizon`
 * looks `horizonDays` after it (the label for learning churn from history).
 */
export async function subscribersAt(
  reader: Pick<EventReader, 'query'>,
  options: { cutoff: number; windowDays: number; horizonDays: number; resolve?: ProfileResolver },
): Promise<SubscriberAtCutoff[]> {
  const cutoff = options.cutoff / 1000;
  const windowStart = cutoff - options.windowDays * DAY_SECONDS;
  const horizonEnd = cutoff + options.horizonDays * DAY_SECONDS;
  const notUse = NOT_USE.map((_, i) => `$${i + 9}`).join(', ');
  const rows = await reader.query(
    `SELECT profile_id,
       max(ts) FILTER (WHERE name = $1 AND ts <= $6) AS started,
       max(ts) FILTER (WHERE name = $2 AND ts <= $6) AS cancelled,
       max(ts) FILTER (WHERE name = $2 AND ts > $6 AND ts <= $8) AS cancelled_after,
       max(ts) FILTER (WHERE ts <= $6 AND (type IN ('page', 'screen') OR (type = 'track' AND name NOT IN (${notUse})))) AS last_use,
       count(*) FILTER (WHERE name = $4 AND ts > $7 AND ts <= $6) AS tickets,
       count(*) FILTER (WHERE name = $3 AND ts > $7 AND ts <= $6) AS opens,
       count(*) FILTER (WHERE name = $5 AND ts > $7 AND ts <= $6) AS failures
     FROM (SELECT profile_id, type, name, ${EPOCH} AS ts FROM events) e
     GROUP BY profile_id`,
    [
      SUBSCRIPTION_EVENTS.started,
      SUBSCRIPTION_EVENTS.cancelled,
      ENGAGEMENT_EVENTS.emailOpened,
      ENGAGEMENT_EVENTS.ticketCreated,
      ENGAGEMENT_EVENTS.paymentFailed,
      cutoff,
      windowStart,
      horizonEnd,
      ...NOT_USE,
    ],
  );
  // Every profile is grouped (not only those with a start) so a merged-away profile's signals
  // reach the survivor; then only subscribers are kept.
  return foldSubscribers(
    rows.map((row) => toSubscriber(row)),
    options.resolve ?? identityResolver,
  ).filter((subscriber) => subscriber.startedAt !== null);
}

function toSubscriber(row: Record<string, unknown>): SubscriberAtCutoff {
  const ms = (value: unknown) => (value === null || value === undefined ? null : Number(value) * 1000);
  const started = ms(row.started);
  const cancelled = ms(row.cancelled);
  return {
    profileId: String(row.profile_id),
    active: started !== null && (cancelled === null || cancelled < started),
    startedAt: started,
    lastUseAt: ms(row.last_use),
    supportTickets: Number(row.tickets ?? 0),
    emailOpens: Number(row.opens ?? 0),
    paymentFailures: Number(row.failures ?? 0),
    cancelledWithinHorizon: row.cancelled_after !== null && row.cancelled_after !== undefined,
  };
}

/** Subscribers whose events sit under several (merged) profile ids become one. */
function foldSubscribers(rows: SubscriberAtCutoff[], resolve: ProfileResolver): SubscriberAtCutoff[] {
  const byProfile = new Map<string, SubscriberAtCutoff>();
  const later = (left: number | null, right: number | null) =>
    left === null ? right : right === null ? left : Math.max(left, right);
  for (const row of rows) {
    const profileId = resolve(row.profileId);
    const seen = byProfile.get(profileId);
    if (!seen) {
      byProfile.set(profileId, { ...row, profileId });
      continue;
    }
    seen.active ||= row.active;
    seen.startedAt = later(seen.startedAt, row.startedAt);
    seen.lastUseAt = later(seen.lastUseAt, row.lastUseAt);
    seen.supportTickets += row.supportTickets;
    seen.emailOpens += row.emailOpens;
    seen.paymentFailures += row.paymentFailures;
    seen.cancelledWithinHorizon ||= row.cancelledWithinHorizon;
  }
  return [...byProfile.values()];
}

export interface LatestSubscriptionEvent {
  profileId: string;
  event: string;
  at: number;
  plan: string | null;
  price: number | null;
  billingPeriod: string | null;
  renewalDate: string | null;
}

/** Each profile's latest subscription event up to `asOf`: its plan, price, period, renewal date. */
export async function latestSubscriptionEvents(
  reader: Pick<EventReader, 'query'>,
  options: { asOf: number; resolve?: ProfileResolver },
): Promise<LatestSubscriptionEvent[]> {
  const rows = await reader.query(
    `SELECT DISTINCT ON (profile_id) profile_id, name, ${EPOCH} AS ts,
       properties->>'plan' AS plan, ${numberFromText("properties->>'price'")} AS price,
       properties->>'billing_period' AS billing_period, properties->>'renewal_date' AS renewal_date
     FROM events WHERE type = 'track' AND name IN ($1, $2, $3) AND ${EPOCH} <= $4
     ORDER BY profile_id, timestamp DESC, seq DESC`,
    [
      SUBSCRIPTION_EVENTS.started,
      SUBSCRIPTION_EVENTS.renewed,
      SUBSCRIPTION_EVENTS.cancelled,
      options.asOf / 1000,
    ],
  );
  const resolve = options.resolve ?? identityResolver;
  const latest = new Map<string, LatestSubscriptionEvent>();
  for (const row of rows) {
    const event: LatestSubscriptionEvent = {
      profileId: resolve(String(row.profile_id)),
      event: String(row.name),
      at: Number(row.ts) * 1000,
      plan: typeof row.plan === 'string' ? row.plan : null,
      price: typeof row.price === 'number' && Number.isFinite(row.price) ? row.price : null,
      billingPeriod: typeof row.billing_period === 'string' ? row.billing_period : null,
      renewalDate: typeof row.renewal_date === 'string' ? row.renewal_date : null,
    };
    const seen = latest.get(event.profileId);
    if (!seen || seen.at < event.at) latest.set(event.profileId, event);
  }
  return [...latest.values()];
}

/** A rule that counts a profile's events: by name (track) or type (page…), optionally a numeric property ≥ a bound. */
export interface EventRule {
  event?: string;
  type?: 'track' | 'page' | 'screen' | 'identify' | 'group';
  property?: string;
  atLeast?: number;
  /** Only events in the last N days before asOf. */
  withinDays?: number;
}

/** Per profile, how many events match each rule (same order as `rules`), up to `asOf`. */
export async function countEventRules(
  reader: Pick<EventReader, 'query'>,
  rules: readonly EventRule[],
  options: { asOf: number; resolve?: ProfileResolver },
): Promise<Map<string, number[]>> {
  if (rules.length === 0) return new Map();
  const params: unknown[] = [options.asOf / 1000];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const columns = rules.map((rule, index) => {
    const conditions: string[] = [];
    if (rule.event !== undefined) conditions.push(`type = 'track' AND name = ${param(rule.event)}`);
    if (rule.type !== undefined) conditions.push(`type = ${param(rule.type)}`);
    if (rule.property !== undefined && rule.atLeast !== undefined) {
      const value = numberFromText(`properties->>${sqlString(rule.property)}`);
      conditions.push(`${value} >= ${param(rule.atLeast)}`);
    }
    if (rule.withinDays !== undefined)
      conditions.push(`ts > ${param(options.asOf / 1000 - rule.withinDays * DAY_SECONDS)}`);
    return `count(*) FILTER (WHERE ${conditions.length > 0 ? conditions.join(' AND ') : 'TRUE'}) AS r${index}`;
  });
  const rows = await reader.query(
    `SELECT profile_id, ${columns.join(', ')}
     FROM (SELECT profile_id, type, name, properties, ${EPOCH} AS ts FROM events WHERE ${EPOCH} <= $1) e
     GROUP BY profile_id`,
    params,
  );
  const resolve = options.resolve ?? identityResolver;
  const counts = new Map<string, number[]>();
  for (const row of rows) {
    const profileId = resolve(String(row.profile_id));
    const values = rules.map((_, index) => Number(row[`r${index}`] ?? 0));
    const seen = counts.get(profileId);
    counts.set(profileId, seen ? seen.map((value, index) => value + values[index]!) : values);
  }
  return counts;
}

/** Per profile: first and last event time (ms), for tenure and recency. */
export async function profileSpans(
  reader: Pick<EventReader, 'query'>,
  options: { asOf: number; resolve?: ProfileResolver },
): Promise<Map<string, { firstSeen: number; lastSeen: number }>> {
  const rows = await reader.query(
    `SELECT profile_id, min(${EPOCH}) AS first_seen, max(${EPOCH}) AS last_seen FROM events
     WHERE ${EPOCH} <= $1 GROUP BY profile_id`,
    [options.asOf / 1000],
  );
  const resolve = options.resolve ?? identityResolver;
  const spans = new Map<string, { firstSeen: number; lastSeen: number }>();
  for (const row of rows) {
    const profileId = resolve(String(row.profile_id));
    const span = { firstSeen: Number(row.first_seen) * 1000, lastSeen: Number(row.last_seen) * 1000 };
    const seen = spans.get(profileId);
    spans.set(
      profileId,
      seen
        ? {
            firstSeen: Math.min(seen.firstSeen, span.firstSeen),
            lastSeen: Math.max(seen.lastSeen, span.lastSeen),
          }
        : span,
    );
  }
  return spans;
}

/** Per profile, the decayed behaviour points of the lead score: Σ points × 0.5^(age / half-life). */
export async function decayedBehaviourPoints(
  reader: Pick<EventReader, 'query'>,
  rules: readonly { event: string; points: number }[],
  options: { asOf: number; halfLifeDays: number; resolve?: ProfileResolver },
): Promise<Map<string, number>> {
  const byEvent = await decayedBehaviourByEvent(reader, rules, options);
  const points = new Map<string, number>();
  for (const [profileId, events] of byEvent) {
    let total = 0;
    for (const part of events.values()) total += part.points;
    points.set(profileId, total);
  }
  return points;
}

/** One event name's part of a profile's behaviour points. */
export interface BehaviourPart {
  count: number;
  points: number;
}

/** `decayedBehaviourPoints` per event name: how many of each event and the points they still bring. */
export async function decayedBehaviourByEvent(
  reader: Pick<EventReader, 'query'>,
  rules: readonly { event: string; points: number }[],
  options: { asOf: number; halfLifeDays: number; resolve?: ProfileResolver },
): Promise<Map<string, Map<string, BehaviourPart>>> {
  const parts = new Map<string, Map<string, BehaviourPart>>();
  if (rules.length === 0) return parts;
  const asOf = options.asOf / 1000;
  const halfLife = Math.max(options.halfLifeDays, 1e-9) * DAY_SECONDS;
  const params: unknown[] = [asOf, halfLife];
  const cases = rules.map((rule) => {
    params.push(rule.event, rule.points);
    return `WHEN $${params.length - 1} THEN CAST($${params.length} AS DOUBLE PRECISION)`;
  });
  const names = rules.map((rule) => {
    params.push(rule.event);
    return `$${params.length}`;
  });
  const rows = await reader.query(
    `SELECT profile_id, name, count(*) AS events,
            sum(CASE name ${cases.join(' ')} ELSE 0 END * power(0.5, ($1 - ts) / $2)) AS points
     FROM (SELECT profile_id, name, ${EPOCH} AS ts FROM events
           WHERE type = 'track' AND ${EPOCH} <= $1 AND name IN (${names.join(', ')})) e
     GROUP BY profile_id, name`,
    params,
  );
  const resolve = options.resolve ?? identityResolver;
  for (const row of rows) {
    const profileId = resolve(String(row.profile_id));
    const value = Number(row.points ?? 0);
    const events = parts.get(profileId) ?? new Map<string, BehaviourPart>();
    const part = events.get(String(row.name)) ?? { count: 0, points: 0 };
    part.count += Number(row.events);
    part.points += Number.isFinite(value) ? value : 0;
    events.set(String(row.name), part);
    parts.set(profileId, events);
  }
  return parts;
}

/** Each profile's latest value of the given traits, from identify events up to `asOf`. */
export async function latestTraits(
  reader: Pick<EventReader, 'query'>,
  traits: readonly string[],
  options: { asOf: number; resolve?: ProfileResolver },
): Promise<Map<string, Record<string, string>>> {
  const resolve = options.resolve ?? identityResolver;
  const latest = new Map<string, Record<string, { value: string; at: number }>>();
  for (const trait of traits) {
    const rows = await reader.query(
      `SELECT DISTINCT ON (profile_id) profile_id, (message->'traits'->>${sqlString(trait)}) AS value, ${EPOCH} AS ts
       FROM events WHERE type = 'identify' AND ${EPOCH} <= $1 AND (message->'traits'->>${sqlString(trait)}) IS NOT NULL
       ORDER BY profile_id, timestamp DESC, seq DESC`,
      [options.asOf / 1000],
    );
    for (const row of rows) {
      const profileId = resolve(String(row.profile_id));
      const values = latest.get(profileId) ?? {};
      const at = Number(row.ts);
      if (!values[trait] || values[trait].at < at) values[trait] = { value: String(row.value), at };
      latest.set(profileId, values);
    }
  }
  return new Map(
    [...latest].map(([profileId, values]) => [
      profileId,
      Object.fromEntries(Object.entries(values).map(([trait, { value }]) => [trait, value])),
    ]),
  );
}
