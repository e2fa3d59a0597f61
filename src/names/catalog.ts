// What the dashboard's pickers offer: names seen in the data with how often and when last,
// and the names the configuration defines (segments, lifecycle stages, consent purposes,
// channels). Reads only; nothing here is stored.
import { EVENT_NAMES_SQL, NAMES_DIALECTS, propertyNamesSql, traitNamesSql } from './sql.ts';

export interface SeenName {
  name: string;
  count: number;
  lastSeen: string | null;
}

export interface NameCatalog {
  events: Array<SeenName & { properties: SeenName[] }>;
  traits: SeenName[];
  segments: Array<{ id: string; name: string }>;
  stages: string[];
  purposes: string[];
  channels: string[];
}

export interface NameSources {
  engine: 'duckdb' | 'postgres';
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  segments(): Promise<Array<{ id: string; name: string }>>;
  /** The stage ids of the lifecycle funnel, in order; empty when it is not switched on. */
  stages(): Promise<string[]>;
  purposes(): string[];
  channels(): string[];
}

function seen(row: Record<string, unknown>, key = 'name'): SeenName {
  const last = row.last_seen;
  return {
    name: String(row[key]),
    count: Number(row.n),
    lastSeen: last === null || last === undefined ? null : new Date(String(last)).toISOString(),
  };
}

/** Pure: puts each event's property rows under it, most frequent first. */
export function assembleEvents(
  eventRows: Array<Record<string, unknown>>,
  propertyRows: Array<Record<string, unknown>>,
): NameCatalog['events'] {
  const properties = new Map<string, SeenName[]>();
  for (const row of propertyRows) {
    const name = String(row.name);
    properties.set(name, [...(properties.get(name) ?? []), seen(row, 'property')]);
  }
  return eventRows.map((row) => ({ ...seen(row), properties: properties.get(String(row.name)) ?? [] }));
}

export async function nameCatalog(sources: NameSources): Promise<NameCatalog> {
  const dialect = NAMES_DIALECTS[sources.engine];
  const [eventRows, propertyRows, traitRows, segments, stages] = await Promise.all([
    sources.query(EVENT_NAMES_SQL),
    sources.query(propertyNamesSql(dialect)),
    sources.query(traitNamesSql(dialect)),
    sources.segments(),
    sources.stages(),
  ]);
  return {
    events: assembleEvents(eventRows, propertyRows),
    traits: traitRows.map((row) => seen(row)),
    segments,
    stages,
    purposes: sources.purposes(),
    channels: sources.channels(),
  };
}

/** The stage ids of the lifecycle funnel (the one `stage` rules read), in order. */
export function lifecycleStageIds(funnels: ReadonlyArray<{ id: string; definition: unknown }>): string[] {
  const lifecycle = funnels.find((funnel) => funnel.id === 'lifecycle');
  const stages = (lifecycle?.definition as { stages?: Array<{ id?: unknown }> } | undefined)?.stages ?? [];
  return stages.map((stage) => stage.id).filter((id): id is string => typeof id === 'string');
}

/**
 * The catalogue counts every event, so at scale it costs a scan (docs/performance.md,
 * "Dashboard at scale"): one answer serves every picker for `freshMs`, and callers that ask
 * while it is being counted share the one count.
 */
export function cachedNameCatalog(
  sources: NameSources,
  freshMs: number,
  now: () => number = Date.now,
): () => Promise<NameCatalog> {
  let cached: { at: number; catalog: Promise<NameCatalog> } | undefined;
  return () => {
    if (cached && now() - cached.at < freshMs) return cached.catalog;
    const catalog = nameCatalog(sources);
    const entry = { at: now(), catalog };
    cached = entry;
    catalog.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return catalog;
  };
}
