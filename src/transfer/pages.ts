// Pure pieces of the export endpoints: the paged event query in each engine's SQL, and the
// NDJSON lines for events and profiles.
import type { IdentityRow, ProfileRow, StateStore } from '../store/index.ts';

export interface EventFilters {
  from: string | undefined;
  to: string | undefined;
  name: string | undefined;
  type: string | undefined;
}

/**
 * Keyset paging by seq over the event store's `events` table. The embedded event store is
 * DuckDB (paired with SQLite state), whose TIMESTAMP column holds UTC: compare with a UTC
 * TIMESTAMP, never through TIMESTAMPTZ and the machine's zone. PostgreSQL stores timestamptz.
 */
export function eventPageQuery(
  stateEngine: StateStore['engine'],
  filters: EventFilters,
  afterSeq: number,
  limit: number,
): { sql: string; params: unknown[] } {
  const timeType = stateEngine === 'postgres' ? 'timestamptz' : 'TIMESTAMP';
  const params: unknown[] = [afterSeq];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = ['seq > $1'];
  if (filters.type) where.push(`type = ${bind(filters.type)}`);
  if (filters.name) where.push(`name = ${bind(filters.name)}`);
  if (filters.from) where.push(`timestamp >= CAST(${bind(filters.from)} AS ${timeType})`);
  if (filters.to) where.push(`timestamp < CAST(${bind(filters.to)} AS ${timeType})`);
  const sql = `SELECT seq, profile_id, CAST(message AS VARCHAR) AS message FROM events
    WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ${Math.max(1, Math.floor(limit))}`;
  return { sql, params };
}

/** The stored message with its profile under context.rapport, Rapport's own namespace. */
export function eventLine(row: Record<string, unknown>): string {
  const message = JSON.parse(String(row.message)) as Record<string, unknown>;
  const context = (message.context ?? {}) as Record<string, unknown>;
  const rapport = (context.rapport ?? {}) as Record<string, unknown>;
  message.context = { ...context, rapport: { ...rapport, profileId: row.profile_id } };
  return `${JSON.stringify(message)}\n`;
}

export function profileLines(profiles: ProfileRow[], identities: IdentityRow[]): string {
  const byProfile = new Map<string, Record<string, string[]>>();
  for (const identity of identities) {
    const kinds = byProfile.get(identity.profileId) ?? {};
    const values = kinds[identity.kind] ?? [];
    values.push(identity.value);
    kinds[identity.kind] = values;
    byProfile.set(identity.profileId, kinds);
  }
  let text = '';
  for (const profile of profiles) {
    const traits: Record<string, unknown> = {};
    for (const [name, trait] of Object.entries(profile.traits)) traits[name] = trait.value;
    const line = {
      profileId: profile.profileId,
      createdAt: profile.createdAt,
      firstSeen: profile.firstSeen,
      lastSeen: profile.lastSeen,
      eventCount: profile.eventCount,
      identities: byProfile.get(profile.profileId) ?? {},
      traits,
    };
    text += `${JSON.stringify(line)}\n`;
  }
  return text;
}
