// What a persona's people do, beyond the features they were clustered on: their typical journey
// (the most common order of their first three kinds of tracked event) and their preferred channel
// (where most of their engagement happens: web pages, email opens and clicks, push, SMS). SQL
// written once for DuckDB and PostgreSQL; the counting is pure.

export const FIRSTS_SQL = `SELECT profile_id, name, min(extract(epoch FROM timestamp)) AS first_at
  FROM events WHERE type = 'track' GROUP BY profile_id, name`;

export const CHANNELS_SQL = `SELECT profile_id, channel, count(*) AS n FROM (
    SELECT profile_id, CASE WHEN type = 'page' THEN 'web'
      WHEN name IN ('Email Opened', 'Email Link Clicked') THEN 'email'
      WHEN name LIKE 'Push Notification%' THEN 'push'
      WHEN (properties->>'channel') = 'sms' THEN 'sms' END AS channel
    FROM events) engaged
  WHERE channel IS NOT NULL GROUP BY profile_id, channel`;

export interface PersonaBehaviour {
  typicalJourney?: { steps: string[]; share: number };
  preferredChannel?: { channel: string; share: number };
}

const JOURNEY_STEPS = 3;

/** Per persona id: its typical journey and preferred channel, from the rows of the two queries. */
export function personaBehaviour(
  personaOf: ReadonlyMap<string, string>,
  firsts: ReadonlyArray<Record<string, unknown>>,
  channels: ReadonlyArray<Record<string, unknown>>,
  owner: (profileId: string) => string = (id) => id,
): Map<string, PersonaBehaviour> {
  const steps = new Map<string, Array<{ name: string; at: number }>>();
  for (const row of firsts) {
    const id = owner(String(row.profile_id));
    if (!personaOf.has(id)) continue;
    const list = steps.get(id) ?? [];
    list.push({ name: String(row.name), at: Number(row.first_at) });
    steps.set(id, list);
  }
  const journeys = new Map<string, Map<string, number>>();
  for (const [id, list] of steps) {
    const names = [...new Map(list.sort((a, b) => a.at - b.at).map((s) => [s.name, s])).keys()];
    const key = JSON.stringify(names.slice(0, JOURNEY_STEPS));
    const persona = personaOf.get(id)!;
    const counts = journeys.get(persona) ?? new Map<string, number>();
    counts.set(key, (counts.get(key) ?? 0) + 1);
    journeys.set(persona, counts);
  }
  const engagement = new Map<string, Map<string, number>>();
  for (const row of channels) {
    const persona = personaOf.get(owner(String(row.profile_id)));
    if (!persona) continue;
    const counts = engagement.get(persona) ?? new Map<string, number>();
    counts.set(String(row.channel), (counts.get(String(row.channel)) ?? 0) + Number(row.n));
    engagement.set(persona, counts);
  }
  const out = new Map<string, PersonaBehaviour>();
  for (const persona of new Set(personaOf.values())) {
    const behaviour: PersonaBehaviour = {};
    const top = (counts: Map<string, number> | undefined) =>
      counts ? [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] : undefined;
    const total = (counts: Map<string, number>) => [...counts.values()].reduce((s, n) => s + n, 0);
    const journey = top(journeys.get(persona));
    if (journey)
      behaviour.typicalJourney = {
        steps: JSON.parse(journey[0]) as string[],
        share: journey[1] / total(journeys.get(persona)!),
      };
    const channel = top(engagement.get(persona));
    if (channel)
      behaviour.preferredChannel = {
        channel: channel[0],
        share: channel[1] / total(engagement.get(persona)!),
      };
    out.set(persona, behaviour);
  }
  return out;
}
