// Fits both models on a set of customer summaries and decides what spend to use where the
// spend model cannot say: the one place that knows how the two models fit together.

import { isRapportError } from '../errors/index.ts';
import { type BgNbdFit, fitBgNbd } from './bgnbd.ts';
import type { SpendModel } from './clv.ts';
import { fitGammaGamma, type GammaGammaFit } from './gamma-gamma.ts';
import type { CustomerSummary } from './summary.ts';

export interface ValueModels {
  bgNbd: BgNbdFit;
  /** null when the spend model could not be fitted; `spendNote` says why. */
  gammaGamma: GammaGammaFit | null;
  spend: SpendModel;
  spendNote: string | null;
}

/** Fits BG/NBD (which must succeed) and Gamma-Gamma (which may not: then spend falls back). */
export function fitValueModels(customers: readonly CustomerSummary[]): ValueModels {
  const bgNbd = fitBgNbd(customers);
  const fallback = observedRepeatSpend(customers);
  try {
    const gammaGamma = fitGammaGamma(customers);
    return { bgNbd, gammaGamma, spend: { params: gammaGamma.params, fallback }, spendNote: null };
  } catch (error) {
    if (!isRapportError(error)) throw error;
    return {
      bgNbd,
      gammaGamma: null,
      spend: { fallback },
      spendNote: `${error.message}; expected spend per purchase is the observed average repeat purchase (${fallback.toFixed(2)}) for everyone`,
    };
  }
}

/** Average value of all repeat purchases (0 when there are none). */
export function observedRepeatSpend(customers: readonly CustomerSummary[]): number {
  let spend = 0;
  let purchases = 0;
  for (const customer of customers) {
    spend += customer.meanRepeatSpend * customer.frequency;
    purchases += customer.frequency;
  }
  return purchases > 0 ? spend / purchases : 0;
}
