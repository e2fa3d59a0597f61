import { lazy, Suspense } from 'react';
import type { EventsPerDay } from '../api.ts';
import { num } from '../format.ts';
import { Loading } from './ui.tsx';

const Chart = lazy(() => import('./Chart.tsx'));

const COLOURS: Record<string, string> = {
  track: '#2563eb',
  identify: '#7c3aed',
  page: '#0d9488',
  screen: '#ca8a04',
  group: '#db2777',
  alias: '#64748b',
};

/** The text alternative: the totals, the busiest day, and every day's count for a month or less. */
export function describeEventsPerDay(stats: EventsPerDay): string {
  const { totals, days } = stats;
  const types = stats.types
    .filter((type) => totals.byType[type] > 0)
    .map((type) => `${num(totals.byType[type])} ${type}`)
    .join(', ');
  const busiest = days.reduce(
    (best, day) => (day.total > best.total ? day : best),
    days[0] ?? { date: '', total: 0 },
  );
  const parts = [
    `Events per day (UTC) from ${stats.from} to ${stats.to}: ${num(totals.total)} events${types ? ` (${types})` : ''}`,
    `${num(totals.deadLetters)} dead letters`,
  ];
  if (busiest.total > 0) parts.push(`busiest day ${busiest.date} with ${num(busiest.total)}`);
  if (days.length <= 31)
    parts.push(`per day: ${days.map((day) => `${day.date} ${num(day.total)}`).join(', ')}`);
  return `${parts.join('; ')}.`;
}

/** Stacked bars of events per day by message type, and a line of dead letters. */
export function EventsChart(props: { stats: EventsPerDay; height?: number }) {
  const { stats } = props;
  const dates = stats.days.map((day) => day.date.slice(5));
  const shown = stats.types.filter((type) => stats.totals.byType[type] > 0);
  return (
    <Suspense fallback={<Loading what="the chart" />}>
      <Chart
        label={describeEventsPerDay(stats)}
        height={props.height ?? 240}
        option={{
          grid: { left: 50, right: 16, top: 30, bottom: 28 },
          tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
          legend: { top: 0, type: 'scroll' },
          xAxis: { type: 'category', data: dates },
          yAxis: { type: 'value', minInterval: 1 },
          series: [
            ...shown.map((type) => ({
              name: type,
              type: 'bar',
              stack: 'events',
              data: stats.days.map((day) => day.byType[type]),
              itemStyle: { color: COLOURS[type] },
            })),
            {
              name: 'dead letters',
              type: 'line',
              data: stats.days.map((day) => day.deadLetters),
              itemStyle: { color: '#dc2626' },
              symbolSize: 4,
            },
          ],
        }}
      />
    </Suspense>
  );
}
