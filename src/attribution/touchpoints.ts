// Touchpoints and conversions from Rapport's own events (docs/attribution.md, "From Rapport's
// data"): which channel a stored event is a touch of, by documented rules, and each person's
// paths to their conversions within a lookback window. Pure: the SQL (touchpoints-sql.ts)
// only reads the rows.
import type { AttributionPath } from './types.ts';

/** One event row as the warehouse returns it, merges already followed. */
export interface TouchRow {
  person: string;
  type: string;
  name: string | null;
  tsMs: number;
  seq: number;
  properties: Record<string, unknown>;
  /** The message's `context` (Segment's campaign and page objects live there). */
  context: Record<string, unknown>;
}

export type TouchKind = 'send' | 'open' | 'click' | 'view' | 'visit';

export interface Touch {
  channel: string;
  kind: TouchKind;
  campaign: string | null;
}

/** Rapport's own delivery events and imported ad clicks: event name → kind of touch. */
const TRACKED_TOUCHES: Record<string, { kind: TouchKind; channel?: string }> = {
  'Email Sent': { kind: 'send', channel: 'email' },
  'Email Opened': { kind: 'open', channel: 'email' },
  'Email Link Clicked': { kind: 'click', channel: 'email' },
  'Webhook Delivered': { kind: 'send' },
  'Message Opened': { kind: 'open' },
  'Message Clicked': { kind: 'click' },
  'Message Replied': { kind: 'click' },
  'Promotion Viewed': { kind: 'view', channel: 'placement' },
  'Promotion Clicked': { kind: 'click', channel: 'placement' },
  'Ad Clicked': { kind: 'click' },
  // Segment's mobile spec name for a push opened; best channel counts it as push engagement too.
  'Push Notification Tapped': { kind: 'click', channel: 'push' },
};
export const TOUCH_EVENTS: readonly string[] = Object.keys(TRACKED_TOUCHES);

const SEARCH_ENGINES = /(^|\.)(google|bing|duckduckgo|yahoo|baidu|yandex|ecosia|qwant|startpage)\./;
const SOCIAL_NETWORKS =
  /(^|\.)(facebook|instagram|twitter|x|linkedin|lnkd|pinterest|reddit|tiktok|youtube|threads|mastodon)\.|^t\.co$/;

const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : null;

function object(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function hostOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.toLowerCase().replace(/^www\./, '');
  } catch {
    return null;
  }
}

/** The page's UTM parameters: Segment's context.campaign first, else the URL's query. */
function utmOf(row: TouchRow): { medium: string | null; source: string | null; campaign: string | null } {
  const campaign = object(row.context.campaign);
  const url = text(row.properties.url) ?? text(object(row.context.page).url);
  let query: URLSearchParams | undefined;
  try {
    query = url ? new URL(url).searchParams : undefined;
  } catch {
    query = undefined;
  }
  return {
    medium: (text(campaign.medium) ?? query?.get('utm_medium') ?? null)?.toLowerCase() ?? null,
    source: (text(campaign.source) ?? query?.get('utm_source') ?? null)?.toLowerCase() ?? null,
    campaign: text(campaign.name) ?? query?.get('utm_campaign') ?? null,
  };
}

/**
 * A page view's channel. UTM medium first (Google Analytics' default channel grouping,
 * simplified), else the referrer's host, else `direct`. A referrer on the page's own host is
 * navigation within the site, not a touch (null).
 */
export function classifyPageView(row: TouchRow): Touch | null {
  const utm = utmOf(row);
  const socialSource = utm.source !== null && SOCIAL_NETWORKS.test(`${utm.source}.`);
  if (utm.medium !== null) {
    const medium = utm.medium;
    let channel: string;
    if (/^(cpc|ppc|paid[-_ ]?search|sem)$/.test(medium))
      channel = socialSource ? 'paid social' : 'paid search';
    else if (/^(paid[-_ ]?social|social[-_ ]?paid)$/.test(medium)) channel = 'paid social';
    else if (/^(display|banner|cpm|interstitial)$/.test(medium)) channel = 'display';
    else if (/^(social|social[-_ ]?network|social[-_ ]?media|sm)$/.test(medium)) channel = 'organic social';
    else if (/^e[-_ ]?mail$/.test(medium)) channel = 'email';
    else if (medium === 'organic') channel = 'organic search';
    else if (medium === 'affiliate' || medium === 'referral') channel = medium;
    else channel = medium;
    return { channel, kind: 'visit', campaign: utm.campaign };
  }
  const referrer = text(row.properties.referrer) ?? text(object(row.context.page).referrer);
  const referrerHost = hostOf(referrer);
  if (referrerHost === null) return { channel: 'direct', kind: 'visit', campaign: null };
  const pageHost = hostOf(text(row.properties.url) ?? text(object(row.context.page).url));
  if (pageHost !== null && pageHost === referrerHost) return null;
  if (SEARCH_ENGINES.test(referrerHost)) return { channel: 'organic search', kind: 'visit', campaign: null };
  if (SOCIAL_NETWORKS.test(referrerHost)) return { channel: 'organic social', kind: 'visit', campaign: null };
  return { channel: 'referral', kind: 'visit', campaign: null };
}

/** The touch an event is, or null when it is none (then it is ignored). */
export function classifyTouch(row: TouchRow): Touch | null {
  if (row.type === 'page' || row.type === 'screen') return classifyPageView(row);
  if (row.type !== 'track' || row.name === null) return null;
  const tracked = TRACKED_TOUCHES[row.name];
  if (!tracked) return null;
  const channel = tracked.channel ?? text(row.properties.channel);
  if (channel === null) return null;
  const campaign =
    text(row.properties.campaign_id) ??
    text(row.properties.journey_id) ??
    text(row.properties.campaign) ??
    // Segment's mobile spec sends the campaign as an object.
    text(object(row.properties.campaign).name) ??
    null;
  return { channel: channel.toLowerCase(), kind: tracked.kind, campaign };
}

