// Association rules from baskets, as the arules package's apriori() finds them: every itemset
// whose support (share of baskets holding all its items) reaches the minimum, then every rule
// with one item on the right-hand side (arules' apriori makes only those) whose confidence
// reaches the minimum. Itemsets are found depth-first by intersecting sorted lists of basket
// numbers (Eclat, Zaki 2000): the same itemsets as Apriori's level-wise search, with one pass
// over the baskets. Pure: no I/O, baskets in, rules out.
import { ruleLogLikelihood } from './llr.ts';

export interface MiningOptions {
  /** Share of baskets, in (0, 1]: an itemset is frequent when its share is at least this. */
  minSupport: number;
  /** In [0, 1]: P(rhs | lhs) at least this. */
  minConfidence: number;
  /** Items in a rule, lhs and rhs together (arules' minlen); 1 allows {} ⇒ {item}. Default 2. */
  minLength?: number;
  /** arules' maxlen; default 10. */
  maxLength?: number;
}

export interface Rule {
  lhs: string[];
  rhs: string[];
  support: number;
  confidence: number;
  lift: number;
  /** Baskets holding every item of the rule. */
  count: number;
  /** Log-likelihood ratio of the lhs/rhs 2×2 table (Mahout's significance score). */
  llr: number;
}

export interface MiningResult {
  baskets: number;
  /** Distinct items in the baskets. */
  items: number;
  /** Number of rules. */
  count: number;
  /** Sorted by lift, highest first (ties: support, then the items' names). */
  rules: Rule[];
}

interface Candidate {
  item: number;
  baskets: Int32Array;
}

/** How many baskets an itemset needs: support · n, rounded up (a share is never rounded down). */
export function minimumCount(minSupport: number, baskets: number): number {
  // 1e-9 keeps 0.01 · 1000 = 10.000000000000002 from becoming 11.
  return Math.max(1, Math.ceil(minSupport * baskets - 1e-9));
}

export function checkMiningOptions(options: MiningOptions): Required<MiningOptions> {
  const { minSupport, minConfidence } = options;
  const minLength = options.minLength ?? 2;
  const maxLength = options.maxLength ?? 10;
  if (!(minSupport > 0 && minSupport <= 1)) {
    throw new RangeError(`minimum support must be in (0, 1], got ${minSupport}`);
  }
  if (!(minConfidence >= 0 && minConfidence <= 1)) {
    throw new RangeError(`minimum confidence must be in [0, 1], got ${minConfidence}`);
  }
  if (!Number.isInteger(minLength) || minLength < 1) {
    throw new RangeError(`minimum length must be a whole number ≥ 1, got ${minLength}`);
  }
  if (!Number.isInteger(maxLength) || maxLength < minLength) {
    throw new RangeError(`maximum length must be a whole number ≥ the minimum length, got ${maxLength}`);
  }
  return { minSupport, minConfidence, minLength, maxLength };
}

/**
 * Item numbers by ascending frequency (the order that keeps Eclat's intersections short), and
 * each frequent item's sorted list of basket numbers. Baskets must hold each item once.
 */
function frequentItems(baskets: readonly (readonly string[])[], minCount: number) {
  const lists = new Map<string, number[]>();
  baskets.forEach((basket, index) => {
    for (const item of basket) {
      const list = lists.get(item) ?? [];
      lists.set(item, list);
      list.push(index);
    }
  });
  const frequent = [...lists].filter(([, list]) => list.length >= minCount);
  frequent.sort((a, b) => a[1].length - b[1].length || (a[0] < b[0] ? -1 : 1));
  const names = frequent.map(([name]) => name);
  const candidates = frequent.map(([, list], item) => ({ item, baskets: Int32Array.from(list) }));
  return { distinct: lists.size, names, candidates };
}

function intersect(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(Math.min(a.length, b.length));
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out[n++] = x;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out.subarray(0, n);
}

/**
 * Co-occurrence counts of every pair of frequent items, one pass over the baskets (Apriori's
 * second level as a triangular array). Eclat then intersects basket lists only for pairs that
 * are frequent: on many items most pairs are not, and their intersections were the cost.
 */
