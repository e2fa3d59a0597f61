import { lazy, Suspense, useState } from 'react';
import { Can } from '../access.tsx';
import { ApiError, api, type ChurnModel, type Renewals } from '../api.ts';
import { PersonLink } from '../components/PersonLink.tsx';
import { Card, Empty, ErrorNote, Loading, PageHeader } from '../components/ui.tsx';
import { DistributionPanel, ScatterPanel, ValidationPanel } from '../components/ValueCharts.tsx';
import { money, num, pct, when } from '../format.ts';
import { useApi } from '../hooks.ts';

const Chart = lazy(() => import('../components/Chart.tsx'));

function RenewalChart(props: { renewals: Renewals }) {
  const months = props.renewals.months;
  return (
    <Suspense fallback={<Loading what="the chart" />}>
      <Chart
        label={`Revenue up for renewal per month: ${months.map((m) => `${m.month} ${money(m.revenue)}`).join(', ')}`}
        height={240}
        option={{
          grid: { left: 60, right: 20, top: 30, bottom: 30 },
          legend: { top: 0 },
          tooltip: { trigger: 'axis' },
          xAxis: { type: 'category', data: months.map((m) => m.month) },
          yAxis: { type: 'value' },
          series: [
            {
              name: 'Revenue safe',
              type: 'bar',
              stack: 'r',
              data: months.map((m) => m.revenue - m.revenueAtRisk - m.revenueRiskUnknown),
              itemStyle: { color: '#2563eb' },
            },
            {
              name: 'At risk of churn',
              type: 'bar',
              stack: 'r',
              data: months.map((m) => m.revenueAtRisk),
              itemStyle: { color: '#dc2626' },
            },
            {
              name: 'Risk unknown',
              type: 'bar',
              stack: 'r',
              data: months.map((m) => m.revenueRiskUnknown),
              itemStyle: { color: '#9ca3af' },
            },
          ],
        }}
      />
    </Suspense>
  );
}

/** Whether the churn risks on this page are predictions, and how well they rank (held-out AUC). */
function ChurnModelNote(props: { model: ChurnModel }) {
  const { model } = props;
  if (!model.fitted) {
    return (
      <p data-testid="churn-model">
        <strong>Subscriber churn risk: not enough data.</strong>{' '}
        <span className="small muted">{model.note}</span>
      </p>
    );
  }
  return (
    <p data-testid="churn-model">
      Subscriber churn model: held-out AUC{' '}
      <strong>{model.heldOutAuc === null ? 'unknown' : model.heldOutAuc.toFixed(2)}</strong>{' '}
      <span className="small muted">
        (on {num(model.heldOut)} of {num(model.examples)} subscribers it did not learn from; 0.5 is a coin
        toss, 1 ranks every canceller above every stayer)
      </span>
    </p>
  );
}

function RenewalSummary(props: { renewals: Renewals }) {
  const { totalRevenue, totalAtRisk, totalRiskUnknown } = props.renewals;
  if (totalRiskUnknown >= totalRevenue) {
    return <p>{money(totalRevenue)} up for renewal; the part at risk is not known (not enough data).</p>;
  }
  return (
    <p>
      {money(totalRevenue)} up for renewal, {money(totalAtRisk)} of it at risk
      {totalRiskUnknown > 0 ? `, risk unknown for ${money(totalRiskUnknown)} (not enough data)` : ''}.
    </p>
  );
}

/** A value route's refusal: a 404 means no refresh has run yet, said in words; others as they are. */
function ValueError(props: { error: unknown }) {
  if (!props.error) return null;
  if (props.error instanceof ApiError && props.error.status === 404)
    return (
      <p className="muted">
        No value scores yet: press “Recompute now” above to compute every customer’s CLV, P(alive) and value
        score from their purchases.
      </p>
    );
  return <ErrorNote error={props.error} />;
}

