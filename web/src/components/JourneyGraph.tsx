import { lazy, Suspense } from 'react';
import type { JourneyDefinition, JourneyStats, JourneyStep } from '../api.ts';
import { num } from '../format.ts';
import { Loading } from './ui.tsx';

const Chart = lazy(() => import('./Chart.tsx'));

export interface Edge {
  from: string;
  to: string;
  label: string;
}

/** Every `next`-like edge of a step, with what the edge means. */
export function edgesOf(step: JourneyStep): Edge[] {
  const edges: Edge[] = [];
  const add = (to: string, label: string) => {
    if (to) edges.push({ from: step.id, to, label });
  };
  switch (step.type) {
    case 'exit':
      break;
    case 'branch':
      step.cases.forEach((c, i) => {
        add(c.next, `case ${i + 1}`);
      });
      add(step.otherwise, 'otherwise');
      break;
    case 'split':
      for (const arm of step.arms) add(arm.next, `${arm.name} ${arm.percent}%`);
      if (step.holdout) add(step.holdout.next, `holdout ${step.holdout.percent}%`);
      break;
    case 'waitForEvent':
      add(step.onTimeout, 'timeout');
      add(step.next, '');
      break;
    default:
      add(step.next, '');
  }
  return edges;
}

/** Columns by distance from the start (breadth first), rows in order of discovery. */
export function layout(definition: JourneyDefinition): Map<string, { x: number; y: number }> {
  const byId = new Map(definition.steps.map((s) => [s.id, s]));
  const depth = new Map<string, number>([[definition.start, 0]]);
  const queue = [definition.start];
  while (queue.length > 0) {
    const id = queue.shift()!;
    const step = byId.get(id);
    if (!step) continue;
    for (const edge of edgesOf(step)) {
      if (!depth.has(edge.to)) {
        depth.set(edge.to, (depth.get(id) ?? 0) + 1);
        queue.push(edge.to);
      }
    }
  }
  let orphanDepth = Math.max(0, ...depth.values()) + 1;
  for (const step of definition.steps) if (!depth.has(step.id)) depth.set(step.id, orphanDepth++);
  const rows = new Map<number, number>();
  const positions = new Map<string, { x: number; y: number }>();
  for (const [id, d] of depth) {
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    positions.set(id, { x: d * 200, y: row * 90 });
  }
  return positions;
}

export function JourneyGraph(props: { definition: JourneyDefinition; stats: JourneyStats | null }) {
  const { definition, stats } = props;
  const positions = layout(definition);
  const edges = definition.steps.flatMap(edgesOf);
  const incoming = new Map<string, number>();
  for (const edge of edges) incoming.set(edge.to, (incoming.get(edge.to) ?? 0) + 1);
  const passed = (id: string) => stats?.steps[id]?.passed ?? 0;
  // People along an edge: everyone who passed its target, when the target has one way in.
  const edgeCount = (edge: Edge) => (incoming.get(edge.to) === 1 ? num(passed(edge.to)) : '');
  const maxRow = Math.max(...[...positions.values()].map((p) => p.y), 0);
  const label = `Journey graph of ${definition.name ?? definition.id}: ${definition.steps
    .map((s) => `${s.id} (${s.type}, ${num(passed(s.id))} passed)`)
    .join(', ')}`;
  return (
    <Suspense fallback={<Loading what="the graph" />}>
      <Chart
        label={label}
        height={Math.max(260, maxRow + 160)}
        option={{
          tooltip: {},
          series: [
            {
              type: 'graph',
              layout: 'none',
              roam: true,
              symbol: 'roundRect',
              symbolSize: [150, 46],
              edgeSymbol: ['none', 'arrow'],
              edgeSymbolSize: 9,
              label: { show: true, color: '#111827', fontSize: 11, lineHeight: 14 },
              itemStyle: { color: '#dbeafe', borderColor: '#1d4ed8', borderWidth: 1 },
              lineStyle: { color: '#4b5563', width: 1.5, curveness: 0.1 },
              edgeLabel: {
                show: true,
                fontSize: 11,
                color: '#111827',
                formatter: (p: { data: { text: string } }) => p.data.text,
              },
              data: definition.steps.map((step) => {
                const at = positions.get(step.id) ?? { x: 0, y: 0 };
                const here = stats?.steps[step.id];
                return {
                  name: step.id,
                  x: at.x,
                  y: at.y,
                  value: here?.passed ?? 0,
                  label: {
                    formatter: `${step.id}\n${step.type} · ${num(here?.passed ?? 0)} passed, ${num(here?.current ?? 0)} here`,
                  },
                  itemStyle: step.type === 'exit' ? { color: '#dcfce7', borderColor: '#166534' } : undefined,
                };
              }),
              links: edges.map((edge) => ({
                source: edge.from,
                target: edge.to,
                text: [edge.label, edgeCount(edge)].filter(Boolean).join(': '),
              })),
            },
          ],
        }}
      />
    </Suspense>
  );
}
