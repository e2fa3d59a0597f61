// Marketing spend per channel, campaign and day (docs/attribution.md, "Costs"), and what
// Rapport's own sends cost per message and channel. No person's data lives here.

export interface SpendRow {
  /** YYYY-MM-DD (UTC). */
  day: string;
  channel: string;
  /** '' when the spend is for the channel as a whole. */
  campaign: string;
  amount: number;
  /** ISO 4217 code, upper case. */
  currency: string;
}

export interface SpendTotal {
  channel: string;
  campaign: string;
  amount: number;
  currency: string;
  days: number;
}

export interface SpendStore {
  readonly engine: 'sqlite' | 'postgres';
  /** Inserts or replaces each (day, channel, campaign): importing a file twice changes nothing. */
  upsertSpend(rows: readonly SpendRow[]): Promise<void>;
  /** Totals per channel and campaign over the days from `fromDay` to `toDay`, inclusive. */
  spendBetween(fromDay: string, toDay: string): Promise<SpendTotal[]>;
  /** Every stored row from `fromDay` to `toDay`, inclusive, by day. */
  dailySpend(fromDay: string, toDay: string): Promise<SpendRow[]>;
  /** The currency already stored, if any (spend is kept in one currency). */
  storedCurrency(): Promise<string | null>;
  /** Cost of one message per channel (e.g. email 0.001, sms 0.04), in the spend currency. */
  sendCosts(): Promise<Record<string, number>>;
  setSendCost(channel: string, cost: number): Promise<void>;
  close(): Promise<void>;
}
