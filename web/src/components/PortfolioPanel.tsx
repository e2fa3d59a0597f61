// The budget as a portfolio (docs/attribution.md): fit response curves on the spend history,
// show each channel's curve with its band, marginal ROI and the suggested split of a budget.
// Fitting takes seconds, so it runs when asked, not on every change.
import { type FormEvent, lazy, Suspense, useState } from 'react';
import { money } from '../format.ts';
import { measureApi, type PortfolioAnswer } from '../measure-api.ts';
import { DateRangeFields, useDayRange } from './DateRangeFields.tsx';
import { ErrorNote, Loading } from './ui.tsx';

const Chart = lazy(() => import('./Chart.tsx'));

function CurvesChart(props: { answer: PortfolioAnswer }) {
  const series = props.answer.curves.flatMap((curve) => [
    {
      name: curve.channel,
      type: 'line',
      showSymbol: false,
      data: curve.points.map((point) => [point.spend, point.revenue]),
    },
    {
      name: `${curve.channel} 5-95%`,
      type: 'line',
      showSymbol: false,
      lineStyle: { type: 'dashed', width: 1 },
      data: curve.points.map((point) => [point.spend, point.high]),
    },
  ]);
  const label = props.answer.curves
    .map(
      (curve) =>
        `${curve.channel}: weekly revenue ${money(curve.points[10]?.revenue)} at ${money(curve.points[10]?.spend)} a week`,
    )
    .join('; ');
  return (
    <Suspense fallback={<Loading what="the curves" />}>
      <Chart
        label={`Response curves, weekly revenue against weekly spend. ${label}`}
        height={280}
        option={{
          tooltip: { trigger: 'axis' },
          legend: {},
          xAxis: { type: 'value', name: 'weekly spend' },
          yAxis: { type: 'value', name: 'weekly revenue' },
          series,
        }}
      />
    </Suspense>
  );
}

export function PortfolioPanel() {
  const range = useDayRange(364);
  const [budget, setBudget] = useState('');
  const [answer, setAnswer] = useState<PortfolioAnswer>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const weekly = budget.trim() === '' ? undefined : Number(budget);
      setAnswer(
        await measureApi.portfolio({
          from: range.from,
          to: range.to,
          ...(weekly === undefined ? {} : { budget: weekly }),
        }),
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  const plan = answer?.plan;
  return (
    <>
      <form className="row" onSubmit={submit} aria-label="Fit the portfolio">
        <DateRangeFields idPrefix="portfolio" range={range} />
        <div>
          <label htmlFor="portfolio-budget">Weekly budget (empty: the current total)</label>
          <input
            id="portfolio-budget"
            type="number"
            min="0"
            step="any"
            value={budget}
            onChange={(e) => setBudget(e.target.value)}
          />
        </div>
        <div>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Fitting…' : 'Fit curves and suggest a split'}
          </button>
        </div>
      </form>
      {error ? <ErrorNote error={error} /> : null}
      {busy ? <Loading what="the fit (it takes a few seconds)" /> : null}
      {answer && plan ? (
        <>
          <p className="small" id="portfolio-summary">
            {answer.weeks} weeks, the fit explains {(answer.rSquared * 100).toFixed(0)}% of weekly revenue.
            Splitting {money(plan.budget)} a week as suggested: expected gain {money(plan.expectedGain)} a
            week (5-95%: {money(plan.gainInterval[0])} to {money(plan.gainInterval[1])}).
          </p>
          <div className="table-wrap">
            <table id="portfolio-plan">
              <thead>
                <tr>
                  <th scope="col">Channel</th>
                  <th scope="col">Current weekly spend</th>
                  <th scope="col">Suggested</th>
                  <th scope="col">Marginal ROI</th>
                  <th scope="col">5-95%</th>
                  <th scope="col">Carry-over</th>
                </tr>
              </thead>
              <tbody>
                {plan.channels.map((row) => (
                  <tr key={row.channel} data-channel={row.channel}>
                    <th scope="row">{row.channel}</th>
                    <td>{money(row.currentSpend)}</td>
                    <td>{money(row.suggestedSpend)}</td>
                    <td>{row.marginalRoi.toFixed(2)}</td>
                    <td>
                      {row.marginalRoiInterval[0].toFixed(2)} to {row.marginalRoiInterval[1].toFixed(2)}
                    </td>
                    <td>
                      {(answer.curves.find((curve) => curve.channel === row.channel)?.decay ?? 0).toFixed(2)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <CurvesChart answer={answer} />
          <p className="small muted">
            From{' '}
            <code>
              GET /api/attribution/portfolio?from={answer.from}&amp;to={answer.to}
            </code>
            : weekly revenue by <code>{answer.query.split('\n')[0]}…</code>, weekly spend by{' '}
            <code>{answer.spendQuery}</code>. A marginal ROI above 1 earns more than it costs.
          </p>
        </>
      ) : null}
    </>
  );
}
