// Personas from data: k-means (ml-kmeans, k-means++ starts, the best of several seeds, as
// scikit-learn's n_init does), features standardised, k chosen by the silhouette, and the
// adjusted Rand index for checking a clustering against a planted truth. Pure functions.
import { kmeans } from 'ml-kmeans';

export interface Standardised {
  rows: number[][];
  means: number[];
  /** Population standard deviations; a constant feature gets 1, so it scales to 0, not NaN. */
  sds: number[];
}

export function standardise(rows: readonly number[][]): Standardised {
  const width = rows[0]?.length ?? 0;
  const n = rows.length;
  const means = Array.from({ length: width }, (_, j) => rows.reduce((sum, row) => sum + row[j]!, 0) / n);
  const sds = means.map((mean, j) => {
    const variance = rows.reduce((sum, row) => sum + (row[j]! - mean) ** 2, 0) / n;
    return variance > 0 ? Math.sqrt(variance) : 1;
  });
  return { rows: rows.map((row) => row.map((v, j) => (v - means[j]!) / sds[j]!)), means, sds };
}

export interface Clustering {
  k: number;
  labels: number[];
  centroids: number[][];
  sizes: number[];
  /** Sum of squared distances of each point to its centroid (scikit-learn's inertia_). */
  inertia: number;
}

function squared(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) sum += (a[j]! - b[j]!) ** 2;
  return sum;
}

/** k-means from `restarts` k-means++ starts (seeds seed, seed + 1, …); the lowest inertia wins. */
export function fitKMeans(
  rows: readonly number[][],
  k: number,
  options: { restarts?: number; seed?: number } = {},
) {
  const restarts = options.restarts ?? 10;
  const seed = options.seed ?? 1;
  const data = rows.map((row) => [...row]);
  let best: Clustering | undefined;
  for (let r = 0; r < restarts; r++) {
    const result = kmeans(data, k, { seed: seed + r, initialization: 'kmeans++', maxIterations: 300 });
    const inertia = result.clusters.reduce((sum, c, i) => sum + squared(data[i]!, result.centroids[c]!), 0);
    if (best && best.inertia <= inertia) continue;
    const sizes = Array.from({ length: k }, () => 0);
    for (const c of result.clusters) sizes[c]! += 1;
    best = {
      k,
      labels: [...result.clusters],
      centroids: result.centroids.map((c) => [...c]),
      sizes,
      inertia,
    };
  }
  return best!;
}

/**
 * The mean silhouette (Rousseeuw 1987) of a labelling: for each point, (b − a) / max(a, b) with
 * a its mean distance to its own cluster and b to the nearest other. O(n²), so at most `sample`
 * points (evenly spaced, deterministic) are scored, against every point.
 */
export function silhouette(rows: readonly number[][], labels: readonly number[], sample = 2000): number {
  // A loop, not Math.max(...labels): spreading 300,000 labels overflows the call stack.
  const k = labels.reduce((max, label) => Math.max(max, label), -1) + 1;
  if (k < 2) return 0;
  const step = Math.max(1, Math.floor(rows.length / sample));
  let total = 0;
  let scored = 0;
  for (let i = 0; i < rows.length; i += step) {
    const sums = new Array<number>(k).fill(0);
    const counts = new Array<number>(k).fill(0);
    for (let j = 0; j < rows.length; j++) {
      if (j === i) continue;
      sums[labels[j]!]! += Math.sqrt(squared(rows[i]!, rows[j]!));
      counts[labels[j]!]! += 1;
    }
    const own = labels[i]!;
    if (counts[own] === 0) {
      scored += 1; // a point alone in its cluster scores 0
      continue;
    }
    const a = sums[own]! / counts[own]!;
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) if (c !== own && counts[c]! > 0) b = Math.min(b, sums[c]! / counts[c]!);
    total += Number.isFinite(b) && Math.max(a, b) > 0 ? (b - a) / Math.max(a, b) : 0;
    scored += 1;
  }
  return scored === 0 ? 0 : total / scored;
}

export interface ChosenClustering extends Clustering {
  silhouette: number;
  /** Every k tried with its silhouette, when k was chosen. */
  tried: Array<{ k: number; silhouette: number; inertia: number }>;
}

/** A fixed k, or the k in [2, maxK] with the highest silhouette. */
export function chooseClustering(
  rows: readonly number[][],
  options: { k?: number; maxK?: number; restarts?: number; seed?: number } = {},
): ChosenClustering {
  if (options.k !== undefined) {
    const fit = fitKMeans(rows, options.k, options);
    const score = silhouette(rows, fit.labels);
    return { ...fit, silhouette: score, tried: [{ k: fit.k, silhouette: score, inertia: fit.inertia }] };
  }
  const maxK = Math.min(options.maxK ?? 8, rows.length - 1);
  let best: ChosenClustering | undefined;
  const tried: ChosenClustering['tried'] = [];
  for (let k = 2; k <= maxK; k++) {
    const fit = fitKMeans(rows, k, options);
    const score = silhouette(rows, fit.labels);
    tried.push({ k, silhouette: score, inertia: fit.inertia });
    if (!best || score > best.silhouette) best = { ...fit, silhouette: score, tried };
  }
  return best!;
}

/** Hubert and Arabie's adjusted Rand index of two labellings of the same points. */
export function adjustedRandIndex(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  const pairs = (n: number) => (n * (n - 1)) / 2;
  const table = new Map<string, number>();
  const rowsOf = new Map<string | number, number>();
  const colsOf = new Map<string | number, number>();
  a.forEach((x, i) => {
    const y = b[i]!;
    const key = `${x}\u0000${y}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rowsOf.set(x, (rowsOf.get(x) ?? 0) + 1);
    colsOf.set(y, (colsOf.get(y) ?? 0) + 1);
  });
  const index = [...table.values()].reduce((s, n) => s + pairs(n), 0);
  const rows = [...rowsOf.values()].reduce((s, n) => s + pairs(n), 0);
  const cols = [...colsOf.values()].reduce((s, n) => s + pairs(n), 0);
  const expected = (rows * cols) / pairs(a.length);
  const max = (rows + cols) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}

/**
 * Pairs each new centroid with the nearest previous one (closest pairs first), so a refit keeps
 * the names people already use; a new cluster with no partner left gets undefined.
 */
export function matchCentroids(
  next: readonly number[][],
  previous: readonly number[][],
): Array<number | undefined> {
  const candidates: Array<{ i: number; j: number; d: number }> = [];
  next.forEach((c, i) => {
    previous.forEach((p, j) => {
      if (p.length === c.length) candidates.push({ i, j, d: squared(c, p) });
    });
  });
  candidates.sort((x, y) => x.d - y.d);
  const match: Array<number | undefined> = next.map(() => undefined);
  const taken = new Set<number>();
  for (const { i, j } of candidates) {
    if (match[i] !== undefined || taken.has(j)) continue;
    match[i] = j;
    taken.add(j);
  }
  return match;
}
