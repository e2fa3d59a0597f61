import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { num, pct } from '../format.ts';
import { useApi } from '../hooks.ts';
import { DateRangeFields, useDayRange } from './DateRangeFields.tsx';
import { Card, Empty, LoadStatus } from './ui.tsx';

/** Per offer: impressions, clicks, CTR and conversions (a click followed by the goal event). */
export function PlacementStatsPanel() {
  const range = useDayRange(30);
  const { from, to } = range;
  const [goalText, setGoalText] = useState('Order Completed');
  const [goal, setGoal] = useState('Order Completed');
  const [windowDays, setWindowDays] = useState(7);
  const stats = useApi(
    () => api.placementStats({ from, to, ...(goal ? { goal, window: windowDays } : {}) }),
    [from, to, goal, windowDays],
  );
  const data = stats.data;
  const seen = data?.offers.some((offer) => offer.impressions > 0) ?? false;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setGoal(goalText.trim());
  };
  return (
    <Card title="Impressions, clicks, conversion" id="results" wide>
      <form className="row" onSubmit={submit}>
        <DateRangeFields idPrefix="pstats" range={range} />
        <div>
          <label htmlFor="pstats-goal">Goal event (conversion)</label>
          <input id="pstats-goal" value={goalText} onChange={(e) => setGoalText(e.target.value)} />
        </div>
        <div>
          <label htmlFor="pstats-window">Within days of the click</label>
          <input
            id="pstats-window"
            type="number"
            min={1}
            max={90}
            value={windowDays}
            onChange={(e) => setWindowDays(Math.min(90, Math.max(1, Number(e.target.value) || 1)))}
          />
        </div>
        <div>
          <button type="submit">Apply goal</button>
        </div>
      </form>
      <LoadStatus state={stats} />
      {data && !seen ? (
        <Empty title={`No offer was shown from ${data.from} to ${data.to}`}>
          <p>
            Impressions are counted from <code>/v1/decide</code> answers with an offer; try a decision below,
            or call it from your pages with a write key.
          </p>
        </Empty>
      ) : null}
      {data && data.offers.length > 0 ? (
        <div className="table-wrap">
          <table id="placement-stats">
            <caption className="small">
              {data.from} to {data.to} (UTC).{' '}
              {data.goal
                ? `A conversion is a person who clicked the offer and then did “${data.goal.event}” within ${data.goal.windowDays} days of their first click.`
                : 'Give a goal event to count conversions.'}
            </caption>
            <thead>
              <tr>
                <th>Placement</th>
                <th>Offer</th>
                <th className="num">Impressions</th>
                <th className="num">People</th>
                <th className="num">Clicks</th>
                <th className="num">CTR</th>
                <th className="num">Conversions</th>
                <th className="num">Of clickers</th>
              </tr>
            </thead>
            <tbody>
              {data.offers.map((offer) => (
                <tr key={`${offer.placement}/${offer.offerId}`} data-offer={offer.offerId}>
                  <td>{offer.placement}</td>
                  <td>{offer.offerId}</td>
                  <td className="num" data-metric="impressions">
                    {num(offer.impressions)}
                  </td>
                  <td className="num">{num(offer.viewers)}</td>
                  <td className="num" data-metric="clicks">
                    {num(offer.clicks)}
                  </td>
                  <td className="num">{pct(offer.ctr)}</td>
                  <td className="num" data-metric="conversions">
                    {num(offer.conversions)}
                  </td>
                  <td className="num">{pct(offer.conversionRate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Card>
  );
}
