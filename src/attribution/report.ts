// The attribution report over Rapport's own data: read the touchpoints (one query), build the
// paths, run every model. The report carries the query it ran so each number can be traced.
import type { EventReader } from '../store/index.ts';
import { runModel } from './models.ts';
import { DEFAULT_KINDS, pathsFromEvents, type TouchRow } from './touchpoints.ts';
import { toTouchRow, touchpointsQuery } from './touchpoints-sql.ts';
import { type ChannelCredit, MODEL_NAMES, type ModelName } from './types.ts';

export interface ReportInput {
  engine: 'duckdb' | 'postgres';
  events: Pick<EventReader, 'query'>;
  profileMap: Map<string, string>;
  people?: readonly string[] | undefined;
  startMs: number;
  endMs: number;
  conversionEvent: string;
  lookbackDays: number;
  order: number;
  withNulls: boolean;
  halfLifeDays: number;
  groupBy?: 'channel' | 'campaign';
  /** The models to run (default every one); a model left out has no entry in `models`. */
  models?: readonly ModelName[];
}

/** What the touchpoints query read, and its SQL. */
export interface TouchRead {
  rows: TouchRow[];
  query: string;
}

export interface ChannelReach {
  channel: string;
  /** People with at least one touch of the channel in the range (lookback included). */
  reach: number;
  touches: number;
  /** People who opened, clicked or visited through the channel. */
  engaged: number;
  /** Rapport's own sends of the channel (Email Sent, Webhook Delivered). */
  sends: number;
}

export interface AttributionReport {
  people: number;
  conversions: number;
  value: number;
  conversionsWithoutRevenue: number;
  conversionsWithoutTouches: number;
  paths: number;
  channels: ChannelReach[];
  models: Record<ModelName, Record<string, ChannelCredit>>;
  /** The SQL that read the touchpoints (parameters: the merge map, names, range). */
  query: string;
}

const DAY_MS = 86_400_000;

export async function attributionReport(input: ReportInput): Promise<AttributionReport> {
  return reportFromRows(await readTouches(touchQueryOf(input), input.events), input);
}

/** The touchpoints query a report over `input` reads (the range widened by the lookback). */
export function touchQueryOf(input: Omit<ReportInput, 'events'>): { text: string; params: unknown[] } {
  return touchpointsQuery({
    engine: input.engine,
    startMs: input.startMs - input.lookbackDays * DAY_MS,
    endMs: input.endMs,
    conversionEvent: input.conversionEvent,
    profileMap: input.profileMap,
    people: input.people,
  });
}

export async function readTouches(
  query: { text: string; params: unknown[] },
  events: Pick<EventReader, 'query'>,
): Promise<TouchRead> {
  return { rows: (await events.query(query.text, query.params)).map(toTouchRow), query: query.text };
}

/**
 * The report from the rows a touchpoints query read: reports grouped differently, or asking
 * other models, over the same query share one read (the rows are not changed).
 */
export function reportFromRows(read: TouchRead, input: Omit<ReportInput, 'events'>): AttributionReport {
  const { rows, query } = read;
  const built = pathsFromEvents(rows, {
    conversionEvent: input.conversionEvent,
    lookbackDays: input.lookbackDays,
    startMs: input.startMs,
    endMs: input.endMs,
    kinds: DEFAULT_KINDS,
    groupBy: input.groupBy ?? 'channel',
  });
  const models = {} as Record<ModelName, Record<string, ChannelCredit>>;
  for (const model of input.models ?? MODEL_NAMES) {
    models[model] =
      built.paths.length === 0
        ? {}
        : runModel(model, built.paths, {
            order: input.order,
            withNulls: input.withNulls,
            halfLife: input.halfLifeDays,
          }).channels;
  }
  return {
    people: built.people,
    conversions: built.conversions,
    value: built.paths.reduce((sum, path) => sum + path.value, 0),
    conversionsWithoutRevenue: built.conversionsWithoutRevenue,
    conversionsWithoutTouches: built.conversionsWithoutTouches,
    paths: built.paths.length,
    channels: reachByChannel(built.touchesByPerson),
    models,
    query,
  };
}

function reachByChannel(touchesByPerson: Map<string, { channel: string; kind: string }[]>): ChannelReach[] {
  const byChannel = new Map<string, ChannelReach>();
  for (const touches of touchesByPerson.values()) {
    const reached = new Set<string>();
    const engaged = new Set<string>();
    for (const touch of touches) {
      const entry = byChannel.get(touch.channel) ?? {
        channel: touch.channel,
        reach: 0,
        touches: 0,
        engaged: 0,
        sends: 0,
      };
      entry.touches += 1;
      if (touch.kind === 'send') entry.sends += 1;
      byChannel.set(touch.channel, entry);
      reached.add(touch.channel);
      if (touch.kind !== 'send' && touch.kind !== 'view') engaged.add(touch.channel);
    }
    for (const channel of reached) byChannel.get(channel)!.reach += 1;
    for (const channel of engaged) byChannel.get(channel)!.engaged += 1;
  }
  return [...byChannel.values()].sort((a, b) => b.reach - a.reach || a.channel.localeCompare(b.channel));
}
