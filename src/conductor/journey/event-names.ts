// Which event names a journey reads. An event can matter to journeys only by its name: it
// enters a person when it is an entry trigger, it ends a trip's wait or reaches its goal when
// the trip awaits it. The journeys processor uses these names to leave every other tracked
// event unparsed (nameTest); every place advance.ts and entry.ts compare an event's name must
// be listed here (test/conductor/journey-event-names.test.ts walks the schema to make sure).
import type { EntryTrigger, JourneyDefinition, Step, StepOf, StepType } from './definition.ts';
import { SEGMENT_ENTERED, SEGMENT_EXITED } from './entry.ts';

/** The event names that start a journey with this trigger; none for the time-based triggers. */
export function entryEventNames(trigger: EntryTrigger): string[] {
  switch (trigger.kind) {
    case 'event':
      return [trigger.event];
    case 'segment':
      return [trigger.on === 'entered' ? SEGMENT_ENTERED : SEGMENT_EXITED];
    case 'broadcast':
    case 'schedule':
    case 'dateTrait':
      return [];
  }
}

/**
 * What a person standing at each kind of step can be moved on by. Keyed by every step type, so
 * a new kind does not compile until it says whether it waits for an event.
 */
const AWAITED_AT: { [T in StepType]: (step: StepOf<T>) => string[] } = {
  wait: () => [],
  waitUntil: () => [],
  waitForEvent: (step) => [step.event],
  branch: () => [],
  split: () => [],
  send: () => [],
  setTrait: () => [],
  createTask: () => [],
  exit: () => [],
};

export function awaitedAtStep(step: Step): string[] {
  return (AWAITED_AT[step.type] as (step: Step) => string[])(step);
}

/** The event names a trip under way in this definition reacts to: its goal and its waits. */
export function awaitedEventNames(definition: JourneyDefinition): string[] {
  const names = definition.steps.flatMap(awaitedAtStep);
  return definition.goal ? [definition.goal.event, ...names] : names;
}

/**
 * A test on a log entry's JSON: false only when the JSON cannot hold a track named one of
 * `names` (the log holds JSON.stringify's output, where an event named N appears as N quoted).
 * False positives are parsed and sorted out by the caller, never false negatives: a name that
 * JSON writes escaped (a quote, a backslash, a control character, a lone surrogate) would not
 * appear quoted as it is, so then every entry passes. One regular expression for all names:
 * on a two-byte string (one non-ASCII character makes one) one `includes` per name costs
 * more than the expression for all of them (docs/performance.md, session 8).
 */
export function nameTest(names: Iterable<string>): (json: string) => boolean {
  const distinct = [...new Set(names)];
  if (distinct.length === 0) return () => false;
  if (distinct.some((name) => JSON.stringify(name) !== `"${name}"`)) return () => true;
  const expression = new RegExp(
    `"(?:${distinct.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})"`,
  );
  return (json) => expression.test(json);
}
