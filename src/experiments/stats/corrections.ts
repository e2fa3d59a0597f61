// Many arms × many metrics means many chances of a false positive. The adjusted p-values of
// Holm–Bonferroni (family-wise error) and Benjamini–Hochberg (false discovery rate), the two
// corrections gbstats offers; the result names the one used.

export type Correction = 'holm-bonferroni' | 'benjamini-hochberg' | 'none';

export function adjustPValues(pValues: readonly number[], correction: Correction): number[] {
  if (correction === 'none') return [...pValues];
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(m);
  if (correction === 'holm-bonferroni') {
    let running = 0;
    order.forEach(({ p, i }, rank) => {
      running = Math.max(running, Math.min(1, (m - rank) * p));
      adjusted[i] = running;
    });
    return adjusted;
  }
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const { p, i } = order[rank] as { p: number; i: number };
    running = Math.min(running, Math.min(1, (p * m) / (rank + 1)));
    adjusted[i] = running;
  }
  return adjusted;
}
