// Event property filters for entry triggers, goals and waits. Same semantics as segment
// rules: every test but `exists` is false when the property is missing or of another type.
import type { EventMatch, PropertyFilter } from './definition.ts';

export interface JourneyEvent {
  /** The event name (`Order Completed`, `Segment Entered` …). */
  name: string;
  messageId: string;
  timestamp: string;
  properties: Readonly<Record<string, unknown>>;
}

export function matchesFilters(
  filters: readonly PropertyFilter[] | undefined,
  properties: JourneyEvent['properties'],
) {
  return (filters ?? []).every((filter) => matchesFilter(filter, properties[filter.property]));
}

export function matchesEvent(match: EventMatch, event: JourneyEvent): boolean {
  return match.event === event.name && matchesFilters(match.where, event.properties);
}

function matchesFilter(filter: PropertyFilter, value: unknown): boolean {
  const test = filter.test;
  if (test.op === 'exists') return value !== undefined && value !== null;
  if (test.op === 'in') return test.values.some((candidate) => candidate === value);
  if (typeof value !== typeof test.value) return false;
  switch (test.op) {
    case 'eq':
      return value === test.value;
    case 'neq':
      return value !== test.value;
    case 'gt':
      return (value as number | string) > test.value;
    case 'gte':
      return (value as number | string) >= test.value;
    case 'lt':
      return (value as number | string) < test.value;
    case 'lte':
      return (value as number | string) <= test.value;
  }
}
