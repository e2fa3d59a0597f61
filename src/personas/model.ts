// Personas as cards: the clusters of `cluster.ts` described by what sets each apart from the
// whole population, in words, with names that survive a refit. Pure: the people come in as
// feature rows (features.ts reads them from the stores).
import { chooseClustering, matchCentroids, standardise } from './cluster.ts';

export interface FeatureSpec {
  name: string;
  /** How the card speaks of it: "orders", "days since last seen". */
  label: string;
  /** Counts and money are skewed: log1p before scaling, so one big spender is not a persona. */
  log: boolean;
}

export const BEHAVIOUR_FEATURES: readonly FeatureSpec[] = [
  { name: 'recency_days', label: 'days since last seen', log: true },
  { name: 'orders', label: 'orders', log: true },
  { name: 'revenue', label: 'revenue', log: true },
  { name: 'views', label: 'page and product views', log: true },
  { name: 'email_engagement', label: 'email opens and clicks', log: true },
  { name: 'active_days', label: 'active days', log: true },
];

export interface People {
  ids: string[];
  features: FeatureSpec[];
  /** One row per person, one raw value per feature (missing traits already filled). */
  rows: number[][];
}

export interface StandOut {
  feature: string;
  label: string;
  direction: 'higher' | 'lower';
  /** The persona's mean minus the population's, in population standard deviations (after log1p). */
  sd: number;
  mean: number;
  populationMean: number;
}

export interface PersonaCard {
  id: string;
  name: string;
  size: number;
  share: number;
  /** The largest standardised differences from the whole population, largest first. */
  standsOut: StandOut[];
  description: string;
  /** Mean of each feature in its own units. */
  means: Record<string, number>;
  /** Where the persona sits in the scaled feature space, for matching the next fit. */
  centroid: number[];
  /** The most common order of their first three kinds of tracked event, and the share who follow it. */
  typicalJourney?: { steps: string[]; share: number };
  /** Where most of their engagement happens, and its share of it. */
  preferredChannel?: { channel: string; share: number };
}

export interface PersonaFit {
  k: number;
  inertia: number;
  silhouette: number;
  sizes: number[];
  scaled: boolean;
  features: Array<{ name: string; label: string }>;
  people: number;
  tried: Array<{ k: number; silhouette: number; inertia: number }>;
  personas: PersonaCard[];
  fittedAt: string;
}

export interface FitOptions {
  k?: number;
  scale?: boolean;
  restarts?: number;
  seed?: number;
  /** The last fit's personas: a persona close to one keeps its id and name. */
  previous?: readonly PersonaCard[];
  now?: Date;
}

const round = (value: number, digits = 3) => Number(value.toFixed(digits));

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((s, v) => s + v, 0) / values.length;
}

function word(s: StandOut): string {
  const strength =
    Math.abs(s.sd) >= 1
      ? s.direction === 'higher'
        ? 'many'
        : 'few'
      : s.direction === 'higher'
        ? 'more'
        : 'fewer';
  if (s.feature === 'recency_days')
    return s.direction === 'higher' ? 'not seen for a while' : 'recently active';
  if (s.feature === 'revenue') return s.direction === 'higher' ? 'high spend' : 'low spend';
  return `${strength} ${s.label}`;
}

function describe(standsOut: readonly StandOut[]): string {
  if (standsOut.length === 0) return 'like the population as a whole';
  return standsOut
    .map(
      (s) =>
        `${s.label} ${s.direction === 'higher' ? '+' : '−'}${Math.abs(s.sd).toFixed(1)} sd (mean ${round(s.mean, 1)} against ${round(s.populationMean, 1)})`,
    )
    .join('; ');
}

/** Clusters the people and describes each cluster; `assignments` maps each id to its persona id. */
export function fitPersonas(
  people: People,
  options: FitOptions = {},
): { fit: PersonaFit; assignments: Map<string, string> } {
  const transformed = people.rows.map((row) =>
    row.map((v, j) => (people.features[j]!.log ? Math.log1p(Math.max(0, v)) : v)),
  );
  const population = standardise(transformed);
  const space = options.scale === false ? transformed : population.rows;
  const clustering = chooseClustering(space, options);
  const previous = options.previous ?? [];
  const match = matchCentroids(
    clustering.centroids,
    previous.map((p) => p.centroid),
  );
  const usedIds = new Set(previous.map((p) => p.id));
  let nextId = 1;
  const freshId = () => {
    while (usedIds.has(`p${nextId}`)) nextId++;
    usedIds.add(`p${nextId}`);
    return `p${nextId}`;
  };
  const personas = clustering.centroids.map((centroid, c): PersonaCard => {
    const members = people.rows.filter((_, i) => clustering.labels[i] === c);
    const memberScaled = population.rows.filter((_, i) => clustering.labels[i] === c);
    const standsOut = people.features
      .map((feature, j): StandOut => {
        const sd = mean(memberScaled.map((row) => row[j]!));
        return {
          feature: feature.name,
          label: feature.label,
          direction: sd >= 0 ? 'higher' : 'lower',
          sd: round(sd),
          mean: round(mean(members.map((row) => row[j]!))),
          populationMean: round(mean(people.rows.map((row) => row[j]!))),
        };
      })
      .filter((s) => Math.abs(s.sd) >= 0.25)
      .sort((a, b) => Math.abs(b.sd) - Math.abs(a.sd))
      .slice(0, 3);
    const earlier = match[c] === undefined ? undefined : previous[match[c]!];
    const generated = standsOut.slice(0, 2).map(word).join(', ');
    const name =
      earlier?.name ?? (generated ? generated[0]!.toUpperCase() + generated.slice(1) : 'Everyone else');
    return {
      id: earlier?.id ?? freshId(),
      name,
      size: clustering.sizes[c]!,
      share: round(clustering.sizes[c]! / people.rows.length, 4),
      standsOut,
      description: describe(standsOut),
      means: Object.fromEntries(
        people.features.map((feature, j) => [feature.name, round(mean(members.map((row) => row[j]!)))]),
      ),
      centroid: centroid.map((v) => round(v, 6)),
    };
  });
  // Two personas may be described by the same words: number the later ones.
  const seen = new Map<string, number>();
  for (const persona of personas) {
    const count = (seen.get(persona.name) ?? 0) + 1;
    seen.set(persona.name, count);
    if (count > 1) persona.name = `${persona.name} (${count})`;
  }
  const assignments = new Map(people.ids.map((id, i) => [id, personas[clustering.labels[i]!]!.id]));
  return {
    fit: {
      k: clustering.k,
      inertia: clustering.inertia,
      silhouette: clustering.silhouette,
      sizes: clustering.sizes,
      scaled: options.scale !== false,
      features: people.features.map(({ name, label }) => ({ name, label })),
      people: people.rows.length,
      tried: clustering.tried,
      personas,
      fittedAt: (options.now ?? new Date()).toISOString(),
    },
    assignments,
  };
}