function pairCounts(candidates: Candidate[], baskets: number): (i: number, j: number) => number {
  const items = candidates.length;
  const byBasket: number[][] = Array.from({ length: baskets }, () => []);
  for (const { item, baskets: list } of candidates) for (const b of list) byBasket[b]!.push(item);
  // Row i holds pairs (i, j > i) from offset i·items − i·(i+1)/2 − i − 1 + j.
  const offset = (i: number) => i * items - (i * (i + 1)) / 2 - i - 1;
  const dense = items <= 5000;
  const counts = dense ? new Uint32Array((items * (items - 1)) / 2) : new Map<number, number>();
  for (const basket of byBasket) {
    // Items were pushed in ascending number, so each basket's list is sorted.
    for (let x = 0; x < basket.length; x++) {
      const base = offset(basket[x]!);
      for (let y = x + 1; y < basket.length; y++) {
        const at = base + basket[y]!;
        if (counts instanceof Uint32Array) counts[at]!++;
        else counts.set(at, (counts.get(at) ?? 0) + 1);
      }
    }
  }
  return (i, j) =>
    counts instanceof Uint32Array ? counts[offset(i) + j]! : (counts.get(offset(i) + j) ?? 0);
}

/** Every frequent itemset (items in ascending number) with its count, keyed by `1,4,9`. */
export function frequentItemsets(
  candidates: Candidate[],
  minCount: number,
  maxLength: number,
  baskets: number,
): Map<string, number> {
  const counts = new Map<string, number>();
  const pairs = maxLength >= 2 ? pairCounts(candidates, baskets) : () => 0;
  const grow = (prefix: number[], level: Candidate[]) => {
    for (let i = 0; i < level.length; i++) {
      const { item, baskets: list } = level[i]!;
      const itemset = [...prefix, item];
      counts.set(itemset.join(','), list.length);
      if (itemset.length >= maxLength) continue;
      const next: Candidate[] = [];
      for (let j = i + 1; j < level.length; j++) {
        const other = level[j]!;
        // Any itemset holding both items is no more frequent than the pair.
        if (pairs(item, other.item) < minCount) continue;
        const shared = intersect(list, other.baskets);
        if (shared.length >= minCount) next.push({ item: other.item, baskets: shared });
      }
      if (next.length > 0) grow(itemset, next);
    }
  };
  grow([], candidates);
  return counts;
}

// Code-unit order, not the locale's: the same file sorts the same everywhere.
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRules(a: Rule, b: Rule): number {
  return (
    b.lift - a.lift ||
    b.support - a.support ||
    compareText(a.lhs.join('\u0000'), b.lhs.join('\u0000')) ||
    compareText(a.rhs[0]!, b.rhs[0]!)
  );
}

/** Rules lhs ⇒ {one item} from the frequent itemsets (downward closure: every lhs is in the map). */
function rulesFrom(
  itemsets: Map<string, number>,
  names: string[],
  n: number,
  options: Required<MiningOptions>,
): Rule[] {
  const rules: Rule[] = [];
  for (const [key, count] of itemsets) {
    const items = key.split(',').map(Number);
    if (items.length < options.minLength) continue;
    for (let r = 0; r < items.length; r++) {
      const lhs = items.filter((_, i) => i !== r);
      const rhs = items[r]!;
      const lhsCount = lhs.length === 0 ? n : itemsets.get(lhs.join(','))!;
      const confidence = count / lhsCount;
      if (confidence < options.minConfidence) continue;
      const rhsCount = itemsets.get(String(rhs))!;
      rules.push({
        lhs: lhs.map((item) => names[item]!).sort(compareText),
        rhs: [names[rhs]!],
        support: count / n,
        confidence,
        lift: confidence / (rhsCount / n),
        count,
        llr: ruleLogLikelihood(count, lhsCount, rhsCount, n),
      });
    }
  }
  return rules.sort(compareRules);
}

/** Mines the rules; baskets must hold each item once (see `readBaskets`). */
export function mineRules(baskets: readonly (readonly string[])[], options: MiningOptions): MiningResult {
  const checked = checkMiningOptions(options);
  const n = baskets.length;
  if (n === 0) return { baskets: 0, items: 0, count: 0, rules: [] };
  const minCount = minimumCount(checked.minSupport, n);
  const { distinct, names, candidates } = frequentItems(baskets, minCount);
  const itemsets = frequentItemsets(candidates, minCount, checked.maxLength, n);
  const rules = rulesFrom(itemsets, names, n, checked);
  return { baskets: n, items: distinct, count: rules.length, rules };
}
