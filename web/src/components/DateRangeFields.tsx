import { useState } from 'react';

const DAY_MS = 86_400_000;

/** The UTC day (YYYY-MM-DD) `daysAgo` days before today: the stats APIs count by UTC day. */
export function utcDay(daysAgo = 0): string {
  return new Date(Date.now() - daysAgo * DAY_MS).toISOString().slice(0, 10);
}

export interface DayRange {
  from: string;
  to: string;
  setFrom: (day: string) => void;
  setTo: (day: string) => void;
}

/** A range of UTC days, both included, that starts as the last `days` days up to today. */
export function useDayRange(days = 1): DayRange {
  const [from, setFrom] = useState(() => utcDay(days - 1));
  const [to, setTo] = useState(() => utcDay());
  return { from, to, setFrom, setTo };
}

/**
 * The labelled From and To day inputs of a stats panel, each bounding the other. Two fields,
 * to sit in the panel's row (or form) beside its own; ids are `${idPrefix}-from` and `-to`.
 */
export function DateRangeFields(props: { idPrefix: string; range: DayRange }) {
  const { from, to, setFrom, setTo } = props.range;
  return (
    <>
      <div>
        <label htmlFor={`${props.idPrefix}-from`}>From (UTC day)</label>
        <input
          id={`${props.idPrefix}-from`}
          type="date"
          value={from}
          max={to}
          onChange={(e) => setFrom(e.target.value)}
        />
      </div>
      <div>
        <label htmlFor={`${props.idPrefix}-to`}>To (UTC day, included)</label>
        <input
          id={`${props.idPrefix}-to`}
          type="date"
          value={to}
          min={from}
          onChange={(e) => setTo(e.target.value)}
        />
      </div>
    </>
  );
}
