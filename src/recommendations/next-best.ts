// Next best products for one person, from pair rules: what goes with what they bought, minus
// what they already have and what is excluded. Each candidate is scored by its strongest rule
// from an owned product (by lift, then confidence); the reason names that product. Pure.
import type { Rule } from './mine.ts';

export interface Suggestion {
  product: string;
  /** The owned product whose rule suggested it. */
  because: string;
  lift: number;
  confidence: number;
}

/**
 * Single-item rules by their lhs item, strongest first (`rules` come sorted by lift): only
 * pairs seen together more often than chance (lift > 1) and significantly so (`minLlr`).
 */
export function pairRulesByItem(rules: readonly Rule[], minLlr = 0): Map<string, Rule[]> {
  const byItem = new Map<string, Rule[]>();
  for (const rule of rules) {
    if (rule.lhs.length !== 1 || rule.lift <= 1 || rule.llr < minLlr) continue;
    const list = byItem.get(rule.lhs[0]!) ?? [];
    byItem.set(rule.lhs[0]!, list);
    list.push(rule);
  }
  return byItem;
}

function better(a: Suggestion, b: Suggestion): boolean {
  return a.lift > b.lift || (a.lift === b.lift && a.confidence > b.confidence);
}

export function nextBest(
  owned: ReadonlySet<string>,
  byItem: ReadonlyMap<string, readonly Rule[]>,
  options: { limit: number; exclude?: ReadonlySet<string> },
): Suggestion[] {
  const best = new Map<string, Suggestion>();
  for (const item of owned) {
    for (const rule of byItem.get(item) ?? []) {
      const product = rule.rhs[0]!;
      if (owned.has(product) || options.exclude?.has(product)) continue;
      const candidate = { product, because: item, lift: rule.lift, confidence: rule.confidence };
      const known = best.get(product);
      if (!known || better(candidate, known)) best.set(product, candidate);
    }
  }
  return [...best.values()]
    .sort((a, b) => b.lift - a.lift || b.confidence - a.confidence || (a.product < b.product ? -1 : 1))
    .slice(0, options.limit);
}
