// One person's trip through one journey, as persisted. `stateVersion` is the shape of this
// record (bump and migrate when it changes); `revision` counts the advances applied, so the
// runner writes with compare-and-set (`WHERE revision = $old`) and two workers can never both
// apply an event to the same instance.
import { createHash } from 'node:crypto';
import type { JourneyDefinition } from './definition.ts';
import type { JourneyEvent } from './filters.ts';

export const JOURNEY_STATE_VERSION = 1;
/** History kept on the instance; the full trail is in the event log (`Journey Step Completed`). */
export const HISTORY_LIMIT = 100;

export type ExitReason = 'completed' | 'converted' | 'aborted';

export interface StepRecord {
  stepId: string;
  at: string;
  /** What happened: `sent`, `case 0`, `otherwise`, `arm b`, `holdout`, `elapsed`, `event`, `timeout` … */
  outcome: string;
}

export interface JourneyInstance {
  stateVersion: typeof JOURNEY_STATE_VERSION;
  revision: number;
  instanceId: string;
  journeyId: string;
  /** The definition revision the person entered under; they finish on it. */
  journeyVersion: number;
  profileId: string;
  status: 'new' | 'running' | 'waiting' | 'exited';
  /** The step the person is on: the wait they wait at, or the exit they left by. */
  stepId: string;
  enteredAt: string;
  /** When the pending timer is due, and the token that timer carries (stale timers are ignored). */
  waitingUntil: string | null;
  timerToken: string | null;
  /** Times each step was reached: part of every idempotency key, so a loop's second send is a new send. */
  visits: Record<string, number>;
  /** Split step id → the arm taken (`holdout` for the holdout). */
  arms: Record<string, string>;
  holdout: boolean;
  /** The event that started the journey, for templates (`event.properties.product`). */
  trigger: Pick<JourneyEvent, 'name' | 'timestamp' | 'properties'> | null;
  exit: { reason: ExitReason; at: string; stepId: string } | null;
  history: StepRecord[];
}

/** A new instance, not yet entered: `advanceJourney` with `{ kind: 'entered' }` takes the first steps. */
export function newJourneyInstance(
  definition: JourneyDefinition,
  init: { instanceId: string; profileId: string; now: string; trigger?: JourneyEvent },
): JourneyInstance {
  return {
    stateVersion: JOURNEY_STATE_VERSION,
    revision: 0,
    instanceId: init.instanceId,
    journeyId: definition.id,
    journeyVersion: definition.version,
    profileId: init.profileId,
    status: 'new',
    stepId: definition.start,
    enteredAt: init.now,
    waitingUntil: null,
    timerToken: null,
    visits: {},
    arms: {},
    holdout: false,
    trigger: init.trigger
      ? { name: init.trigger.name, timestamp: init.trigger.timestamp, properties: init.trigger.properties }
      : null,
    exit: null,
    history: [],
  };
}

/**
 * The instance id for an entry caused by one message: the same trigger replayed (a retry, a
 * processor restarting from its offset) yields the same id, so the entry is stored once.
 */
export function instanceIdFor(journeyId: string, profileId: string, triggerId: string): string {
  const digest = createHash('sha256')
    .update(`${journeyId}\u0000${profileId}\u0000${triggerId}`)
    .digest('hex');
  return `ji_${digest.slice(0, 24)}`;
}
