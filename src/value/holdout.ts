// Calibration/holdout check a marketer can read: fit on the purchases up to the calibration
// end, predict each customer's repeat purchases over the holdout period, and compare with
// what they actually did, by how many repeat purchases they had made before.
import { type BgNbdParams, conditionalExpectedPurchases } from './bgnbd.ts';
import type { CustomerSummary } from './summary.ts';

/** Frequency buckets 0..6 and "7+": the last bucket gathers everyone with at least this many. */
export const LAST_BUCKET = 7;
/** Total predicted and actual holdout purchases further apart than this share → "poor fit". */
export const POOR_FIT_THRESHOLD = 0.2;
/** Below these the fit rests on too few people to trust. */
export const MIN_CUSTOMERS = 100;
export const MIN_REPEAT_BUYERS = 20;

export interface HoldoutRow {
  /** "0" … "6", "7+" or "total". */
  bucket: string;
  customers: number;
  actual: number;
  predicted: number;
  actualPerCustomer: number;
  predictedPerCustomer: number;
  /** (predicted − actual) / actual; null when actual is 0. */
  relativeError: number | null;
}

export interface HoldoutReport {
  holdoutLength: number;
  rows: HoldoutRow[];
  total: HoldoutRow;
  /** The same numbers as plain arrays, one entry per bucket, ready for a bar or line chart. */
  chart: { buckets: string[]; actual: number[]; predicted: number[]; customers: number[] };
  verdict: 'good' | 'poor' | 'too little data';
  warnings: string[];
}

export function holdoutReport(
  params: BgNbdParams,
  customers: readonly CustomerSummary[],
  holdoutLength: number,
): HoldoutReport {
  const sums = Array.from({ length: LAST_BUCKET + 1 }, () => ({ customers: 0, actual: 0, predicted: 0 }));
  for (const customer of customers) {
    const sum = sums[Math.min(customer.frequency, LAST_BUCKET)]!;
    sum.customers += 1;
    sum.actual += customer.holdoutPurchases;
    sum.predicted += conditionalExpectedPurchases(
      params,
      customer.frequency,
      customer.recency,
      customer.age,
      holdoutLength,
    );
  }
  const rows = sums.map((sum, index) =>
    toRow(index === LAST_BUCKET ? `${LAST_BUCKET}+` : String(index), sum),
  );
  const total = toRow('total', {
    customers: customers.length,
    actual: sums.reduce((acc, sum) => acc + sum.actual, 0),
    predicted: sums.reduce((acc, sum) => acc + sum.predicted, 0),
  });
  const { verdict, warnings } = judge(customers, total);
  return {
    holdoutLength,
    rows,
    total,
    chart: {
      buckets: rows.map((row) => row.bucket),
      actual: rows.map((row) => row.actual),
      predicted: rows.map((row) => row.predicted),
      customers: rows.map((row) => row.customers),
    },
    verdict,
    warnings,
  };
}

function toRow(bucket: string, sum: { customers: number; actual: number; predicted: number }): HoldoutRow {
  return {
    bucket,
    customers: sum.customers,
    actual: sum.actual,
    predicted: sum.predicted,
    actualPerCustomer: sum.customers > 0 ? sum.actual / sum.customers : 0,
    predictedPerCustomer: sum.customers > 0 ? sum.predicted / sum.customers : 0,
    relativeError: sum.actual > 0 ? (sum.predicted - sum.actual) / sum.actual : null,
  };
}

function judge(
  customers: readonly CustomerSummary[],
  total: HoldoutRow,
): { verdict: HoldoutReport['verdict']; warnings: string[] } {
  const warnings: string[] = [];
  const repeatBuyers = customers.filter((customer) => customer.frequency > 0).length;
  if (customers.length < MIN_CUSTOMERS) {
    warnings.push(
      `only ${customers.length} customers (fewer than ${MIN_CUSTOMERS}): too few to trust the fit`,
    );
  }
  if (repeatBuyers < MIN_REPEAT_BUYERS) {
    warnings.push(
      `only ${repeatBuyers} customers bought again in the calibration period (fewer than ${MIN_REPEAT_BUYERS}): too few to learn how often people come back`,
    );
  }
  if (total.actual === 0) {
    warnings.push(
      'nobody bought anything in the holdout period: check that the holdout end is not after the end of your data',
    );
  } else if (Math.abs(total.relativeError!) > POOR_FIT_THRESHOLD) {
    const direction = total.predicted > total.actual ? 'over' : 'under';
    warnings.push(
      `poor fit: the model ${direction}-predicts holdout purchases by ${Math.round(Math.abs(total.relativeError!) * 100)}% (more than ${POOR_FIT_THRESHOLD * 100}%): do not use its predictions for decisions`,
    );
  }
  const thin = customers.length < MIN_CUSTOMERS || repeatBuyers < MIN_REPEAT_BUYERS;
  const poor = total.actual === 0 || Math.abs(total.relativeError!) > POOR_FIT_THRESHOLD;
  return { verdict: thin ? 'too little data' : poor ? 'poor' : 'good', warnings };
}

