import { lazy, Suspense } from 'react';
import type { FunnelReport } from '../api.ts';
import { num, pct } from '../format.ts';
import { Loading } from './ui.tsx';

const Chart = lazy(() => import('./Chart.tsx'));

/** The lifecycle funnel as horizontal bars: profiles that reached each stage. */
export function FunnelChart(props: { report: FunnelReport; height?: number }) {
  const stages = props.report.stages;
  const names = stages.map((s) => s.name);
  const label = `Lifecycle funnel: ${stages.map((s) => `${s.name} ${num(s.reached)} reached`).join(', ')}`;
  return (
    <Suspense fallback={<Loading what="the chart" />}>
      <Chart
        label={label}
        height={props.height ?? 260}
        option={{
          grid: { left: 110, right: 90, top: 10, bottom: 20 },
          tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
          xAxis: { type: 'value' },
          yAxis: { type: 'category', data: names, inverse: true },
          series: [
            {
              name: 'Reached',
              type: 'bar',
              data: stages.map((s) => s.reached),
              itemStyle: { color: '#2563eb' },
              label: {
                show: true,
                position: 'right',
                formatter: (p: { dataIndex: number }) => {
                  const stage = stages[p.dataIndex];
                  return stage && p.dataIndex > 0
                    ? `${num(stage.reached)} (${pct(stage.conversionFromPrevious)})`
                    : num(stage?.reached);
                },
              },
            },
          ],
        }}
      />
    </Suspense>
  );
}
