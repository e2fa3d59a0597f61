// The refresh's model check: refit BG/NBD as if it were the calibration end, predict each
// customer's purchases in the holdout period that followed (up to the moment scored), and
// compare with what they did. The result is what the value page's predicted-versus-actual
// chart shows; it is the same computation as `rapport clv validate`, on the event store.
import { isRapportError } from '../errors/index.ts';
import type { EventReader } from '../store/index.ts';
import { type BgNbdParams, fitBgNbd } from './bgnbd.ts';
import { DAYS_PER_UNIT, formatDay, type TimeUnit } from './dates.ts';
import { type ProfileResolver, purchaseSummaries } from './features.ts';
import {
  type CalibrationGroup,
  calibrationGroups,
  type HoldoutErrors,
  type HoldoutReport,
  holdoutErrors,
  holdoutPairs,
  holdoutReport,
} from './holdout.ts';

const DAY = 86_400_000;
/** The default holdout is this share of the purchase history… */
const HOLDOUT_SHARE = 1 / 3;
/** …capped at a year, and not attempted below a week. */
const MAX_HOLDOUT_DAYS = 365;
const MIN_HOLDOUT_DAYS = 7;

export interface ValueValidation {
  /** Last day of the calibration period and of the holdout, YYYY-MM-DD (UTC). */
  calibrationEnd: string;
  holdoutEnd: string;
  holdoutDays: number;
  unit: TimeUnit;
  /** Customers who had bought by the calibration end. */
  customers: number;
  /** BG/NBD fitted on the calibration period only. */
  params: BgNbdParams;
  /** Deciles of predicted holdout purchases: mean predicted and mean actual per customer. */
  groups: CalibrationGroup[];
  /** By repeat purchases before the calibration end, as `rapport clv validate` prints it. */
  buckets: HoldoutReport['rows'];
  total: HoldoutReport['total'];
  verdict: HoldoutReport['verdict'];
  errors: HoldoutErrors;
  warnings: string[];
}

/** How many days to hold out: `requested`, else a third of the purchase history, capped at a year. */
export function holdoutDaysFor(historyDays: number, requested?: number): number {
  if (requested !== undefined) return Math.floor(requested);
  return Math.min(MAX_HOLDOUT_DAYS, Math.floor(historyDays * HOLDOUT_SHARE));
}

/**
 * The calibration/holdout check as of `asOf`. Returns null with a reason (for the refresh's
 * warnings) when the history is too short or the calibration data cannot be fitted.
 */
export async function validateLifetimeValue(
  events: Pick<EventReader, 'query'>,
  options: {
    asOf: number;
    unit: TimeUnit;
    resolve: ProfileResolver;
    historyDays: number;
    holdoutDays?: number;
  },
): Promise<{ validation: ValueValidation | null; note: string | null }> {
  const holdoutDays = holdoutDaysFor(options.historyDays, options.holdoutDays);
  if (holdoutDays < MIN_HOLDOUT_DAYS) {
    return {
      validation: null,
      note: `model check skipped: the purchase history (${Math.floor(options.historyDays)} days) is too short to hold out ${MIN_HOLDOUT_DAYS} days or more`,
    };
  }
  const asOfDay = Math.floor(options.asOf / DAY);
  const calibrationEndDay = asOfDay - holdoutDays;
  const { customers } = await purchaseSummaries(events, {
    asOf: options.asOf,
    unit: options.unit,
    resolve: options.resolve,
    calibrationEnd: (calibrationEndDay + 1) * DAY - 1,
  });
  if (customers.length === 0) {
    return { validation: null, note: 'model check skipped: nobody had bought by the calibration end' };
  }
  let params: BgNbdParams;
  let fitWarnings: string[];
  try {
    const fit = fitBgNbd(customers);
    params = { ...fit.params };
    fitWarnings = fit.warnings;
  } catch (error) {
    if (!isRapportError(error)) throw error;
    return { validation: null, note: `model check skipped: ${error.message}` };
  }
  const holdoutLength = holdoutDays / DAYS_PER_UNIT[options.unit];
  const report = holdoutReport(params, customers, holdoutLength);
  const pairs = holdoutPairs(params, customers, holdoutLength);
  return {
    validation: {
      calibrationEnd: formatDay(calibrationEndDay),
      holdoutEnd: formatDay(asOfDay),
      holdoutDays,
      unit: options.unit,
      customers: customers.length,
      params,
      groups: calibrationGroups(pairs, 10),
      buckets: report.rows,
      total: report.total,
      verdict: report.verdict,
      errors: holdoutErrors(pairs)!,
      warnings: [...fitWarnings.map((warning) => `BG/NBD (calibration): ${warning}`), ...report.warnings],
    },
    note: null,
  };
}
