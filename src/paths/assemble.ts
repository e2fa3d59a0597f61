// Pure: the warehouse's node and transition counts (query.ts) as a graph a Sankey can draw,
// with each node's drop-off (people whose path ends there) and the transitions, largest first.

export const OTHER = 'other';

export interface PathNode {
  /** `<step>|<touchpoint>`, unique across steps, so the graph has no cycles. */
  id: string;
  step: number;
  /** `page:<name>`, `event:<name>`, or `other` (every touchpoint of the step outside its top). */
  touchpoint: string;
  kind: 'page' | 'event' | 'other';
  /** The touchpoint without its kind prefix. */
  name: string;
  people: number;
  /** People whose path ends here (no next step within the range). */
  ended: number;
}

export interface PathLink {
  source: string;
  target: string;
  /** The source's step; the target is at step + 1. */
  step: number;
  people: number;
}

export interface PathsGraph {
  /** People with at least one touchpoint (after the start and segment filters). */
  people: number;
  nodes: PathNode[];
  /** Largest first; ties in node order. */
  links: PathLink[];
}

const nodeId = (step: number, touchpoint: string) => `${step}|${touchpoint}`;

function describe(touchpoint: string): Pick<PathNode, 'kind' | 'name'> {
  if (touchpoint.startsWith('page:')) return { kind: 'page', name: touchpoint.slice('page:'.length) };
  if (touchpoint.startsWith('event:')) return { kind: 'event', name: touchpoint.slice('event:'.length) };
  return { kind: 'other', name: OTHER };
}

/** Rows: `{row_kind: 'node'|'link', step, source, target, people}`; a null touchpoint is "other". */
export function assemblePaths(rows: Array<Record<string, unknown>>): PathsGraph {
  const nodes = new Map<string, PathNode>();
  const links: PathLink[] = [];
  for (const row of rows) {
    const step = Number(row.step);
    const source = (row.source as string | null) ?? OTHER;
    const people = Number(row.people);
    if (row.row_kind === 'node') {
      nodes.set(nodeId(step, source), {
        id: nodeId(step, source),
        step,
        touchpoint: source,
        ...describe(source),
        people,
        ended: people,
      });
    } else {
      const target = (row.target as string | null) ?? OTHER;
      links.push({ source: nodeId(step, source), target: nodeId(step + 1, target), step, people });
    }
  }
  for (const link of links) {
    const node = nodes.get(link.source);
    if (node) node.ended -= link.people;
  }
  // Within a step: most people first, "other" last.
  const ordered = [...nodes.values()].sort(
    (a, b) =>
      a.step - b.step ||
      Number(a.kind === 'other') - Number(b.kind === 'other') ||
      b.people - a.people ||
      (a.touchpoint < b.touchpoint ? -1 : a.touchpoint > b.touchpoint ? 1 : 0),
  );
  const order = new Map(ordered.map((n, i) => [n.id, i]));
  links.sort(
    (a, b) =>
      b.people - a.people ||
      (order.get(a.source) ?? 0) - (order.get(b.source) ?? 0) ||
      (order.get(a.target) ?? 0) - (order.get(b.target) ?? 0),
  );
  const people = ordered.filter((n) => n.step === 1).reduce((sum, n) => sum + n.people, 0);
  return { people, nodes: ordered, links };
}