/** Where a conversion's revenue is read, first found first (Segment's e-commerce spec). */
export const REVENUE_PROPERTIES: readonly string[] = ['revenue', 'total', 'value'];

/** Revenue of a conversion event: `revenue`, else `total`, else `value` (Segment's e-commerce spec). */
export function revenueOf(properties: Record<string, unknown>): number | null {
  for (const key of REVENUE_PROPERTIES) {
    const value = properties[key];
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof number === 'number' && Number.isFinite(number) && number >= 0) return number;
  }
  return null;
}

export interface PathOptions {
  conversionEvent: string;
  /** Touches older than this before a conversion do not count. */
  lookbackDays: number;
  /** Conversions counted from here (epoch ms, inclusive) … */
  startMs: number;
  /** … to here (exclusive). */
  endMs: number;
  /** Which touches make a path (default every kind but sends: a send nobody opened is not met). */
  kinds?: readonly TouchKind[];
  /** `campaign` names each touch `channel / campaign` (ROI per campaign); default `channel`. */
  groupBy?: 'channel' | 'campaign';
}

export interface TimedTouch extends Touch {
  tsMs: number;
}

export interface PathsFromEvents {
  /** One path per conversion and one per person who did not convert (nulls). */
  paths: AttributionPath[];
  people: number;
  conversions: number;
  /** Conversions in the range without a revenue property (counted with value 0). */
  conversionsWithoutRevenue: number;
  /** Conversions with no touch within the lookback window (not attributable). */
  conversionsWithoutTouches: number;
  /** Every touch of each person (sends included), for reach and engagement per channel. */
  touchesByPerson: Map<string, TimedTouch[]>;
}

const DAY_MS = 86_400_000;
export const DEFAULT_KINDS: readonly TouchKind[] = ['open', 'click', 'view', 'visit'];

/**
 * Each person's paths. Rows must be ordered by person, then time, then log order. A
 * conversion's path is the person's touches since their previous conversion and within the
 * lookback window before it; the touches after a person's last conversion (or all, for
 * someone who never converted) within the lookback before the range's end are a null path.
 */
export function pathsFromEvents(rows: Iterable<TouchRow>, options: PathOptions): PathsFromEvents {
  const kinds = new Set(options.kinds ?? DEFAULT_KINDS);
  const lookbackMs = options.lookbackDays * DAY_MS;
  const out: PathsFromEvents = {
    paths: [],
    people: 0,
    conversions: 0,
    conversionsWithoutRevenue: 0,
    conversionsWithoutTouches: 0,
    touchesByPerson: new Map(),
  };
  let person: string | null = null;
  let pending: TimedTouch[] = [];
  const closeNulls = () => {
    const recent = pending.filter(
      (touch) => touch.tsMs > options.endMs - lookbackMs && touch.tsMs < options.endMs,
    );
    if (recent.length > 0) out.paths.push(pathOf(recent, 0, 0, options.endMs));
    pending = [];
  };
  for (const row of rows) {
    if (row.person !== person) {
      if (person !== null) closeNulls();
      person = row.person;
      out.people += 1;
    }
    if (row.type === 'track' && row.name === options.conversionEvent) {
      // A conversion before the range used up the touches before it.
      if (row.tsMs < options.startMs) pending = [];
      if (row.tsMs < options.startMs || row.tsMs >= options.endMs) continue;
      out.conversions += 1;
      const revenue = revenueOf(row.properties);
      if (revenue === null) out.conversionsWithoutRevenue += 1;
      const window = pending.filter((touch) => touch.tsMs > row.tsMs - lookbackMs);
      if (window.length === 0) out.conversionsWithoutTouches += 1;
      else out.paths.push(pathOf(window, 1, revenue ?? 0, row.tsMs));
      pending = [];
      continue;
    }
    const touch = classifyTouch(row);
    if (touch === null) continue;
    if (options.groupBy === 'campaign' && touch.campaign !== null)
      touch.channel = campaignKey(touch.channel, touch.campaign);
    // A direct visit soon after another touch is the same session, not a new touch.
    const previous = pending[pending.length - 1];
    if (touch.channel === 'direct' && previous && row.tsMs - previous.tsMs < SESSION_MS) continue;
    const timed = { ...touch, tsMs: row.tsMs };
    // Every touch counts for reach (a send too); only the chosen kinds make paths.
    const list = out.touchesByPerson.get(row.person) ?? [];
    list.push(timed);
    out.touchesByPerson.set(row.person, list);
    if (kinds.has(touch.kind)) pending.push(timed);
  }
  if (person !== null) closeNulls();
  return out;
}

/** How a channel's campaign is named when attribution is per campaign. */
export function campaignKey(channel: string, campaign: string): string {
  return campaign === '' ? channel : `${channel} / ${campaign}`;
}

/** 30 minutes: Google Analytics' session timeout. */
export const SESSION_MS = 30 * 60_000;

function pathOf(
  touches: readonly TimedTouch[],
  conversions: number,
  value: number,
  atMs: number,
): AttributionPath {
  return {
    channels: touches.map((touch) => touch.channel),
    conversions,
    nulls: conversions === 0 ? 1 : 0,
    value,
    ages: touches.map((touch) => (atMs - touch.tsMs) / DAY_MS),
  };
}
