// The journey map: the most common paths between touchpoints as a Sankey, one column per
// step. Only the Funnel and paths page loads this module, so ECharts' Sankey code stays out
// of the first load (test/web/bundle.test.ts).
import { SankeyChart } from 'echarts/charts';
import * as echarts from 'echarts/core';
import type { PathNode, Paths } from '../api.ts';
import { num } from '../format.ts';
import Chart from './Chart.tsx';

echarts.use([SankeyChart]);

/** How a touchpoint reads: pages with their kind, events as they are, "other" explained. */
export function touchpointLabel(node: Pick<PathNode, 'kind' | 'name'>): string {
  if (node.kind === 'other') return 'Other touchpoints';
  return node.kind === 'page' ? `${node.name} (page)` : node.name;
}

const COLORS = { page: '#2563eb', event: '#0f766e', other: '#6b7280' } as const;

/** The text alternative: each step's touchpoints with the people at them. */
export function pathsDescription(paths: Paths): string {
  const steps = new Map<number, PathNode[]>();
  for (const node of paths.nodes) steps.set(node.step, [...(steps.get(node.step) ?? []), node]);
  const parts = [...steps].map(
    ([step, nodes]) =>
      `step ${step}: ${nodes.map((n) => `${touchpointLabel(n)} ${num(n.people)}`).join(', ')}`,
  );
  return `Paths between touchpoints of ${num(paths.people)} people, ${paths.from} to ${paths.to}; ${parts.join('; ')}`;
}

export default function PathsSankey(props: { paths: Paths }) {
  const { paths } = props;
  const byId = new Map(paths.nodes.map((n) => [n.id, n]));
  const height = Math.max(280, Math.min(640, 60 + paths.top * 48));
  return (
    <Chart
      label={pathsDescription(paths)}
      height={height}
      option={{
        tooltip: {
          trigger: 'item',
          formatter: (p: {
            dataType: string;
            data: { name?: string; source?: string; target?: string; value: number };
          }) => {
            if (p.dataType === 'edge') {
              const from = byId.get(p.data.source ?? '');
              const to = byId.get(p.data.target ?? '');
              return `${from ? touchpointLabel(from) : ''} → ${to ? touchpointLabel(to) : ''}: ${num(p.data.value)} people`;
            }
            const node = byId.get(p.data.name ?? '');
            return node
              ? `Step ${node.step}: ${touchpointLabel(node)}, ${num(node.people)} people, ${num(node.ended)} stopped here`
              : '';
          },
        },
        series: [
          {
            type: 'sankey',
            left: 8,
            right: 150,
            top: 8,
            bottom: 8,
            nodeAlign: 'left',
            nodeGap: 10,
            layoutIterations: 32,
            emphasis: { focus: 'adjacency' },
            lineStyle: { color: 'gradient', opacity: 0.35 },
            data: paths.nodes.map((n) => ({
              name: n.id,
              depth: n.step - 1,
              value: n.people,
              itemStyle: { color: COLORS[n.kind] },
            })),
            links: paths.links.map((l) => ({ source: l.source, target: l.target, value: l.people })),
            label: {
              color: '#111827',
              fontSize: 11,
              formatter: (p: { name: string }) => {
                const node = byId.get(p.name);
                return node ? `${touchpointLabel(node)} ${num(node.people)}` : p.name;
              },
            },
          },
        ],
      }}
    />
  );
}
