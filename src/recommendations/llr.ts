// Log-likelihood ratio of a 2×2 contingency table (Dunning 1993), the significance score Mahout
// uses for item similarity: how surprising it is that A and B appear together this often if
// they were independent. Written from the formula: G² = 2·(H(rows) + H(columns) − H(cells)),
// with H the unnormalised entropy N·log N − Σ k·log k, which works on counts directly.

function xLogX(x: number): number {
  return x === 0 ? 0 : x * Math.log(x);
}

/** Unnormalised entropy of counts: N·log N − Σ k·log k. */
function entropy(...counts: number[]): number {
  let sum = 0;
  let terms = 0;
  for (const count of counts) {
    sum += count;
    terms += xLogX(count);
  }
  return xLogX(sum) - terms;
}

/**
 * k11: baskets with A and B; k12: with B, not A; k21: with A, not B; k22: with neither.
 * The score is symmetric in A and B and ≥ 0; a negative difference is rounding and reads 0.
 */
export function logLikelihoodRatio(k11: number, k12: number, k21: number, k22: number): number {
  for (const k of [k11, k12, k21, k22]) {
    if (!(k >= 0) || !Number.isFinite(k)) throw new RangeError(`counts must be ≥ 0, got ${k}`);
  }
  const rows = entropy(k11 + k12, k21 + k22);
  const columns = entropy(k11 + k21, k12 + k22);
  const cells = entropy(k11, k12, k21, k22);
  return Math.max(0, 2 * (rows + columns - cells));
}

/** The table for a rule lhs ⇒ rhs from the counts mining already has. */
export function ruleLogLikelihood(both: number, lhs: number, rhs: number, baskets: number): number {
  return logLikelihoodRatio(both, rhs - both, lhs - both, baskets - lhs - rhs + both);
}
