// Average ranks (1-based; tied values share the mean of their positions), for AUC and rank
// normalisation. Written here rather than taken from @stdlib/stats-ranks, which took 5 s for
// 100k values on the benchmark machine. A native numeric sort of a typed copy (no comparator
// callback) and two binary searches per value keep a million values to a fraction of a second.

export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const sorted = Float64Array.from(values).sort();
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const value = values[i]!;
    const first = lowerBound(sorted, value);
    const afterLast = upperBound(sorted, value, first);
    // 0-based positions first..afterLast-1 hold this value: the mean 1-based rank.
    ranks[i] = (first + afterLast + 1) / 2;
  }
  return ranks;
}

function lowerBound(sorted: Float64Array, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function upperBound(sorted: Float64Array, value: number, from: number): number {
  let low = from;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}
