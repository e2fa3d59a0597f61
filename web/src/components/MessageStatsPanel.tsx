import { lazy, Suspense } from 'react';
import { api, type MessageCounts, type MessageMetric, type MessageStats } from '../api.ts';
import { num } from '../format.ts';
import { useApi } from '../hooks.ts';
import { Link } from '../router.tsx';
import { DateRangeFields, useDayRange } from './DateRangeFields.tsx';
import { Card, Empty, Loading, LoadStatus } from './ui.tsx';

const Chart = lazy(() => import('./Chart.tsx'));

const COLUMNS: Array<{ metric: MessageMetric; label: string }> = [
  { metric: 'sent', label: 'Sent' },
  { metric: 'delivered', label: 'Delivered' },
  { metric: 'opened', label: 'Opened' },
  { metric: 'clicked', label: 'Clicked' },
  { metric: 'bounced', label: 'Bounced' },
  { metric: 'failed', label: 'Failed' },
  { metric: 'suppressed', label: 'Suppressed' },
  { metric: 'deferred', label: 'Deferred' },
];

/** What each arbitration code means, for a marketer reading the reasons table. */
const REASONS: Record<string, string> = {
  consent_denied: 'the person said no to this purpose',
  consent_unknown: 'no consent recorded for a marketing message',
  suppressed: 'the channel is closed for this person (bounce, complaint or unsubscribe)',
  fatigue_cap: 'a fatigue cap was reached',
  quiet_hours: 'inside the person’s quiet hours',
  global_holdout: 'in the global holdout: gets no marketing, to measure its lift',
};

const CHART_METRICS: MessageMetric[] = ['sent', 'suppressed', 'deferred', 'failed'];
const CHART_COLOURS: Record<string, string> = {
  sent: '#2563eb',
  suppressed: '#b45309',
  deferred: '#7c3aed',
  failed: '#dc2626',
};

function CountsTable(props: {
  caption: string;
  keyLabel: string;
  rows: Array<{ key: string; name: string; counts: MessageCounts }>;
  id: string;
}) {
  return (
    <div className="table-wrap">
      <table id={props.id}>
        <caption className="small">{props.caption}</caption>
        <thead>
          <tr>
            <th>{props.keyLabel}</th>
            {COLUMNS.map((column) => (
              <th key={column.metric} className="num">
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={row.key} data-key={row.key}>
              <td>{row.name}</td>
              {COLUMNS.map((column) => (
                <td key={column.metric} className="num" data-metric={column.metric}>
                  {num(row.counts[column.metric])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ChannelChart(props: { stats: MessageStats }) {
  const rows = props.stats.byChannel;
  const names = rows.map((row) => row.channel ?? 'unknown');
  const label = `Messages by channel, ${props.stats.from} to ${props.stats.to}: ${rows
    .map((row) => `${row.channel ?? 'unknown'} ${CHART_METRICS.map((m) => `${num(row[m])} ${m}`).join(', ')}`)
    .join('; ')}.`;
  return (
    <Suspense fallback={<Loading what="the chart" />}>
      <Chart
        label={label}
        height={Math.max(140, 60 + rows.length * 40)}
        option={{
          grid: { left: 80, right: 20, top: 30, bottom: 20 },
          tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
          legend: { top: 0 },
          xAxis: { type: 'value', minInterval: 1 },
          yAxis: { type: 'category', data: names, inverse: true },
          series: CHART_METRICS.map((metric) => ({
            name: metric,
            type: 'bar',
            data: rows.map((row) => row[metric]),
            itemStyle: { color: CHART_COLOURS[metric] },
          })),
        }}
      />
    </Suspense>
  );
}

/** Counts by channel and journey for a range of days (default today), and why messages were held back. */
export function MessageStatsPanel() {
  const range = useDayRange();
  const { from, to } = range;
  const stats = useApi(() => api.messageStats({ from, to }), [from, to]);
  const data = stats.data;
  const nothing = data && data.byChannel.length === 0 && data.byJourney.length === 0;
  return (
    <>
      <Card title="Delivery by channel and journey" id="totals" wide>
        <div className="row">
          <DateRangeFields idPrefix="stats" range={range} />
        </div>
        <LoadStatus state={stats} />
        {nothing ? (
          <Empty title={`No messages from ${data.from} to ${data.to}`}>
            <p>
              Messages are sent by journeys. Pick a wider range above, or create a journey with a send step on{' '}
              <Link href="/journeys">Journeys</Link>.
            </p>
          </Empty>
        ) : null}
        {data && !nothing ? (
          <>
            <ChannelChart stats={data} />
            <CountsTable
              id="stats-by-channel"
              caption={`By channel, ${data.from} to ${data.to} (UTC). Sent, failed, suppressed and deferred are distinct messages from the arbitration log; delivered, opened, clicked and bounced come from delivery events (email has no delivery receipt).`}
              keyLabel="Channel"
              rows={data.byChannel.map((row) => ({
                key: row.channel ?? '',
                name: row.channel ?? 'unknown',
                counts: row,
              }))}
            />
            <CountsTable
              id="stats-by-journey"
              caption="By journey"
              keyLabel="Journey"
              rows={data.byJourney.map((row) => ({
                key: row.journeyId ?? '',
                name: row.journeyId ?? 'API sends (no journey)',
                counts: row,
              }))}
            />
          </>
        ) : null}
      </Card>
      <Card title="Why messages were suppressed or deferred" id="reasons">
        {data && data.reasons.length === 0 ? (
          <p className="small">
            Nothing was suppressed or deferred from {data.from} to {data.to}.
          </p>
        ) : null}
        {data && data.reasons.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Outcome</th>
                  <th>Code</th>
                  <th>Meaning</th>
                  <th className="num">Messages</th>
                </tr>
              </thead>
              <tbody>
                {data.reasons.map((reason) => (
                  <tr key={`${reason.outcome}:${reason.code}`}>
                    <td>{reason.outcome}</td>
                    <td className="small">{reason.code}</td>
                    <td className="small">{REASONS[reason.code] ?? '–'}</td>
                    <td className="num">{num(reason.messages)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <p className="small">Each decision, with its full reason, is in the arbitration log below.</p>
      </Card>
    </>
  );
}