export default function Value() {
  const [order, setOrder] = useState<'top' | 'bottom'>('top');
  const ranking = useApi(() => api.ranking(order, 15), [order]);
  const renewals = useApi(() => api.renewals(12), []);
  const budget = useApi(() => api.budget(1000, 20), []);
  const churn = useApi(() => api.churnModel(), []);
  const [refreshing, setRefreshing] = useState(false);
  // Bumped after a refresh: the chart panels fetch again.
  const [version, setVersion] = useState(0);
  const [refreshError, setRefreshError] = useState<unknown>();
  async function refresh() {
    setRefreshing(true);
    setRefreshError(undefined);
    try {
      await api.refreshValue();
      ranking.reload();
      renewals.reload();
      budget.reload();
      churn.reload();
      setVersion((n) => n + 1);
    } catch (e) {
      setRefreshError(e);
    } finally {
      setRefreshing(false);
    }
  }
  return (
    <>
      <PageHeader title="Value">
        <Can needs="marketing:write">
          <button type="button" onClick={refresh} disabled={refreshing}>
            {refreshing ? 'Recomputing…' : 'Recompute now'}
          </button>
        </Can>
      </PageHeader>
      {refreshError ? <ErrorNote error={refreshError} /> : null}
      <div className="grid">
        <Card title="Ranking, with why" id="ranking" wide>
          <label htmlFor="ranking-order">Show</label>
          <select
            id="ranking-order"
            value={order}
            onChange={(e) => setOrder(e.target.value as 'top' | 'bottom')}
          >
            <option value="top">most valuable</option>
            <option value="bottom">least valuable</option>
          </select>
          <ValueError error={ranking.error} />
          {ranking.data && ranking.data.items.length === 0 ? (
            <Empty title="No value scores yet">
              <p>
                They are computed from purchases and activity. Press “Recompute now”, or wait for the
                scheduled refresh.
              </p>
            </Empty>
          ) : null}
          {ranking.data && ranking.data.items.length > 0 ? (
            <>
              <p className="small muted">
                {num(ranking.data.customers)} customers scored at {when(ranking.data.computedAt)}
              </p>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th className="num">Rank</th>
                      <th>Person</th>
                      <th className="num">Score</th>
                      <th className="num">CLV</th>
                      <th className="num">Churn risk</th>
                      <th>Why</th>
                    </tr>
                  </thead>
                  <tbody>
                    {ranking.data.items.map((r) => (
                      <tr key={r.profileId}>
                        <td className="num">{num(r.rank)}</td>
                        <td className="small">
                          <PersonLink profileId={r.profileId} />
                        </td>
                        <td className="num">{r.score.toFixed(1)}</td>
                        <td className="num">{money(r.clv)}</td>
                        <td className="num">{pct(r.churnRisk, 0)}</td>
                        <td className="small">{r.explanation}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          ) : null}
        </Card>
        <Card title="Renewal calendar" id="renewals">
          <ValueError error={renewals.error} />
          {renewals.data && renewals.data.months.length === 0 ? (
            <p className="muted">No subscriptions up for renewal.</p>
          ) : null}
          {renewals.data && renewals.data.months.length > 0 ? (
            <>
              <RenewalSummary renewals={renewals.data} />
              <RenewalChart renewals={renewals.data} />
            </>
          ) : null}
        </Card>
        <Card title="Churn risk: who to keep first" id="churn">
          {churn.data ? <ChurnModelNote model={churn.data} /> : null}
          <p className="small muted">
            A retention budget of 1,000 at 20 a customer, spent on what can still be saved: value × P(still a
            customer) × chance of leaving × the share an action keeps
            {budget.data
              ? ` (${pct(budget.data.effect, 0)}, ${budget.data.effectSource === 'prior' ? 'an assumption until a holdout measures it' : 'measured'})`
              : ''}
            .
          </p>
          <ValueError error={budget.error} />
          {budget.data && budget.data.chosen.length === 0 ? (
            <p className="muted">Nobody with value that can still be saved.</p>
          ) : null}
          {budget.data && budget.data.chosen.length > 0 ? (
            <table>
              <thead>
                <tr>
                  <th>Person</th>
                  <th className="num">Value</th>
                  <th className="num">P(alive)</th>
                  <th className="num">Churn risk</th>
                  <th className="num">Can be saved</th>
                </tr>
              </thead>
              <tbody>
                {budget.data.chosen.slice(0, 12).map((c) => (
                  <tr key={c.profileId}>
                    <td className="small">
                      <PersonLink profileId={c.profileId} />
                    </td>
                    <td className="num">{money(c.value)}</td>
                    <td className="num">{pct(c.pAlive, 0)}</td>
                    <td className="num">{pct(c.churnRisk, 0)}</td>
                    <td className="num">{c.savable.toFixed(4)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Card>
        <Card title="CLV distribution" id="clv">
          <DistributionPanel version={version} />
        </Card>
        <Card title="P(alive) versus value" id="alive">
          <ScatterPanel version={version} />
        </Card>
        <Card title="Model validation: predicted versus actual" id="validation">
          <ValidationPanel version={version} />
        </Card>
      </div>
    </>
  );
}
