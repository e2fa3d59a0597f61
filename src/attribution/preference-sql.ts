// The queries behind the channel-preference report (docs/attribution.md, "Is this the medium
// they prefer?"), on DuckDB and PostgreSQL alike: per person and channel the sends, engaged
// sends and clicked sends (the best-channel counting of src/channels: distinct sends, the
// channel from the event's `channel` property or its name), each person's stated preference
// (the latest `preferred_channel` trait of an identify) and who converted. Merges followed.
import { CHANNEL_OF_EVENT, ENGAGED_EVENTS, SEND_OF_EVENT, SENT_EVENTS } from '../channels/index.ts';
import { timeRangeSql } from '../store/index.ts';
import { peopleFilter, profileMapSql } from './touchpoints-sql.ts';

/** Engagements that are a click (or a reply), not only an open. */
export const CLICK_EVENTS: readonly string[] = ['Email Link Clicked', 'Message Clicked', 'Message Replied'];

/** The trait a person's stated channel preference is read from. */
export const STATED_PREFERENCE_TRAIT = 'preferred_channel';

export interface PreferenceQueryInput {
  engine: 'duckdb' | 'postgres';
  startMs: number;
  endMs: number;
  conversionEvent: string;
  profileMap: Map<string, string>;
  people?: readonly string[] | undefined;
}

export interface PreferenceQueries {
  deliveries: { text: string; params: unknown[] };
  stated: { text: string; params: unknown[] };
  /** Sends and engaged sends per channel over everyone in the range: the prior's rates. */
  rates: { text: string; params: unknown[] };
  converted: { text: string; params: unknown[] };
}

function builder(input: PreferenceQueryInput) {
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const map = profileMapSql(input.engine, bind(JSON.stringify([...input.profileMap])));
  const start = bind(input.startMs / 1000);
  const end = bind(input.endMs / 1000);
  const people = peopleFilter(input.engine, input.people, bind);
  const from = `WITH profile_map AS (${map})`;
  const where = `${timeRangeSql(input.engine, 'e.timestamp', start, end)} ${people}`;
  return { params, bind, from, where };
}

const PERSON = 'coalesce(m.canonical_id, e.profile_id)';
const JOIN = 'FROM events e LEFT JOIN profile_map m ON m.profile_id = e.profile_id';

/** Distinct sends, engaged sends and clicked sends, grouped by `groupBy`. */
function countsQuery(input: PreferenceQueryInput, groupBy: string): { text: string; params: unknown[] } {
  const query = builder(input);
  const list = (names: readonly string[]) => names.map((name) => query.bind(name)).join(', ');
  const all = list([...SENT_EVENTS, ...ENGAGED_EVENTS]);
  const engaged = list(ENGAGED_EVENTS);
  const clicks = list(CLICK_EVENTS);
  const text = `${query.from}
SELECT ${groupBy}, count(DISTINCT send) AS sent,
       count(DISTINCT CASE WHEN name IN (${engaged}) THEN send END) AS engaged,
       count(DISTINCT CASE WHEN name IN (${clicks}) THEN send END) AS clicked
FROM (SELECT ${PERSON} AS person, ${CHANNEL_OF_EVENT} AS channel, ${SEND_OF_EVENT} AS send, e.name AS name
      ${JOIN}
      WHERE e.type = 'track' AND e.name IN (${all}) AND ${query.where}) d
WHERE channel IS NOT NULL
GROUP BY ${groupBy}
ORDER BY ${groupBy}`;
  return { text, params: query.params };
}

export function preferenceQueries(input: PreferenceQueryInput): PreferenceQueries {
  const deliveries = countsQuery(input, 'person, channel');
  const rates = countsQuery({ ...input, people: undefined }, 'channel');

  // A preference stated at any time before the range's end counts; the latest one wins.
  const stated = builder({ ...input, startMs: 0 });
  const trait =
    input.engine === 'duckdb'
      ? `json_extract_string(e.message, '$.traits.${STATED_PREFERENCE_TRAIT}')`
      : `e.message->'traits'->>'${STATED_PREFERENCE_TRAIT}'`;
  const statedText = `${stated.from}
SELECT ${PERSON} AS person, lower(${trait}) AS channel
${JOIN}
WHERE e.type = 'identify' AND ${trait} IS NOT NULL AND ${stated.where}
ORDER BY person, e.timestamp, e.seq`;

  const converted = builder(input);
  const convertedText = `${converted.from}
SELECT DISTINCT ${PERSON} AS person
${JOIN}
WHERE e.type = 'track' AND e.name = ${converted.bind(input.conversionEvent)} AND ${converted.where}`;

  return {
    deliveries,
    rates,
    stated: { text: statedText, params: stated.params },
    converted: { text: convertedText, params: converted.params },
  };
}
