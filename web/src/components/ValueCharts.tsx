// The Value page's three charts: the distribution of CLV (or value score, P(alive)), P(alive)
// against CLV for a server-side sample (click a point to open the person), and the model
// check (predicted versus actual holdout purchases by decile, on the diagonal when right).
// Each one asks the server for its aggregate; none downloads per-profile rows to count.
import { lazy, type ReactNode, Suspense, useState } from 'react';
import {
  ApiError,
  api,
  type ValueDistribution,
  type ValueMetric,
  type ValueScatter,
  type ValueValidation,
} from '../api.ts';
import { num, pct, when } from '../format.ts';
import { useApi } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';
import { Empty, ErrorNote, Loading } from './ui.tsx';

const Chart = lazy(() => import('./Chart.tsx'));

const METRIC_NAMES: Record<ValueMetric, string> = {
  clv: 'CLV',
  value_score: 'Value score',
  p_alive: 'P(alive)',
};

/** A number short enough for an axis label: 0.42, 3.1, 48, 1.2k. */
export function short(n: number): string {
  if (n === 0) return '0';
  const size = Math.abs(n);
  if (size >= 1000)
    return new Intl.NumberFormat('en', { notation: 'compact', maximumSignificantDigits: 2 }).format(n);
  if (size >= 10) return n.toFixed(0);
  if (size >= 1) return n.toFixed(1);
  return n.toPrecision(2);
}

/** A 404 from the value routes: no refresh has run yet, which NoValuesYet explains in words. */
const notRefreshed = (error: unknown) => error instanceof ApiError && error.status === 404;

function NoValuesYet(props: { what: string; computedAt: string | null }) {
  return (
    <Empty title={`No ${props.what} yet`}>
      {props.computedAt ? (
        <p>
          The last value refresh ({when(props.computedAt)}) gave nobody a value: CLV needs{' '}
          <code>Order Completed</code> events with a <code>revenue</code>.
        </p>
      ) : (
        <p>
          Run a value refresh: press “Recompute now” above, or run <code>rapport value refresh</code>. It
          computes every customer’s CLV, P(alive) and value score from their purchases.
        </p>
      )}
    </Empty>
  );
}

function ChartBox(props: { children: ReactNode }) {
  return <Suspense fallback={<Loading what="the chart" />}>{props.children}</Suspense>;
}

export function DistributionPanel(props: { version: number }) {
  const [metric, setMetric] = useState<ValueMetric>('clv');
  const distribution = useApi(() => api.valueDistribution(metric, 16), [metric, props.version]);
  const d = distribution.data;
  return (
    <>
      <label htmlFor="distribution-metric">Distribution of</label>
      <select
        id="distribution-metric"
        value={metric}
        onChange={(e) => setMetric(e.target.value as ValueMetric)}
      >
        <option value="clv">CLV (next 52 weeks)</option>
        <option value="value_score">value score</option>
        <option value="p_alive">P(alive)</option>
      </select>
      {distribution.error && !notRefreshed(distribution.error) ? (
        <ErrorNote error={distribution.error} />
      ) : null}
      {notRefreshed(distribution.error) ? (
        <NoValuesYet what={METRIC_NAMES[metric]} computedAt={null} />
      ) : null}
      {d && d.count === 0 ? <NoValuesYet what={METRIC_NAMES[d.metric]} computedAt={d.computedAt} /> : null}
      {d && d.count > 0 ? <DistributionChart distribution={d} /> : null}
    </>
  );
}

function DistributionChart(props: { distribution: ValueDistribution }) {
  const d = props.distribution;
  const name = METRIC_NAMES[d.metric];
  const p = d.percentiles!;
  const labels = d.bins.map((bin) =>
    bin.from === bin.to ? short(bin.from) : `${short(bin.from)}–${short(bin.to)}`,
  );
  const label =
    `${name} distribution over ${num(d.count)} customers (${d.scale === 'log' ? 'log-spaced' : 'equal'} bins): ` +
    `median ${short(p.p50)}, 10th percentile ${short(p.p10)}, 90th ${short(p.p90)}, 99th ${short(p.p99)}, mean ${short(d.mean!)}; ` +
    labels.map((text, i) => `${text}: ${num(d.bins[i]!.count)}`).join(', ');
  return (
    <>
      <p className="small muted" data-testid="distribution-summary">
        {num(d.count)} of {num(d.profiles)} profiles have a {name}
        {d.withoutValue > 0 ? ` (${num(d.withoutValue)} have none yet)` : ''}. Median {short(p.p50)}, p90{' '}
        {short(p.p90)}, p99 {short(p.p99)}, mean {short(d.mean!)}.
        {d.scale === 'log' ? ' Bins widen to the right (log-spaced): CLV has a long tail.' : ''}
      </p>
      <ChartBox>
        <Chart
          label={label}
          height={240}
          option={{
            grid: { left: 50, right: 16, top: 28, bottom: 56 },
            tooltip: { trigger: 'axis' },
            xAxis: {
              type: 'category',
              data: labels,
              name,
              nameLocation: 'middle',
              nameGap: 40,
              axisLabel: { rotate: 35, fontSize: 10 },
            },
            yAxis: { type: 'value', name: 'customers' },
            series: [
              {
                name: 'customers',
                type: 'bar',
                data: d.bins.map((bin) => bin.count),
                itemStyle: { color: '#2563eb' },
              },
            ],
          }}
        />
      </ChartBox>
    </>
  );
}

