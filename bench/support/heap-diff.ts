// Two V8 heap snapshots compared by what they hold: objects counted by constructor name (closures
// by function name with "()", strings and arrays pooled), so a leak shows as a name whose count keeps
// growing between two moments of a steady load.
import { readFileSync } from 'node:fs';

export interface ConstructorCount {
  count: number;
  selfBytes: number;
}

interface SnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string']);

/** What a heap snapshot's nodes are, counted and sized by constructor (or kind, for strings and code). */
export function countByConstructor(snapshot: SnapshotJson): Map<string, ConstructorCount> {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const counts = new Map<string, ConstructorCount>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt] as number] as string;
    const key = keyOf(type, snapshot.strings[snapshot.nodes[i + nameAt] as number] as string);
    const entry = counts.get(key) ?? { count: 0, selfBytes: 0 };
    entry.count += 1;
    entry.selfBytes += snapshot.nodes[i + sizeAt] as number;
    counts.set(key, entry);
  }
  return counts;
}

function keyOf(type: string, name: string): string {
  if (type === 'object' || type === 'native') return name;
  if (type === 'closure') return `${name}()`;
  if (STRING_TYPES.has(type)) return '(string)';
  if (type === 'array') return `(array ${name})`;
  return `(${type})`;
}

export function readSnapshotCounts(file: string): Map<string, ConstructorCount> {
  return countByConstructor(JSON.parse(readFileSync(file, 'utf8')) as SnapshotJson);
}

export interface CountChange {
  name: string;
  before: ConstructorCount;
  after: ConstructorCount;
  countDelta: number;
  bytesDelta: number;
}

/** The names whose retained-by-itself bytes grew most between two snapshots, largest first. */
export function grownConstructors(
  before: Map<string, ConstructorCount>,
  after: Map<string, ConstructorCount>,
  limit = 15,
): CountChange[] {
  const none = { count: 0, selfBytes: 0 };
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names]
    .map((name) => {
      const b = before.get(name) ?? none;
      const a = after.get(name) ?? none;
      return {
        name,
        before: b,
        after: a,
        countDelta: a.count - b.count,
        bytesDelta: a.selfBytes - b.selfBytes,
      };
    })
    .filter((change) => change.bytesDelta > 0 || change.countDelta > 0)
    .sort((x, y) => y.bytesDelta - x.bytesDelta || y.countDelta - x.countDelta)
    .slice(0, limit);
}