/** One customer's holdout forecast next to what they did. */
export interface HoldoutPair {
  customerId: string;
  predicted: number;
  actual: number;
}

export interface CalibrationGroup {
  /** 1 = the customers with the lowest predictions. */
  group: number;
  customers: number;
  meanPredicted: number;
  meanActual: number;
  minPredicted: number;
  maxPredicted: number;
}

export interface HoldoutErrors {
  /** Mean over customers of |predicted − actual| holdout purchases. */
  meanAbsoluteError: number;
  rootMeanSquaredError: number;
  /** Pearson correlation of predicted and actual per customer; null when either does not vary. */
  correlation: number | null;
}

/** Each customer's expected holdout purchases given their calibration summary. */
export function holdoutPairs(
  params: BgNbdParams,
  customers: readonly CustomerSummary[],
  holdoutLength: number,
): HoldoutPair[] {
  return customers.map((customer) => ({
    customerId: customer.customerId,
    predicted: conditionalExpectedPurchases(
      params,
      customer.frequency,
      customer.recency,
      customer.age,
      holdoutLength,
    ),
    actual: customer.holdoutPurchases,
  }));
}

/**
 * A calibration chart's data: customers sorted by predicted holdout purchases (ties by id, so
 * reruns agree) and cut into `groups` groups of equal size (sizes differ by at most one), each
 * with its mean predicted and mean actual. A well-calibrated model puts every group on the diagonal.
 */
export function calibrationGroups(pairs: readonly HoldoutPair[], groups = 10): CalibrationGroup[] {
  const sorted = [...pairs].sort(
    (left, right) =>
      left.predicted - right.predicted ||
      (left.customerId < right.customerId ? -1 : left.customerId > right.customerId ? 1 : 0),
  );
  const count = Math.min(groups, sorted.length);
  const result: CalibrationGroup[] = [];
  for (let g = 0; g < count; g++) {
    const members = sorted.slice(
      Math.floor((g * sorted.length) / count),
      Math.floor(((g + 1) * sorted.length) / count),
    );
    const predicted = members.reduce((sum, pair) => sum + pair.predicted, 0);
    const actual = members.reduce((sum, pair) => sum + pair.actual, 0);
    result.push({
      group: g + 1,
      customers: members.length,
      meanPredicted: predicted / members.length,
      meanActual: actual / members.length,
      minPredicted: members[0]!.predicted,
      maxPredicted: members.at(-1)!.predicted,
    });
  }
  return result;
}

export function holdoutErrors(pairs: readonly HoldoutPair[]): HoldoutErrors | null {
  const n = pairs.length;
  if (n === 0) return null;
  let absolute = 0;
  let squared = 0;
  let sumP = 0;
  let sumA = 0;
  for (const pair of pairs) {
    const error = pair.predicted - pair.actual;
    absolute += Math.abs(error);
    squared += error * error;
    sumP += pair.predicted;
    sumA += pair.actual;
  }
  const meanP = sumP / n;
  const meanA = sumA / n;
  let covariance = 0;
  let varP = 0;
  let varA = 0;
  for (const pair of pairs) {
    covariance += (pair.predicted - meanP) * (pair.actual - meanA);
    varP += (pair.predicted - meanP) ** 2;
    varA += (pair.actual - meanA) ** 2;
  }
  return {
    meanAbsoluteError: absolute / n,
    rootMeanSquaredError: Math.sqrt(squared / n),
    correlation: varP > 0 && varA > 0 ? covariance / Math.sqrt(varP * varA) : null,
  };
}