export function ScatterPanel(props: { version: number }) {
  const scatter = useApi(() => api.valueScatter(1000), [props.version]);
  const s = scatter.data;
  return (
    <>
      {scatter.error && !notRefreshed(scatter.error) ? <ErrorNote error={scatter.error} /> : null}
      {notRefreshed(scatter.error) ? <NoValuesYet what="CLV and P(alive)" computedAt={null} /> : null}
      {s && s.total === 0 ? <NoValuesYet what="CLV and P(alive)" computedAt={s.computedAt} /> : null}
      {s && s.total > 0 ? <ScatterChart scatter={s} /> : null}
    </>
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function ScatterChart(props: { scatter: ValueScatter }) {
  const s = props.scatter;
  const medianClv = median(s.points.map((p) => p.clv));
  const valuable = s.points.filter((p) => p.clv > medianClv);
  const likelyGone = valuable.filter((p) => p.pAlive < 0.5);
  // Who to win back first: the most valuable of those likely gone (keyboard users get links here).
  const winBack = [...likelyGone].sort((a, b) => b.clv - a.clv).slice(0, 5);
  const logAxis = s.points.every((p) => p.clv > 0);
  const label =
    `P(alive) against CLV for ${num(s.sampled)} of ${num(s.total)} customers: median CLV ${short(medianClv)}; ` +
    `of the ${num(valuable.length)} above it, ${num(likelyGone.length)} have P(alive) below 50%` +
    (winBack.length > 0
      ? `; the most valuable of those: ${winBack.map((p) => `${p.profileId} (CLV ${short(p.clv)}, P(alive) ${pct(p.pAlive, 0)})`).join(', ')}`
      : '');
  return (
    <>
      <p className="small muted" data-testid="scatter-summary">
        {num(s.sampled)} of {num(s.total)} customers
        {s.sampled < s.total ? ` (every ${num(s.every)}th by CLV, so the tail is in)` : ''}. Click a point to
        open the person.
      </p>
      <ChartBox>
        <Chart
          label={label}
          height={260}
          onItemClick={(click) => {
            const id = (click.data as [number, number, string] | undefined)?.[2];
            if (id) navigate(`/people/${encodeURIComponent(id)}`);
          }}
          option={{
            grid: { left: 50, right: 16, top: 16, bottom: 40 },
            tooltip: {
              trigger: 'item',
              formatter: (item: { data: [number, number, string] }) =>
                `${item.data[2]}<br/>CLV ${short(item.data[0])}, P(alive) ${pct(item.data[1], 0)}`,
            },
            xAxis: {
              type: logAxis ? 'log' : 'value',
              name: logAxis ? 'CLV (log scale)' : 'CLV',
              nameLocation: 'middle',
              nameGap: 26,
              axisLabel: { formatter: (v: number) => short(v) },
            },
            yAxis: { type: 'value', min: 0, max: 1, name: 'P(alive)' },
            series: [
              {
                type: 'scatter',
                symbolSize: 6,
                cursor: 'pointer',
                itemStyle: { color: '#2563eb', opacity: 0.7 },
                data: s.points.map((p) => [p.clv, p.pAlive, p.profileId]),
              },
            ],
          }}
        />
      </ChartBox>
      {winBack.length > 0 ? (
        <>
          <p className="small">Worth more than the median, likely gone (P(alive) below 50%):</p>
          <ul className="small" data-testid="win-back">
            {winBack.map((p) => (
              <li key={p.profileId}>
                <Link href={`/people/${encodeURIComponent(p.profileId)}`}>{p.profileId}</Link>: CLV{' '}
                {short(p.clv)}, P(alive) {pct(p.pAlive, 0)}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}

export function ValidationPanel(props: { version: number }) {
  const check = useApi(() => api.valueValidation(), [props.version]);
  const notYet = check.error instanceof ApiError && check.error.status === 404;
  return (
    <>
      {check.error && !notYet ? <ErrorNote error={check.error} /> : null}
      {notYet ? <NoValuesYet what="model check" computedAt={null} /> : null}
      {check.data && !check.data.validation ? (
        <Empty title="The model check could not run">
          <p>{check.data.note}</p>
        </Empty>
      ) : null}
      {check.data?.validation ? <ValidationChart check={check.data} /> : null}
    </>
  );
}

/** Rounds up to a half-step of the leading digit (1.6 → 2, 0.34 → 0.35), so the axes end on a round number. */
function niceCeiling(n: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(n));
  return (Math.ceil((n / magnitude) * 2) / 2) * magnitude;
}

const VERDICTS = {
  good: 'good: predicted and actual agree within 20% in total',
  poor: 'poor fit: do not act on individual predictions',
  'too little data': 'too little data to judge',
};

function ValidationChart(props: { check: ValueValidation }) {
  const v = props.check.validation!;
  const top = niceCeiling(Math.max(...v.groups.flatMap((g) => [g.meanPredicted, g.meanActual]), 0.1));
  const label =
    `Predicted versus actual purchases per customer in the holdout ${v.calibrationEnd} to ${v.holdoutEnd}, ` +
    `by tenth of predicted: ${v.groups.map((g) => `${g.group}: predicted ${g.meanPredicted.toFixed(2)}, actual ${g.meanActual.toFixed(2)}`).join('; ')}. ` +
    `Mean absolute error ${v.errors.meanAbsoluteError.toFixed(2)}, correlation ${v.errors.correlation === null ? 'n/a' : v.errors.correlation.toFixed(2)}.`;
  const error = v.total.relativeError;
  return (
    <>
      <p className="small muted">
        Fitted on purchases up to {v.calibrationEnd}, predicted for {v.customers.toLocaleString('en')}{' '}
        customers over the {v.holdoutDays} days to {v.holdoutEnd}, compared with what they bought. Each point
        is a tenth of the customers by prediction; on the diagonal the model is right.
      </p>
      <ChartBox>
        <Chart
          label={label}
          height={260}
          option={{
            grid: { left: 50, right: 16, top: 40, bottom: 40 },
            legend: { top: 0, itemWidth: 18, itemHeight: 8 },
            tooltip: { trigger: 'item' },
            xAxis: {
              type: 'value',
              min: 0,
              max: top,
              name: 'predicted per customer',
              nameLocation: 'middle',
              nameGap: 26,
              axisLabel: { formatter: (x: number) => short(x) },
            },
            yAxis: {
              type: 'value',
              min: 0,
              max: top,
              name: 'actual',
              axisLabel: { formatter: (y: number) => short(y) },
            },
            series: [
              {
                name: 'predicted = actual',
                type: 'line',
                data: [
                  [0, 0],
                  [top, top],
                ],
                symbol: 'none',
                lineStyle: { type: 'dashed', color: '#6b7280' },
                tooltip: { show: false },
              },
              {
                name: 'tenths of customers',
                type: 'scatter',
                symbolSize: 10,
                itemStyle: { color: '#2563eb' },
                data: v.groups.map((g) => [g.meanPredicted, g.meanActual]),
              },
            ],
          }}
        />
      </ChartBox>
      <table data-testid="validation-figures">
        <tbody>
          <tr>
            <th>Verdict</th>
            <td>{VERDICTS[v.verdict]}</td>
          </tr>
          <tr>
            <th>Holdout purchases</th>
            <td>
              predicted {v.total.predicted.toFixed(1)}, actual {num(v.total.actual)}
              {error === null ? '' : ` (${error > 0 ? '+' : ''}${pct(error, 1)})`}
            </td>
          </tr>
          <tr>
            <th>Error per customer</th>
            <td>
              mean absolute {v.errors.meanAbsoluteError.toFixed(2)}, root mean squared{' '}
              {v.errors.rootMeanSquaredError.toFixed(2)}
            </td>
          </tr>
          <tr>
            <th>Correlation</th>
            <td>{v.errors.correlation === null ? 'n/a' : v.errors.correlation.toFixed(2)}</td>
          </tr>
        </tbody>
      </table>
      {v.warnings.length > 0 ? (
        <ul className="small muted">
          {v.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : null}
    </>
  );
}
