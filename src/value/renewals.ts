// The renewal calendar: which active subscriptions renew in each of the coming months and the
// revenue up for renewal, with the part of it at risk (price × churn risk). Pure: the
// subscriptions' state comes from features.ts.

export interface ActiveSubscription {
  profileId: string;
  plan: string | null;
  /** Price per billing period; 0 when the events carried none that is usable. */
  price: number;
  /** Billing period in months (1 monthly, 3 quarterly, 12 yearly), or in days when `periodDays` is set. */
  periodMonths: number;
  periodDays?: number;
  /** Epoch ms of the next renewal. */
  nextRenewalAt: number;
  /** P(cancels before renewing), when known. */
  churnRisk?: number | null;
}

export interface RenewalMonth {
  /** `YYYY-MM`, UTC. */
  month: string;
  renewals: number;
  revenue: number;
  /** Σ price × churn risk over this month's renewals whose risk is known. */
  revenueAtRisk: number;
  /** Revenue of this month's renewals whose churn risk is unknown (the model had too little data). */
  revenueRiskUnknown: number;
}

export interface RenewalCalendar {
  from: string;
  months: RenewalMonth[];
  totalRevenue: number;
  totalAtRisk: number;
  totalRiskUnknown: number;
}

const PERIODS: Record<string, { months: number } | { days: number }> = {
  daily: { days: 1 },
  weekly: { days: 7 },
  monthly: { months: 1 },
  month: { months: 1 },
  quarterly: { months: 3 },
  quarter: { months: 3 },
  yearly: { months: 12 },
  year: { months: 12 },
  annual: { months: 12 },
  annually: { months: 12 },
};

/** A billing period as written in events (`monthly`, `annual`…); unknown or missing → monthly. */
export function parseBillingPeriod(raw: unknown): { months: number; days?: number; known: boolean } {
  const period = typeof raw === 'string' ? PERIODS[raw.trim().toLowerCase()] : undefined;
  if (!period) return { months: 1, known: false };
  return 'days' in period
    ? { months: 0, days: period.days, known: true }
    : { months: period.months, known: true };
}

/** The renewal after `at`: a calendar step in UTC (31 Jan + 1 month is the last day of February). */
export function addPeriod(
  at: number,
  subscription: Pick<ActiveSubscription, 'periodMonths' | 'periodDays'>,
): number {
  if (subscription.periodDays) return at + subscription.periodDays * 86_400_000;
  const date = new Date(at);
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + Math.max(1, subscription.periodMonths));
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, lastDay));
  return date.getTime();
}

/**
 * Renewals from the start of `from`'s month for `months` months; each subscription renews at
 * its next renewal date and then every period. `months` of 0 gives an empty calendar.
 */
export function renewalCalendar(
  subscriptions: readonly ActiveSubscription[],
  from: Date,
  months: number,
): RenewalCalendar {
  const start = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1);
  const wholeMonths = Math.max(0, Math.floor(months));
  const end = Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + wholeMonths, 1);
  const calendar = Array.from({ length: wholeMonths }, (_, index) => ({
    month: monthKey(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + index, 1)),
    renewals: 0,
    revenue: 0,
    revenueAtRisk: 0,
    revenueRiskUnknown: 0,
  }));
  const byMonth = new Map(calendar.map((entry) => [entry.month, entry]));
  for (const subscription of subscriptions) {
    // The model predicts cancelling within its horizon; later renewals get the same risk, which
    // understates it for renewals far beyond the horizon (documented).
    const risk = subscription.churnRisk ?? null;
    for (let at = subscription.nextRenewalAt; at < end; at = addPeriod(at, subscription)) {
      if (at < start) continue;
      const entry = byMonth.get(monthKey(at));
      if (!entry) continue;
      entry.renewals += 1;
      entry.revenue += subscription.price;
      if (risk === null) entry.revenueRiskUnknown += subscription.price;
      else entry.revenueAtRisk += subscription.price * risk;
    }
  }
  return {
    from: monthKey(start),
    months: calendar,
    totalRevenue: calendar.reduce((sum, entry) => sum + entry.revenue, 0),
    totalAtRisk: calendar.reduce((sum, entry) => sum + entry.revenueAtRisk, 0),
    totalRiskUnknown: calendar.reduce((sum, entry) => sum + entry.revenueRiskUnknown, 0),
  };
}

function monthKey(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}
