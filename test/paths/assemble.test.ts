// The pure part of paths: warehouse rows to nodes with drop-off and sorted transitions.
import { describe, expect, it } from 'vitest';
import { assemblePaths } from '../../src/paths/index.ts';

const node = (step: number, source: string | null, people: number) => ({
  row_kind: 'node',
  step,
  source,
  target: null,
  people,
});
const link = (step: number, source: string | null, target: string | null, people: number) => ({
  row_kind: 'link',
  step,
  source,
  target,
  people,
});

describe('assemblePaths', () => {
  it('names other, orders nodes by step and size with other last, and counts who stopped', () => {
    const graph = assemblePaths([
      node(1, null, 5),
      node(1, 'page:Home', 3),
      node(2, 'event:Signed Up', 4),
      node(1, 'event:Signed Up', 3),
      link(1, 'page:Home', 'event:Signed Up', 2),
      link(1, null, 'event:Signed Up', 2),
    ]);
    expect(graph.people).toBe(11);
    expect(graph.nodes.map((n) => [n.id, n.kind, n.name, n.ended])).toEqual([
      ['1|event:Signed Up', 'event', 'Signed Up', 3],
      ['1|page:Home', 'page', 'Home', 1],
      ['1|other', 'other', 'other', 3],
      ['2|event:Signed Up', 'event', 'Signed Up', 4],
    ]);
    // Equal transitions keep node order: Home before other.
    expect(graph.links.map((l) => `${l.source}>${l.target}`)).toEqual([
      '1|page:Home>2|event:Signed Up',
      '1|other>2|event:Signed Up',
    ]);
  });

  it('answers an empty graph for no rows', () => {
    expect(assemblePaths([])).toEqual({ people: 0, nodes: [], links: [] });
  });
});
