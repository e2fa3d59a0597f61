// The demo shop's marketing spend, planted so the Measure page's ROI table has costs from the
// start: a fixed amount per day on each channel the shop's messages reach people through
// (docs/demo.md, "What the demo plants"). Posted once the world is sent, with an admin token.
import { demoFetch } from './admin-fetch.ts';
import { SendRefusedError } from './send.ts';

export const DEMO_SPEND_CURRENCY = 'EUR';

/** Per day over the simulated window: the email provider and the SMS provider. */
export const DEMO_DAILY_SPEND: Readonly<Record<string, number>> = { email: 12, sms: 30 };

export interface PlantedSpendRow {
  day: string;
  channel: string;
  amount: number;
}

/** One row per channel and day of the window [start, start + days). */
export function demoSpendRows(start: Date, days: number): PlantedSpendRow[] {
  const first = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  const rows: PlantedSpendRow[] = [];
  for (let index = 0; index < days; index++) {
    const day = new Date(first + index * 86_400_000).toISOString().slice(0, 10);
    for (const [channel, amount] of Object.entries(DEMO_DAILY_SPEND)) rows.push({ day, channel, amount });
  }
  return rows;
}

/** Imports the planted spend (idempotent: the same days again replace themselves); the rows imported. */
export async function plantDemoSpend(url: string, token: string, start: Date, days: number): Promise<number> {
  const response = await demoFetch(
    new URL('/api/attribution/spend', url),
    {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rows: demoSpendRows(start, days), currency: DEMO_SPEND_CURRENCY }),
    },
    { idempotent: true },
  );
  const answer = (await response.json().catch(() => ({}))) as { imported?: number; rejected?: unknown[] };
  if (!response.ok || (answer.rejected?.length ?? 0) > 0) {
    throw new SendRefusedError(
      response.status,
      `importing the demo's spend was refused (${response.status}): ${JSON.stringify(answer)}`,
    );
  }
  return answer.imported ?? 0;
}
