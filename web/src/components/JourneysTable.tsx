import { api, type Journey, type JourneyStats } from '../api.ts';
import { num } from '../format.ts';
import { Link } from '../router.tsx';

export interface JourneyWithStats {
  journey: Journey;
  /** null when the journey's stats could not be read: the row still lists the journey. */
  stats: JourneyStats | null;
}

/** The journeys (the first `limit` of them, when given) with each one's stats: two calls in all. */
export async function loadJourneysWithStats(limit?: number): Promise<JourneyWithStats[]> {
  const [journeys, stats] = await Promise.all([api.journeys(), api.allJourneyStats()]);
  const byId = new Map(stats.map((s) => [s.journeyId, s]));
  return journeys.slice(0, limit).map((journey) => ({ journey, stats: byId.get(journey.journeyId) ?? null }));
}

/**
 * One row a journey: its name (a link to it), status and how many people entered, are active
 * and converted; `detailed` adds its version and how many completed it.
 */
export function JourneysTable(props: { rows: JourneyWithStats[]; detailed?: boolean }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Journey</th>
            <th>Status</th>
            {props.detailed ? <th>Version</th> : null}
            <th className="num">Entered</th>
            <th className="num">Active</th>
            <th className="num">Converted</th>
            {props.detailed ? <th className="num">Completed</th> : null}
          </tr>
        </thead>
        <tbody>
          {props.rows.map(({ journey, stats }) => (
            <tr key={journey.journeyId}>
              <td>
                <Link href={`/journeys/${encodeURIComponent(journey.journeyId)}`}>
                  {journey.definition.name ?? journey.journeyId}
                </Link>
              </td>
              <td>
                <span className={`badge ${journey.status}`}>{journey.status}</span>
              </td>
              {props.detailed ? <td>{journey.version}</td> : null}
              <td className="num">{num(stats?.entered)}</td>
              <td className="num">{num(stats?.active)}</td>
              <td className="num">{num(stats?.converted)}</td>
              {props.detailed ? <td className="num">{num(stats?.completed)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
