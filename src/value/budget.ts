// "Who to make happiest with this budget": a retention budget spent greedily on the customers
// with the most value at risk per unit of cost (value × churn risk ÷ cost). With one cost per
// customer this is the exact optimum (the top of the list); with costs that differ it is the
// classic greedy for a knapsack, skipping anyone who no longer fits.
import { RapportError } from '../errors/index.ts';

export interface BudgetCandidate {
  profileId: string;
  /** What keeping the customer is worth (the value score, or CLV: the caller chooses). */
  value: number;
  /** P(leaves) in [0, 1]. */
  churnRisk: number;
  /** Cost of the retention action for this customer; defaults to the plan's costPerCustomer. */
  cost?: number;
}

export interface BudgetChoice {
  profileId: string;
  value: number;
  churnRisk: number;
  cost: number;
  /** value × churn risk: what the action protects if it keeps the customer. */
  valueAtRisk: number;
}

export interface BudgetPlan {
  amount: number;
  costPerCustomer: number;
  chosen: BudgetChoice[];
  spent: number;
  remaining: number;
  valueAtRiskCovered: number;
  /** Customers with some value at risk (the rest are never chosen). */
  candidates: number;
}

export function allocateBudget(
  candidates: readonly BudgetCandidate[],
  options: { amount: number; costPerCustomer: number },
): BudgetPlan {
  const { amount, costPerCustomer } = options;
  if (!Number.isFinite(amount) || amount < 0) {
    throw new RapportError('RAPPORT_VALUE_INVALID_INPUT', `amount must be a number ≥ 0 (got ${amount})`);
  }
  if (!Number.isFinite(costPerCustomer) || costPerCustomer <= 0) {
    throw new RapportError(
      'RAPPORT_VALUE_INVALID_INPUT',
      `costPerCustomer must be a number > 0 (got ${costPerCustomer})`,
    );
  }
  const ranked = candidates
    .map((candidate) => toChoice(candidate, costPerCustomer))
    .filter((choice): choice is BudgetChoice => choice !== null)
    .sort(
      (left, right) =>
        right.valueAtRisk / right.cost - left.valueAtRisk / left.cost ||
        (left.profileId < right.profileId ? -1 : 1),
    );
  const chosen: BudgetChoice[] = [];
  let remaining = amount;
  for (const choice of ranked) {
    if (choice.cost > remaining) continue;
    chosen.push(choice);
    remaining -= choice.cost;
  }
  return {
    amount,
    costPerCustomer,
    chosen,
    spent: amount - remaining,
    remaining,
    valueAtRiskCovered: chosen.reduce((sum, choice) => sum + choice.valueAtRisk, 0),
    candidates: ranked.length,
  };
}

/** null for customers with nothing at risk or unusable numbers (they are never worth spending on). */
function toChoice(candidate: BudgetCandidate, costPerCustomer: number): BudgetChoice | null {
  const cost = candidate.cost ?? costPerCustomer;
  const risk = Math.min(1, Math.max(0, candidate.churnRisk));
  const valueAtRisk = candidate.value * risk;
  if (!Number.isFinite(valueAtRisk) || valueAtRisk <= 0 || !(cost > 0)) return null;
  return { profileId: candidate.profileId, value: candidate.value, churnRisk: risk, cost, valueAtRisk };
}
