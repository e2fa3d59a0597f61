// Events per UTC day, split by message type, counted in the warehouse (DuckDB or PostgreSQL)
// through the pipeline's EventReader; dead letters per day from the ingest log. Only the
// per-day counts cross the wire: a year of days is at most 366 × 6 rows.
import { type EventReader, type IngestLogStore, timeRangeSql, type WarehouseEngine } from '../store/index.ts';
import { DAY_MS, type DayRange, dayOf, daysOf } from './range.ts';
import { type EventsDay, type EventsPerDay, MESSAGE_TYPES, type MessageTypeName } from './schema.ts';

export { type EventsDay, type EventsPerDay, MESSAGE_TYPES, type MessageTypeName };

/**
 * Epoch seconds are UTC on both engines (DuckDB keeps TIMESTAMP in UTC, PostgreSQL has
 * timestamptz). The range compares the column itself (timeRangeSql), so the engine skips what
 * lies outside it. Days are counted by the event's own timestamp, so imported history lands
 * on the days it happened.
 */
export function eventsPerDaySql(engine: WarehouseEngine): string {
  return `SELECT floor(extract(epoch FROM timestamp) / 86400) AS day, type, count(*) AS n
  FROM events
  WHERE ${timeRangeSql(engine, 'timestamp', '$1', '$2')}
  GROUP BY 1, 2`;
}

const zeroTypes = (): Record<MessageTypeName, number> =>
  Object.fromEntries(MESSAGE_TYPES.map((type) => [type, 0])) as Record<MessageTypeName, number>;

const isMessageType = (value: unknown): value is MessageTypeName =>
  typeof value === 'string' && (MESSAGE_TYPES as readonly string[]).includes(value);

/** Pure: fills every day of the range (zeros included) from the grouped rows. */
export function assembleEventsPerDay(
  range: DayRange,
  rows: Array<Record<string, unknown>>,
  deadLetters: Record<string, number>,
): EventsPerDay {
  const days = new Map<string, EventsDay>(
    daysOf(range).map((date) => [
      date,
      { date, total: 0, byType: zeroTypes(), deadLetters: deadLetters[date] ?? 0 },
    ]),
  );
  for (const row of rows) {
    const day = days.get(dayOf(Number(row.day) * DAY_MS));
    if (!day) continue;
    const count = Number(row.n);
    day.total += count;
    if (isMessageType(row.type)) day.byType[row.type] += count;
  }
  const totals = { total: 0, byType: zeroTypes(), deadLetters: 0 };
  for (const day of days.values()) {
    totals.total += day.total;
    totals.deadLetters += day.deadLetters;
    for (const type of MESSAGE_TYPES) totals.byType[type] += day.byType[type];
  }
  return {
    from: range.from,
    to: range.to,
    timeZone: 'UTC',
    types: [...MESSAGE_TYPES],
    days: [...days.values()],
    totals,
  };
}

export async function eventsPerDay(
  events: Pick<EventReader, 'query'>,
  engine: WarehouseEngine,
  log: Pick<IngestLogStore, 'countDeadLettersByDay'>,
  range: DayRange,
): Promise<EventsPerDay> {
  const [rows, deadLetters] = await Promise.all([
    events.query(eventsPerDaySql(engine), [range.startMs / 1000, range.endMs / 1000]),
    log.countDeadLettersByDay(new Date(range.startMs).toISOString(), new Date(range.endMs).toISOString()),
  ]);
  return assembleEventsPerDay(range, rows, deadLetters);
}
