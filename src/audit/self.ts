// "My own persona": the marketer describes themselves as a customer (how many orders, how much
// spent, how often seen…) and sees, feature by feature, where that sits among the real customers
// (the share of customers below it), which persona is nearest, and how far from the typical
// customer they are compared with the customers themselves. Pure: the people come in as the
// personas' feature rows (readPeople), the transform is the personas' own (log1p, standardised).
import type { People } from '../personas/index.ts';

export interface SelfFeature {
  name: string;
  label: string;
  yours: number;
  median: number;
  /** Share of customers strictly below your value, and share equal to it. */
  below: number;
  equal: number;
  /** Your value minus the customers' mean, in their standard deviations (after log1p for counts). */
  sd: number;
}

export interface SelfComparison {
  people: number;
  features: SelfFeature[];
  /** Your distance to the typical customer (the population's mean, standardised space). */
  distance: number;
  /** Share of customers nearer to the typical customer than you are. */
  fartherThan: number;
}

function median(sorted: readonly number[]): number {
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Where `yours` (feature name → value; a missing one is taken as the customers' median) sits. */
export function compareSelf(people: People, yours: Readonly<Record<string, number>>): SelfComparison {
  const n = people.rows.length;
  const transform = (v: number, j: number) => (people.features[j]!.log ? Math.log1p(Math.max(0, v)) : v);
  const columns = people.features.map((_, j) => people.rows.map((row) => row[j]!));
  const stats = columns.map((values, j) => {
    const t = values.map((v) => transform(v, j));
    const mean = t.reduce((s, v) => s + v, 0) / Math.max(1, n);
    const sd = Math.sqrt(t.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, n)) || 1;
    return { mean, sd, sorted: [...values].sort((a, b) => a - b) };
  });
  const own = people.features.map((f, j) => yours[f.name] ?? median(stats[j]!.sorted));
  const z = (v: number, j: number) => (transform(v, j) - stats[j]!.mean) / stats[j]!.sd;
  const features = people.features.map((f, j): SelfFeature => {
    const value = own[j]!;
    const sorted = stats[j]!.sorted;
    const below = sorted.filter((v) => v < value).length;
    const equal = sorted.filter((v) => v === value).length;
    return {
      name: f.name,
      label: f.label,
      yours: value,
      median: median(sorted),
      below: n === 0 ? 0 : below / n,
      equal: n === 0 ? 0 : equal / n,
      sd: z(value, j),
    };
  });
  const distanceOf = (row: readonly number[]) => Math.sqrt(row.reduce((s, v, j) => s + z(v, j) ** 2, 0));
  const distance = distanceOf(own);
  const nearer = people.rows.filter((row) => distanceOf(row) < distance).length;
  return { people: n, features, distance, fartherThan: n === 0 ? 0 : nearer / n };
}
