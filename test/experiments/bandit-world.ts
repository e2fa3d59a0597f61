// A placement's planted bandit world: three offers with known click rates over the last few
// days, as Promotion Viewed / Promotion Clicked events. The bandit history test and the
// Experiments page's browser test read the same truth.

export const DAY_MS = 86_400_000;
/** Per offer: impressions a day and clicks a day (the click rates 2%, 5%, 12%). */
export const PLANTED = { blue: [200, 4], green: [150, 8], gold: [100, 12] } as const;
export const PLANTED_DAYS = 4;

/** The planted views and clicks of `placement`, one user per view, on the PLANTED_DAYS days before today. */
export function plantedEvents(placement: string, nowMs = Date.now()): Array<Record<string, unknown>> {
  const events: Array<Record<string, unknown>> = [];
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  for (let d = 0; d < PLANTED_DAYS; d++) {
    // Whole days before today: nothing planted in the future, whatever the hour the test runs.
    const at = new Date(today - (PLANTED_DAYS - d) * DAY_MS + 3_600_000).toISOString();
    for (const [offer, [views, clicks]] of Object.entries(PLANTED)) {
      for (let i = 0; i < views; i++) {
        const userId = `${offer}-${d}-${i}`;
        const properties = { placement, promotion_id: offer };
        events.push({ type: 'track', userId, event: 'Promotion Viewed', properties, timestamp: at });
        if (i < clicks)
          events.push({ type: 'track', userId, event: 'Promotion Clicked', properties, timestamp: at });
      }
    }
  }
  return events;
}
